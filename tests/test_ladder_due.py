"""The escalation pass reads only the cases whose stored ladder moment has come, and still misses no step.

Case.ladder_due_at (ombuds.cases.ladder_due) must never be later than the case's next
untaken step: the database lowers it on every change of a deadline, and the pass moves
it forward after looking. These tests hold the fast pass (sweeps.case_steps) to the
full question (sweeps.full_case_steps) after random changes made by every kind of writer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ombuds.cases import actions, ladder_due, sweeps
from ombuds.cases.actions import ActionError
from ombuds.cases.models import DEADLINE_COLUMNS, Case, Escalation, LadderCheck, Organisation, Status

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def short_deadlines() -> None:
    Organisation.objects.filter(pk=1).update(ack_deadline="P3D", feedback_deadline="P10D")


def _steps(found: list[sweeps.DueStep]) -> set[tuple[int, str, datetime, str]]:
    return {(due.case.pk, due.deadline, due.due_at, str(due.step)) for due in found}


def _true_moment(case: Case) -> datetime | None:
    """The moment the pass would store after looking now, from the case's escalations."""
    taken = Escalation.objects.filter(case=case, item="").values_list("deadline", "due_at", "step")
    values = {column: getattr(case, column) for column in ladder_due.WATCHED}
    return ladder_due.look(values, list(taken), ladder_due.offsets(), T0).ladder_due_at


def _assert_never_late() -> None:
    for case in Case.objects.all():
        true = _true_moment(case)
        if true is not None:
            assert case.ladder_due_at is not None, f"{case.reference}: no moment, but a step is untaken"
            assert case.ladder_due_at <= true, f"{case.reference}: {case.ladder_due_at} later than {true}"


def _assert_fast_finds_what_full_finds(*moments: datetime) -> None:
    for now in moments:
        assert _steps(sweeps.case_steps(now)) == _steps(sweeps.full_case_steps(now)), now


def test_a_migrated_database_has_the_ladder_triggers() -> None:
    assert ladder_due.TRIGGER_SET.missing(connection) == set()


def test_serve_refuses_to_start_without_the_ladder_triggers() -> None:
    from django.core.management import CommandError, call_command

    ladder_due.TRIGGER_SET.remove(connection.schema_editor())
    with pytest.raises(CommandError, match="cases_ladder_due_inserted"):
        call_command("serve", "--no-worker")
    ladder_due.TRIGGER_SET.add(connection.schema_editor())
    assert ladder_due.TRIGGER_SET.missing(connection) == set()


def test_the_triggers_watch_every_deadline_of_the_case() -> None:
    assert {name: (due, met) for name, due, met in ladder_due.DEADLINES} == DEADLINE_COLUMNS
    assert {column for pair in DEADLINE_COLUMNS.values() for column in pair} <= set(ladder_due.WATCHED)


@time_machine.travel(T0, tick=False)
def test_a_new_case_gets_its_earliest_deadline_and_a_pass_moves_it_to_its_next_step(
    file_report: Any, staff: Any, short_deadlines: None
) -> None:
    case = Case.objects.get(pk=file_report(anonymous=False, reporter_name="Mei").case.pk)
    assert case.ladder_due_at == case.ack_due_at  # by the insert trigger: the earliest unmet deadline
    reminder = case.ack_due_at - timedelta(hours=48)
    sweeps.sweep(reminder + timedelta(minutes=1))
    case.refresh_from_db()
    assert list(Escalation.objects.filter(case=case).values_list("step", flat=True)) == ["reminder"]
    # Next: the lead step at the deadline itself, read once now + 48 h (the reminder's lead) reaches it.
    assert case.ladder_due_at == case.ack_due_at + timedelta(hours=48)


@time_machine.travel(T0, tick=False)
def test_a_queryset_update_of_a_deadline_lowers_the_moment(file_report: Any, staff: Any) -> None:
    case = file_report(anonymous=False, reporter_name="Mei").case
    Case.objects.filter(pk=case.pk).update(ladder_due_at=T0 + timedelta(days=400))  # as a pass would move it
    Case.objects.filter(pk=case.pk).update(feedback_due_at=T0 - timedelta(minutes=1), feedback_given_at=None)
    case.refresh_from_db()
    assert case.ladder_due_at == T0 - timedelta(minutes=1)
    assert ("feedback", "lead") in {(d.deadline, str(d.step)) for d in sweeps.case_steps(T0)}


@time_machine.travel(T0, tick=False)
def test_a_later_moment_written_without_a_change_of_deadline_is_kept(file_report: Any, staff: Any) -> None:
    case = file_report(anonymous=False, reporter_name="Mei").case
    later = T0 + timedelta(days=30)
    Case.objects.filter(pk=case.pk).update(ladder_due_at=later, last_position=5)
    case.refresh_from_db()
    assert case.ladder_due_at == later


@time_machine.travel(T0, tick=False)
def test_reopening_a_closed_case_and_releasing_one_from_escrow_lower_the_moment(file_report: Any, staff: Any) -> None:
    first = file_report(anonymous=False, reporter_name="Mei").case
    second = file_report(anonymous=False, reporter_name="Lin").case
    Case.objects.filter(pk=first.pk).update(status=Status.CLOSED)
    Case.objects.filter(pk=second.pk).update(held_in_escrow=True)
    sweeps.sweep(T0 + timedelta(days=6))  # their moment (the acknowledgement's deadline) has come: nothing to take
    assert set(Case.objects.filter(pk__in=[first.pk, second.pk]).values_list("ladder_due_at", flat=True)) == {None}
    Case.objects.filter(pk=first.pk).update(status=Status.ASSESSMENT)
    Case.objects.filter(pk=second.pk).update(held_in_escrow=False)
    for case in Case.objects.filter(pk__in=[first.pk, second.pk]):
        assert case.ladder_due_at == case.ack_due_at


def test_the_moment_is_put_back_by_the_pass_s_update_only_when_nothing_moved_meanwhile(
    file_report: Any, staff: Any
) -> None:
    case = file_report(anonymous=False, reporter_name="Mei").case
    stale = Case.objects.get(pk=case.pk)
    Case.objects.filter(pk=case.pk).update(ack_due_at=T0 - HOUR)  # an action moves the deadline meanwhile
    case.refresh_from_db()
    lowered = case.ladder_due_at
    # What the pass writes is conditional on the deadlines it read: the stale row matches nothing.
    unchanged = {column: getattr(stale, column) for column in ladder_due.WATCHED if getattr(stale, column) is not None}
    assert Case.objects.filter(pk=case.pk, **unchanged).update(ladder_due_at=T0 + timedelta(days=90)) == 0
    case.refresh_from_db()
    assert case.ladder_due_at == lowered == T0 - HOUR


_CASE = st.integers(min_value=0, max_value=2)
_OPERATIONS = st.one_of(
    st.tuples(
        st.just("move"),
        _CASE,
        st.sampled_from(["ack_due_at", "feedback_due_at", "first_action_due_at"]),
        st.integers(-200, 400),
    ),
    st.tuples(
        st.just("meet"),
        _CASE,
        st.sampled_from(["acknowledged_at", "feedback_given_at", "first_action_at"]),
        st.booleans(),
    ),
    st.tuples(st.just("status"), _CASE, st.sampled_from([Status.CLOSED, Status.ASSESSMENT, Status.RECEIVED])),
    st.tuples(st.just("escrow"), _CASE, st.booleans()),
    st.tuples(st.just("acknowledge"), _CASE),
    st.tuples(st.just("feedback"), _CASE),
    st.tuples(st.just("sweep"), st.integers(-100, 500)),
    st.tuples(st.just("offsets"), st.integers(1, 72), st.integers(1, 72)),
)


@time_machine.travel(T0, tick=False)
@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(_OPERATIONS, min_size=1, max_size=10))
def test_the_fast_pass_finds_exactly_what_the_full_question_finds_after_any_changes(
    file_report: Any, staff: Any, settings: Any, operations: list[tuple[Any, ...]]
) -> None:
    cases = [
        file_report(anonymous=False, reporter_name="Mei").case,
        file_report(anonymous=True).case,
        file_report(anonymous=True, category="sexual_assault").case,  # with a first-action deadline
    ]
    for operation in operations:
        kind, *args = operation
        if kind == "move":
            index, column, hours = args
            Case.objects.filter(pk=cases[index].pk).update(**{column: T0 + timedelta(hours=hours)})
        elif kind == "meet":
            index, column, met = args
            Case.objects.filter(pk=cases[index].pk).update(**{column: T0 if met else None})
        elif kind == "status":
            index, status = args
            Case.objects.filter(pk=cases[index].pk).update(status=status)
        elif kind == "escrow":
            index, held = args
            Case.objects.filter(pk=cases[index].pk).update(held_in_escrow=held)
        elif kind in ("acknowledge", "feedback"):
            case = Case.objects.get(pk=cases[args[0]].pk)
            try:
                if kind == "acknowledge":
                    actions.acknowledge_case(case=case, actor=staff.handler)
                else:
                    actions.send_staff_message(case=case, actor=staff.handler, body="Update", is_feedback=True)
            except ActionError:
                pass  # not a step this case can take in its state: nothing changed
        elif kind == "sweep":
            sweeps.sweep(T0 + timedelta(hours=args[0]))
        else:
            reminder, grace = args
            settings.OMBUDS_REMINDER_BEFORE = f"PT{reminder}H"
            settings.OMBUDS_OVERSIGHT_GRACE = f"PT{grace}H"
            sweeps.sweep(T0)  # the new offsets put every moment back, in the same pass
        _assert_never_late()
        _assert_fast_finds_what_full_finds(T0 - 100 * HOUR, T0, T0 + 60 * HOUR, T0 + 200 * HOUR, T0 + 800 * HOUR)


@time_machine.travel(T0, tick=False)
def test_a_case_whose_moment_is_wrongly_late_is_caught_by_the_hourly_full_check(
    file_report: Any, staff: Any, short_deadlines: None
) -> None:
    case = file_report(anonymous=False, reporter_name="Mei").case
    now = case.ack_due_at + timedelta(minutes=5)
    LadderCheck.objects.update_or_create(
        pk=1, defaults={"full_at": now - timedelta(minutes=10), "offsets": ladder_due.fingerprint(ladder_due.offsets())}
    )
    # Wrong on purpose, bypassing the triggers' condition: only the moment is written.
    Case.objects.filter(pk=case.pk).update(ladder_due_at=now + timedelta(days=365))
    missed = sweeps.sweep(now)
    assert (missed.steps, missed.full) == (0, False)
    caught = sweeps.sweep(now + sweeps.FULL_EVERY)
    assert caught.full and caught.steps == 2  # the reminder and the lead step; oversight is 48 h away
    assert sweeps.sweep(now + sweeps.FULL_EVERY + timedelta(minutes=1)).full is False  # one worker, once an hour
    case.refresh_from_db()
    assert case.ladder_due_at is not None and case.ladder_due_at > now + sweeps.FULL_EVERY + timedelta(days=1)


@time_machine.travel(T0, tick=False)
def test_new_ladder_settings_put_every_moment_back_at_once(
    file_report: Any, staff: Any, short_deadlines: None, settings: Any
) -> None:
    case = file_report(anonymous=False, reporter_name="Mei").case
    sweeps.sweep(case.ack_due_at + timedelta(minutes=1))  # reminder and lead taken; oversight 48 h later
    settings.OMBUDS_OVERSIGHT_GRACE = "PT1H"
    result = sweeps.sweep(case.ack_due_at + timedelta(hours=2))
    assert result.full
    assert Escalation.objects.filter(case=case, step="oversight").exists()


@time_machine.travel(T0, tick=False)
def test_a_pass_over_many_past_due_cases_with_every_step_taken_reads_none_of_them(
    file_report: Any, staff: Any, short_deadlines: None
) -> None:
    # The migration stamps its own full check with the real time of migrating: without
    # this the first pass below asks the full question only when that was over an hour
    # before `later` (a test that failed for the hour before 09:00 UTC on 2 December 2026).
    LadderCheck.objects.filter(pk=1).update(full_at=None)
    for number in range(12):
        file_report(anonymous=False, reporter_name=f"Reporter {number}")
    later = T0 + timedelta(days=30)  # every deadline of every case long missed
    first = sweeps.sweep(later)
    assert first.steps == 12 * 6  # acknowledgement and feedback: reminder, lead, oversight each
    assert first.full  # this pass asked the full question too: the next within the hour does not
    soon = later + timedelta(minutes=30)
    assert sweeps.full_case_steps(soon) == []
    with CaptureQueriesContext(connection) as queries:
        again = sweeps.sweep(soon)
    assert (again.steps, again.looked_at, again.full) == (0, 0, False)
    assert not any('FROM "cases_escalation"' in query["sql"] and "NOT" in query["sql"] for query in queries)
    with connection.cursor() as cursor:
        sql, params = (
            Case.objects.filter(ladder_due_at__lte=later).order_by("ladder_due_at", "id").query.sql_with_params()
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "cases_case_ladder_due_idx" in plan


def test_seed_synthetic_stores_each_case_s_exact_moment(settings: Any, tmp_path: Any) -> None:
    from ombuds.core import synthetic

    settings.VAR_DIR = tmp_path  # the command writes the staff logins under var/
    until = datetime(2026, 11, 1, tzinfo=UTC)
    synthetic.seed(synthetic.Options(cases=60, people=60, seed=3, until=until))
    assert ladder_due.TRIGGER_SET.missing(connection) == set()  # put back after the bulk load
    for case in Case.objects.all():
        assert case.ladder_due_at == _true_moment(case), case.reference
    assert Case.objects.exclude(status=Status.CLOSED).filter(ladder_due_at__isnull=False).exists()
    _assert_fast_finds_what_full_finds(until, until + timedelta(days=3), until + timedelta(days=40))
