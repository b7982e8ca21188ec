"""The figures as CSV and as plain data (the API's and the evidence pack's), with the same suppression as the page."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ombuds.analytics.figures import Dashboard, Figure
from ombuds.analytics.suppress import Cell, State


def shown_as(cell: Cell | None, threshold: int) -> str:
    if cell is None:
        return ""
    if cell.state is State.SMALL:
        return _("fewer than %(threshold)d") % {"threshold": threshold}
    if cell.state is State.SUPPRESSED:
        return _("suppressed")
    return str(cell.count)


def cell_data(cell: Cell | None) -> dict[str, Any] | None:
    if cell is None:
        return None
    return {"count": cell.count if cell.shown else None, "state": str(cell.state)}


def figure_csv(dashboard: Dashboard, figure: Figure) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_("figure"), _("row"), _("count")])
    for row in figure.rows:
        writer.writerow([figure.title, row.label, shown_as(row.cell, dashboard.threshold)])
    if figure.total is not None:
        writer.writerow([figure.title, _("Total"), shown_as(figure.total, dashboard.threshold)])
    return out.getvalue()


def _days(value: float | None, threshold: int) -> str:
    if value is None:
        return _("fewer than %(threshold)d cases") % {"threshold": threshold}
    return f"{value}"


def durations_csv(dashboard: Dashboard) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_("figure"), _("median (days)"), _("90th percentile (days)")])
    for duration in dashboard.durations:
        writer.writerow(
            [
                duration.title,
                _days(duration.median_days, dashboard.threshold),
                _days(duration.p90_days, dashboard.threshold),
            ]
        )
    return out.getvalue()


def rates_csv(dashboard: Dashboard) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_("figure"), _("value")])
    for key, (value, _reference) in dashboard.rates.items():
        writer.writerow([str(RATE_TITLES[key]), "" if value is None else value])
    return out.getvalue()


def csv_files(dashboard: Dashboard) -> dict[str, str]:
    """Every table of the dashboard, by file name."""
    files = {f"{figure.key}.csv": figure_csv(dashboard, figure) for figure in dashboard.figures if figure.total}
    files["durations.csv"] = durations_csv(dashboard)
    files["rates.csv"] = rates_csv(dashboard)
    return files


def as_data(dashboard: Dashboard) -> dict[str, Any]:
    return {
        "period": {"from": dashboard.period.first.isoformat(), "to": dashboard.period.end.isoformat()},
        "unit": {"id": dashboard.scope, "label": dashboard.scope_label, "head_count": dashboard.head_count},
        "threshold": dashboard.threshold,
        "reduced": dashboard.reduced,
        "figures": [
            {
                "key": figure.key,
                "title": figure.title,
                "rows": [{"key": row.key, "label": row.label, **(cell_data(row.cell) or {})} for row in figure.rows],
                "total": cell_data(figure.total),
                "reference": figure.reference,
                "note": figure.note,
            }
            for figure in dashboard.figures
        ],
        "durations": [
            {
                "key": d.key,
                "title": d.title,
                "median_days": d.median_days,
                "p90_days": d.p90_days,
                "reference": d.reference,
            }
            for d in dashboard.durations
        ],
        "rates": {key: {"value": value, "reference": reference} for key, (value, reference) in dashboard.rates.items()},
    }


RATE_TITLES = {
    "per_100": gettext_lazy("Reports per 100 employees per year"),
    "anonymous_share": gettext_lazy("Share of anonymous reports (%)"),
    "substantiation": gettext_lazy("Substantiation rate (%)"),
}
