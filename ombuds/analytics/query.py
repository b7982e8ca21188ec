"""The period and unit of a request, read the same way by the page, its downloads and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.analytics.figures import Period, Units
from ombuds.analytics.suppress import ROOT


@dataclass(frozen=True)
class Choice:
    period: Period
    unit: int  # a reporting unit, or ROOT
    asked_unit: int  # the directory unit asked for (ROOT when none)


class BadQuery(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {text}" for key, text in errors.items()))
        self.errors = errors


def _day(text: str, name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD.")
        return None


def read(params: Mapping[str, str], units: Units) -> Choice:
    """`from` and `to` (dates, widened to whole months; default the last twelve months) and `unit` (a unit id)."""
    errors: dict[str, str] = {}
    start = _day(params.get("from", "").strip(), "from", errors)
    end = _day(params.get("to", "").strip(), "to", errors)
    unit_text = params.get("unit", "").strip()
    asked = ROOT
    if unit_text:
        if not unit_text.isdigit() or (int(unit_text) != ROOT and int(unit_text) not in units.reporting):
            errors["unit"] = _("Choose a unit from the list.")
        else:
            asked = int(unit_text)
    period = Period.last_twelve_months(timezone.localdate())
    if not errors and (start or end):
        try:
            period = Period.covering(start or period.first, end or period.end)
        except ValueError:
            errors["to"] = _("The period must end after it starts and last at most ten years.")
    if errors:
        raise BadQuery(errors)
    unit = asked if asked == ROOT or asked in units.parents else units.reporting[asked]
    return Choice(period, unit, asked)
