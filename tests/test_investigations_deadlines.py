"""The plan's tasks and the reviews of a deferred informing climb the escalation ladder; overdue tasks fill the inbox.

Time is frozen (time-machine); the sweeper runs as the worker runs it.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from ombuds.accounts import tokens
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Case, Escalation, InvolvedPerson, Notice, PersonRole
from ombuds.core.sweep import run as sweep
from ombuds.investigations import actions as investigation
from ombuds.investigations.models import Task
from tests.support import client_for, investigate

pytestmark = pytest.mark.django_db

# A Monday morning in the organisation's time zone (UTC in the tests).
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DUE = date(2026, 11, 12)  # due by the end of that day: 13 November, 00:00
DUE_AT = datetime(2026, 11, 13, 0, 0, tzinfo=UTC)


@pytest.fixture
def case(file_report, staff, settings) -> Case:
    settings.OMBUDS_REMINDER_BEFORE = "PT48H"
    settings.OMBUDS_OVERSIGHT_GRACE = "PT48H"
    filed = file_report(anonymous=False, reporter_name="Mei", people=staff.name_the_accused())
    actions.acknowledge_case(case=filed.case, actor=staff.handler)
    actions.begin_assessment(case=filed.case, actor=staff.handler)
    opened: Case = investigate(filed.case, staff.handler, staff.investigator)
    return opened


def _steps(case: Case, kind: str) -> list[tuple[str, str]]:
    return list(Escalation.objects.filter(case=case, deadline=kind).values_list("item", "step"))


def _task(case: Case, staff: Any, due_on: date = DUE) -> Task:
    return investigation.add_task(
        case=case, actor=staff.handler, title="Interview the night manager.", owner=staff.investigator, due_on=due_on
    )


@time_machine.travel(T0, tick=False)
def test_an_overdue_task_climbs_the_ladder_with_its_reminder_to_its_owner(case, staff) -> None:
    task = _task(case, staff)
    assert task.due_at == DUE_AT
    sweep(DUE_AT - timedelta(hours=49))
    assert _steps(case, "task") == []
    sweep(DUE_AT - timedelta(hours=47))
    assert _steps(case, "task") == [(str(task.pk), "reminder")]
    reminder = Notice.objects.filter(case=case, kind="deadline_near").latest("send_after")
    assert reminder.recipients == [staff.investigator.pk]  # the owner, not the case's handlers
    sweep(DUE_AT + timedelta(minutes=1))
    sweep(DUE_AT + timedelta(minutes=2))  # taken once, however often the sweeper passes
    assert _steps(case, "task") == [(str(task.pk), "reminder"), (str(task.pk), "lead")]
    lead = Notice.objects.filter(case=case, kind="escalated").latest("send_after")
    assert staff.lead.pk in lead.recipients and staff.manager.pk not in lead.recipients  # he is conflicted
    sweep(DUE_AT + timedelta(hours=49))
    assert _steps(case, "task")[-1] == (str(task.pk), "oversight")
    escalated = AuditEvent.objects.get(case_id=case.pk, event_type=EventType.ESCALATED_TO_OVERSIGHT)
    assert escalated.detail["deadline"] == "task" and escalated.detail["item"] == str(task.pk)


@time_machine.travel(T0, tick=False)
def test_a_task_done_in_time_is_not_escalated(case, staff) -> None:
    task = _task(case, staff)
    with time_machine.travel(DUE_AT - timedelta(hours=3), tick=False):
        investigation.set_task_done(task=task, actor=staff.investigator, done=True)
    sweep(DUE_AT + timedelta(hours=60))
    assert _steps(case, "task") == []


@time_machine.travel(T0, tick=False)
def test_a_task_opened_again_with_a_new_date_climbs_again_from_that_date(case, staff) -> None:
    task = _task(case, staff)
    sweep(DUE_AT + timedelta(minutes=1))
    assert (str(task.pk), "lead") in _steps(case, "task")
    with time_machine.travel(DUE_AT + timedelta(hours=1), tick=False):
        investigation.set_task_done(task=task, actor=staff.investigator, done=True)
        investigation.set_task_done(task=task, actor=staff.handler, done=False, due_on=date(2026, 11, 20))
    sweep(DUE_AT + timedelta(hours=60))  # the old date's oversight step is no longer due
    assert (str(task.pk), "oversight") not in _steps(case, "task")
    sweep(datetime(2026, 11, 21, 0, 1, tzinfo=UTC))
    due_ats = set(Escalation.objects.filter(case=case, deadline="task", step="lead").values_list("due_at", flat=True))
    assert due_ats == {DUE_AT, datetime(2026, 11, 21, 0, 0, tzinfo=UTC)}


@time_machine.travel(T0, tick=False)
def test_a_reminder_for_an_owner_no_longer_on_the_case_goes_to_its_handlers(case, staff) -> None:
    task = _task(case, staff)
    actions.assign_case(case=case, actor=staff.lead, assignee=staff.handler)
    investigation.release_investigator(case=case, actor=staff.handler, investigator=case.investigators.get())
    sweep(DUE_AT - timedelta(hours=47))
    assert _steps(case, "task") == [(str(task.pk), "reminder")]
    reminder = Notice.objects.filter(case=case, kind="deadline_near").latest("send_after")
    assert reminder.recipients == [staff.handler.pk]


@time_machine.travel(T0, tick=False)
def test_a_deferred_informing_is_reviewed_on_time_or_climbs_the_ladder(case, staff) -> None:
    subject = InvolvedPerson.objects.get(report__case=case, role=PersonRole.ACCUSED, allegations__isnull=False)
    deferred = investigation.record_informing(
        case=case,
        actor=staff.investigator,
        subject_id=subject.pk,
        kind="deferred",
        reason="The witnesses are heard first.",
        review_on=DUE,
    )
    assert deferred.review_at == DUE_AT
    sweep(DUE_AT - timedelta(hours=47))
    assert _steps(case, "informing") == [(str(deferred.pk), "reminder")]
    assert Notice.objects.filter(case=case, kind="deadline_near").latest("send_after").recipients == [
        staff.investigator.pk
    ]
    sweep(DUE_AT + timedelta(minutes=1))
    assert (str(deferred.pk), "lead") in _steps(case, "informing")
    # Reviewed: he is informed. The deferral is no longer due, nothing climbs further.
    with time_machine.travel(DUE_AT + timedelta(hours=2), tick=False):
        investigation.record_informing(
            case=case,
            actor=staff.investigator,
            subject_id=subject.pk,
            kind="informed",
            informed_on=date(2026, 11, 13),
            method="letter",
        )
    sweep(DUE_AT + timedelta(hours=60))
    assert (str(deferred.pk), "oversight") not in _steps(case, "informing")


@time_machine.travel(T0, tick=False)
def test_overdue_tasks_are_in_the_owners_inbox_and_in_the_api(case, staff) -> None:
    overdue = _task(case, staff, due_on=date(2026, 11, 2))
    later = _task(case, staff, due_on=date(2026, 11, 30))
    with time_machine.travel(datetime(2026, 11, 3, 8, 0, tzinfo=UTC), tick=False):
        page = client_for(staff.investigator).get("/staff/").content.decode()
        assert "Your investigation tasks" in page
        assert page.index(overdue.label) < page.index(later.label) and page.count("overdue") >= 1
        assert "Interview the night manager" not in page  # the inbox shows no content
        _record, token = tokens.create_token(user=staff.investigator, name="t")
        api = Client(headers={"Authorization": f"Bearer {token}"})
        listed = api.get("/api/v1/staff/tasks?overdue=true").json()
        assert listed == [
            {"case": case.reference, "id": overdue.pk, "label": "T-1", "due_on": "2026-11-02", "overdue": True}
        ]
        assert [t["label"] for t in api.get("/api/v1/staff/tasks").json()] == ["T-1", "T-2"]
        # Someone else's inbox does not list her tasks.
        assert "Your investigation tasks" not in client_for(staff.lead).get("/staff/").content.decode()
