"""The investigation through its actions: opening, allegations and findings, the plan, interviews, people concerned.

Each step and each refusal, with the audit events written and the content sealed.
"""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Case, Conflict, InvolvedPerson, Notice, PersonRole, Status
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person
from ombuds.investigations import actions as investigation
from ombuds.investigations.helpers import NewAllegation
from ombuds.investigations.models import (
    Allegation,
    ConcernedResponse,
    Informing,
    InvestigationPolicy,
    Investigator,
    Task,
)
from tests.support import find_every_allegation, investigate, make_staff, opened

pytestmark = pytest.mark.django_db


def _events(case: Case) -> list[int]:
    return list(AuditEvent.objects.filter(case=case).values_list("event_type", flat=True))


@pytest.fixture
def assessed(file_report, staff) -> Case:
    """A named report against the accused persona, acknowledged and in assessment."""
    filed = file_report(
        anonymous=False,
        reporter_name="Mei",
        people=[*staff.name_the_accused(), actions.NewPerson(name="Wen the witness", role="witness")],
    )
    actions.acknowledge_case(case=filed.case, actor=staff.handler)
    actions.begin_assessment(case=filed.case, actor=staff.handler)
    return Case.objects.get(pk=filed.case.pk)


def _accused(case: Case) -> InvolvedPerson:
    """The accused the reporter named (people added later come after her own)."""
    found = InvolvedPerson.objects.filter(report__case=case, role=PersonRole.ACCUSED).order_by("position").first()
    assert found is not None
    return found


def _open(case: Case, staff: Any) -> Case:
    return actions.open_investigation(
        case=case,
        actor=staff.handler,
        investigators=[staff.investigator],
        allegations=[NewAllegation(conduct="Pressed her to drink at the client dinner.", person_id=_accused(case).pk)],
    )


def test_it_opens_an_investigation_with_investigators_and_allegations(assessed, staff) -> None:
    case = actions.open_investigation(
        case=assessed,
        actor=staff.handler,
        investigators=[staff.investigator],
        allegations=[
            NewAllegation(conduct="Pressed her to drink at the client dinner.", person_id=_accused(assessed).pk),
            NewAllegation(conduct="Watched and laughed.", name="The client's sales head", category="other"),
        ],
    )
    assert case.status == Status.INVESTIGATION
    assert list(Investigator.objects.filter(case=case).values_list("user", flat=True)) == [staff.investigator.pk]
    first, second = Allegation.objects.filter(case=case).order_by("number")
    assert (first.label, second.label) == ("A-1", "A-2")
    assert first.subject == _accused(case) and first.category == case.category
    assert second.subject.role == PersonRole.ACCUSED and second.category == "other"
    assert opened(second.subject, "name") == "The client's sales head"
    # What staff wrote is sealed like the report.
    assert (
        "client dinner" not in first.conduct
        and opened(first, "conduct") == "Pressed her to drink at the client dinner."
    )
    events = _events(case)
    assert events.count(EventType.ALLEGATION_ADDED) == 2
    assert EventType.INVESTIGATION_STARTED in events and EventType.INVESTIGATOR_NAMED in events
    named = AuditEvent.objects.get(case_id=case.pk, event_type=EventType.INVESTIGATOR_NAMED)
    assert named.detail == {"investigator": staff.investigator.pk} and named.actor == staff.handler
    assert Notice.objects.filter(case=case, kind="investigator_named", recipients=[staff.investigator.pk]).exists()


@pytest.mark.parametrize(
    ("investigators", "allegations", "message"),
    [
        ([], [NewAllegation(conduct="Touched her.", name="Someone")], "at least one investigator"),
        (["investigator"], [], "at least one allegation"),
        (["handler2"], [NewAllegation(conduct="Touched her.", name="Someone")], "investigator role"),
        (["investigator"], [NewAllegation(conduct="  ", name="Someone")], "must not be empty"),
        (["investigator"], [NewAllegation(conduct="Touched her.", name="")], "must not be empty"),
        (["investigator"], [NewAllegation(conduct="x", name="A", employee_id="NOBODY")], "directory"),
        (["investigator"], [NewAllegation(conduct="x", person_id=2**60)], "No such person"),
    ],
)
def test_opening_is_refused_without_what_it_needs_and_changes_nothing(
    assessed, staff, investigators, allegations, message
) -> None:
    before = _events(assessed)
    people = InvolvedPerson.objects.count()
    with pytest.raises(actions.ActionError, match=message):
        actions.open_investigation(
            case=assessed,
            actor=staff.handler,
            investigators=[getattr(staff, name) for name in investigators],
            allegations=allegations,
        )
    assert Case.objects.get(pk=assessed.pk).status == Status.ASSESSMENT
    assert not Investigator.objects.exists() and not Allegation.objects.exists()
    assert InvolvedPerson.objects.count() == people
    assert _events(assessed) == before


def test_an_allegation_is_only_about_a_person_named_as_accused(assessed, staff) -> None:
    witness = InvolvedPerson.objects.get(report__case=assessed, role=PersonRole.WITNESS)
    with pytest.raises(actions.ActionError, match="another role"):
        actions.open_investigation(
            case=assessed,
            actor=staff.handler,
            investigators=[staff.investigator],
            allegations=[NewAllegation(conduct="Lied about it.", person_id=witness.pk)],
        )


def test_the_investigator_must_not_be_conflicted(assessed, staff) -> None:
    """An investigator in the accused's management chain cannot investigate him (R3)."""
    chief = make_staff("chief.investigator@example.org", "investigator")
    Person.objects.create(employee_id="P-CHIEF", name="Chief Investigator", email=chief.email)
    Person.objects.filter(employee_id=staff.MANAGER_ID).update(manager=Person.objects.get(employee_id="P-CHIEF"))
    link_staff_by_email()
    actions.directory_changed()
    with pytest.raises(actions.ActionError, match="conflicted"):
        actions.open_investigation(
            case=assessed,
            actor=staff.handler,
            investigators=[chief],
            allegations=[NewAllegation(conduct="x", person_id=_accused(assessed).pk)],
        )


def test_a_person_alleged_against_now_is_kept_out_with_an_investigator_who_is_them(assessed, staff) -> None:
    case = _open(assessed, staff)
    second = make_staff("second.investigator@example.org", "investigator")
    Person.objects.create(employee_id="P-SECOND", name="Second Investigator", email=second.email)
    link_staff_by_email()
    investigation.name_investigators(case=case, actor=staff.handler, investigators=[second])
    investigation.add_allegation(
        case=case,
        actor=staff.handler,
        allegation=NewAllegation(conduct="Deleted the chat log.", name="Second Investigator", employee_id="P-SECOND"),
    )
    assert Conflict.objects.filter(case=case, person__employee_id="P-SECOND", reason="accused").exists()
    released = Investigator.objects.get(case=case, user=second)
    assert released.released_at is not None
    event = AuditEvent.objects.get(case_id=case.pk, event_type=EventType.INVESTIGATOR_RELEASED)
    assert event.detail == {"investigator": second.pk, "conflict": True}


def test_each_finding_records_the_standard_of_proof(assessed, staff) -> None:
    case = _open(assessed, staff)
    allegation = Allegation.objects.get(case=case)
    investigation.record_allegation_finding(
        allegation=allegation, actor=staff.investigator, finding="substantiated", reasoning="Three witnesses agree."
    )
    allegation.refresh_from_db()
    assert allegation.standard == "balance_of_probabilities" and allegation.found_by == staff.investigator
    assert opened(allegation, "finding_reasoning") == "Three witnesses agree."
    investigation.configure_investigations(standard_of_proof="clear_and_convincing")
    assert InvestigationPolicy.objects.get().standard_of_proof == "clear_and_convincing"
    investigation.record_allegation_finding(
        allegation=allegation, actor=staff.investigator, finding="inconclusive", reasoning="One withdrew."
    )
    allegation.refresh_from_db()
    assert (allegation.finding, allegation.standard) == ("inconclusive", "clear_and_convincing")
    found = AuditEvent.objects.filter(case_id=case.pk, event_type=EventType.ALLEGATION_FOUND).order_by("seq")
    assert [e.detail["revised"] for e in found] == [False, True]
    assert AuditEvent.objects.filter(event_type=EventType.INVESTIGATION_POLICY_CONFIGURED).exists()
    with pytest.raises(actions.ActionError, match="standard of proof"):
        investigation.configure_investigations(standard_of_proof="gut_feeling")


@pytest.mark.parametrize(
    ("findings", "derived"),
    [
        (["substantiated", "not_substantiated"], "substantiated"),
        (["inconclusive", "not_substantiated"], "inconclusive"),
        (["not_substantiated", "not_substantiated"], "not_substantiated"),
        (["inconclusive", "substantiated"], "substantiated"),
    ],
)
def test_the_case_finding_follows_from_the_allegations(assessed, staff, findings, derived) -> None:
    case = _open(assessed, staff)
    investigation.add_allegation(
        case=case, actor=staff.handler, allegation=NewAllegation(conduct="Joined in.", name="The second manager")
    )
    with pytest.raises(actions.ActionError, match="A-1, A-2"):
        actions.record_finding(case=case, actor=staff.handler, finding="", reasoning="Too early.")
    for allegation, finding in zip(Allegation.objects.filter(case=case).order_by("number"), findings, strict=True):
        investigation.record_allegation_finding(
            allegation=allegation, actor=staff.investigator, finding=finding, reasoning="Weighed."
        )
    other = next(f for f in ["substantiated", "inconclusive", "not_substantiated"] if f != derived)
    with pytest.raises(actions.ActionError, match="follows from the allegations"):
        actions.record_finding(case=case, actor=staff.handler, finding=other, reasoning="Overall.")
    actions.record_finding(case=case, actor=staff.handler, finding="", reasoning="Overall.")
    case = Case.objects.get(pk=case.pk)
    if derived == "substantiated":
        assert case.status == Status.DECIDED and case.finding == derived
    else:
        # Not substantiated or inconclusive: a proposal a second person decides (R5).
        proposal = case.closure_proposals.get(decided_at__isnull=True)
        assert case.status == Status.INVESTIGATION and proposal.finding == derived


def test_a_derived_ending_without_substance_still_needs_a_second_person(assessed, staff) -> None:
    case = _open(assessed, staff)
    find_every_allegation(case, staff.investigator, "not_substantiated")
    actions.record_finding(case=case, actor=staff.lead, finding="", reasoning="The accounts could not be tested.")
    with pytest.raises(actions.ActionError, match="someone other than"):
        actions.approve_closure(case=case, actor=staff.lead)
    # While the proposal waits, the findings it rests on stay as they are.
    with pytest.raises(actions.ActionError, match="waiting for a decision"):
        find_every_allegation(case, staff.investigator, "substantiated")
    with pytest.raises(actions.ActionError, match="waiting for a decision"):
        investigation.add_allegation(
            case=case, actor=staff.handler, allegation=NewAllegation(conduct="x", name="Another")
        )
    case = actions.approve_closure(case=case, actor=staff.oversight)
    assert case.status == Status.DECIDED and case.finding == "not_substantiated"


def test_a_case_opened_before_allegations_were_recorded_is_decided_as_before(assessed, staff) -> None:
    # A case that reached investigation before this version: no investigator, no allegation.
    Case.objects.filter(pk=assessed.pk).update(status=Status.INVESTIGATION)
    case = Case.objects.get(pk=assessed.pk)
    with pytest.raises(actions.ActionError, match="Choose a finding"):
        actions.record_finding(case=case, actor=staff.handler, finding="", reasoning="Two witnesses agree.")
    case = actions.record_finding(case=case, actor=staff.handler, finding="substantiated", reasoning="Two agree.")
    assert case.status == Status.DECIDED and case.finding == "substantiated"


def test_the_plan_has_tasks_with_owners_and_due_dates(assessed, staff) -> None:
    case = _open(assessed, staff)
    today = timezone.localdate()
    task = investigation.add_task(
        case=case, actor=staff.handler, title="Interview the night manager.", owner=staff.investigator, due_on=today
    )
    assert task.label == "T-1" and opened(task, "title") == "Interview the night manager."
    assert task.due_at > timezone.now()  # due by the end of the day
    assert Notice.objects.filter(case=case, kind="task_given", recipients=[staff.investigator.pk]).exists()
    task = investigation.set_task_done(task=task, actor=staff.investigator, done=True)
    assert task.done_at is not None and task.done_by == staff.investigator
    with pytest.raises(actions.ActionError, match="already done"):
        investigation.set_task_done(task=task, actor=staff.investigator, done=True)
    later = today + timedelta(days=5)
    task = investigation.set_task_done(task=task, actor=staff.handler, done=False, due_on=later)
    assert task.done_at is None and task.due_on == later
    kinds = _events(case)
    assert [k for k in kinds if k in (104, 105, 106)] == [
        EventType.TASK_ADDED,
        EventType.TASK_DONE,
        EventType.TASK_REOPENED,
    ]


@pytest.mark.parametrize("owner", ["handler2", "outsider", "manager", "admin"])
def test_a_task_goes_only_to_someone_on_the_case(assessed, staff, owner) -> None:
    case = _open(assessed, staff)
    actions.assign_case(case=case, actor=staff.lead, assignee=staff.handler)  # handler2 no longer sees it
    with pytest.raises(actions.ActionError, match="investigator or a case worker"):
        investigation.add_task(
            case=case, actor=staff.handler, title="x", owner=getattr(staff, owner), due_on=timezone.localdate()
        )
    assert not Task.objects.exists()


def test_a_task_is_not_due_in_the_past(assessed, staff) -> None:
    case = _open(assessed, staff)
    with pytest.raises(actions.ActionError, match="past"):
        investigation.add_task(
            case=case,
            actor=staff.handler,
            title="x",
            owner=staff.investigator,
            due_on=timezone.localdate() - timedelta(days=1),
        )


def test_the_investigation_changes_only_while_the_case_is_under_investigation(assessed, staff) -> None:
    with pytest.raises(actions.ActionError, match="only while the case is under investigation"):
        investigation.add_task(
            case=assessed, actor=staff.handler, title="x", owner=staff.handler, due_on=timezone.localdate()
        )
    case = _open(assessed, staff)
    find_every_allegation(case, staff.investigator, "substantiated")
    actions.record_finding(case=case, actor=staff.handler, finding="", reasoning="Established.")
    with pytest.raises(actions.ActionError, match="only while the case is under investigation"):
        investigation.record_interview(
            case=case,
            actor=staff.investigator,
            interviewee="reporter",
            held_at=timezone.now(),
            present="Her and me.",
            minutes="Late minutes.",
        )


def test_investigators_work_the_investigation_but_not_the_case(assessed, staff) -> None:
    case = _open(assessed, staff)
    investigation.add_task(
        case=case,
        actor=staff.investigator,
        title="Collect the bookings.",
        owner=staff.investigator,
        due_on=timezone.localdate(),
    )
    with pytest.raises(actions.ActionError):
        actions.send_staff_message(case=case, actor=staff.investigator, body="Hello")
    with pytest.raises(actions.ActionError):
        actions.add_note(case=case, actor=staff.investigator, body="A note")
    with pytest.raises(actions.ActionError):
        actions.record_finding(case=case, actor=staff.investigator, finding="", reasoning="x")
    with pytest.raises(actions.ActionError):
        investigation.name_investigators(case=case, actor=staff.investigator, investigators=[staff.investigator])


def test_interviews_keep_who_when_who_was_present_and_the_minutes(assessed, staff) -> None:
    case = _open(assessed, staff)
    witness = InvolvedPerson.objects.get(report__case=case, role=PersonRole.WITNESS)
    held = timezone.now() - timedelta(hours=2)
    hers = investigation.record_interview(
        case=case,
        actor=staff.investigator,
        interviewee="reporter",
        held_at=held,
        present="Mei, the investigator, her union representative.",
        minutes="She described the dinner and the lift.",
    )
    theirs = investigation.record_interview(
        case=case,
        actor=staff.investigator,
        interviewee="person",
        person_id=witness.pk,
        held_at=held,
        present="Wen, the investigator.",
        minutes="Wen saw the manager refill her glass.",
    )
    other = investigation.record_interview(
        case=case,
        actor=staff.investigator,
        interviewee="other",
        name="The hotel's night manager",
        held_at=held,
        present="Night manager, investigator.",
        minutes="The lift's camera keeps a week of footage.",
    )
    assert [i.label for i in (hers, theirs, other)] == ["I-1", "I-2", "I-3"]
    assert hers.interviewee_report == case.reports.get() and theirs.interviewee_person == witness
    assert opened(other, "interviewee_name") == "The hotel's night manager"
    assert "lift" not in hers.minutes and opened(hers, "minutes") == "She described the dinner and the lift."
    revised = investigation.revise_minutes(
        interview=hers, actor=staff.investigator, minutes="She described the dinner, the lift and the corridor."
    )
    assert revised.minutes_version == 2 and revised.revised_at is not None
    assert _events(case).count(EventType.INTERVIEW_RECORDED) == 3
    assert AuditEvent.objects.get(event_type=EventType.MINUTES_REVISED).detail == {"interview": hers.pk, "version": 2}
    with pytest.raises(actions.ActionError, match="future"):
        investigation.record_interview(
            case=case,
            actor=staff.investigator,
            interviewee="reporter",
            held_at=timezone.now() + timedelta(days=1),
            present="x",
            minutes="x",
        )
    with pytest.raises(actions.ActionError, match="person named on this case"):
        investigation.record_interview(
            case=case, actor=staff.investigator, interviewee="person", held_at=held, present="x", minutes="x"
        )


def test_the_people_concerned_are_informed_or_informing_waits_with_a_reason_and_a_review_date(assessed, staff) -> None:
    case = _open(assessed, staff)
    subject = _accused(case)
    today = timezone.localdate()
    deferred = investigation.record_informing(
        case=case,
        actor=staff.investigator,
        subject_id=subject.pk,
        kind="deferred",
        reason="He could warn the witnesses before they are heard.",
        review_on=today + timedelta(days=14),
    )
    assert opened(deferred, "reason") == "He could warn the witnesses before they are heard."
    informed = investigation.record_informing(
        case=case,
        actor=staff.investigator,
        subject_id=subject.pk,
        kind="informed",
        informed_on=today,
        method="in_person",
        details="Told of A-1 in a meeting with HR; given the letter.",
    )
    deferred.refresh_from_db()
    assert deferred.superseded_at is not None and informed.superseded_at is None
    response = investigation.record_response(
        case=case,
        actor=staff.investigator,
        subject_id=subject.pk,
        received_on=today,
        response="He denies pressing anyone to drink.",
    )
    assert opened(response, "response") == "He denies pressing anyone to drink."
    kinds = _events(case)
    assert EventType.INFORMING_DEFERRED in kinds and EventType.CONCERNED_INFORMED in kinds
    assert EventType.CONCERNED_RESPONDED in kinds
    assert Informing.objects.count() == 2 and ConcernedResponse.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "deferred", "review_on": 14}, "why informing is deferred"),
        ({"kind": "deferred", "reason": "Risk to witnesses.", "review_on": 0}, "review date after today"),
        ({"kind": "deferred", "reason": "Risk to witnesses."}, "review date after today"),
        ({"kind": "informed", "informed_on": 0}, "how they were informed"),
        ({"kind": "informed", "informed_on": 2, "method": "letter"}, "not in the future"),
        ({"kind": "told", "informed_on": 0, "method": "letter"}, "informed or informing is deferred"),
    ],
)
def test_informing_is_refused_without_what_it_needs(assessed, staff, kwargs, message) -> None:
    case = _open(assessed, staff)
    today = timezone.localdate()
    for field in ("review_on", "informed_on"):
        if field in kwargs:
            kwargs[field] = today + timedelta(days=kwargs[field])
    with pytest.raises(actions.ActionError, match=message):
        investigation.record_informing(case=case, actor=staff.investigator, subject_id=_accused(case).pk, **kwargs)
    assert not Informing.objects.exists()


def test_only_a_person_an_allegation_is_about_is_a_person_concerned(assessed, staff) -> None:
    case = _open(assessed, staff)
    witness = InvolvedPerson.objects.get(report__case=case, role=PersonRole.WITNESS)
    with pytest.raises(actions.ActionError, match="allegation is about"):
        investigation.record_response(
            case=case, actor=staff.investigator, subject_id=witness.pk, received_on=timezone.localdate(), response="x"
        )


def test_a_released_investigator_no_longer_works_the_case(assessed, staff) -> None:
    case = _open(assessed, staff)
    named = Investigator.objects.get(case=case)
    investigation.release_investigator(case=case, actor=staff.handler, investigator=named)
    with pytest.raises(actions.ActionError):
        investigation.add_task(
            case=case, actor=staff.investigator, title="x", owner=staff.investigator, due_on=timezone.localdate()
        )
    with pytest.raises(actions.ActionError, match="already been released"):
        investigation.release_investigator(case=case, actor=staff.handler, investigator=named)
    # Named again, later: a new period on the case.
    investigation.name_investigators(case=case, actor=staff.lead, investigators=[staff.investigator])
    assert Investigator.objects.filter(case=case, user=staff.investigator).count() == 2


def test_reopening_keeps_the_investigation_and_opening_it_again_needs_nothing_new(assessed, staff) -> None:
    case = _open(assessed, staff)
    find_every_allegation(case, staff.investigator, "substantiated")
    actions.record_finding(case=case, actor=staff.handler, finding="", reasoning="Established.")
    actions.reopen_case(case=case, actor=staff.oversight, reason="New witness came forward.")
    case = actions.open_investigation(case=Case.objects.get(pk=case.pk), actor=staff.handler)
    assert case.status == Status.INVESTIGATION and Allegation.objects.filter(case=case).count() == 1


def test_opening_again_with_the_same_investigator_names_them_once(assessed, staff) -> None:
    case = investigate(assessed, staff.handler, staff.investigator)
    investigation.name_investigators(case=case, actor=staff.handler, investigators=[staff.investigator])
    assert Investigator.objects.filter(case=case, released_at__isnull=True).count() == 1


def test_her_open_tasks_leave_out_a_case_she_no_longer_sees(assessed, staff) -> None:
    from ombuds.investigations import selectors as investigation_selectors

    case = _open(assessed, staff)
    actions.assign_case(case=case, actor=staff.lead, assignee=staff.handler)
    investigation.add_task(
        case=case, actor=staff.handler, title="Call the witness.", owner=staff.handler, due_on=timezone.localdate()
    )
    now = timezone.now()
    assert [task.reference for task in investigation_selectors.open_tasks(staff.handler, now=now)] == [case.reference]
    actions.assign_case(case=Case.objects.get(pk=case.pk), actor=staff.lead, assignee=staff.handler2)
    assert investigation_selectors.open_tasks(staff.handler, now=now) == []
    assert Task.objects.filter(owner=staff.handler, done_at__isnull=True).count() == 1
