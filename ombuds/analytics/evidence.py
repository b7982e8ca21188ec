"""The prevention-duty evidence pack: for a period, a PDF and a ZIP of CSVs, and the audit log's tree head.

What the pack holds: the policies in force and their acknowledgement rates by unit, the
training records, the reporting channels offered, the dashboard's figures for the whole
organisation (with the same suppression), interim measures and outcomes by type, deadline
performance, and the latest signed tree head of the audit log when the pack was made, so
it can later be shown to match the log. Producing it is an audit event, written after the
tree head was taken: the event is in the log, after the head the pack names.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Case as When_
from django.db.models import Count, F, Q, Value, When
from django.db.models.functions import TruncMonth
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ombuds.analytics import export, figures
from ombuds.analytics.figures import Dashboard, Period, Units
from ombuds.analytics.suppress import ROOT, TOTAL, Cell, Grid
from ombuds.audit import log, tree_heads
from ombuds.audit.models import EventType
from ombuds.cases.models import Organisation
from ombuds.directory.models import Person
from ombuds.policies.models import AcknowledgementRequest, PolicyVersion, TrainingAttendance, TrainingSession


@dataclass(frozen=True)
class Pack:
    pdf: bytes
    csv_zip: bytes
    tree_head: dict[str, object] | None

    def bundle(self, stem: str) -> bytes:
        """The PDF and the ZIP of CSVs in one ZIP, as the dashboard's button hands them out."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr(f"{stem}.pdf", self.pdf)
            bundle.writestr(f"{stem}-csv.zip", self.csv_zip)
        return out.getvalue()


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def policies(period: Period, units: Units) -> list[dict[str, Any]]:
    """Each policy version in force at the period's end, with acknowledgements by reporting unit."""
    _start, end = period.bounds(figures.zone())
    limit = units.threshold
    found = []
    versions = (
        PolicyVersion.objects.filter(published_at__lt=end)
        .filter(Q(superseded_at__isnull=True) | Q(superseded_at__gte=end))
        .select_related("policy")
        .order_by("policy_id")
    )
    for version in versions:
        title = version.texts.order_by("language").values_list("title", flat=True).first() or str(version.policy)
        by_unit: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for unit_id, acknowledged, n in (
            AcknowledgementRequest.objects.filter(version=version)
            .annotate(_done=When_(When(acknowledged_at__lt=end, then=Value(1)), default=Value(0)))
            .values_list("person__unit_id", "_done")
            .annotate(n=Count("pk"))
        ):
            counts = by_unit[units.reporting.get(unit_id, ROOT) if unit_id is not None else ROOT]
            counts[0] += n
            counts[1] += n if acknowledged else 0
        rows = []
        for unit in sorted(by_unit, key=units.label):
            asked, done = by_unit[unit]
            rate = round(done / asked * 100, 1) if asked >= limit else None
            rows.append({"unit": units.label(unit), "asked": asked if asked >= limit else None, "rate": rate})
        found.append({"title": title, "published": version.published_at, "units": rows})
    return found


def training(period: Period) -> dict[str, Any]:
    sessions = TrainingSession.objects.filter(held_on__gte=period.first, held_on__lte=period.end)
    rows = list(
        sessions.values("course").annotate(_sessions=Count("pk", distinct=True), _attended=Count("attendances"))
    )
    return {
        "recorded": TrainingSession.objects.exists(),
        "rows": [[row["course"], row["_sessions"], row["_attended"]] for row in rows],
        "people_trained": TrainingAttendance.objects.filter(session__in=sessions)
        .values("person_id")
        .distinct()
        .count(),
        "employees": Person.objects.exclude(status="left").count(),
    }


def channels() -> list[str]:
    organisation = Organisation.objects.get(pk=1)
    offered = [
        _("The web report form, anonymous or named, with a receipt to return with (languages: %(languages)s).")
        % {"languages": ", ".join(name for _code, name in organisation.offered_languages())},
        _("Reports by witnesses and bystanders, and on someone else's behalf."),
        _("The reporter's private channel with her receipt: status, two-way messages, an appeal to oversight."),
        _("The reporter API (for integrations that file on the reporter's behalf)."),
    ]
    if organisation.oversight_contact:
        offered.append(_("Direct contact with the oversight body, shown on the start page."))
    return offered


DEADLINES = ("acknowledge", "feedback")


def deadline_grid(key: str, period: Period, limit: int) -> Grid:
    """Cases received in the period by whether the deadline was met on time, late, or not yet."""
    met_column, due_column = {
        "acknowledge": ("acknowledged_at", "ack_due_at"),
        "feedback": ("feedback_given_at", "feedback_due_at"),
    }[key]
    tz = figures.zone()
    start, end = period.bounds(tz)
    rows = (
        figures.visible_cases()
        .filter(received_at__gte=start, received_at__lt=end)
        .annotate(
            _month=TruncMonth("received_at", tzinfo=tz),
            _how=When_(
                When(**{f"{met_column}__isnull": True}, then=Value("pending")),
                When(**{f"{met_column}__lte": F(due_column)}, then=Value("on_time")),
                default=Value("late"),
            ),
        )
        .order_by()
        .values("_month", "_how")
        .annotate(n=Count("pk"))
    )
    own: dict[Any, int] = defaultdict(int)
    for row in rows:
        own[(ROOT, row["_month"].astimezone(tz).strftime("%Y-%m"), row["_how"])] += row["n"]
    return Grid(
        threshold=limit, parents={}, months=list(period.months()), values=["on_time", "late", "pending"], own=own
    )


def _deadline_rows(period: Period, limit: int) -> list[list[str]]:
    labels = {"on_time": _("met on time"), "late": _("met late"), "pending": _("not yet met")}
    titles = {"acknowledge": _("Acknowledgement"), "feedback": _("First feedback")}
    rows = []
    for key in DEADLINES:
        grid = deadline_grid(key, period, limit)
        months = list(period.months())
        for value in ["on_time", "late", "pending", TOTAL]:
            cell: Cell = grid.cell(ROOT, months, value)
            label = _("Total") if value == TOTAL else labels[value]
            rows.append([str(titles[key]), str(label), export.shown_as(cell, limit)])
    return rows


def _tree_head() -> dict[str, object] | None:
    tree_heads.sign_current()
    head = tree_heads.latest()
    return head.as_json() if head is not None else None


def produce(*, period: Period, actor: User | None, now: datetime | None = None, via: str = "web") -> Pack:
    """Make the pack and record that it was made (one audit event, after the tree head it names)."""
    now = now or timezone.now()
    units = Units.load(figures.threshold())
    dashboard = figures.build(period=period, scope=ROOT, reduced=False, units=units)
    tree_head = _tree_head()
    found_policies = policies(period, units)
    found_training = training(period)
    offered = channels()
    deadline_rows = _deadline_rows(period, dashboard.threshold)
    files = export.csv_files(dashboard)
    files["policies.csv"] = _csv(
        [_("policy"), _("unit"), _("asked to acknowledge"), _("acknowledged (%)")],
        [
            [
                p["title"],
                u["unit"],
                _count_text(u["asked"], dashboard.threshold),
                "" if u["rate"] is None else u["rate"],
            ]
            for p in found_policies
            for u in p["units"]
        ],
    )
    files["training.csv"] = _csv([_("course"), _("sessions"), _("attendances")], found_training["rows"])
    files["channels.csv"] = _csv([_("reporting channel")], [[text] for text in offered])
    files["deadlines.csv"] = _csv([_("deadline"), _("cases"), _("count")], deadline_rows)
    files["tree_head.json"] = json.dumps(tree_head, indent=2, sort_keys=True) + "\n"
    csv_out = io.BytesIO()
    with zipfile.ZipFile(csv_out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(name, files[name])
    html = render_to_string(
        "analytics/evidence_pack.html",
        {
            "dashboard": dashboard,
            "rows": _figure_rows(dashboard),
            "policies": found_policies,
            "training": found_training,
            "channels": offered,
            "deadlines": deadline_rows,
            "tree_head": tree_head,
            "made_at": timezone.localtime(now),
            "rate_titles": export.RATE_TITLES,
            "language": translation.get_language(),
        },
    )
    pdf = _pdf(html)
    pack = Pack(pdf=pdf, csv_zip=csv_out.getvalue(), tree_head=tree_head)
    with transaction.atomic():
        log.record_system(
            EventType.EVIDENCE_PACK_PRODUCED,
            actor_id=actor.pk if actor is not None else None,
            **{
                "from": period.first.isoformat(),
                "to": period.end.isoformat(),
                "via": via,
                "tree_size": tree_head["tree_size"] if tree_head else None,
                "pdf_sha256": hashlib.sha256(pack.pdf).hexdigest(),
                "zip_sha256": hashlib.sha256(pack.csv_zip).hexdigest(),
            },
        )
    return pack


def _count_text(count: int | None, threshold: int) -> str:
    return str(count) if count is not None else _("fewer than %(threshold)d") % {"threshold": threshold}


def _figure_rows(dashboard: Dashboard) -> list[dict[str, Any]]:
    return [
        {
            "title": figure.title,
            "rows": [(row.label, export.shown_as(row.cell, dashboard.threshold)) for row in figure.rows],
            "total": export.shown_as(figure.total, dashboard.threshold) if figure.total is not None else "",
            "reference": figure.reference,
            "note": figure.note,
        }
        for figure in dashboard.figures
    ]


def _pdf(html: str) -> bytes:
    # Imported when a pack is made: loading WeasyPrint loads Pango and the fonts.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    document: bytes = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
    return document
