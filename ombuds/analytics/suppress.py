"""Small-cell suppression: no published figure, alone or combined with others, reveals a count below the threshold.

Every figure of the dashboard is a count of cases in a unit (with its sub-units) and a
period, split by one dimension (category, reporter role, outcome...). This module decides
which of those counts may be shown. It works on a grid of cells: each reporting unit
(units too small are merged into their parent, see figures.reporting_units) and the whole
organisation, each calendar month, each value of the dimension and the total.

The rules (docs/analytics.md says the same for readers):

1. Primary suppression: a count from 1 to threshold - 1 is shown as "fewer than N".
2. Complementary suppression: the cells are tied by sums a reader can form — a total is
   the sum of its values; a unit is the sum of its sub-units and of its own part (taken
   as known to the reader, the worst case). Whenever these sums, with everything shown,
   pin a suppressed cell to one value, the smallest shown cell of at least the threshold
   in that sum is suppressed too ("suppressed"), and the check runs again.
3. Periods are whole months, and a count for a period is shown only if it is shown in
   every month of the period: overlapping periods can then only be subtracted into sums
   of months that were shown anyway.

The reader's reasoning is modelled as interval propagation over those sums (what
differencing can achieve); tests/test_analytics_suppression.py attacks the published
output independently.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

TOTAL = "__total__"
ROOT = 0  # the whole organisation; its own part holds cases of no known unit
_UNBOUNDED = 10**15

Key = tuple[int, Hashable, Hashable]  # (unit, month, value)


class State(enum.StrEnum):
    SHOWN = "shown"
    SMALL = "small"  # below the threshold
    SUPPRESSED = "suppressed"  # shown cells that would reveal a small one
    HIDDEN = "hidden"  # a unit's own part: never shown, unknown to a reader


@dataclass(frozen=True)
class Cell:
    count: int
    state: State

    @property
    def shown(self) -> bool:
        return self.state is State.SHOWN


class Memo(Protocol):
    """Where decided months are kept: by digest, the (unit, value) cells hidden to protect others."""

    def load(self, digests: Sequence[str]) -> dict[str, list[tuple[int, Hashable]]]: ...

    def save(self, decided: Mapping[str, list[tuple[int, Hashable]]]) -> None: ...


class Grid:
    """The cells of one dimension, with their suppression decided once for every unit and month."""

    def __init__(
        self,
        *,
        threshold: int,
        parents: Mapping[int, int],
        months: Sequence[Hashable],
        values: Sequence[Hashable],
        own: Mapping[Key, int],
        empty: frozenset[int] = frozenset(),
        memo: Memo | None = None,
        month_keys: Mapping[Hashable, str] | None = None,
    ) -> None:
        """`parents` maps each reporting unit to its parent (ROOT for the top); `own` counts each unit's own part.

        `empty` names the units with nobody of their own (everyone is in a sub-unit): a
        reader knows their own part is zero. `memo` keeps each month's decision for the
        exact inputs it was made on, so a month whose counts did not change is not
        decided again. `month_keys` names a month's counts instead of hashing them: a
        text that changes whenever the month's `own` counts may change (see
        figures.build, made from the stored month's digest); a month without one is
        hashed from its counts.
        """
        self.empty = empty
        self.threshold = threshold
        self.months = list(months)
        self.values = list(values)
        self.units = [ROOT, *parents]
        self.children: dict[int, list[int]] = defaultdict(list)
        for unit, parent in parents.items():
            self.children[parent].append(unit)
        for kids in self.children.values():
            kids.sort()
        self._own = own
        # Every cell starts at zero; each own count is then added to its unit and every
        # unit above it (the work follows the counts, not the directory). Each unit's line
        # up to ROOT is found once, not once a count.
        counts: dict[Key, int] = defaultdict(int)  # the cells above zero
        self._counts = counts
        self._counted: dict[Hashable, list[Key]] = defaultdict(list)  # the same, by month
        parent_of = dict(parents)
        above: dict[int, tuple[int, ...]] = {}
        for unit in self._bottom_up():
            line = [unit]
            while line[-1] != ROOT:
                line.append(parent_of[line[-1]])
            above[unit] = tuple(line)
        value_set = set(self.values)
        month_set = set(self.months)
        self._month_keys = dict(month_keys or {})
        self._own_by_month: dict[Hashable, list[tuple[int, Hashable, int]]] | None = None  # made when first needed
        for (unit, month, value), count in own.items():
            if not count:
                continue
            chain = above.get(unit)
            if chain is None or value not in value_set or month not in month_set:
                continue
            for seen in chain:
                counts[(seen, month, value)] += count
                counts[(seen, month, TOTAL)] += count
        for key in counts:
            self._counted[key[1]].append(key)
        self._relations: dict[Hashable, list[tuple[list[tuple[int, Key]], int]]] = {}
        # Each month's states; a cell not listed is shown.
        self._states: dict[Hashable, dict[Key, State]] = {month: {} for month in self.months}
        self.memo = memo
        self._shape = _canonical([threshold, list(parents.items()), sorted(empty), self.values])
        self._month_text: dict[Hashable, str] = {}  # each month's part of its digests
        digests = {month: self.digest(month, frozenset()) for month in self.months} if memo is not None else {}
        known = memo.load(list(digests.values())) if memo is not None else {}
        decided: dict[str, list[tuple[int, Hashable]]] = {}
        for month in self.months:
            digest = digests.get(month)
            if digest is not None and digest in known:
                self._states[month] = self._restore(month, known[digest])
                continue
            states = _decide(self, month)
            self._states[month] = states
            if digest is not None:
                decided[digest] = _suppressed(states)
        if memo is not None and decided:
            memo.save(decided)

    @property
    def counts(self) -> dict[Key, int]:
        """Every cell's count (unit with its sub-units, month, value or TOTAL), zeros included."""
        dense = {(unit, month, value): 0 for month in self.months for unit in self.units for value in self.values}
        dense.update({(unit, month, TOTAL): 0 for month in self.months for unit in self.units})
        dense.update(self._counts)
        return dense

    @property
    def states(self) -> dict[Key, State]:
        """The states of the cells, every month; a cell not listed is shown."""
        found: dict[Key, State] = {}
        for month_states in self._states.values():
            found.update(month_states)
        return found

    def state(self, key: Key) -> State:
        return self._states.get(key[1], {}).get(key, State.SHOWN)

    def digest(self, month: Hashable, forced: frozenset[Key]) -> str:
        """What one month's decision depends on, hashed: the grid's shape, the month's counts, the forced cells."""
        if month not in self._month_text:
            if month in self._month_keys:
                # A list of two texts: never the list of [unit, value, count] lists below.
                self._month_text[month] = _canonical([self._shape, month, ["stored", self._month_keys[month]]])
            else:
                if self._own_by_month is None:
                    self._own_by_month = defaultdict(list)
                    for (unit, seen, value), count in self._own.items():
                        if count:
                            self._own_by_month[seen].append((unit, value, count))
                counts = _in_order(self._own_by_month.get(month, []))
                self._month_text[month] = _canonical([self._shape, month, counts])
        text = _canonical([self._month_text[month], sorted(_canonical([k[0], k[2]]) for k in forced)])
        return hashlib.sha256(text.encode()).hexdigest()

    def decide(self, month: Hashable, forced: frozenset[Key]) -> dict[Key, State]:
        """One month decided again with `forced` cells hidden (see share_totals), through the memo."""
        if self.memo is None:
            return _decide(self, month, forced)
        digest = self.digest(month, forced)
        known = self.memo.load([digest])
        if digest in known:
            return self._restore(month, known[digest])
        states = _decide(self, month, forced)
        self.memo.save({digest: _suppressed(states)})
        return states

    def month_cells(self, month: Hashable) -> list[tuple[int, Hashable, int, State]]:
        """One month's cells that count something or are not shown, as (unit, value, count, state).

        Every other cell of the month is a zero, shown: with these, `cell` can be answered
        for any unit and value of the month (ombuds.analytics.sheets keeps them).
        """
        states = self._states.get(month, {})
        counts = self._counts
        found = [(key[0], key[2], counts[key], states.get(key, State.SHOWN)) for key in self._counted[month]]
        columns = {*self.values, TOTAL}
        found.extend(
            (key[0], key[2], 0, state)
            for key, state in states.items()
            if state is not State.SHOWN and key not in counts and key[2] in columns
        )
        return found

    def _restore(self, month: Hashable, suppressed: Iterable[tuple[int, Hashable]]) -> dict[Key, State]:
        """A month's states from its kept decision: small cells follow from the counts, the rest are listed."""
        counts = self._counts
        threshold = self.threshold
        small = State.SMALL
        states: dict[Key, State] = {key: small for key in self._counted[month] if counts[key] < threshold}
        for unit, value in suppressed:
            states[(unit, month, value)] = State.SUPPRESSED
        return states

    def _bottom_up(self) -> list[int]:
        order: list[int] = []

        def visit(unit: int) -> None:
            for child in self.children[unit]:
                visit(child)
            order.append(unit)

        visit(ROOT)
        return order

    def own_key(self, unit: int, month: Hashable, value: Hashable) -> Key:
        return (unit, month, ("own", value))

    def relations(self, month: Hashable) -> list[tuple[list[tuple[int, Key]], int]]:
        """The sums a reader can form within one month, as (signed cells, constant): Σ sign·cell = constant.

        A unit's own part (its cases not in a sub-unit) is never shown; it enters the sums
        as an unknown, except for a unit with nobody of its own, where a reader knows it is 0.
        """
        if month not in self._relations:
            self._relations[month] = self._form_relations(month)
        return self._relations[month]

    def active(self, month: Hashable) -> list[int]:
        """The units with cases in the month (their own or their sub-units').

        A unit with none shows zeros, and so do all its sub-units: its own part is zero and
        enters no sum with any other unknown, so its sums can pin nothing small and are
        left out. The work then follows the cells that count something, not the directory.
        """
        return [unit for unit in self.units if self._counts.get((unit, month, TOTAL), 0) > 0]

    def _form_relations(self, month: Hashable) -> list[tuple[list[tuple[int, Key]], int]]:
        found: list[tuple[list[tuple[int, Key]], int]] = []
        columns = [*self.values, TOTAL]
        for unit in self.active(month):
            found.append(([(1, (unit, month, TOTAL))] + [(-1, (unit, month, value)) for value in self.values], 0))
            if not self.children[unit]:
                continue
            has_own = unit not in self.empty
            if has_own:
                found.append(
                    (
                        [(1, self.own_key(unit, month, TOTAL))]
                        + [(-1, self.own_key(unit, month, value)) for value in self.values],
                        0,
                    )
                )
            for value in columns:
                terms = [(1, (unit, month, value))] + [(-1, (child, month, value)) for child in self.children[unit]]
                if has_own:
                    terms.append((-1, self.own_key(unit, month, value)))
                found.append((terms, 0))
        return found

    def own_counts(self, month: Hashable) -> dict[Key, int]:
        """The true counts of the own parts that enter the sums (never shown)."""
        found: dict[Key, int] = {}
        for unit in self.active(month):
            if self.children[unit] and unit not in self.empty:
                for value in self.values:
                    found[self.own_key(unit, month, value)] = self._own.get((unit, month, value), 0)
                found[self.own_key(unit, month, TOTAL)] = sum(self._own.get((unit, month, v), 0) for v in self.values)
        return found

    def cell(self, unit: int, months: Iterable[Hashable], value: Hashable) -> Cell:
        """The count for a unit (with its sub-units) over some months: shown only if shown in each month."""
        return over_months(
            self.threshold,
            (
                (
                    self._counts.get((unit, month, value), 0),
                    self._states.get(month, {}).get((unit, month, value), State.SHOWN),
                )
                for month in months
            ),
        )


def over_months(threshold: int, months: Iterable[tuple[int, State]]) -> Cell:
    """One cell over several months, from each month's count and state.

    The sum is shown only where every month's cell is shown; a sum below the threshold
    (and above nought) is marked small, whatever the months' states.
    """
    count = 0
    every_month_shown = True
    for n, state in months:
        count += n
        if state is not State.SHOWN:
            every_month_shown = False
    if 0 < count < threshold:
        return Cell(count, State.SMALL)
    return Cell(count, State.SHOWN if every_month_shown else State.SUPPRESSED)


def _in_order(rows: list[tuple[int, Hashable, int]]) -> list[tuple[int, Hashable, int]]:
    """A month's own counts (unit, value, count) in the order of its digest: by unit, the value's type, its text.

    When every value is text, or every value a boolean, that is the tuples' own order
    ("False" < "True" as False < True; a unit has each value once): sorted without a
    key made for each row, which is most of the digest's time at a million cases.
    """
    kinds = {type(value) for _unit, value, _count in rows}
    if kinds == {str} or kinds == {bool}:
        return sorted(rows)
    return sorted(rows, key=lambda row: (row[0], type(row[1]).__name__, str(row[1])))


def _canonical(data: object) -> str:
    return json.dumps(data, separators=(",", ":"), default=str)


def _suppressed(states: Mapping[Key, State]) -> list[tuple[int, Hashable]]:
    return [(key[0], key[2]) for key, state in states.items() if state is State.SUPPRESSED]


def _decide(grid: Grid, month: Hashable, forced: frozenset[Key] = frozenset()) -> dict[Key, State]:
    """The states of one month's cells. `forced` cells are hidden whatever their count, and kept unrecoverable.

    The work depends on the month's cells (units by values) and how many of them are
    small, never on how many cases they count.
    """
    threshold = grid.threshold
    relations = grid.relations(month)
    hidden_parts = grid.own_counts(month)
    counts: dict[Key, int] = dict(hidden_parts)
    states: dict[Key, State] = dict.fromkeys(hidden_parts, State.HIDDEN)
    for unit in grid.units:
        for value in [*grid.values, TOTAL]:
            key = (unit, month, value)
            counts[key] = grid._counts.get(key, 0)
            states[key] = State.SMALL if 0 < counts[key] < threshold else State.SHOWN
            if key in forced and states[key] is State.SHOWN:
                states[key] = State.SUPPRESSED
    touching = _touching(relations)
    for _round in range(10_000):
        pinned = pinned_cells(relations, counts, states, threshold, forced)
        if not pinned:
            break
        # Every pinned cell gets its protection in this round: fewer rounds of propagation.
        protected = [
            _protect(target, relations, counts, states, threshold, touching) for target in sorted(pinned, key=_order)
        ]
        if not any(protected):
            # Nothing of at least the threshold is left to hide beside it: the last resort
            # hides every count of the month but the zeros.
            for key in list(states):
                if states[key] is State.SHOWN and counts[key] > 0:
                    states[key] = State.SUPPRESSED
            break
    return {key: state for key, state in states.items() if state is not State.HIDDEN}


def _touching(relations: Sequence[tuple[Sequence[tuple[int, Key]], int]]) -> dict[Key, list[int]]:
    """For each cell, the indexes of the sums it enters."""
    found: dict[Key, list[int]] = defaultdict(list)
    for index, (terms, _constant) in enumerate(relations):
        for _sign, key in terms:
            found[key].append(index)
    return found


def _order(key: Key) -> tuple[str, ...]:
    return tuple(str(part) for part in key)


def _protect(
    target: Key,
    relations: list[tuple[list[tuple[int, Key]], int]],
    counts: Mapping[Key, int],
    states: dict[Key, State],
    threshold: int,
    touching: Mapping[Key, list[int]] | None = None,
) -> bool:
    """Hide the smallest shown cell (at least the threshold) in the sum that leaves `target` least hidden."""
    best: tuple[int, int, tuple[str, ...], Key] | None = None
    indexes = touching[target] if touching is not None else range(len(relations))
    for index in indexes:
        terms, _constant = relations[index]
        keys = [key for _sign, key in terms]
        if target not in keys:
            continue
        hidden = sum(1 for key in keys if states[key] is not State.SHOWN)
        for key in keys:
            if states[key] is State.SHOWN and counts[key] >= threshold:
                rank = (hidden, counts[key], _order(key), key)
                if best is None or rank[:3] < best[:3]:
                    best = rank
    if best is None:
        return False
    states[best[3]] = State.SUPPRESSED
    return True


def bounds_of(state: State, threshold: int) -> tuple[int, int]:
    """What a reader knows of a hidden cell from its label alone."""
    if state is State.SMALL:
        return (1, threshold - 1)
    if state is State.HIDDEN:
        return (0, _UNBOUNDED)
    return (threshold, _UNBOUNDED)  # complementary cells are chosen among counts of at least the threshold


def pinned_cells(
    relations: Sequence[tuple[Sequence[tuple[int, Key]], int]],
    counts: Mapping[Key, int],
    states: Mapping[Key, State],
    threshold: int,
    forced: frozenset[Key] = frozenset(),
) -> list[Key]:
    """The small (and forced) cells a reader can pin to one value by propagating bounds through the sums."""
    # The hidden cells are numbered once, so the propagation works on lists of integers
    # and never hashes a cell's key again.
    number: dict[Key, int] = {}
    low: list[int] = []
    high: list[int] = []
    for key, state in states.items():
        if state is not State.SHOWN:
            number[key] = len(low)
            lo, hi = bounds_of(state, threshold)
            low.append(lo)
            high.append(hi)
    live: list[tuple[list[int], list[int], int]] = []  # (signs, hidden cells, constant less the shown cells)
    touching: list[list[int]] = [[] for _ in low]
    for terms, constant in relations:
        rest = constant
        signs: list[int] = []
        cells: list[int] = []
        for sign, key in terms:
            found = number.get(key)
            if found is None:
                rest -= sign * counts[key]
            else:
                signs.append(sign)
                cells.append(found)
        if cells:
            for cell in cells:
                touching[cell].append(len(live))
            live.append((signs, cells, rest))
    # A work list: a sum is looked at again only when a bound of one of its cells moved.
    # The bounds only narrow, so this reaches the same fixed point as sweeping every sum
    # until nothing changes, in as many steps as 50 such sweeps at most.
    queue = deque(range(len(live)))
    queued = [True] * len(live)
    budget = 50 * len(live)
    while queue and budget > 0:
        budget -= 1
        index = queue.popleft()
        queued[index] = False
        signs, cells, rest = live[index]
        # Each term's least and greatest value, sign included (signs are +1 or -1).
        lows = [low[c] if s > 0 else -high[c] for s, c in zip(signs, cells, strict=True)]
        highs = [high[c] if s > 0 else -low[c] for s, c in zip(signs, cells, strict=True)]
        all_low = sum(lows)
        all_high = sum(highs)
        for sign, cell, term_low, term_high in zip(signs, cells, lows, highs, strict=True):
            # sign·x = rest - Σ others
            lo, hi = rest - (all_high - term_high), rest - (all_low - term_low)
            if sign < 0:
                lo, hi = -hi, -lo
            moved = False
            if lo > low[cell]:
                low[cell] = lo
                moved = True
            if hi < high[cell]:
                high[cell] = hi
                moved = True
            if moved:
                for other in touching[cell]:
                    if not queued[other]:
                        queued[other] = True
                        queue.append(other)
    return [
        key
        for key, cell in number.items()
        if low[cell] >= high[cell]
        and (
            states[key] in (State.SMALL, State.SUPPRESSED)
            or (states[key] is State.HIDDEN and 0 < counts[key] < threshold)
        )
    ]


def share_totals(grids: Sequence[Grid]) -> None:
    """Grids that split the same cases (by category, by role...) show one total, hidden in all if hidden in any.

    A total hidden in one table must not be read off another, nor be the sum of another's
    shown rows: each month is decided again with the totals hidden anywhere forced hidden
    (and kept unrecoverable) everywhere, until the grids agree.
    """
    for _round in range(100):
        hidden: dict[Hashable, set[Key]] = defaultdict(set)
        for grid in grids:
            for month_states in grid._states.values():
                for key, state in month_states.items():
                    if key[2] == TOTAL and state is not State.SHOWN:
                        hidden[key[1]].add(key)
        changed = False
        for grid in grids:
            for month, keys in hidden.items():
                decided = grid._states.get(month)
                if decided is not None and any(decided.get(key, State.SHOWN) is State.SHOWN for key in keys):
                    grid._states[month] = grid.decide(month, frozenset(keys))
                    changed = True
        if not changed:
            return
