"""Deadlines that are ignored move upward by themselves: reminder, lead handler, oversight."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions, notify
from ombuds.cases.models import Escalation, Notice, Organisation
from ombuds.cases.sweeps import due_steps
from ombuds.core.sweep import run as sweep

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _steps(case) -> list[tuple[str, str]]:
    return list(Escalation.objects.filter(case=case).values_list("deadline", "step"))


@pytest.fixture
def short_deadlines():
    Organisation.objects.filter(pk=1).update(ack_deadline="P3D", feedback_deadline="P10D")


@time_machine.travel(T0, tick=False)
def test_an_ignored_case_climbs_the_ladder_once_per_step(file_report, staff, short_deadlines) -> None:
    case = file_report(anonymous=False, reporter_name="Mei").case
    sweep(T0)
    assert _steps(case) == []  # ack due in 3 days, reminder at 48 h before
    sweep(T0 + timedelta(days=1, hours=1))
    assert _steps(case) == [("acknowledge", "reminder")]
    sweep(T0 + timedelta(days=3, minutes=1))
    assert _steps(case)[-1] == ("acknowledge", "lead")
    sweep(T0 + timedelta(days=3, minutes=2))  # nothing twice
    assert len(_steps(case)) == 2
    sweep(T0 + timedelta(days=5, minutes=1))
    assert _steps(case)[-1] == ("acknowledge", "oversight")
    events = list(AuditEvent.objects.filter(case=case).values_list("event_type", flat=True))
    assert events.count(EventType.ESCALATED_TO_LEAD) == 1
    assert events.count(EventType.ESCALATED_TO_OVERSIGHT) == 1


@time_machine.travel(T0, tick=False)
def test_meeting_the_deadline_stops_the_ladder(file_report, staff, short_deadlines) -> None:
    case = file_report(anonymous=False, reporter_name="Mei").case
    actions.acknowledge_case(case=case, actor=staff.handler)
    sweep(T0 + timedelta(days=6))
    assert all(deadline != "acknowledge" for deadline, _ in _steps(case))


@time_machine.travel(T0, tick=False)
def test_the_reporter_sees_each_escalation(file_report, staff, short_deadlines, client) -> None:
    filed = file_report(anonymous=False, reporter_name="Mei")
    sweep(T0 + timedelta(days=5, minutes=1))
    token = client.post("/api/v1/reporter/session", {"receipt": filed.receipt}, content_type="application/json").json()[
        "token"
    ]
    body = client.get("/api/v1/reporter/case", headers={"Authorization": f"Bearer {token}"}).json()
    texts = [e["text"] for e in body["escalations"]]
    assert any("senior case handler" in t for t in texts)
    assert any("the oversight committee" in t for t in texts)


@time_machine.travel(T0, tick=False)
def test_a_step_already_taken_is_not_taken_again_by_a_racing_worker(file_report, staff, short_deadlines) -> None:
    case = file_report(anonymous=False, reporter_name="Mei").case
    now = T0 + timedelta(days=3, minutes=1)
    steps = due_steps(now)
    assert steps
    first = [actions.escalate(case=s.case, deadline=s.deadline, due_at=s.due_at, step=s.step, now=now) for s in steps]
    second = [actions.escalate(case=s.case, deadline=s.deadline, due_at=s.due_at, step=s.step, now=now) for s in steps]
    assert all(first) and not any(second)
    assert Escalation.objects.filter(case=case).count() == len(steps)


@time_machine.travel(T0, tick=False)
def test_assault_reports_have_a_24_hour_first_action_ladder(file_report, staff) -> None:
    case = file_report(category="sexual_assault", anonymous=False, reporter_name="Mei").case
    sweep(T0 + timedelta(hours=24, minutes=1))
    assert ("first_action", "lead") in _steps(case)


def test_notices_of_an_anonymous_reporter_wait_for_the_batch_boundary(file_report, staff, settings) -> None:
    settings.OMBUDS_ANONYMOUS_NOTICE_BATCH_SECONDS = 3600
    with time_machine.travel(datetime(2026, 11, 2, 9, 17, 43, tzinfo=UTC), tick=False):
        anonymous_case = file_report(anonymous=True).case
        file_report(anonymous=False, reporter_name="Mei")
    anonymous = Notice.objects.get(case=anonymous_case)
    named = Notice.objects.exclude(case=anonymous_case).get()
    assert anonymous.send_after == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert named.send_after == datetime(2026, 11, 2, 9, 17, 43, tzinfo=UTC)
    assert notify.send_due(datetime(2026, 11, 2, 9, 30, tzinfo=UTC)) == 1
    assert notify.send_due(datetime(2026, 11, 2, 10, 0, tzinfo=UTC)) == 1
    assert notify.send_due(datetime(2026, 11, 2, 10, 0, tzinfo=UTC)) == 0


def test_staff_mail_goes_through_real_smtp_without_report_content(file_report, staff, smtp) -> None:
    secret = "he cornered me by the lifts on the 4th floor"
    filed = file_report(anonymous=False, reporter_name="Mei Chen", narrative=secret)
    actions.assign_case(case=filed.case, actor=staff.lead, assignee=staff.handler)
    sweep(datetime.now(tz=UTC))
    # Run what the task worker would run (the worker process itself is exercised by tests/test_commands.py).
    queued = DBTaskResult.objects.filter(task_path="ombuds.cases.notify.send_notification")
    assert queued.exists()
    for row in queued:
        notify.send_notification.call(**row.args_kwargs["kwargs"])
    recipients = {message["To"] for message in smtp.messages}
    assert "handler@example.org" in recipients
    subjects = [message["Subject"] for message in smtp.messages]
    assert any(f"Case {filed.case.reference} is assigned to you" in s for s in subjects)
    for message in smtp.messages:
        text = message.get_content()
        assert filed.case.reference in text
        assert "cornered" not in text and "Mei Chen" not in text and "Mei Chen" not in message["Subject"]


@time_machine.travel(T0, tick=False)
def test_a_worker_that_dies_mid_step_leaves_nothing_half_done(file_report, staff, short_deadlines, monkeypatch) -> None:
    case = file_report(anonymous=False, reporter_name="Mei").case
    due = T0 + timedelta(days=3, minutes=1)

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(notify, "queue", crash)
        with pytest.raises(RuntimeError):
            sweep(due)
    # The claim, the audit event and the notices went together: none of them stayed.
    assert not Escalation.objects.filter(case=case).exists()
    assert not AuditEvent.objects.filter(case=case, event_type=EventType.DEADLINE_REMINDER).exists()
    # The next sweep takes the step.
    sweep(due)
    assert ("acknowledge", "lead") in _steps(case)
    assert AuditEvent.objects.filter(case=case, event_type=EventType.ESCALATED_TO_LEAD).count() == 1


@time_machine.travel(T0, tick=False)
def test_without_a_lead_handler_the_lead_step_goes_to_oversight_and_says_so(
    file_report, short_deadlines, client
) -> None:
    from tests.support import make_staff

    make_staff("h@example.org", "handler")
    board = make_staff("board@example.org", "oversight")
    filed = file_report(anonymous=False, reporter_name="Mei")
    sweep(T0 + timedelta(days=3, minutes=1))
    lead_step = Escalation.objects.get(case=filed.case, deadline="acknowledge", step="lead")
    assert lead_step.to_oversight
    assert Notice.objects.filter(case=filed.case, kind="escalated").get().recipients == [board.pk]
    token = client.post("/api/v1/reporter/session", {"receipt": filed.receipt}, content_type="application/json").json()[
        "token"
    ]
    texts = [
        e["text"]
        for e in client.get("/api/v1/reporter/case", headers={"Authorization": f"Bearer {token}"}).json()["escalations"]
    ]
    assert texts
    assert not any("senior case handler" in t for t in texts)
    assert any("the oversight committee" in t for t in texts)


def test_a_new_case_whose_whole_pool_is_conflicted_is_announced_to_the_leads(staff, file_report) -> None:
    from ombuds.cases.models import PoolMembership
    from ombuds.directory.linking import link_staff_by_email
    from ombuds.directory.models import Person

    PoolMembership.objects.create(category="bullying", user=staff.handler)
    Person.objects.create(employee_id="P1", name="Pool Handler", email="handler@example.org")
    link_staff_by_email()
    filed = file_report(
        category="bullying", people=[actions.NewPerson(name="Pool Handler", role="accused", employee_id="P1")]
    )
    notice = Notice.objects.get(case=filed.case, kind="new_case")
    assert notice.recipients == [staff.lead.pk]
