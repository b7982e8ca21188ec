"""The dashboard's counts, stored per calendar month and kept current, so a dashboard costs months by units, not cases.

Each month of the organisation's time zone is counted once, with the same grouped
queries the dashboard used to run over the whole period (figures.cube, figures.raw_counts
and, for durations, a histogram of tenths of a day), and stored in MonthlyCount and
MonthlyDuration. A month is counted again when it is missing, was counted in another
time zone, or is marked stale.

The database itself says what changed: triggers on every table the totals count (made
by migration 0002_change_triggers, see analytics/migrations/_change_triggers.py) record
in ChangedDay the UTC day of each moment of an inserted, updated or deleted row, before
and after, whatever wrote it: an action, a queryset update, a bulk insert, raw SQL or
the audit log's own append. `ensure` first takes those days (absorb_changes) and marks
stale every stored month they touch, then counts again the months it needs. Nothing
runs in Python when a case is saved. A change of a case's reporting unit (a directory
import, a newly linked accused) is an update of the case's row like any other.

Figures "as of now" (overdue cases, measures in force, reports held in escrow) are not
stored: they are counted live, by indexes, from the few rows they concern.

DecisionMemo keeps each month's suppression, decided once for the exact counts and
directory it was made on (see suppress.Grid).
"""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from ombuds.analytics import figures
from ombuds.analytics.figures import CUBES, DURATIONS, SOURCES, Period, Raw
from ombuds.analytics.models import ChangedDay, Decision, Month, MonthlyCount, MonthlyDuration, PeriodDurations
from ombuds.cases.models import Case

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
        # Marked fresh before counting: a change committed while counting has left its day
        # in ChangedDay, which the next absorb_changes turns into this month's staleness.
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
        Month.objects.filter(month=month).update(digests={**rows_digests(counts), **duration_digests(durations)})
        MonthlyCount.objects.bulk_create(counts, batch_size=2000)
        MonthlyDuration.objects.bulk_create(durations, batch_size=2000)


def rows_digests(counts: Iterable[MonthlyCount]) -> dict[str, str]:
    """Each dated dimension's SHA-256 of one month's stored rows (unit, value, count), in a fixed order."""
    rows: dict[str, list[tuple[int | None, str, int]]] = {key: [] for key in DATED}
    for row in counts:
        rows.setdefault(row.dimension, []).append((row.unit, row.value, row.count))
    return {
        key: hashlib.sha256(
            json.dumps(sorted(found, key=lambda r: (r[0] is not None, r[0] or 0, r[1])), separators=(",", ":")).encode()
        ).hexdigest()
        for key, found in rows.items()
    }


def duration_digests(rows: Iterable[MonthlyDuration]) -> dict[str, str]:
    """Each duration's SHA-256 of one month's stored histograms, under "duration:KEY" (see durations)."""
    found: dict[str, list[tuple[bool, int, int, int]]] = {key: [] for key in DURATIONS}
    for row in rows:
        found[row.key].append((row.whole, row.unit or 0, row.tenths, row.count))
    return {
        f"duration:{key}": hashlib.sha256(json.dumps(sorted(histograms), separators=(",", ":")).encode()).hexdigest()
        for key, histograms in found.items()
    }


def ensure(period: Period, tz: zoneinfo.ZoneInfo) -> int:
    """Count again every month of the period that is missing, stale or counted in another zone; how many.

    The changed days are taken first, in a transaction of their own (absorb_changes):
    every change they stand for was committed before, so the counting that follows sees
    it; a change committed later has left its own day for the next call.
    """
    absorb_changes()
    months = period.months()
    fresh = set(Month.objects.filter(month__in=months, zone=tz.key, stale=False).values_list("month", flat=True))
    missing = [month for month in months if month not in fresh]
    for month in missing:
        build_month(month, tz)
    return len(missing)


# The sweeper counts stale months for at most about this long a pass; the rest wait for the next.
REFRESH_SECONDS = 20.0


def refresh(now: datetime, budget: float = REFRESH_SECONDS) -> int:
    """The sweeper's part: take the changed days, then count again stale months, newest first, while the budget lasts.

    A change to cases received in many months (feedback given, closures, a directory
    import moving units) marks each of them stale; counted here, in the background, the
    next dashboard finds them fresh instead of counting them all in its request (about
    3.5 s a month at a million cases). The current month is counted here too when it
    has no totals yet. At least one month is counted a pass; how many.
    """
    absorb_changes()
    tz = figures.zone()
    current = now.astimezone(tz).strftime("%Y-%m")
    # Months counted before their digests were kept (analytics 0004, and those of the
    # durations later) are counted again too, so that their suppression and their
    # periods' histograms can be kept by digest (sheets, durations).
    due = list(
        Month.objects.filter(
            Q(stale=True) | ~Q(zone=tz.key) | Q(digests={}) | ~Q(digests__has_key=f"duration:{next(iter(DURATIONS))}")
        )
        .order_by("-month")
        .values_list("month", flat=True)
    )
    if Case.objects.exists() and not Month.objects.filter(month=current).exists():
        due.insert(0, current)
    started = monotonic()
    counted = 0
    for month in due:
        build_month(month, tz)
        counted += 1
        if monotonic() - started >= budget:
            break
    return counted


def build_all(now: datetime | None = None) -> int:
    """Count every month from the first case to the last one, or to now if later (after a bulk load); how many."""
    tz = figures.zone()
    found = Case.objects.aggregate(first=Min("received_at"), received=Max("received_at"), closed=Max("closed_at"))
    if found["first"] is None:
        return 0
    last = max(
        moment.astimezone(tz).date() for moment in (found["received"], found["closed"], now) if moment is not None
    )
    first = found["first"].astimezone(tz).date()
    total = 0
    while first <= last:  # in spans of ten years at most, as a Period is
        span = Period.covering(first, min(last, first.replace(year=first.year + 9)))
        total += ensure(span, tz)
        first = span.end + timedelta(days=1)
    return total


def counts(period: Period, tz: zoneinfo.ZoneInfo) -> dict[str, Raw]:
    """The stored counts of the period's months, by dimension: (directory unit or None, month, value) -> count."""
    return counts_and_digests(period, tz)[0]


def counts_and_digests(period: Period, tz: zoneinfo.ZoneInfo) -> tuple[dict[str, Raw], dict[str, dict[str, str]]]:
    """The stored counts of the period's months (as `counts`), and each month's digests of them (Month.digests).

    Read together: the months' rows are locked first (on PostgreSQL; SQLite reads in one
    snapshot), so a month counted again at the same moment (build_month locks its row
    first) is read wholly before or wholly after, and its digest names the rows read.
    """
    ensure(period, tz)
    return read_months(period.months())


def read_months(months: Sequence[str]) -> tuple[dict[str, Raw], dict[str, dict[str, str]]]:
    """The stored counts and digests of these months, read together (see counts_and_digests), without counting any."""
    found: dict[str, Raw] = defaultdict(lambda: defaultdict(int))
    rows = MonthlyCount.objects.filter(month__in=months).values_list("dimension", "unit", "month", "value", "count")
    # Read through the cursor at once: a row a cell of every unit with cases, too many for
    # the queryset's row by row conversion (the columns need none). The covering index
    # analytics_count_cells answers it without the table.
    sql, params = rows.query.sql_with_params()
    with transaction.atomic():
        digests: dict[str, dict[str, str]] = dict(
            Month.objects.select_for_update().filter(month__in=months).order_by("month").values_list("month", "digests")
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
    decoded: dict[str, Any] = {}  # a handful of values, each read once
    for dimension, unit, month, value, n in fetched:
        if value not in decoded:
            decoded[value] = json.loads(value)
        found[dimension][(unit, month, decoded[value])] += n
    return found, digests


def durations(key: str, scope_units: list[int] | None, period: Period) -> list[tuple[int, int]]:
    """One duration's histogram over the period and units (None: the whole organisation): (tenths, count), in order.

    The months are those `counts` has just made current. Summing twelve months of a
    large history reads tens of thousands of rows, so the sum is kept (PeriodDurations)
    under a key made of the months' digests of their histograms (Month.digests,
    "duration:KEY"), the duration and the units: a month counted again with other
    histograms gives another key. Months without such a digest are summed every time.
    """
    months = period.months()
    digests = dict(Month.objects.filter(month__in=months).values_list("month", "digests"))
    parts = [digests.get(month, {}).get(f"duration:{key}") for month in months]
    kept_key = None
    if all(parts):
        units: object = "whole" if scope_units is None else sorted(scope_units)
        text = json.dumps([KEPT_DURATIONS_VERSION, key, units, months, parts], separators=(",", ":"))
        kept_key = hashlib.sha256(text.encode()).hexdigest()
        kept = PeriodDurations.objects.filter(key=kept_key).values_list("histogram", flat=True).first()
        if kept is not None:
            return [(tenths, n) for tenths, n in json.loads(kept)]
    histogram = summed_durations(key, scope_units, period)
    if kept_key is not None:
        PeriodDurations.objects.bulk_create(
            [PeriodDurations(key=kept_key, histogram=json.dumps(histogram), made_at=timezone.now())],
            ignore_conflicts=True,
        )
    return histogram


# Raised when what a kept histogram holds, or how its key is made, changes.
KEPT_DURATIONS_VERSION = 1
# Kept histograms not made again within this long are dropped by the sweeper.
KEPT_DURATIONS_FOR = timedelta(days=2)


def summed_durations(key: str, scope_units: list[int] | None, period: Period) -> list[tuple[int, int]]:
    """One duration's histogram summed by the database from the months' stored rows (see durations)."""
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


def forget_kept_durations(now: datetime) -> int:
    """The sweeper's part: drop kept histograms older than KEPT_DURATIONS_FOR (made again when next needed)."""
    deleted, _by_model = PeriodDurations.objects.filter(made_at__lt=now - KEPT_DURATIONS_FOR).delete()
    return deleted


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


def _day(value: date | str) -> date:
    # SQLite returns the raw column, a "YYYY-MM-DD" text.
    return value if isinstance(value, date) else date.fromisoformat(value)


def months_touched(days: Iterable[date], tz: zoneinfo.ZoneInfo) -> set[str]:
    """The months ("YYYY-MM") of the time zone that the UTC calendar days overlap: one or two for each day."""
    months: set[str] = set()
    for day in days:
        start = datetime.combine(day, time(), UTC)
        for moment in (start, start + timedelta(days=1) - timedelta(microseconds=1)):
            months.add(moment.astimezone(tz).strftime("%Y-%m"))
    return months


def mark_stale(days: Iterable[date]) -> int:
    """Mark stale the stored months these UTC days touch, in whichever zone each was counted; how many."""
    days = set(days)
    if not days:
        return 0
    months: set[str] = set()
    for zone in Month.objects.order_by().values_list("zone", flat=True).distinct():
        months |= months_touched(days, zoneinfo.ZoneInfo(zone))
    return Month.objects.filter(month__in=sorted(months), stale=False).update(stale=True)


def absorb_changes() -> int:
    """Take the days the database recorded as changed and mark their months stale, in one transaction; how many days.

    DELETE ... RETURNING takes exactly the rows it sees, all of them committed: on
    PostgreSQL a writer still running keeps its own rows (keyed by its transaction, see
    ChangedDay), which the next call takes; on SQLite writers take turns and this
    transaction is one of them. Taken and marked together, a day is never lost between.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ChangedDay._meta.db_table} RETURNING day")  # noqa: S608 - table name from the model
            days = {_day(row[0]) for row in cursor.fetchall()}
        mark_stale(days)
    return len(days)
