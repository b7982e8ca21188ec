"""The dashboard's counts, stored per calendar month and kept current, so a dashboard costs months by units, not cases.

Each month of the organisation's time zone is counted once, with the same grouped
queries the dashboard used to run over the whole period (figures.cube, figures.raw_counts
and, for durations, a histogram of tenths of a day), and stored in MonthlyCount and
MonthlyDuration. A month is counted again when it is missing, was counted in another
time zone, or is marked stale: saving or deleting a case, report, escalation, appeal,
retaliation flag or repeat-offender alert marks the months of its moments stale, and so
does a change of a case's reporting unit (ombuds.cases.units.units_changed). Past months
rarely change; the current month is counted again after each new report, at the cost of
that month's cases only.

Figures "as of now" (overdue cases, measures in force, reports held in escrow) are not
stored: they are counted live, by indexes, from the few rows they concern.

DecisionMemo keeps each month's suppression, decided once for the exact counts and
directory it was made on (see suppress.Grid).
"""

from __future__ import annotations

import json
import zoneinfo
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from ombuds.analytics import figures
from ombuds.analytics.figures import CUBES, DURATIONS, SOURCES, Period, Raw
from ombuds.analytics.models import Decision, Month, MonthlyCount, MonthlyDuration
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases.models import Appeal, Case, Escalation, Report
from ombuds.cases.units import units_changed
from ombuds.watch.models import RetaliationFlag

# The dimensions placed in a month by a moment: these are stored.
DATED = [key for key, source in SOURCES.items() if source.moment is not None]
_MEMO_DAYS = 31  # a decision not used for this long is forgotten


def _month_period(month: str) -> Period:
    first = date(int(month[:4]), int(month[5:]), 1)
    return Period(first, first)


# --- Counting a month ------------------------------------------------------------------


def build_month(month: str, tz: zoneinfo.ZoneInfo) -> None:
    """Count one month again and store its totals, in one transaction."""
    period = _month_period(month)
    with transaction.atomic():
        # Marked fresh before counting: a change made while counting marks it stale again.
        Month.objects.update_or_create(
            month=month, defaults={"zone": tz.key, "stale": False, "built_at": timezone.now()}
        )
        found: dict[str, Raw] = {}
        for name in CUBES:
            found.update(figures.cube(name, period, tz))
        for key in DATED:
            if key not in found:
                found[key] = figures.raw_counts(SOURCES[key], period, tz)
        counts = [
            MonthlyCount(month=month, dimension=key, unit=unit, value=json.dumps(value), count=n)
            for key, raw in found.items()
            for (unit, _month, value), n in raw.items()
            if n
        ]
        durations: list[MonthlyDuration] = []
        start, end = period.bounds(tz)
        for key, (column, _title) in DURATIONS.items():
            rows = (
                figures.visible_cases()
                .filter(received_at__gte=start, received_at__lt=end, **{f"{column}__isnull": False})
                .annotate(_tenths=figures.tenths_taken(key))
                .order_by()
                .values("reporting_unit", "_tenths")
                .annotate(_n=Count("pk"))
            )
            whole: dict[int, int] = defaultdict(int)
            for row in rows:
                whole[int(row["_tenths"])] += row["_n"]
                if row["reporting_unit"] is not None:
                    durations.append(
                        MonthlyDuration(
                            month=month,
                            key=key,
                            whole=False,
                            unit=row["reporting_unit"],
                            tenths=int(row["_tenths"]),
                            count=row["_n"],
                        )
                    )
            durations.extend(
                MonthlyDuration(month=month, key=key, whole=True, unit=None, tenths=tenths, count=n)
                for tenths, n in whole.items()
            )
        MonthlyCount.objects.filter(month=month).delete()
        MonthlyDuration.objects.filter(month=month).delete()
        MonthlyCount.objects.bulk_create(counts, batch_size=2000)
        MonthlyDuration.objects.bulk_create(durations, batch_size=2000)


def ensure(period: Period, tz: zoneinfo.ZoneInfo) -> int:
    """Count again every month of the period that is missing, stale or counted in another zone; how many."""
    months = period.months()
    fresh = set(Month.objects.filter(month__in=months, zone=tz.key, stale=False).values_list("month", flat=True))
    missing = [month for month in months if month not in fresh]
    for month in missing:
        build_month(month, tz)
    return len(missing)


def build_all() -> int:
    """Count every month from the first case to now (after a bulk load, such as seed-synthetic); how many."""
    tz = figures.zone()
    found = Case.objects.aggregate(first=Min("received_at"), received=Max("received_at"), closed=Max("closed_at"))
    if found["first"] is None:
        return 0
    last = max(moment.astimezone(tz).date() for moment in (found["received"], found["closed"]) if moment is not None)
    first = found["first"].astimezone(tz).date()
    total = 0
    while first <= last:  # in spans of ten years at most, as a Period is
        span = Period.covering(first, min(last, first.replace(year=first.year + 9)))
        total += ensure(span, tz)
        first = span.end + timedelta(days=1)
    return total


def counts(period: Period, tz: zoneinfo.ZoneInfo) -> dict[str, Raw]:
    """The stored counts of the period's months, by dimension: (directory unit or None, month, value) -> count."""
    ensure(period, tz)
    found: dict[str, Raw] = defaultdict(lambda: defaultdict(int))
    rows = MonthlyCount.objects.filter(month__in=period.months()).values_list(
        "dimension", "unit", "month", "value", "count"
    )
    decoded: dict[str, Any] = {}  # a handful of values, each read once
    for dimension, unit, month, value, n in rows:
        if value not in decoded:
            decoded[value] = json.loads(value)
        found[dimension][(unit, month, decoded[value])] += n
    return found


def durations(key: str, scope_units: list[int] | None, period: Period) -> list[tuple[int, int]]:
    """One duration's histogram over the period and units (None: the whole organisation): (tenths, count), in order.

    The months are those `counts` has just made current.
    """
    rows = MonthlyDuration.objects.filter(month__in=period.months(), key=key, whole=scope_units is None)
    if scope_units is not None:
        rows = rows.filter(unit__in=scope_units)
    return [
        (tenths, n)
        for tenths, n in rows.order_by()
        .values("tenths")
        .annotate(_n=Sum("count"))
        .order_by("tenths")
        .values_list("tenths", "_n")
    ]


# --- Suppression decided once -------------------------------------------------------------


class DecisionMemo:
    """suppress.Memo kept in the database (Decision), shared by every worker."""

    def load(self, digests: Sequence[str]) -> dict[str, list[tuple[int, Hashable]]]:
        found: dict[str, list[tuple[int, Hashable]]] = {}
        stale: list[str] = []
        today = timezone.localdate()
        for start in range(0, len(digests), 500):
            for digest, text, used_on in Decision.objects.filter(digest__in=digests[start : start + 500]).values_list(
                "digest", "suppressed", "used_on"
            ):
                found[digest] = [(unit, value) for unit, value in json.loads(text)]
                if used_on != today:
                    stale.append(digest)
        if stale:
            Decision.objects.filter(digest__in=stale).update(used_on=today)
        return found

    def save(self, decided: Mapping[str, list[tuple[int, Hashable]]]) -> None:
        today = timezone.localdate()
        Decision.objects.filter(used_on__lt=today - timedelta(days=_MEMO_DAYS)).delete()
        Decision.objects.bulk_create(
            [
                Decision(digest=digest, suppressed=json.dumps([[unit, value] for unit, value in cells]), used_on=today)
                for digest, cells in decided.items()
            ],
            ignore_conflicts=True,
            batch_size=500,
        )


# --- Keeping the months current -----------------------------------------------------------


def mark_stale(moments: Iterable[datetime | None]) -> None:
    """Mark stale the stored months that hold these moments (in the zone each was counted in)."""
    known = [moment for moment in moments if moment is not None]
    if not known:
        return
    zones = set(Month.objects.values_list("zone", flat=True).distinct())
    if not zones:
        return
    months = {moment.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m") for zone in zones for moment in known}
    Month.objects.filter(month__in=months, stale=False).update(stale=True)


def _case_moments(case_ids: Iterable[int]) -> list[datetime | None]:
    ids = list(case_ids)
    moments: list[datetime | None] = []
    for received, closed in Case.objects.filter(pk__in=ids).values_list("received_at", "closed_at"):
        moments += [received, closed]
    moments += Escalation.objects.filter(case_id__in=ids).values_list("at", flat=True)
    moments += Appeal.objects.filter(case_id__in=ids).values_list("filed_at", flat=True)
    moments += RetaliationFlag.objects.filter(case_id__in=ids).values_list("raised_at", flat=True)
    return moments


def _case_before(sender: Any, instance: Case, **kwargs: Any) -> None:
    if not instance._state.adding and instance.pk is not None:
        mark_stale(_case_moments([instance.pk]))


def _case_after(sender: Any, instance: Case, **kwargs: Any) -> None:
    mark_stale([instance.received_at, instance.closed_at])
    if not kwargs.get("created", False) and instance.pk is not None:
        mark_stale(_case_moments([instance.pk]))


def _report_changed(sender: Any, instance: Report, **kwargs: Any) -> None:
    mark_stale(_case_moments([instance.case_id]))


def _moment_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    moment = {Escalation: "at", Appeal: "filed_at", RetaliationFlag: "raised_at"}[sender]
    mark_stale([getattr(instance, moment)])


def _event_recorded(sender: Any, instance: AuditEvent, **kwargs: Any) -> None:
    if instance.event_type == int(EventType.REPEAT_OFFENDER_ALERT):
        mark_stale([instance.at])


def _units_changed(sender: Any, case_id: int | None, **kwargs: Any) -> None:
    if case_id is None:
        Month.objects.filter(stale=False).update(stale=True)
    else:
        mark_stale(_case_moments([case_id]))


def connect() -> None:
    """Called once when the app is ready."""
    pre_save.connect(_case_before, sender=Case, dispatch_uid="analytics-case-before")
    post_save.connect(_case_after, sender=Case, dispatch_uid="analytics-case-after")
    post_delete.connect(_case_after, sender=Case, dispatch_uid="analytics-case-deleted")
    post_save.connect(_report_changed, sender=Report, dispatch_uid="analytics-report-saved")
    post_delete.connect(_report_changed, sender=Report, dispatch_uid="analytics-report-deleted")
    models: tuple[type[Escalation] | type[Appeal] | type[RetaliationFlag], ...] = (Escalation, Appeal, RetaliationFlag)
    for model in models:
        post_save.connect(_moment_changed, sender=model, dispatch_uid=f"analytics-{model.__name__}-saved")
        post_delete.connect(_moment_changed, sender=model, dispatch_uid=f"analytics-{model.__name__}-deleted")
    post_save.connect(_event_recorded, sender=AuditEvent, dispatch_uid="analytics-alert")
    units_changed.connect(_units_changed, dispatch_uid="analytics-units")
