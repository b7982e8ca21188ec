"""Each month's suppressed cells, decided once for every unit and kept: a dashboard reads only its own unit's.

A month's dated figures (reports by category, role and anonymity, outcomes, findings,
escalations, appeals, flags, alerts) depend on nothing but the month's stored counts
(which Month.digests names), on how the directory places units (which are merged into
their parents, which have nobody of their own), on the threshold and on the values each
dimension can take. Hashed together, these are the month's sheet key. For a key not yet
kept, every dated dimension's grid is decided once for the month (suppress.Grid, with
share_totals across the tables of received reports), and each reporting unit's cells are
stored (Sheet: one row per unit that counts something or has a hidden cell, and always
one for the whole organisation, which says the sheet exists).

A dashboard then reads, for each month of its period, the row of the one unit it shows:
its work no longer grows with the cases, the units or the months' rows. Over several
months a cell is the sum of its months, shown only where shown in each month and marked
small when the sum is below the threshold, exactly as suppress.Grid.cell gives it over
the whole period's grids (tests/test_analytics_sheets.py compares the two).

A month whose counts, directory placement or threshold changed has a new key: its
sheet is decided again when first needed, and the sweeper decides the sheets of the
last twelve months ahead (prepare), so the dashboard that oversight opens finds them.
"""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from time import monotonic

from django.db import connection, transaction

from ombuds.analytics import figures, stored
from ombuds.analytics.figures import NOW, SOURCES, Overdue, Period, Raw, Units
from ombuds.analytics.models import Month, Sheet
from ombuds.analytics.suppress import ROOT, Cell, Grid, State, _canonical, over_months, share_totals

# Raised when what a sheet holds, or how its key is made, changes: old sheets are then never read.
VERSION = 1
DATED = stored.DATED

# (unit, month) -> dimension -> value -> (count, state)
Found = dict[tuple[int, str], dict[str, dict[Hashable, tuple[int, State]]]]


def shape(units: Units) -> tuple[str, dict[str, list[Hashable]]]:
    """The text of what every month's sheet depends on besides its counts, and each dated dimension's values."""
    values = {key: list(SOURCES[key].values()) for key in DATED}
    text = _canonical(
        [
            VERSION,
            units.threshold,
            sorted(units.reporting.items()),
            sorted(units.parents.items()),
            sorted(units.empty),
            [[key, values[key]] for key in DATED],
        ]
    )
    return text, values


def key_of(shape_text: str, month: str, zone: str, digests: Mapping[str, str] | None) -> str | None:
    """A month's sheet key; None when the month's counts have no digest for every dimension (not kept)."""
    if not digests or any(key not in digests for key in DATED):
        return None
    # The dated dimensions only: the durations' digests name their own kept sums (stored.durations).
    dated = [[key, digests[key]] for key in DATED]
    return hashlib.sha256(_canonical([shape_text, month, zone, dated]).encode()).hexdigest()


def decide(
    months: Sequence[str], units: Units, tz: zoneinfo.ZoneInfo, shape_text: str, values: dict[str, list[Hashable]]
) -> tuple[Found, dict[str, str | None]]:
    """Decide the months' grids from their stored counts: every unit's cells, and each month's key (None: not kept)."""
    monthly, digests = stored.read_months(months)
    placed = hashlib.sha256(_canonical(sorted(units.reporting.items())).encode()).hexdigest()
    memo = stored.DecisionMemo()
    grids: dict[str, Grid] = {}
    for key in DATED:
        source = SOURCES[key]
        own = figures.own_counts(monthly.get(key, {}), units, source.organisation_only)
        month_keys: dict[Hashable, str] = {
            month: _canonical([key, source.organisation_only, placed, found[key]])
            for month, found in digests.items()
            if key in found
        }
        grids[key] = Grid(
            threshold=units.threshold,
            parents={} if source.organisation_only else units.parents,
            months=list(months),
            values=values[key],
            own=own,
            empty=frozenset() if source.organisation_only else frozenset(units.empty),
            memo=memo,
            month_keys=month_keys,
        )
    share_totals([grids[key] for key in figures.SHARED_TOTALS])
    found: Found = {}
    for month in months:
        found[(ROOT, month)] = {}
        for key, grid in grids.items():
            for unit, value, count, state in grid.month_cells(month):
                found.setdefault((unit, month), {}).setdefault(key, {})[value] = (count, state)
    keys = {month: key_of(shape_text, month, tz.key, digests.get(month)) for month in months}
    return found, keys


def keep(found: Found, keys: Mapping[str, str | None]) -> None:
    """Store the decided months' sheets under their keys, in place of any other sheet of the same months."""
    rows: list[Sheet] = []
    for (unit, month), cells in found.items():
        key = keys.get(month)
        if key is None:
            continue
        text = json.dumps(
            {
                dimension: [[value, n, state.value] for value, (n, state) in by_value.items()]
                for dimension, by_value in cells.items()
            },
            separators=(",", ":"),
        )
        rows.append(Sheet(key=key, month=month, unit=unit, cells=text))
    kept = {month: key for month, key in keys.items() if key is not None}
    if not kept:
        return
    rows.sort(key=lambda row: (row.key, row.unit))  # every writer inserts in the same order
    with transaction.atomic():
        for month in sorted(kept):
            _take_turns(month)
        # A sheet another writer kept meanwhile under the same key is whole: it stays as it is.
        whole = set(Sheet.objects.filter(key__in=list(kept.values()), unit=ROOT).values_list("key", flat=True))
        for month, key in kept.items():
            Sheet.objects.filter(month=month).exclude(key=key).delete()
        Sheet.objects.bulk_create([row for row in rows if row.key not in whole], batch_size=500, ignore_conflicts=True)


# The first number of the PostgreSQL advisory locks by which the writers of a month's sheets take turns.
_SHEET_LOCKS = 7207


def _take_turns(month: str) -> None:
    """Hold off, until this transaction ends, every other writer of this month's sheets.

    Without it, on PostgreSQL a writer deleting the month's other sheets could miss the
    rows another was inserting meanwhile under a key a third had kept, and leave that
    sheet with its organisation's row but not every unit's: a unit's hidden cell would
    then read as a shown zero. SQLite's writers take turns already.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_SHEET_LOCKS, month])


def _read(keys: Mapping[str, str], units: Iterable[int]) -> Found:
    """The kept rows of the whole organisation and of these units for these months' keys."""
    month_of = {key: month for month, key in keys.items()}
    found: Found = {}
    wanted = sorted({ROOT, *units})
    for key, row_unit, text in Sheet.objects.filter(key__in=list(month_of), unit__in=wanted).values_list(
        "key", "unit", "cells"
    ):
        cells = json.loads(text)
        found[(row_unit, month_of[key])] = {
            dimension: {value: (n, State(state)) for value, n, state in rows} for dimension, rows in cells.items()
        }
    return found


class Cells:
    """The dated figures of one unit over some months, read from their sheets; answers as suppress.Grid.cell."""

    def __init__(self, threshold: int, found: Found) -> None:
        self.threshold = threshold
        self.found = found

    def cell(self, dimension: str, unit: int, months: Sequence[Hashable], value: Hashable) -> Cell:
        return over_months(
            self.threshold,
            (
                self.found.get((unit, str(month)), {}).get(dimension, {}).get(value, (0, State.SHOWN))
                for month in months
            ),
        )


def cells(
    period: Period,
    scope: int,
    units: Units,
    tz: zoneinfo.ZoneInfo,
    shaped: tuple[str, dict[str, list[Hashable]]] | None = None,
) -> tuple[Cells, dict[str, list[Hashable]]]:
    """The scope's dated cells over the period (its months' sheets, decided first where missing), and the values.

    `shaped` is shape(units) when the caller made it already.
    """
    stored.ensure(period, tz)
    months = period.months()
    shape_text, values = shaped or shape(units)
    digests = dict(Month.objects.filter(month__in=months).values_list("month", "digests"))
    keys = {month: key_of(shape_text, month, tz.key, digests.get(month)) for month in months}
    found = _read({month: key for month, key in keys.items() if key is not None}, [scope])
    missing = [month for month in months if keys[month] is None or (ROOT, month) not in found]
    if missing:
        decided, decided_keys = decide(missing, units, tz, shape_text, values)
        keep(decided, decided_keys)
        found.update({place: cells for place, cells in decided.items() if place[0] in (ROOT, scope)})
    return Cells(units.threshold, found), values


# The sweeper decides sheets for at most about this long a pass.
PREPARE_SECONDS = 20.0


def prepare(now: datetime, budget: float = PREPARE_SECONDS) -> int:
    """The sweeper's part: decide the missing sheets of the last twelve months, newest first, while the budget lasts.

    Only months whose totals are current (stored.refresh counts them first): a stale
    month would be decided on counts about to change. How many months were decided.
    """
    tz = figures.zone()
    period = Period.last_twelve_months(now.astimezone(tz).date())
    months = period.months()
    fresh = dict(Month.objects.filter(month__in=months, zone=tz.key, stale=False).values_list("month", "digests"))
    if not fresh:
        return 0
    units = Units.load(figures.threshold())
    shape_text, values = shape(units)
    keys = {month: key_of(shape_text, month, tz.key, digests) for month, digests in fresh.items()}
    kept = set(
        Sheet.objects.filter(key__in=[key for key in keys.values() if key], unit=ROOT).values_list("key", flat=True)
    )
    started = monotonic()
    decided = 0
    for month in sorted(keys, reverse=True):
        if keys[month] is None or keys[month] in kept:
            continue
        found, month_keys = decide([month], units, tz, shape_text, values)
        keep(found, month_keys)
        decided += 1
        if monotonic() - started >= budget:
            break
    return decided


# --- The present ------------------------------------------------------------------------
#
# The figures of the present (cases overdue now, by unit and by handler; interim measures
# in force; reports held in escrow) have one "month", NOW. Their counts move with the
# clock and with every case, so they are read each time (cheaply: the overdue ones are
# kept by the database, ombuds.analytics.overdue). Deciding their suppression for every
# unit takes time that grows with the directory and the handlers, so the decided cells
# are kept too, in two sheets, each under the SHA-256 of the counts it was decided on and
# of the directory's shape: the cases overdue now under the month NOW, the other figures
# under REST. A dashboard whose counts are those of a kept sheet reads the rows of its
# unit and of the sub-units it lists; any other count gives another key, and that part
# of the present is decided again and replaces its sheet. A sheet is only ever read under
# the key of the counts just read, so it is never older than they are.
#
# Two sheets, so that a lead handler's reduced dashboard, which shows the cases overdue
# now by unit and no other figure of the present, reads and decides only the first: the
# time it takes does not depend on counts it does not show, such as a report held in
# escrow (which nobody may learn of before it is released).

REST = "others"  # Sheet.month holds at most seven characters
PARTS: dict[str, tuple[str, ...]] = {NOW: figures.OVERDUE, REST: ("measures", "escrow")}
PRESENT = tuple(key for keys in PARTS.values() for key in keys)


def part_of(key: str) -> str:
    """The sheet (NOW or REST) a figure of the present is kept in."""
    return next(part for part, keys in PARTS.items() if key in keys)


def _or_less(pk: int | None) -> int:
    return -1 if pk is None else pk


@dataclass(frozen=True)
class Present:
    """One part's counts as read now: the cases overdue by (unit, handler) (NOW), or the other figures' raw counts."""

    part: str
    overdue: Overdue | None
    raw: dict[str, Raw]

    @classmethod
    def count(cls, tz: zoneinfo.ZoneInfo, part: str = NOW) -> Present:
        if part == NOW:
            return cls(part, Overdue.count(), {})
        return cls(part, None, {key: figures.raw_counts(SOURCES[key], None, tz) for key in PARTS[part]})

    def raw_of(self, key: str) -> Raw:
        if key in figures.OVERDUE and self.overdue is not None:
            return self.overdue.raw(key)
        return self.raw[key]

    def values(self) -> dict[str, list[Hashable]]:
        found: dict[str, list[Hashable]] = {}
        if self.overdue is not None:
            found.update({"overdue": [False], "overdue_handler": self.overdue.assignees()})
        for key in self.raw:
            found[key] = list(SOURCES[key].values())
        return found

    def key(self, shape_text: str) -> str:
        """The SHA-256 of everything the part's cells depend on: the directory's shape, the values, the counts."""
        # The overdue counts as read (the kept ones as the database's text, and the live
        # part): the same read gives the same counts, so the same cells.
        overdue = self.overdue.read.digest() if self.overdue is not None else None
        others = [
            [key, sorted([_or_less(unit), str(value), n] for (unit, _now, value), n in raw.items() if n)]
            for key, raw in sorted(self.raw.items())
        ]
        values = [[key, [str(value) for value in found]] for key, found in sorted(self.values().items())]
        text = _canonical([VERSION, self.part, shape_text, values, overdue, others])
        return hashlib.sha256(text.encode()).hexdigest()


def decide_present(present: Present, units: Units) -> Found:
    """Every reporting unit's cells of the part's figures, decided from these counts (no kept decision is read)."""
    values = present.values()
    grids: dict[str, Grid] = {}
    for key in PARTS[present.part]:
        source = SOURCES[key]
        grids[key] = Grid(
            threshold=units.threshold,
            parents={} if source.organisation_only else units.parents,
            months=[NOW],
            values=values[key],
            own=figures.own_counts(present.raw_of(key), units, source.organisation_only),
            empty=frozenset() if source.organisation_only else frozenset(units.empty),
        )
    if present.part == NOW:
        # The two figures of overdue cases split the same cases: one total, hidden in both if in either.
        share_totals([grids[key] for key in figures.OVERDUE])
    found: Found = {(ROOT, NOW): {}}
    for key, grid in grids.items():
        for unit, value, count, state in grid.month_cells(NOW):
            found.setdefault((unit, NOW), {}).setdefault(key, {})[value] = (count, state)
    return found


def _as_month(found: Found, month: str) -> Found:
    """The same cells under another month: a part's sheet is kept under its own (NOW or REST), read as NOW."""
    return {(unit, month): cells for (unit, _month), cells in found.items()}


def present(
    scope: int,
    units: Units,
    tz: zoneinfo.ZoneInfo,
    shaped: tuple[str, dict[str, list[Hashable]]] | None = None,
    parts: Iterable[str] = tuple(PARTS),
) -> tuple[Cells, dict[str, list[Hashable]]]:
    """These parts' cells of the scope and of its sub-units (each decided and kept first if its counts have none).

    The parts asked for are read in one query, each under its own key. The dashboard
    (figures.build) asks for one part at a time, that of the figure it shows next, so a
    lead handler's reduced dashboard reads and decides only NOW.
    """
    shape_text, _dated_values = shaped or shape(units)
    counted = {part: Present.count(tz, part) for part in parts}
    keys = {part: part_now.key(shape_text) for part, part_now in counted.items()}
    kept = _read(keys, [scope, *units.children(scope)])
    found: Found = {}
    values: dict[str, list[Hashable]] = {}
    for part, part_now in counted.items():
        if (ROOT, part) in kept:
            decided = _as_month({place: cells for place, cells in kept.items() if place[1] == part}, NOW)
        else:
            decided = _decide_and_keep(part_now, units, keys[part])
        for place, cells in decided.items():
            found.setdefault(place, {}).update(cells)
        values.update(part_now.values())
    return Cells(units.threshold, found), values


def prepare_present(tz: zoneinfo.ZoneInfo | None = None) -> bool:
    """The sweeper's part: keep the present's sheets of the counts now, for the next dashboard; whether it decided."""
    tz = tz or figures.zone()
    units = Units.load(figures.threshold())
    shape_text = shape(units)[0]
    decided = False
    for part in PARTS:
        counted = Present.count(tz, part)
        key = counted.key(shape_text)
        if not Sheet.objects.filter(key=key, month=part, unit=ROOT).exists():
            _decide_and_keep(counted, units, key)
            decided = True
    return decided


def _decide_and_keep(counted: Present, units: Units, key: str) -> Found:
    """Decide the part's cells from its counts and keep them under its key; the cells, read as NOW."""
    decided = decide_present(counted, units)
    keep(_as_month(decided, counted.part), {counted.part: key})
    return decided
