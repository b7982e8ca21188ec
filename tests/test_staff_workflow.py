"""The case workflow: each step, each refusal, each deadline, all through the real actions."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Case, Message, Organisation, Status
from tests.support import find_every_allegation, investigate, opened

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _named(file_report: Any, **extra: Any) -> Case:
    case: Case = file_report(anonymous=False, reporter_name="Mei", **extra).case
    return case


def _events(case: Case) -> list[int]:
    return list(AuditEvent.objects.filter(case=case).values_list("event_type", flat=True))


def _through_assessment(case: Case, staff: Any) -> Case:
    actions.acknowledge_case(case=case, actor=staff.handler)
    actions.begin_assessment(case=case, actor=staff.handler)
    return Case.objects.get(pk=case.pk)


@time_machine.travel(T0, tick=False)
def test_it_acknowledges_and_tells_the_reporter(file_report, staff) -> None:
    case = _named(file_report)
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        case = actions.acknowledge_case(case=case, actor=staff.handler)
    assert case.status == Status.ACKNOWLEDGED
    assert case.acknowledged_at == T0 + timedelta(days=2)
    # feedback is now due three months after the acknowledgement
    assert case.feedback_due_at == datetime(2027, 2, 4, 9, 30, tzinfo=UTC)
    message = Message.objects.get(case=case)
    assert message.sender == "staff" and "received" in opened(message, "body")
    assert EventType.CASE_ACKNOWLEDGED in _events(case)


def test_the_acknowledgement_speaks_the_reporters_language(file_report, staff) -> None:
    case = file_report(language="zh-hans").case
    actions.acknowledge_case(case=case, actor=staff.handler)
    body = opened(Message.objects.get(case=case), "body")
    assert body and "Thank you" not in body


def test_the_full_path_to_a_decision_and_closure(file_report, staff) -> None:
    case = _through_assessment(_named(file_report), staff)
    investigate(case, staff.handler, staff.investigator)
    find_every_allegation(case, staff.investigator, "substantiated")
    actions.record_finding(case=case, actor=staff.handler, finding="substantiated", reasoning="Two witnesses agree.")
    case = actions.close_case(case=case, actor=staff.handler, feedback="The manager was dismissed.")
    assert case.status == Status.CLOSED and case.outcome == "decided" and case.finding == "substantiated"
    assert case.feedback_given_at is not None and case.next_deadline_at is None
    steps = [EventType.INVESTIGATION_STARTED, EventType.CASE_DECIDED, EventType.CASE_CLOSED]
    assert [event for event in _events(case) if event in steps] == steps


@pytest.mark.parametrize(
    ("step", "kwargs"),
    [
        (actions.begin_assessment, {}),
        (actions.open_investigation, {}),
        (actions.record_finding, {"finding": "substantiated", "reasoning": "x"}),
        (actions.close_case, {"feedback": "x"}),
        (actions.reopen_case, {"reason": "x"}),
        (actions.approve_closure, {}),
    ],
)
def test_it_refuses_steps_in_the_wrong_state(file_report, staff, step, kwargs) -> None:
    case = _named(file_report)
    before = _events(case)
    assert before == [EventType.REPORT_FILED, EventType.KEY_GRANTED]
    with pytest.raises(actions.ActionError, match="not possible"):
        step(case=case, actor=staff.lead, **kwargs)
    assert Case.objects.get(pk=case.pk).status == Status.RECEIVED
    assert _events(case) == before


@pytest.mark.parametrize("persona", ["admin", "auditor", "outsider"])
def test_people_without_a_case_role_cannot_act(file_report, staff, persona) -> None:
    case = _named(file_report)
    with pytest.raises(actions.ActionError):
        actions.acknowledge_case(case=case, actor=getattr(staff, persona))
    with pytest.raises(actions.ActionError):
        actions.send_staff_message(case=case, actor=getattr(staff, persona), body="hello")


def test_closing_without_investigation_needs_a_second_person(file_report, staff) -> None:
    case = _through_assessment(_named(file_report), staff)
    actions.propose_closure(
        case=case,
        actor=staff.lead,
        grounds="resolved",
        reason="The person named left the company in 2019 and the reporter asked only to put it on record.",
        search_done="Checked HR records; spoke with the reporter.",
    )
    with pytest.raises(actions.ActionError, match="someone other than"):
        actions.approve_closure(case=case, actor=staff.lead)
    with pytest.raises(actions.ActionError, match="not possible"):
        actions.approve_closure(case=case, actor=staff.handler)  # handlers cannot approve
    case = actions.approve_closure(case=case, actor=staff.oversight)
    assert case.status == Status.CLOSED and case.outcome == "closed_without_investigation"
    told = Message.objects.filter(case=case, is_feedback=True).get()
    body = opened(told, "body")
    assert "left the company in 2019" in body and "appeal" in body
    assert "Already resolved, with the reporter's agreement" in body


def test_a_rejected_closure_keeps_the_case_open(file_report, staff) -> None:
    case = _through_assessment(_named(file_report), staff)
    actions.propose_closure(
        case=case,
        actor=staff.handler,
        grounds="withdrawn",
        reason="The reporter withdrew and wishes no further contact.",
        search_done="Called the reporter twice.",
    )
    actions.reject_closure(case=case, actor=staff.lead, note="Speak to the witness first.")
    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.ASSESSMENT
    investigate(case, staff.handler, staff.investigator)


@pytest.mark.parametrize("grounds", ["insufficient_evidence", "no_evidence", "", "other", "Not enough proof"])
def test_closing_is_only_possible_on_grounds_from_the_list(file_report, staff, grounds) -> None:
    """R1 by design: the grounds are a closed list, and a lack of evidence is not on it."""
    case = _through_assessment(_named(file_report), staff)
    with pytest.raises(actions.ActionError, match="grounds"):
        actions.propose_closure(
            case=case, actor=staff.handler, grounds=grounds, reason="There is no evidence.", search_done="Looked."
        )
    assert not case.closure_proposals.exists()


def test_no_ground_for_closing_is_a_lack_of_evidence() -> None:
    from ombuds.cases.models import ClosureGrounds

    for value, label in ClosureGrounds.choices:
        assert "evidence" not in value and "proof" not in value
        assert "evidence" not in str(label).lower() and "proof" not in str(label).lower()


def test_a_closure_proposal_needs_an_explanation_and_the_search_done(file_report, staff) -> None:
    case = _through_assessment(_named(file_report), staff)
    with pytest.raises(actions.ActionError, match="must not be empty"):
        actions.propose_closure(case=case, actor=staff.handler, grounds="duplicate", reason="", search_done="Looked.")
    with pytest.raises(actions.ActionError, match="must not be empty"):
        actions.propose_closure(
            case=case,
            actor=staff.handler,
            grounds="duplicate",
            reason="Duplicate of another case already open.",
            search_done="",
        )


@pytest.mark.parametrize("finding", ["not_substantiated", "inconclusive"])
def test_a_finding_that_ends_the_case_needs_a_second_person(file_report, staff, finding) -> None:
    """The review's attack: one handler ran investigate → not substantiated → close alone. Not any more."""
    filed = file_report(anonymous=False, reporter_name="Mei")
    case = _through_assessment(filed.case, staff)
    investigate(case, staff.lead, staff.investigator)
    find_every_allegation(case, staff.investigator, finding)
    actions.record_finding(case=case, actor=staff.lead, finding=finding, reasoning="Accounts differ.")
    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.INVESTIGATION and case.finding == ""
    with pytest.raises(actions.ActionError):
        actions.close_case(case=case, actor=staff.lead, feedback="Nothing found.")
    with pytest.raises(actions.ActionError, match="someone other than"):
        actions.approve_closure(case=case, actor=staff.lead)
    with pytest.raises(actions.ActionError, match="not possible"):
        actions.approve_closure(case=case, actor=staff.handler)  # handlers approve nothing
    with pytest.raises(actions.ActionError):
        # Nor can the proposer record another finding while the first waits.
        actions.record_finding(case=case, actor=staff.lead, finding="substantiated", reasoning="x")
    case = actions.approve_closure(case=case, actor=staff.oversight)
    assert case.status == Status.DECIDED and case.finding == finding and case.outcome == "decided"
    assert opened(case, "decision_reasoning") == "Accounts differ."
    kinds = _events(case)
    assert kinds.count(EventType.CLOSURE_PROPOSED) == 1 and EventType.CASE_DECIDED in kinds
    actions.close_case(case=case, actor=staff.handler, feedback="We could not establish what happened.")
    appeal = actions.file_appeal(report=filed.report, reason="I was not heard.")
    assert appeal.pk is not None  # she may appeal the ending, like any other


def test_a_rejected_finding_leaves_the_investigation_open(file_report, staff) -> None:
    case = _through_assessment(_named(file_report), staff)
    investigate(case, staff.handler, staff.investigator)
    find_every_allegation(case, staff.investigator, "inconclusive")
    actions.record_finding(case=case, actor=staff.handler, finding="inconclusive", reasoning="Hard to tell.")
    actions.reject_closure(case=case, actor=staff.oversight, note="Interview the second witness.")
    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.INVESTIGATION
    find_every_allegation(case, staff.investigator, "substantiated", "The second witness confirmed it.")
    case = actions.record_finding(case=case, actor=staff.handler, finding="substantiated", reasoning="She confirmed.")
    assert case.status == Status.DECIDED  # substantiated needs no second person


def test_the_api_and_the_model_offer_the_same_grounds() -> None:
    from typing import get_args

    from ombuds.api.staff import ProposeClosureIn
    from ombuds.cases.models import ClosureGrounds

    annotation = ProposeClosureIn.model_fields["grounds"].annotation
    assert set(get_args(annotation)) == set(ClosureGrounds.values)


def test_a_referral_closes_and_tells_the_reporter_where(file_report, staff) -> None:
    case = _through_assessment(_named(file_report), staff)
    actions.refer_case(case=case, actor=staff.lead, referral="Police", message="We passed it to the police.")
    assert Case.objects.get(pk=case.pk).status == Status.ASSESSMENT  # a referral needs a second person (R5)
    with pytest.raises(actions.ActionError, match="someone other than"):
        actions.approve_closure(case=case, actor=staff.lead)
    case = actions.approve_closure(case=case, actor=staff.oversight)
    assert case.status == Status.CLOSED and opened(case, "referral") == "Police" and case.outcome == "referred"
    assert opened(Message.objects.filter(case=case, is_feedback=True).get(), "body") == "We passed it to the police."


def test_only_seniors_reopen(file_report, staff) -> None:
    case = _through_assessment(_named(file_report), staff)
    actions.refer_case(case=case, actor=staff.handler, referral="Police", message="Passed on.")
    actions.approve_closure(case=case, actor=staff.lead)
    with pytest.raises(actions.ActionError):
        actions.reopen_case(case=case, actor=staff.handler, reason="x")
    case = actions.reopen_case(case=case, actor=staff.oversight, reason="The police asked us to act.")
    assert case.status == Status.ASSESSMENT and case.closed_at is None and case.feedback_given_at is None
    assert (case.outcome, case.referral, case.finding) == ("", "", "")


def test_assignment_rules(file_report, staff) -> None:
    case = _named(file_report)
    with pytest.raises(actions.ActionError):
        actions.assign_case(case=case, actor=staff.handler, assignee=staff.handler2)  # a handler cannot hand out
    case = actions.assign_case(case=case, actor=staff.handler, assignee=staff.handler)  # but can take
    with pytest.raises(actions.ActionError):
        actions.assign_case(case=case, actor=staff.handler2, assignee=staff.handler2)  # no longer unassigned
    with pytest.raises(actions.ActionError, match="only be assigned to handlers"):
        actions.assign_case(case=case, actor=staff.lead, assignee=staff.oversight)
    case = actions.assign_case(case=case, actor=staff.lead, assignee=staff.handler2)
    assert case.assignee == staff.handler2
    assert EventType.CASE_ASSIGNED in _events(case)


@time_machine.travel(T0, tick=False)
def test_the_next_deadline_follows_each_step(file_report, staff) -> None:
    case = _named(file_report, category="sexual_assault")
    assert case.next_deadline_at == T0 + timedelta(hours=24)  # first action
    case = actions.acknowledge_case(case=case, actor=staff.handler)
    assert case.first_action_at == T0 and case.next_deadline_at == case.feedback_due_at
    actions.send_staff_message(case=case, actor=staff.handler, body="We are investigating.", is_feedback=True)
    case = Case.objects.get(pk=case.pk)
    assert case.feedback_given_at == T0 and case.next_deadline_at is None


@time_machine.travel(T0, tick=False)
def test_durations_come_from_the_organisation(file_report, staff) -> None:
    Organisation.objects.filter(pk=1).update(ack_deadline="PT60S", feedback_deadline="PT120S")
    case = _named(file_report)
    assert case.ack_due_at == T0 + timedelta(seconds=60)
    assert case.is_ack_overdue(T0 + timedelta(seconds=61))
    case = actions.acknowledge_case(case=case, actor=staff.handler)
    assert case.feedback_due_at == T0 + timedelta(seconds=120)


def test_a_view_is_recorded_and_marks_reporter_messages_read(file_report, staff) -> None:
    filed = file_report()
    actions.post_reporter_message(report=filed.report, body="Any news?")
    actions.record_case_view(case=filed.case, actor=staff.handler, via="web")
    assert Message.objects.get(sender="reporter").read_at is not None
    assert EventType.CASE_VIEWED in _events(filed.case)


def test_appeals_are_resolved_by_oversight_only(file_report, staff) -> None:
    filed = file_report(anonymous=False, reporter_name="Mei")
    case = _through_assessment(filed.case, staff)
    actions.refer_case(case=case, actor=staff.handler, referral="Elsewhere", message="Passed on.")
    actions.approve_closure(case=case, actor=staff.lead)
    appeal = actions.file_appeal(report=filed.report, reason="This should have been investigated here.")
    with pytest.raises(actions.ActionError, match="Only oversight"):
        actions.resolve_appeal(appeal=appeal, actor=staff.lead, resolution="reopen", note="x")
    appeal = actions.resolve_appeal(appeal=appeal, actor=staff.oversight, resolution="reopen", note="Investigate it.")
    assert appeal.resolved_at is not None
    assert Case.objects.get(pk=case.pk).status == Status.ASSESSMENT
    with pytest.raises(actions.ActionError, match="already been resolved"):
        actions.resolve_appeal(appeal=appeal, actor=staff.oversight, resolution="direct", note="again")


def test_an_appeal_can_reassign(file_report, staff) -> None:
    filed = file_report()
    actions.assign_case(case=filed.case, actor=staff.lead, assignee=staff.handler)
    appeal = actions.file_appeal(report=filed.report, reason="My handler ignores me.")
    actions.resolve_appeal(
        appeal=appeal, actor=staff.oversight, resolution="reassign", note="New handler.", assignee=staff.handler2
    )
    assert Case.objects.get(pk=filed.case.pk).assignee == staff.handler2


def test_the_proposer_can_withdraw_a_proposal_nobody_else_has_decided(file_report, staff) -> None:
    case = _through_assessment(_named(file_report), staff)
    actions.propose_closure(
        case=case,
        actor=staff.lead,
        grounds="resolved",
        reason="The reporter asked us only to record it.",
        search_done="Spoke with her.",
    )
    with pytest.raises(actions.ActionError):
        actions.withdraw_closure(case=case, actor=staff.oversight)  # only the proposer withdraws
    actions.withdraw_closure(case=case, actor=staff.lead)
    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.ASSESSMENT
    assert not case.closure_proposals.filter(decided_at__isnull=True).exists()
    assert EventType.CLOSURE_WITHDRAWN in _events(case)
    investigate(case, staff.handler, staff.investigator)  # the case moves again
