"""The suppression attack: from all the dashboard, its CSVs and the API publish, no hidden count can be recovered.

The attacker collects every figure the API offers (the page and its CSVs publish the
same cells, tests/test_analytics.py checks that) for every unit in the chooser and every
period of whole months over the seeded history: overlapping periods, a unit and its
sub-units, rows, columns and totals, and the three tables that split the same cases. Each
shown number is a sum of unknown atoms (a unit's own part, a month, a value); the
attacker also knows which units have nobody of their own (their atoms are zero). A
hidden cell is recovered when its sum lies in the span of the shown sums: that is
differencing in every combination at once. Checked with exact arithmetic modulo a prime.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ombuds.analytics import figures
from ombuds.analytics.figures import Period, Units
from ombuds.analytics.suppress import ROOT, TOTAL, State
from ombuds.core import synthetic
from tests.support import Personas, api_client_for

pytestmark = pytest.mark.django_db

UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
MONTHS = [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
FIGURES = ("category", "role", "anonymous")
PRIME = 2**61 - 1


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path


class Span:
    """Row echelon form modulo a prime: which sums follow from the ones already known."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[int, int]] = {}  # pivot column -> row (sparse), pivot entry 1

    def reduce(self, vector: dict[int, int]) -> dict[int, int]:
        vector = {k: v % PRIME for k, v in vector.items() if v % PRIME}
        while vector:
            pivot = min(vector)
            row = self.rows.get(pivot)
            if row is None:
                return vector
            factor = vector[pivot]
            for column, value in row.items():
                vector[column] = (vector.get(column, 0) - factor * value) % PRIME
                if not vector[column]:
                    del vector[column]
        return vector

    def add(self, vector: dict[int, int]) -> None:
        rest = self.reduce(vector)
        if rest:
            pivot = min(rest)
            inverse = pow(rest[pivot], PRIME - 2, PRIME)
            self.rows[pivot] = {column: value * inverse % PRIME for column, value in rest.items()}

    def contains(self, vector: dict[int, int]) -> bool:
        return not self.reduce(vector)


def _ranges() -> list[Period]:
    return [Period(MONTHS[a], MONTHS[b]) for a in range(len(MONTHS)) for b in range(a, len(MONTHS))]


def test_no_hidden_cell_can_be_recovered_by_differencing_anything_published() -> None:
    synthetic.seed(synthetic.Options(cases=260, people=70, seed=11, until=UNTIL, history_days=92))
    staff = Personas()
    units = Units.load(figures.threshold())
    api = api_client_for(staff.oversight)

    # The atoms: (reporting unit's own part, month, figure, value). A reader knows the tree.
    atom_ids: dict[tuple[int, str, str, Hashable], int] = {}

    def atom(unit: int, month: str, figure: str, value: Hashable) -> int:
        return atom_ids.setdefault((unit, month, figure, value), len(atom_ids))

    def members(scope: int) -> list[int]:
        if scope == ROOT:
            return [ROOT, *units.parents]
        inside = {units.reporting[u] for u in units.within(scope)}
        return sorted(inside)

    shown: list[dict[int, int]] = []
    hidden: list[tuple[str, dict[int, int], str]] = []
    small_seen = 0
    for period in _ranges():
        for scope, label in units.choices():
            data = api.get(
                "/api/v1/analytics",
                {"from": period.first.isoformat(), "to": period.end.isoformat(), "unit": str(scope)},
            ).json()
            for figure in (f for f in data["figures"] if f["key"] in FIGURES):
                values = [row["key"] for row in figure["rows"]]
                cells = [(row["key"], row) for row in figure["rows"]] + [(TOTAL, figure["total"])]
                for value, cell in cells:
                    vector: dict[int, int] = {}
                    for unit in members(scope):
                        if unit in units.empty:
                            continue  # known to be zero
                        for month in period.months():
                            for v in values if value == TOTAL else [value]:
                                # The three figures split the same cases: a total is the same sum in all.
                                vector[atom(unit, month, "cases" if value == TOTAL else figure["key"], v)] = 1
                    if value == TOTAL:
                        vector = {}
                        for unit in members(scope):
                            if unit not in units.empty:
                                for month in period.months():
                                    vector[atom(unit, month, "cases", TOTAL)] = 1
                    name = f"{label} {period.first:%Y-%m}..{period.end:%Y-%m} {figure['key']} {value}"
                    if cell["state"] == State.SHOWN:
                        shown.append(vector)
                    else:
                        small_seen += cell["state"] == State.SMALL
                        hidden.append((name, vector, cell["state"]))
    # A figure's values add up to its total: the reader knows that for every atom too.
    totals: list[dict[int, int]] = []
    for unit in [ROOT, *units.parents]:
        for month in [f"{m:%Y-%m}" for m in MONTHS]:
            total = atom(unit, month, "cases", TOTAL)
            for figure in FIGURES:
                members_of = [i for (u, m, f, _v), i in atom_ids.items() if (u, m, f) == (unit, month, figure)]
                if members_of:
                    totals.append({total: 1, **dict.fromkeys(members_of, -1)})

    span = Span()
    for vector in shown + totals:
        span.add(vector)
    # What a reader knows is the span of the shown sums and of the relations (each worth 0).
    recovered = [name for name, vector, _state in hidden if span.contains(vector)]
    assert small_seen > 0, "the data must have small cells for the attack to mean anything"
    assert recovered == [], "\n".join(recovered)


def test_no_hidden_count_of_cases_overdue_now_can_be_recovered_from_both_figures_of_them() -> None:
    """The cases overdue now, by sub-unit and by handler (the unassigned ones too), for every unit in the chooser.

    Both figures split the same cases: each shown number is a sum of atoms (a reporting
    unit's own part, a handler), a total the sum over every handler.
    """
    # Large enough that, were the two figures decided apart, some unit's total would be shown
    # in one and hidden in the other (this seed does that).
    synthetic.seed(synthetic.Options(cases=600, people=120, seed=7, until=UNTIL, history_days=92))
    from ombuds.cases.models import Case

    late = Case.objects.filter(held_in_escrow=False, next_deadline_at__lt=datetime.now(UTC)).exclude(status="closed")
    Case.objects.filter(pk__in=list(late.order_by("pk").values_list("pk", flat=True)[::4])).update(assignee=None)
    staff = Personas()
    units = Units.load(figures.threshold())
    # The seed matters: decided apart, the two figures would hide different totals.
    tz = figures.zone()
    apart = {key: figures.grid(figures.SOURCES[key], units, Period(*MONTHS[:2]), tz) for key in figures.OVERDUE}
    assert any(
        apart["overdue"].state((unit, figures.NOW, TOTAL)) != apart["overdue_handler"].state((unit, figures.NOW, TOTAL))
        for unit in [ROOT, *units.parents]
    )
    api = api_client_for(staff.oversight)
    atom_ids: dict[tuple[int, Hashable], int] = {}

    def members(scope: int) -> list[int]:
        if scope == ROOT:
            return [ROOT, *units.parents]
        return sorted({units.reporting[u] for u in units.within(scope)})

    def vector(scope: int, handlers: list[Hashable]) -> dict[int, int]:
        return {
            atom_ids.setdefault((unit, handler), len(atom_ids)): 1
            for unit in members(scope)
            if unit not in units.empty
            for handler in handlers
        }

    shown: list[dict[int, int]] = []
    hidden: list[tuple[str, dict[int, int]]] = []
    small_seen = 0
    for scope, label in units.choices():
        data = api.get("/api/v1/analytics", {"unit": str(scope)}).json()
        by_handler = next(f for f in data["figures"] if f["key"] == "overdue_handler")
        by_unit = next(f for f in data["figures"] if f["key"] == "overdue_unit")
        handlers = [row["key"] for row in by_handler["rows"]]
        cells = [(f"handler {row['key']}", vector(scope, [row["key"]]), row) for row in by_handler["rows"]]
        cells += [("total by handler", vector(scope, handlers), by_handler["total"])]
        cells += [(f"sub-unit {row['key']}", vector(int(row["key"]), handlers), row) for row in by_unit["rows"]]
        cells += [("total by unit", vector(scope, handlers), by_unit["total"])]
        for name, sums, cell in cells:
            if cell["state"] == State.SHOWN:
                shown.append(sums)
            else:
                small_seen += cell["state"] == State.SMALL
                hidden.append((f"{label}: {name}", sums))
    span = Span()
    for sums in shown:
        span.add(sums)
    recovered = [name for name, sums in hidden if span.contains(sums)]
    assert small_seen > 0, "the data must have small cells for the attack to mean anything"
    assert recovered == [], "\n".join(recovered)
