"""The dashboard's figures: counts computed with grouped queries in the database, then suppressed.

Nothing here loads cases into Python: each dimension is one GROUP BY over (unit, month,
value), and each duration's median and 90th percentile is read at its rank with ORDER BY
... OFFSET. The counts then go through ombuds.analytics.suppress, which decides what may be
shown for every unit and month at once, so every view of the same data agrees.

A case belongs to the directory unit of the first person it names as the accused, when a
reporter or handler linked that person to the directory (stored on the case as
Case.reporting_unit, see ombuds.cases.units); otherwise to the organisation only (shown
in the organisation's figures, in no unit's). Held (escrowed) reports are in no figure
but their own count.
"""

from __future__ import annotations

import math
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.db.models import Case as Choose
from django.db.models import (
    CharField,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ombuds.accounts.roles import Role
from ombuds.analytics import references
from ombuds.analytics.suppress import ROOT, TOTAL, Cell, Grid, Memo, State
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases.models import (
    Appeal,
    Case,
    Category,
    Escalation,
    Finding,
    LadderStep,
    Organisation,
    Outcome,
    Report,
    ReporterRole,
)
from ombuds.directory import head_count
from ombuds.directory.models import Unit
from ombuds.linking.models import HeldReport, HoldState
from ombuds.outcomes.models import Measure, MeasureKind
from ombuds.watch.models import FlagState, RetaliationFlag

if TYPE_CHECKING:
    from ombuds.analytics import overdue
    from ombuds.analytics.sheets import Cells as SheetCells

NOW = "now"  # the one "month" of figures that describe the present (overdue cases, measures in force)


def threshold() -> int:
    return int(settings.OMBUDS_ANALYTICS_THRESHOLD)


def zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(Organisation.objects.only("time_zone").get(pk=1).zone_name())


# --- Period --------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole calendar months in the organisation's time zone, `first` to `last` inclusive."""

    first: date  # the first day of the first month
    last: date  # the first day of the last month

    @classmethod
    def covering(cls, start: date, end: date) -> Period:
        if end < start:
            raise ValueError("the period ends before it starts")
        first = start.replace(day=1)
        last = end.replace(day=1)
        if _month_index(last) - _month_index(first) >= 120:
            raise ValueError("the period is longer than ten years")
        return cls(first, last)

    @classmethod
    def last_twelve_months(cls, today: date) -> Period:
        last = today.replace(day=1)
        index = _month_index(last) - 11
        return cls(date(index // 12, index % 12 + 1, 1), last)

    @property
    def end(self) -> date:
        """The last day of the period."""
        index = _month_index(self.last) + 1
        return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)

    def months(self) -> list[str]:
        return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(_month_index(self.first), _month_index(self.last) + 1)]

    def bounds(self, tz: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware moments."""
        return datetime.combine(self.first, time(), tz), datetime.combine(self.end + timedelta(days=1), time(), tz)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


# --- Units ---------------------------------------------------------------------------


@dataclass
class Units:
    """The directory's units as the dashboard shows them: each too small is merged into its parent."""

    threshold: int
    path: dict[int, str] = field(default_factory=dict)
    reporting: dict[int, int] = field(default_factory=dict)  # directory unit -> reporting unit (or ROOT)
    parents: dict[int, int] = field(default_factory=dict)  # reporting unit -> reporting parent (or ROOT)
    head_count: dict[int, int] = field(default_factory=dict)  # reporting unit (ROOT too) -> employees within
    empty: set[int] = field(default_factory=set)  # reporting units with nobody of their own

    @classmethod
    def load(cls, limit: int) -> Units:
        rows = list(Unit.objects.values_list("pk", "path", "parent_id"))
        parent_of = {pk: parent for pk, _path, parent in rows}
        # Kept by the database as people are written (ombuds.directory.head_count): the
        # directory is not counted again for each page.
        own = head_count.counts()
        subtree: dict[int, int] = defaultdict(int)
        for pk in parent_of:
            seen: int | None = pk
            hops = 0
            while seen is not None and hops < 1000:  # a cycle in an imported tree must not hang the page
                subtree[seen] += own.get(pk, 0)
                seen = parent_of.get(seen)
                hops += 1
        units = cls(threshold=limit, path={pk: path for pk, path, _parent in rows})

        def reporting(pk: int | None) -> int:
            hops = 0
            while pk is not None and hops < 1000:
                if subtree[pk] >= limit:
                    return pk
                pk = parent_of.get(pk)
                hops += 1
            return ROOT

        for pk in parent_of:
            units.reporting[pk] = reporting(pk)
        for pk in set(units.reporting.values()) - {ROOT}:
            units.parents[pk] = reporting(parent_of.get(pk))
        units.head_count[ROOT] = sum(own.values())
        for pk in units.parents:
            units.head_count[pk] = subtree[pk]
        below: dict[int, int] = defaultdict(int)  # each reporting unit's people in the reporting units just under it
        for child, parent in units.parents.items():
            below[parent] += units.head_count[child]
        for pk in units.parents:
            if units.head_count[pk] == below[pk]:
                units.empty.add(pk)
        return units

    def within(self, scope: int) -> list[int]:
        """The directory units counted in a reporting unit's figures (ROOT: all of them)."""
        if scope == ROOT:
            return list(self.reporting)
        inside = {scope}
        changed = True
        while changed:
            changed = False
            for unit, parent in self.parents.items():
                if parent in inside and unit not in inside:
                    inside.add(unit)
                    changed = True
        return [unit for unit, reporting in self.reporting.items() if reporting in inside]

    def children(self, scope: int) -> list[int]:
        return sorted((unit for unit, parent in self.parents.items() if parent == scope), key=lambda u: self.path[u])

    def label(self, scope: int) -> str:
        return str(_("Whole organisation")) if scope == ROOT else self.path[scope]

    def choices(self) -> list[tuple[int, str]]:
        return [(ROOT, self.label(ROOT)), *sorted(((pk, self.path[pk]) for pk in self.parents), key=lambda c: c[1])]


# --- Queries -------------------------------------------------------------------------


def unit_of_case(case_ref: str = "pk") -> F:
    """The case's directory unit, stored on it (Case.reporting_unit, kept by ombuds.cases.units)."""
    return F("reporting_unit") if case_ref == "pk" else F(f"{case_ref.removesuffix('_id')}__reporting_unit")


def first_role(case_ref: str = "pk") -> Subquery:
    return Subquery(Report.objects.filter(case=OuterRef(case_ref)).order_by("submitted_at", "pk").values("role")[:1])


def visible_cases() -> QuerySet[Case]:
    return Case.objects.filter(held_in_escrow=False)


def month_of(moment: str, period: Period, tz: zoneinfo.ZoneInfo) -> Choose:
    """The month ("YYYY-MM") of a moment within the period, worked out by the database.

    Comparisons with each month's end, computed here in the organisation's time zone: no
    function of ours runs on each row, on SQLite as on PostgreSQL.
    """
    whens = []
    for month in period.months():
        year, number = int(month[:4]), int(month[5:])
        index = year * 12 + number  # the next month
        end = datetime.combine(date(index // 12, index % 12 + 1, 1), time(), tz)
        whens.append(When(**{f"{moment}__lt": end}, then=Value(month)))
    return Choose(*whens, default=Value(""), output_field=CharField())


class Seconds(Func):
    """Seconds from one moment column to another, computed by the database (sortable, indexable in order)."""

    output_field = FloatField()
    arg_joiner = " - "
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"

    def __init__(self, end: str, start: str) -> None:
        super().__init__(F(end), F(start))

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


@dataclass(frozen=True)
class Source:
    """How one dimension is counted: rows, the moment that places them in a month, the value column."""

    rows: Callable[[], QuerySet[Any]]
    moment: str | None  # None: counted as of now
    value: str
    case_ref: str
    values: Callable[[], Sequence[Hashable]]
    organisation_only: bool = False
    none_as: Hashable = None  # the value a row without one is counted as (None: as None)


Raw = dict[tuple[int | None, Hashable, Hashable], int]  # (directory unit or None, month, value) -> count


def raw_counts(source: Source, period: Period | None, tz: zoneinfo.ZoneInfo) -> Raw:
    """One dimension's counts by directory unit (None: no unit, or counted for the organisation only)."""
    rows = source.rows()
    if source.moment is not None and period is not None:
        start, end = period.bounds(tz)
        rows = rows.filter(**{f"{source.moment}__gte": start, f"{source.moment}__lt": end})
    annotations: dict[str, Any] = {}
    if not source.organisation_only:
        annotations["_unit"] = unit_of_case(source.case_ref)
    if source.moment is not None and period is not None:
        annotations["_month"] = month_of(source.moment, period, tz)
    rows = rows.annotate(**annotations)
    keys = [key for key in ("_unit", "_month") if key in annotations] + [source.value]
    raw: Raw = defaultdict(int)
    for row in rows.order_by().values(*keys).annotate(_n=Count("pk")):
        month = row["_month"] if "_month" in annotations else NOW
        value = row[source.value]
        raw[(row.get("_unit"), month, source.none_as if value is None else value)] += row["_n"]
    return raw


def own_counts(raw: Raw, units: Units, organisation_only: bool) -> dict[Any, int]:
    """Raw counts placed in reporting units: a unit too small counts in its parent."""
    own: dict[Any, int] = defaultdict(int)
    for (unit, month, value), count in raw.items():
        reporting = ROOT if organisation_only or unit is None else units.reporting.get(unit, ROOT)
        own[(reporting, month, value)] += count
    return own


def _own_counts(source: Source, units: Units, period: Period | None, tz: zoneinfo.ZoneInfo) -> dict[Any, int]:
    return own_counts(raw_counts(source, period, tz), units, source.organisation_only)


def grid(
    source: Source,
    units: Units,
    period: Period,
    tz: zoneinfo.ZoneInfo,
    own: dict[Any, int] | None = None,
    memo: Memo | None = None,
    values: Sequence[Hashable] | None = None,
    month_keys: Mapping[Hashable, str] | None = None,
) -> Grid:
    """The suppressed grid of one dimension; `own` (and `values`) when its counts were already made (see stored)."""
    if own is None:
        own = _own_counts(source, units, period, tz)
    months: list[Hashable] = list(period.months()) if source.moment is not None else [NOW]
    return Grid(
        threshold=units.threshold,
        parents={} if source.organisation_only else units.parents,
        months=months,
        values=list(source.values() if values is None else values),
        own=own,
        empty=frozenset() if source.organisation_only else frozenset(units.empty),
        memo=memo,
        month_keys=month_keys,
    )


# Dimensions of the same table placed in a month by the same moment: one GROUP BY over
# (unit, month, every dimension) counts them all, each case's unit and first reporter role
# found once, and each dimension's counts are sums over that small result.
CUBES: dict[str, tuple[str, dict[str, str]]] = {
    "received": ("received_at", {"category": "category", "role": "_role", "anonymous": "anonymous"}),
    "closed": ("closed_at", {"outcome": "outcome", "finding": "finding"}),
}
# Values a case has not got yet ("" before it is closed): not counted in that dimension.
_NOT_YET: dict[str, object] = {"outcome": "", "finding": ""}


def cube(name: str, period: Period, tz: zoneinfo.ZoneInfo) -> dict[str, Raw]:
    """The raw counts of each dimension of a cube, from one grouped query over the period's cases."""
    moment, columns = CUBES[name]
    start, end = period.bounds(tz)
    rows = visible_cases().filter(**{f"{moment}__gte": start, f"{moment}__lt": end})
    annotations: dict[str, Any] = {"_unit": unit_of_case(), "_month": month_of(moment, period, tz)}
    if "_role" in columns.values():
        annotations["_role"] = first_role()
    rows = rows.annotate(**annotations)
    wanted = list(dict.fromkeys(columns.values()))
    found: dict[str, Raw] = {key: defaultdict(int) for key in columns}
    for row in rows.order_by().values("_unit", "_month", *wanted).annotate(_n=Count("pk")):
        unit = row["_unit"]
        month = row["_month"]
        for key, column in columns.items():
            value = row[column]
            if key in _NOT_YET and value == _NOT_YET[key]:
                continue
            found[key][(unit, month, value)] += row["_n"]
    return found


def _in_force_measures() -> QuerySet[Measure]:
    # The organisation's day, whoever asks: the dashboard and the sweeper count the same measures.
    today = timezone.localdate(timezone=zone())
    return (
        Measure.objects.filter(case__held_in_escrow=False, starts_on__lte=today, ended_at__isnull=True)
        .exclude(ends_on__lt=today)
        .annotate(_kind=F("kind"))
    )


def _overdue() -> QuerySet[Case]:
    # The filter of the partial index cases_case_overdue_idx (ombuds.cases.models.Case):
    # keep them the same, or the count reads the table instead of the index alone.
    return visible_cases().filter(next_deadline_at__lt=timezone.now()).exclude(status="closed")


UNASSIGNED = "unassigned"  # the handler of the cases assigned to nobody, in the figure of overdue cases by handler


def _assignees() -> list[Hashable]:
    return [*sorted({pk for pk in _overdue().values_list("assignee_id", flat=True) if pk is not None}), UNASSIGNED]


@dataclass(frozen=True)
class Overdue:
    """The cases overdue now, counted once by (directory unit, handler), for both figures of overdue cases.

    Read from the counts the database keeps up to a boundary an hour or less ago, and
    the cases that fell due since, counted live (ombuds.analytics.overdue): the same
    counts as raw_counts gives for SOURCES "overdue" and "overdue_handler", and the
    handlers of _assignees.
    """

    read: overdue.Read

    @classmethod
    def count(cls) -> Overdue:
        from ombuds.analytics import overdue

        return cls(overdue.read(timezone.now()))

    @cached_property
    def rows(self) -> list[tuple[int | None, int | None, int]]:
        """(directory unit, handler, count), None for none, in that order: added up only when asked for."""
        return self.read.rows()

    def raw(self, key: str) -> Raw:
        raw: Raw = defaultdict(int)
        for unit, who, n in self.rows:
            raw[(unit, NOW, False if key == "overdue" else UNASSIGNED if who is None else who)] += n
        return raw

    def assignees(self) -> list[Hashable]:
        return [*sorted(self.read.handlers()), UNASSIGNED]


SOURCES: dict[str, Source] = {
    "category": Source(visible_cases, "received_at", "category", "pk", lambda: Category.values),
    "role": Source(
        lambda: visible_cases().annotate(_role=first_role()), "received_at", "_role", "pk", lambda: ReporterRole.values
    ),
    "anonymous": Source(
        lambda: visible_cases().annotate(_anonymous=F("anonymous")),
        "received_at",
        "_anonymous",
        "pk",
        lambda: [True, False],
    ),
    "outcome": Source(
        lambda: visible_cases().exclude(outcome=""), "closed_at", "outcome", "pk", lambda: Outcome.values
    ),
    "finding": Source(
        lambda: visible_cases().exclude(finding=""), "closed_at", "finding", "pk", lambda: Finding.values
    ),
    "escalation": Source(
        lambda: Escalation.objects.filter(case__held_in_escrow=False),
        "at",
        "step",
        "case_id",
        lambda: LadderStep.values,
    ),
    "appeal": Source(
        lambda: Appeal.objects.filter(case__held_in_escrow=False),
        "filed_at",
        "resolution",
        "case_id",
        lambda: [
            "",
            "upheld",
            "rejected",
            *sorted(
                set(
                    Appeal.objects.exclude(resolution__in=["", "upheld", "rejected"]).values_list(
                        "resolution", flat=True
                    )
                )
            ),
        ],
    ),
    "retaliation": Source(
        lambda: RetaliationFlag.objects.filter(case__held_in_escrow=False),
        "raised_at",
        "state",
        "case_id",
        lambda: FlagState.values,
    ),
    "alerts": Source(
        lambda: AuditEvent.objects.filter(event_type=int(EventType.REPEAT_OFFENDER_ALERT)).annotate(
            _one=F("event_type")
        ),
        "at",
        "_one",
        "case_id",
        lambda: [int(EventType.REPEAT_OFFENDER_ALERT)],
        organisation_only=True,
    ),
    "overdue": Source(lambda: _overdue().annotate(_one=F("held_in_escrow")), None, "_one", "pk", lambda: [False]),
    "overdue_handler": Source(
        lambda: _overdue().annotate(_who=F("assignee_id")), None, "_who", "pk", _assignees, none_as=UNASSIGNED
    ),
    "measures": Source(_in_force_measures, None, "_kind", "case_id", lambda: MeasureKind.values),
    "escrow": Source(
        lambda: HeldReport.objects.filter(state=HoldState.HELD).annotate(_one=F("state")),
        None,
        "_one",
        "case_id",
        lambda: [HoldState.HELD],
        organisation_only=True,
    ),
}


# --- Durations -----------------------------------------------------------------------

DURATIONS: dict[str, tuple[str, Promise]] = {
    "acknowledge": ("acknowledged_at", _("Time to acknowledge")),
    "feedback": ("feedback_given_at", _("Time to first feedback")),
    "close": ("closed_at", _("Time to close")),
}


@dataclass(frozen=True)
class Duration:
    key: str
    title: str
    median_days: float | None  # None: suppressed (fewer cases than the threshold)
    p90_days: float | None
    reference: str


class Tenths(Func):
    """A number of seconds as whole tenths of a day, rounded half up by the database."""

    output_field = IntegerField()
    template = "CAST(FLOOR(%(expressions)s / 8640.0 + 0.5) AS BIGINT)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        # Durations are never negative: truncation is the floor.
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s / 8640.0 + 0.5 AS INTEGER)")


def tenths_taken(key: str) -> Tenths:
    """How long a case took to reach the moment of a duration, in tenths of a day, from its receipt."""
    column, _title = DURATIONS[key]
    return Tenths(Seconds(column, "received_at"))


def _duration(key: str, scope_units: list[int] | None, period: Period, limit: int) -> Duration:
    """The median and 90th percentile (nearest rank) of one duration, from the stored monthly histograms."""
    from ombuds.analytics import stored

    _column, title = DURATIONS[key]
    histogram = stored.durations(key, scope_units, period)
    count = sum(n for _tenths, n in histogram)
    if count < limit:
        return Duration(key, str(title), None, None, references.text(key))

    def at_rank(fraction: float) -> float:
        index = max(0, math.ceil(fraction * count) - 1)  # nearest rank
        seen = 0
        for tenths, n in histogram:
            seen += n
            if seen > index:
                return tenths / 10
        raise AssertionError("the rank is within the count")

    return Duration(key, str(title), at_rank(0.5), at_rank(0.9), references.text(key))


# --- The dashboard -------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cell: Cell


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    rows: list[Row]
    total: Cell | None
    reference: str = ""
    note: str = ""


@dataclass
class Dashboard:
    period: Period
    scope: int
    scope_label: str
    threshold: int
    reduced: bool
    head_count: int
    figures: list[Figure]
    durations: list[Duration]
    rates: dict[str, tuple[float | None, str]]  # key -> (value, reference)

    def figure(self, key: str) -> Figure:
        return next(figure for figure in self.figures if figure.key == key)


TITLES: dict[str, Promise] = {
    "category": _("Reports by category"),
    "role": _("Reports by reporter role"),
    "anonymous": _("Anonymous and named reports"),
    "month": _("Reports by month"),
    "overdue_unit": _("Cases overdue now, by unit"),
    "overdue_handler": _("Cases overdue now, by handler"),
    "escalation": _("Escalations by step"),
    "appeal": _("Appeals and their results"),
    "outcome": _("Outcomes of cases closed"),
    "finding": _("Findings of cases closed"),
    "measures": _("Interim measures in force now"),
    "retaliation": _("Retaliation flags raised"),
    "alerts": _("Repeat-offender alerts"),
    "escrow": _("Reports held in escrow now"),
}

# What a lead handler sees: volumes, speed and overdue cases by unit. Not who reported
# how, nor outcomes, appeals, measures, flags, alerts or escrow (docs/analytics.md).
REDUCED = ("category", "month", "overdue_unit", "escalation")
# Figures that split the same cases (received in the period) and so share their total.
SHARED_TOTALS = ("category", "role", "anonymous")
# The same for the present: the cases overdue now, by unit and by handler (the unassigned ones too).
OVERDUE = ("overdue", "overdue_handler")
REDUCED_DURATIONS = ("acknowledge", "feedback", "close")


def _labels(key: str) -> dict[Hashable, str]:
    choices: dict[str, Any] = {
        "category": Category,
        "role": ReporterRole,
        "outcome": Outcome,
        "finding": Finding,
        "escalation": LadderStep,
        "retaliation": FlagState,
        "measures": MeasureKind,
    }
    if key in choices:
        return {value: str(label) for value, label in choices[key].choices}
    if key == "anonymous":
        return {True: str(_("Anonymous")), False: str(_("Named"))}
    if key == "appeal":
        return {"": str(_("Not yet resolved")), "upheld": str(_("Upheld")), "rejected": str(_("Rejected"))}
    return {}


class _Cells(Protocol):
    def cell(self, unit: int, months: Sequence[Hashable], value: Hashable) -> Cell: ...


@dataclass(frozen=True)
class _Kept:
    """One dimension's cells, read from the kept sheets of its months, or of the present (ombuds.analytics.sheets)."""

    key: str
    sheets: SheetCells
    values: list[Hashable]

    def cell(self, unit: int, months: Sequence[Hashable], value: Hashable) -> Cell:
        return self.sheets.cell(self.key, unit, months, value)


def _table(key: str, g: _Cells, values: Sequence[Hashable], scope: int, months: list[Hashable]) -> Figure:
    labels = _labels(key)
    rows = [Row(str(value), labels.get(value, str(value)), g.cell(scope, months, value)) for value in values]
    return Figure(key, str(TITLES[key]), rows, g.cell(scope, months, TOTAL), references.text(key))


def _handler_labels(pks: Sequence[Hashable]) -> dict[Hashable, str]:
    """Each handler's e-mail address, in one query; "Not assigned" for the row of nobody."""
    from django.contrib.auth.models import User

    emails = dict(User.objects.filter(pk__in=[pk for pk in pks if isinstance(pk, int)]).values_list("pk", "email"))
    return {pk: emails.get(pk, str(pk)) if isinstance(pk, int) else str(_("Not assigned")) for pk in pks}


def build(*, period: Period, scope: int, reduced: bool, units: Units | None = None) -> Dashboard:
    limit = threshold()
    tz = zone()
    units = units or Units.load(limit)
    if scope != ROOT and scope not in units.parents:
        scope = units.reporting.get(scope, ROOT)
    months: list[Hashable] = list(period.months())
    figures: list[Figure] = []
    wanted = [key for key in TITLES if not reduced or key in REDUCED]
    # The dated figures: each month's cells decided once for every unit and kept
    # (ombuds.analytics.sheets); only this scope's are read. The present's figures the
    # same, under the digest of their counts read now.
    from ombuds.analytics import sheets

    shaped = sheets.shape(units)
    dated_cells, dated_values = sheets.cells(period, scope, units, tz, shaped)
    dated = {key: _Kept(key, dated_cells, dated_values[key]) for key in dated_values}
    present: dict[str, _Kept] = {}

    def now_cells(key: str) -> _Kept:
        """A figure of the present (overdue cases, measures in force, escrow), counted now.

        Only the sheet of the figures shown is read (or decided): a reduced dashboard's
        work does not depend on the present's figures it does not show.
        """
        if key not in present:
            kept, values = sheets.present(scope, units, tz, shaped, parts=[sheets.part_of(key)])
            present.update({each: _Kept(each, kept, values[each]) for each in values})
        return present[key]

    for key in wanted:
        if key == "month":
            g = dated["category"]
            rows = [Row(str(m), str(m), g.cell(scope, [m], TOTAL)) for m in months]
            figures.append(Figure("month", str(TITLES["month"]), rows, g.cell(scope, months, TOTAL)))
        elif key == "overdue_unit":
            now = now_cells("overdue")
            rows = [
                Row(str(child), units.label(child), now.cell(child, [NOW], TOTAL)) for child in units.children(scope)
            ]
            note = str(_("Sub-units with fewer employees than the threshold are counted in their parent."))
            figures.append(Figure(key, str(TITLES[key]), rows, now.cell(scope, [NOW], TOTAL), "", note))
        elif key == "overdue_handler":
            now = now_cells(key)
            names = _handler_labels(now.values)
            rows = [Row(str(pk), names[pk], now.cell(scope, [NOW], pk)) for pk in now.values]
            figures.append(Figure(key, str(TITLES[key]), rows, now.cell(scope, [NOW], TOTAL)))
        elif SOURCES[key].organisation_only and scope != ROOT:
            note = str(_("Counted for the whole organisation only."))
            figures.append(Figure(key, str(TITLES[key]), [], None, references.text(key), note))
        elif SOURCES[key].moment is None:
            now = now_cells(key)
            figures.append(_table(key, now, now.values, scope, [NOW]))
        else:
            figures.append(_table(key, dated[key], dated[key].values, scope, months))

    scope_units = None if scope == ROOT else units.within(scope)
    durations = [
        _duration(key, scope_units, period, limit) for key in DURATIONS if not reduced or key in REDUCED_DURATIONS
    ]
    head_count = units.head_count.get(scope, 0)
    total = dated["category"].cell(scope, months, TOTAL)
    rates: dict[str, tuple[float | None, str]] = {}
    per_100 = None
    if total.shown and head_count >= limit:
        years = len(months) / 12
        per_100 = round(total.count / head_count * 100 / years, 2)
    rates["per_100"] = (per_100, references.text("per_100"))
    if not reduced:
        anonymous = dated["anonymous"].cell(scope, months, True)
        rates["anonymous_share"] = (
            round(anonymous.count / total.count * 100, 1) if anonymous.shown and total.shown and total.count else None,
            references.text("anonymous_share"),
        )
        findings = dated["finding"]
        found = findings.cell(scope, months, Finding.SUBSTANTIATED)
        decided = findings.cell(scope, months, TOTAL)
        rates["substantiation"] = (
            round(found.count / decided.count * 100, 1) if found.shown and decided.shown and decided.count else None,
            references.text("substantiation"),
        )
    return Dashboard(
        period=period,
        scope=scope,
        scope_label=units.label(scope),
        threshold=limit,
        reduced=reduced,
        head_count=head_count,
        figures=figures,
        durations=durations,
        rates=rates,
    )


def reduced_for(roles: frozenset[Role]) -> bool | None:
    """Full for oversight, reduced for lead handlers, None (no dashboard) for everyone else."""
    if Role.OVERSIGHT in roles:
        return False
    if Role.LEAD_HANDLER in roles:
        return True
    return None


def shown(cell: Cell) -> bool:
    return cell.state is State.SHOWN
