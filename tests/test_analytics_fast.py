"""The dashboard's faster parts give the same answers as the plain ways of computing them."""

from __future__ import annotations

import math
import random
import zoneinfo
from collections.abc import Hashable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count

from ombuds.analytics import figures
from ombuds.analytics.figures import Period
from ombuds.analytics.suppress import ROOT, Grid, Key, State, bounds_of, pinned_cells
from ombuds.cases.models import Case, Organisation
from ombuds.core import synthetic

UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD = Period(date(2026, 7, 1), date(2026, 10, 1))


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path


def _nearest_rank(days: list[float], fraction: float) -> float:
    return round(sorted(days)[max(0, math.ceil(fraction * len(days)) - 1)], 1)


@pytest.mark.django_db
def test_it_reads_each_duration_at_the_same_rank_as_python_would() -> None:
    synthetic.seed(synthetic.Options(cases=300, people=90, seed=5, until=UNTIL, history_days=150))
    tz = zoneinfo.ZoneInfo(Organisation.objects.get(pk=1).zone_name())
    start = datetime.combine(PERIOD.first, time(), tz)
    end = datetime.combine(PERIOD.end + timedelta(days=1), time(), tz)
    board = figures.build(period=PERIOD, scope=ROOT, reduced=False)
    checked = 0
    for duration in board.durations:
        column, _title = figures.DURATIONS[duration.key]
        days = [
            (getattr(case, column) - case.received_at).total_seconds() / 86400
            for case in Case.objects.filter(held_in_escrow=False, received_at__gte=start, received_at__lt=end)
            if getattr(case, column) is not None
        ]
        if len(days) < board.threshold:
            assert duration.median_days is None
            continue
        assert duration.median_days == _nearest_rank(days, 0.5), duration.key
        assert duration.p90_days == _nearest_rank(days, 0.9), duration.key
        checked += 1
    assert checked >= 2, "the seeded data must have enough cases for the durations to be shown"


def _sweep_every_sum(
    relations: Sequence[tuple[Sequence[tuple[int, Key]], int]],
    counts: Mapping[Key, int],
    states: Mapping[Key, State],
    threshold: int,
) -> set[Key]:
    """The reader's reasoning the plain way: sweep every sum until no bound moves."""
    low: dict[Key, int] = {}
    high: dict[Key, int] = {}
    for key, state in states.items():
        if state is not State.SHOWN:
            low[key], high[key] = bounds_of(state, threshold)
    changed = True
    while changed:
        changed = False
        for terms, constant in relations:
            for sign, key in terms:
                if key not in low:
                    continue
                others_low = others_high = 0
                for other_sign, other in terms:
                    if other == key:
                        continue
                    if other not in low:
                        others_low += other_sign * counts[other]
                        others_high += other_sign * counts[other]
                    elif other_sign > 0:
                        others_low += low[other]
                        others_high += high[other]
                    else:
                        others_low -= high[other]
                        others_high -= low[other]
                lo, hi = constant - others_high, constant - others_low
                if sign < 0:
                    lo, hi = -hi, -lo
                if lo > low[key]:
                    low[key], changed = lo, True
                if hi < high[key]:
                    high[key], changed = hi, True
    return {
        key
        for key, state in states.items()
        if key in low
        and low[key] >= high[key]
        and (state in (State.SMALL, State.SUPPRESSED) or (state is State.HIDDEN and 0 < counts[key] < 5))
    }


@pytest.mark.parametrize("seed", range(12))
def test_the_work_list_pins_the_same_cells_as_sweeping_every_sum(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - test data, not a secret
    parents = {1: ROOT, 2: ROOT, 3: 1, 4: 1, 5: 2, 6: 5}
    values: list[Hashable] = ["a", "b", "c"]
    own: dict[Key, int] = {
        (unit, "2026-01", value): rng.choice([0, 0, 1, 2, 4, 5, 7, 12, 30])
        for unit in [ROOT, *parents]
        for value in values
    }
    grid = Grid(threshold=5, parents=parents, months=["2026-01"], values=values, own=own)
    relations = grid.relations("2026-01")
    counts = {**grid.counts, **grid.own_counts("2026-01")}
    # Any mix of shown and hidden cells, as the rounds of suppression make them.
    states: dict[Key, State] = dict.fromkeys(grid.own_counts("2026-01"), State.HIDDEN)
    for key, count in grid.counts.items():
        if 0 < count < 5:
            states[key] = State.SMALL
        elif count >= 5 and rng.random() < 0.2:
            states[key] = State.SUPPRESSED
        else:
            states[key] = State.SHOWN
    expected = _sweep_every_sum(relations, counts, states, 5)
    assert expected, "the mix must leave some cell a reader can pin"
    assert set(pinned_cells(relations, counts, states, 5)) == expected


@pytest.mark.django_db
def test_the_overdue_counts_read_once_equal_counting_each_case() -> None:
    synthetic.seed(synthetic.Options(cases=300, people=90, seed=7, until=UNTIL, history_days=150))
    now = datetime.now(UTC)
    overdue = Case.objects.filter(next_deadline_at__lt=now).exclude(status="closed").order_by("pk")
    assert overdue.count() >= 10, "the seeded data must have cases overdue now"
    # One held in escrow and one closed (by a bare update, as raw SQL would): neither counts.
    first, second = list(overdue.values_list("pk", flat=True)[:2])
    Case.objects.filter(pk=first).update(held_in_escrow=True)
    Case.objects.filter(pk=second).update(status="closed")
    expected: dict[tuple[int | None, int | None], int] = {}
    for case in Case.objects.all():
        late = case.next_deadline_at is not None and case.next_deadline_at < now
        if late and not case.held_in_escrow and case.status != "closed":
            place = (case.reporting_unit_id, case.assignee_id)
            expected[place] = expected.get(place, 0) + 1

    found = figures.Overdue.count()

    assert {(unit, who): n for unit, who, n in found.rows} == expected
    tz = figures.zone()
    for key in ("overdue", "overdue_handler"):
        assert dict(found.raw(key)) == dict(figures.raw_counts(figures.SOURCES[key], None, tz)), key
    assert found.assignees() == figures._assignees()


@pytest.mark.django_db
def test_the_overdue_count_reads_its_covering_index_alone() -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the plan is SQLite's; PostgreSQL chooses by its statistics")
    query = figures._overdue().order_by().values_list("reporting_unit", "assignee").annotate(_n=Count("*"))
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "COVERING INDEX cases_case_overdue_idx" in plan, plan


@pytest.mark.django_db
def test_the_stored_counts_are_read_from_their_covering_index_alone() -> None:
    from django.db import connection

    from ombuds.analytics.models import MonthlyCount

    if connection.vendor != "sqlite":
        pytest.skip("the plan is SQLite's; PostgreSQL chooses by its statistics")
    query = MonthlyCount.objects.filter(month__in=PERIOD.months()).values_list(
        "dimension", "unit", "month", "value", "count"
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "COVERING INDEX analytics_count_cells" in plan, plan


@pytest.mark.parametrize(
    "values",
    [
        ["harassment", "assault", "other", "bullying"],
        [True, False],
        [3, 10, 9, None, "unassigned"],
    ],
)
def test_a_months_counts_are_put_in_the_same_order_for_its_digest_whatever_their_values(
    values: list[Hashable],
) -> None:
    from ombuds.analytics.suppress import _in_order

    rng = random.Random(3)  # noqa: S311 - a shuffle for a test, not a secret
    rows = [(unit, value, rng.randint(1, 9)) for unit in (0, 12, 7, 100) for value in values]
    rng.shuffle(rows)

    assert _in_order(rows) == sorted(rows, key=lambda row: (row[0], type(row[1]).__name__, str(row[1])))
