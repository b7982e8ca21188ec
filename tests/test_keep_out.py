"""Nobody can shut the oversight body out of a case (R2), and one person alone keeps nobody out.

The review's attack: a handler added keep-out conflicts for the lead handler, both
oversight members and the auditor; all of them lost the case, the reporter's appeal
reached nobody, and the handler closed the case alone. Each step of it now fails.
"""

from __future__ import annotations

import pytest

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions, routing
from ombuds.cases.models import Case, Conflict, KeepOutProposal, Organisation, Status
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person
from ombuds.investigations import actions as investigation
from ombuds.investigations.helpers import NewAllegation
from tests.support import investigate, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(staff):
    """Directory records for every persona, linked to their logins, and a second oversight member."""
    board2 = make_staff("board2@example.org", "oversight")
    for n, user in enumerate([staff.handler, staff.handler2, staff.lead, staff.oversight, staff.auditor, board2]):
        Person.objects.create(employee_id=f"S{n}", name=user.email.split("@")[0], email=user.email)
    link_staff_by_email()
    staff.board2 = board2
    return staff


def _person(user) -> Person:
    return Person.objects.get(user=user)


def test_the_attack_one_handler_cannot_shut_out_oversight_and_close_alone(org, file_report) -> None:
    filed = file_report(anonymous=False, reporter_name="Mei")
    case = filed.case
    handler = org.handler
    for target in [org.lead, org.oversight, org.board2, org.auditor]:
        actions.propose_keep_out(case=case, actor=handler, person=_person(target), note="I want this case to myself.")
    # Requests only: everybody still sees the case.
    assert not Conflict.objects.filter(case=case).exists()
    assert routing.oversight(case) and routing.leads(case)
    # The handler cannot approve them himself.
    for proposal in KeepOutProposal.objects.filter(case=case):
        with pytest.raises(actions.ActionError, match="not its author or subject"):
            actions.decide_keep_out(proposal=proposal, actor=handler, approve=True)
    # Nor can anyone decide a request about themselves.
    about_lead = KeepOutProposal.objects.get(case=case, person=_person(org.lead))
    with pytest.raises(actions.ActionError, match="not its author or subject"):
        actions.decide_keep_out(proposal=about_lead, actor=org.lead, approve=True)
    # The lead approves keeping out the first oversight member; the board's other member
    # approves keeping the lead out. The last oversight member can never be removed.
    actions.decide_keep_out(
        proposal=KeepOutProposal.objects.get(case=case, person=_person(org.oversight)), actor=org.lead, approve=True
    )
    actions.decide_keep_out(proposal=about_lead, actor=org.board2, approve=True)
    last = KeepOutProposal.objects.get(case=case, person=_person(org.board2))
    assert not [u for u in routing.approvers(case, exclude=handler) if u.pk != org.board2.pk]  # nobody else left
    with pytest.raises(actions.ActionError, match="not its author or subject"):
        actions.decide_keep_out(proposal=last, actor=org.board2, approve=True)
    assert routing.oversight(case) == [org.board2]
    # The handler still cannot close alone: a closure needs the remaining oversight member.
    actions.acknowledge_case(case=case, actor=handler)
    actions.begin_assessment(case=case, actor=handler)
    actions.propose_closure(case=case, actor=handler, grounds="duplicate", reason="Same as before.", search_done="x")
    assert Case.objects.get(pk=case.pk).status == Status.ASSESSMENT
    # The reporter's appeal reaches oversight.
    actions.file_appeal(report=filed.report, reason="My handler is hiding this.")
    assert routing.oversight(Case.objects.get(pk=case.pk)) == [org.board2]


def test_approval_is_refused_when_it_would_leave_no_oversight(org, file_report) -> None:
    case = file_report().case
    actions.propose_keep_out(case=case, actor=org.handler, person=_person(org.oversight), note="Friend of the accused.")
    actions.decide_keep_out(
        proposal=KeepOutProposal.objects.get(case=case), actor=org.board2, approve=True, note="Agreed."
    )
    actions.propose_keep_out(case=case, actor=org.handler, person=_person(org.board2), note="Also a friend.")
    with pytest.raises(actions.ActionError, match="without anyone on the oversight body"):
        actions.decide_keep_out(
            proposal=KeepOutProposal.objects.get(case=case, decided_at__isnull=True), actor=org.lead, approve=True
        )
    assert routing.oversight(case) == [org.board2]
    assert not Conflict.objects.filter(case=case, person=_person(org.board2)).exists()


def test_a_rejected_request_changes_nothing_and_needs_a_reason(org, file_report) -> None:
    case = file_report().case
    proposal = actions.propose_keep_out(case=case, actor=org.handler, person=_person(org.handler2), note="x")
    with pytest.raises(actions.ActionError, match="must not be empty"):
        actions.decide_keep_out(proposal=proposal, actor=org.lead, approve=False)
    actions.decide_keep_out(proposal=proposal, actor=org.lead, approve=False, note="No reason to.")
    assert not Conflict.objects.filter(case=case).exists()
    kinds = list(AuditEvent.objects.filter(case_id=case.pk).values_list("event_type", flat=True))
    assert EventType.KEEP_OUT_PROPOSED in kinds and EventType.KEEP_OUT_DECIDED in kinds
    assert EventType.CONFLICT_ADDED not in kinds


def test_a_wrong_keep_out_is_lifted_by_the_same_two_person_route(org, file_report) -> None:
    case = file_report().case
    handler2 = _person(org.handler2)
    actions.decide_keep_out(
        proposal=actions.propose_keep_out(
            case=case, actor=org.handler, person=handler2, note="Wrongly thought biased."
        ),
        actor=org.lead,
        approve=True,
    )
    assert Conflict.objects.filter(case=case, person=handler2).exists()
    lift = actions.propose_let_back_in(case=case, actor=org.handler, person=handler2, note="It was a mistake.")
    assert Conflict.objects.filter(case=case, person=handler2).exists()  # not before a second person approves
    actions.decide_keep_out(proposal=lift, actor=org.oversight, approve=True)
    assert not Conflict.objects.filter(case=case, person=handler2).exists()
    assert AuditEvent.objects.filter(case_id=case.pk, event_type=EventType.CONFLICT_REMOVED).count() == 1


def test_only_a_keep_out_added_by_staff_can_be_lifted(org, file_report) -> None:
    filed = file_report(people=[actions.NewPerson(name="handler", role="keep_out", employee_id="S0")])
    with pytest.raises(actions.ActionError, match="Only a keep-out added by staff"):
        actions.propose_let_back_in(case=filed.case, actor=org.lead, person=_person(org.handler), note="x")


def test_the_reporters_own_keep_out_applies_at_once_and_may_exclude_oversight(org, file_report) -> None:
    Organisation.objects.filter(pk=1).update(fallback_contact="The external ombudsperson, +44 20 0000 0000")
    filed = file_report(
        people=[
            actions.NewPerson(name="board one", role="keep_out", employee_id="S3"),
            actions.NewPerson(name="board two", role="keep_out", employee_id="S5"),
        ]
    )
    assert routing.oversight(filed.case) == []
    assert AuditEvent.objects.filter(case_id=filed.case.pk, event_type=EventType.OVERSIGHT_CONFLICTED).exists()
    from django.test import Client

    client = Client()
    client.post("/return/", {"receipt": filed.receipt})
    page = client.get("/status/").content.decode()
    assert "The external ombudsperson, +44 20 0000 0000" in page


def test_one_handler_cannot_keep_oversight_or_a_lead_out_by_linking_a_name_or_alleging(org, file_report) -> None:
    """The second review's attack: naming the oversight body or the strict lead as the accused, alone."""
    filed = file_report(anonymous=False, reporter_name="Mei", people=[actions.NewPerson(name="Him", role="accused")])
    case = filed.case
    mention = filed.report.people.get()
    for target in [org.oversight, org.board2, org.lead]:
        with pytest.raises(actions.ActionError, match="One person alone may not do that"):
            actions.link_person(mention=mention, actor=org.handler, person=_person(target))
    mention.refresh_from_db()
    assert mention.person_id is None and not Conflict.objects.filter(case=case).exists()
    # Nor by adding the person as accused when opening an investigation, or later.
    actions.acknowledge_case(case=case, actor=org.handler)
    actions.begin_assessment(case=case, actor=org.handler)
    with pytest.raises(actions.ActionError, match="One person alone may not do that"):
        investigate(case, org.handler, org.investigator, name="Oversight member", employee_id="S3")
    investigate(case, org.handler, org.investigator)
    for employee_id in ["S2", "S3", "S5"]:  # the lead and both oversight members
        with pytest.raises(actions.ActionError, match="One person alone may not do that"):
            investigation.add_allegation(
                case=case,
                actor=org.handler,
                allegation=NewAllegation(conduct="Covered it up.", name="Someone", employee_id=employee_id),
            )
    assert not Conflict.objects.filter(case=case).exists()
    assert {u.pk for u in routing.oversight(case)} == {org.oversight.pk, org.board2.pk} and routing.leads(case)
    # A colleague who is not a lead or oversight member can be named so, alone (R3 at once).
    investigation.add_allegation(
        case=case, actor=org.handler, allegation=NewAllegation(conduct="Joined in.", name="Him", employee_id="S1")
    )
    assert Conflict.objects.filter(case=case, person=_person(org.handler2)).exists()


def test_once_a_second_person_approves_the_keep_out_the_link_can_be_made(org, file_report) -> None:
    filed = file_report(anonymous=False, reporter_name="Mei", people=[actions.NewPerson(name="Him", role="accused")])
    case = filed.case
    proposal = actions.propose_keep_out(
        case=case, actor=org.handler, person=_person(org.board2), note="He is the one she names."
    )
    actions.decide_keep_out(proposal=proposal, actor=org.lead, approve=True)
    linked = actions.link_person(mention=filed.report.people.get(), actor=org.handler, person=_person(org.board2))
    assert linked.person == _person(org.board2)
    assert [u.pk for u in routing.oversight(case)] == [org.oversight.pk]
    # A lead may name himself.
    other = file_report(anonymous=False, reporter_name="Ann", people=[actions.NewPerson(name="Me", role="accused")])
    actions.link_person(mention=other.report.people.get(), actor=org.lead, person=_person(org.lead))
    assert org.lead.pk not in [u.pk for u in routing.leads(other.case)]


def test_a_link_keeps_the_accuseds_managers_out_at_once_but_never_the_whole_oversight_body(org, file_report) -> None:
    board2 = _person(org.board2)
    board2.manager = _person(org.oversight)
    board2.save()
    mine = Person.objects.create(
        employee_id="E8", name="Reports to the first board member", manager=_person(org.oversight)
    )
    theirs = Person.objects.create(employee_id="E9", name="Reports to the second", manager=board2)
    # Her manager is on the oversight body: he is kept out at once, the other member stays.
    filed = file_report(anonymous=False, reporter_name="Mei", people=[actions.NewPerson(name="Her", role="accused")])
    actions.link_person(mention=filed.report.people.get(), actor=org.handler, person=mine)
    assert [u.pk for u in routing.oversight(filed.case)] == [org.board2.pk]
    # His chain holds the whole oversight body: one handler alone may not shut it out.
    other = file_report(anonymous=False, reporter_name="Ann", people=[actions.NewPerson(name="Him", role="accused")])
    with pytest.raises(actions.ActionError, match="without anyone on the oversight body"):
        actions.link_person(mention=other.report.people.get(), actor=org.handler, person=theirs)
    assert not Conflict.objects.filter(case=other.case).exists()


def test_a_decoy_record_with_the_accuseds_address_does_not_take_his_account(staff, file_report) -> None:
    """The review's attack: beside his own record, a second one with his address; his account linked to it."""
    own = Person.objects.create(employee_id="S0", name="The handler", email=staff.handler.email)
    Person.objects.create(employee_id="D1", name="Decoy", email=staff.handler.email.upper())
    assert link_staff_by_email() == 0
    assert not Person.objects.filter(user=staff.handler).exists()
    filed = file_report(people=[actions.NewPerson(name="Him", role="accused", employee_id="S0")])
    # Once the address is his record's alone, his account is linked to it, and kept out.
    Person.objects.filter(employee_id="D1").delete()
    assert link_staff_by_email() == 1
    own.refresh_from_db()
    assert own.user == staff.handler
    actions.directory_changed()
    assert staff.client_for(staff.handler).get(f"/staff/cases/{filed.case.reference}/").status_code == 404
