"""The dashboard's cases overdue now: the counts the database keeps up to a boundary, and the rest counted live.

ombuds.analytics.overdue. Every answer is compared with the cases themselves, counted
here in Python, after changes by every kind of writer, with the clock moved forward and
back and the boundary moved by the sweeper's fold.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ombuds.analytics import figures, overdue
from ombuds.analytics.models import OverdueBoundary, OverdueCount
from ombuds.cases.models import Case
from ombuds.core import synthetic

UNTIL = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _seed() -> None:
    if not Case.objects.exists():
        synthetic.seed(synthetic.Options(cases=200, people=80, seed=11, until=UNTIL, history_days=120))


def _by_hand(now: datetime) -> dict[tuple[int | None, int | None], int]:
    """The cases overdue at `now`, from every case: open, not held in escrow, a deadline passed."""
    found: Counter[tuple[int | None, int | None]] = Counter()
    for unit, who, deadline, escrow, status in Case.objects.values_list(
        "reporting_unit", "assignee", "next_deadline_at", "held_in_escrow", "status"
    ):
        if deadline is not None and deadline < now and not escrow and status != "closed":
            found[(unit, who)] += 1
    return dict(found)


def _kept(now: datetime) -> dict[tuple[int | None, int | None], int]:
    return {(unit, who): n for unit, who, n in overdue.count(now)}


@pytest.mark.django_db
def test_a_migrated_database_has_the_overdue_triggers() -> None:
    assert overdue.TRIGGER_SET.missing(connection) == set()
    assert OverdueBoundary.objects.filter(pk=1).exists()


@pytest.mark.django_db
def test_serve_refuses_to_start_without_the_overdue_triggers() -> None:
    overdue.TRIGGER_SET.remove(connection.schema_editor())
    with pytest.raises(CommandError, match="analytics_overdue_updated"):
        call_command("serve", "--no-worker")
    overdue.TRIGGER_SET.add(connection.schema_editor())
    assert overdue.TRIGGER_SET.missing(connection) == set()


@pytest.mark.django_db
def test_after_seed_synthetic_the_kept_counts_are_every_overdue_case() -> None:
    _seed()
    for now in (UNTIL, UNTIL - 30 * 24 * HOUR, datetime.now(UTC), datetime.now(UTC) + 400 * 24 * HOUR):
        expected = _by_hand(now)
        assert _kept(now) == expected, now
    assert sum(_by_hand(UNTIL).values()) >= 10, "the seeded history must have cases overdue"
    # What the dashboard reads is the same.
    rows = figures.Overdue.count().rows
    assert {(unit, who): n for unit, who, n in rows} == _by_hand(datetime.now(UTC))


# (what, which case, how many hours, another of a few values)
Step = tuple[str, int, int, int]
STEPS = st.tuples(
    st.sampled_from(["close", "reopen", "escrow", "release", "deadline", "no_deadline", "assign", "unit", "fold"]),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=-24 * 40, max_value=24 * 40),
    st.integers(min_value=0, max_value=3),
)


@pytest.mark.django_db
@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(STEPS, min_size=1, max_size=12), st.integers(min_value=-24 * 60, max_value=24 * 60))
def test_any_changes_and_folds_keep_the_count_equal_to_the_cases(steps: list[Step], offset: int) -> None:
    """The changes stay from one example to the next: each starts where the last left off."""
    _seed()
    pks = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    users = [None, *sorted({who for who in Case.objects.values_list("assignee", flat=True) if who is not None})[:3]]
    units = [None, *sorted({u for u in Case.objects.values_list("reporting_unit", flat=True) if u is not None})[:3]]
    now = UNTIL + offset * HOUR
    for what, which, hours, other in steps:
        chosen = Case.objects.filter(pk=pks[which % len(pks)])
        if what == "close":
            chosen.update(status="closed")
        elif what == "reopen":
            chosen.update(status="in_progress")
        elif what == "escrow":
            chosen.update(held_in_escrow=True)
        elif what == "release":
            chosen.update(held_in_escrow=False)
        elif what == "deadline":
            chosen.update(next_deadline_at=now + hours * HOUR + timedelta(minutes=other * 17))
        elif what == "no_deadline":
            chosen.update(next_deadline_at=None)
        elif what == "assign":
            chosen.update(assignee=users[other])
        elif what == "unit":
            case = chosen.get()
            case.reporting_unit_id = units[other]  # through a save, as the application writes
            case.save(update_fields=["reporting_unit"])
        else:
            now += hours * HOUR  # the clock moves, forward or back, and the sweeper folds
            overdue.fold(now)
        assert _kept(now) == _by_hand(now), (what, now)
        # The handlers the dashboard lists, found from the read without adding it up, are those with cases overdue.
        assert overdue.read(now).handlers() == {who for (_unit, who) in _by_hand(now) if who is not None}
    assert not OverdueCount.objects.filter(cases__lt=0).exists()


def _alone_with(case: Case, deadline: datetime) -> int:
    """Give the case, open and not held, to a handler with no other case, with this deadline; that handler."""
    who = User.objects.exclude(pk__in=Case.objects.exclude(assignee=None).values("assignee")).order_by(
        "pk"
    ).first() or User.objects.create_user(username="alone@example.org", email="alone@example.org")
    Case.objects.filter(pk=case.pk).update(
        assignee=who, next_deadline_at=deadline, status="in_progress", held_in_escrow=False
    )
    return who.pk


@pytest.mark.django_db
def test_the_handlers_read_are_those_with_cases_overdue_in_the_live_part_and_not_those_it_takes_away() -> None:
    _seed()
    boundary = OverdueBoundary.objects.get(pk=1).boundary_at
    case = Case.objects.order_by("pk").first()
    assert case is not None
    # Fell due after the boundary: counted live only, its handler named by no kept row.
    who = _alone_with(case, boundary + timedelta(minutes=30))
    now = boundary + timedelta(minutes=45)
    found = overdue.read(now)
    assert who not in {int(pk) for pk in found.kept[1].split(",")}, "the case must not be among the kept counts"
    assert who in found.handlers()
    assert (case.reporting_unit_id, who, 1) in found.rows()
    # Fell due before the boundary, read at a moment before the case's deadline (a clock set back): the
    # kept row is taken away again, and the handler has nothing overdue.
    Case.objects.filter(pk=case.pk).update(next_deadline_at=boundary - timedelta(minutes=30))
    now = boundary - timedelta(minutes=45)
    found = overdue.read(now)
    assert who in {int(pk) for pk in found.kept[1].split(",")}, "the case must be among the kept counts"
    assert who not in found.handlers()
    assert who not in {pk for _unit, pk, _n in found.rows()}
    # Only a kept count changes (a second case of that unit and handler, due before the boundary, of one
    # that was counted nowhere): the places are the same, the digest is not.
    now = boundary + timedelta(minutes=45)
    before = overdue.read(now)
    other = Case.objects.filter(status="closed").exclude(pk=case.pk).order_by("pk").first()
    assert other is not None, "the seeded history must have a closed case"
    Case.objects.filter(pk=other.pk).update(
        assignee=who,
        reporting_unit=case.reporting_unit_id,
        next_deadline_at=boundary - timedelta(minutes=20),
        status="in_progress",
        held_in_escrow=False,
    )
    after = overdue.read(now)
    assert {(unit, pk) for unit, pk, _n in after.rows()} == {(unit, pk) for unit, pk, _n in before.rows()}
    assert (case.reporting_unit_id, who, 1) in before.rows()
    assert (case.reporting_unit_id, who, 2) in after.rows()
    assert after.live == before.live
    assert after.digest() != before.digest()


@pytest.mark.django_db
def test_a_fold_adds_the_cases_that_fell_due_and_moves_the_boundary_to_the_hour() -> None:
    _seed()
    start = OverdueBoundary.objects.get(pk=1).boundary_at
    later = start + 50 * 24 * HOUR + timedelta(minutes=37)
    assert overdue.fold(later) is True
    assert OverdueBoundary.objects.get(pk=1).boundary_at == later.replace(minute=0)
    assert overdue.fold(later + timedelta(minutes=10)) is False  # the same hour: nothing to fold
    kept = {(c.unit or None, c.assignee or None): c.cases for c in OverdueCount.objects.all()}
    assert kept == _by_hand(later.replace(minute=0))  # everything before the boundary is kept, not counted live
    assert _kept(later) == _by_hand(later)


@pytest.mark.django_db
def test_the_live_part_reads_the_covering_index_alone() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the plan is SQLite's; PostgreSQL chooses by its statistics")
    sql = overdue._between("%s", "%s")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", [False, "2026-11-01 00:00:00", "2026-11-02 00:00:00"])
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "COVERING INDEX cases_case_overdue_idx" in plan, plan


# serialized_rollback as every transactional test (see tests/test_analytics_stored.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's writers take turns")
def test_on_postgresql_a_fold_waits_for_a_writer_and_then_counts_its_change() -> None:
    """A case changed by a transaction still open when the fold begins is counted once, whatever the order."""
    _seed()
    boundary = OverdueBoundary.objects.get(pk=1).boundary_at
    # A case whose deadline falls in the hour the fold will add, changed by an open transaction.
    target = Case.objects.exclude(status="closed").filter(held_in_escrow=False).order_by("pk").first()
    assert target is not None
    fell_due = boundary + timedelta(minutes=30)
    holding, release = threading.Event(), threading.Event()

    def write() -> None:
        writer = connections.create_connection("default")
        with writer.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("UPDATE cases_case SET next_deadline_at = %s WHERE id = %s", [fell_due, target.pk])
            holding.set()
            release.wait(10)
            cursor.execute("COMMIT")
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    assert holding.wait(10)
    old_wait = overdue.LOCK_WAIT
    overdue.LOCK_WAIT = "200ms"
    try:
        assert overdue.fold(boundary + 2 * HOUR) is False  # the writer holds the cases: left for the next pass
    finally:
        overdue.LOCK_WAIT = old_wait
    assert OverdueBoundary.objects.get(pk=1).boundary_at == boundary
    folded: list[bool] = []

    def fold() -> None:
        folded.append(overdue.fold(boundary + 2 * HOUR))
        connection.close()

    folding = threading.Thread(target=fold)
    folding.start()
    time.sleep(0.5)  # the fold is now waiting for the writer's commit (without the lock it would be done, and miss it)
    release.set()
    thread.join(10)
    folding.join(10)
    assert folded == [True]
    assert OverdueBoundary.objects.get(pk=1).boundary_at == boundary + 2 * HOUR
    now = boundary + 2 * HOUR + timedelta(minutes=5)
    assert _kept(now) == _by_hand(now)
