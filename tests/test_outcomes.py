"""Outcomes per accused: sanctions and rehire eligibility, a second person for the grave ones, what she is told."""

from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions, permissions
from ombuds.cases.models import InvolvedPerson, Organisation, Status
from ombuds.cases.workflow import Transition
from ombuds.outcomes import actions as outcomes
from ombuds.outcomes.models import AccusedOutcome, RehireEntry, RehireIdentifier
from ombuds.outcomes.outcome_view import casefile_context
from tests.support import api_client_for, find_every_allegation, investigate_the_accused, opened, untranslated

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ZH = "zh-CN,zh;q=0.9"
REASON = "He pressed her to drink on the Hangzhou trip and came to her room."


@pytest.fixture
def decided(staff, file_report):
    """A report naming the accused persona (from the directory) and a client, investigated and substantiated."""
    filed = file_report(people=[*staff.name_the_accused(), actions.NewPerson(name="Zhao Client", role="accused")])
    case = filed.case
    actions.acknowledge_case(case=case, actor=staff.lead)
    actions.begin_assessment(case=case, actor=staff.lead)
    investigate_the_accused(case, staff.lead, staff.investigator)
    find_every_allegation(case, staff.investigator, "substantiated")
    actions.record_finding(case=case, actor=staff.lead, finding="", reasoning="Three witnesses agree.")
    case.refresh_from_db()
    assert case.status == Status.DECIDED
    case.receipt = filed.receipt
    return case


def _accused(case, name: str) -> InvolvedPerson:
    return next(p for p in InvolvedPerson.objects.filter(report__case=case) if opened(p, "name") == name)


def _dismiss(case, actor, **overrides: Any) -> AccusedOutcome:
    fields: dict[str, Any] = {
        "person": _accused(case, "Alex Accused"),
        "sanctions": ["dismissal"],
        "rehire": "not_eligible",
        "reason": REASON,
        "identifiers": {"phone": "+86 138 0013 8000"},
    }
    fields.update(overrides)
    return outcomes.propose_outcome(case=case, actor=actor, **fields)


def _status(case) -> str:
    web = Client()
    web.post("/return/", {"receipt": case.receipt})
    return web.get("/status/").content.decode()


def _events(case) -> list[EventType]:
    found = AuditEvent.objects.filter(case_id=case.pk, event_type__gte=120).order_by("seq")
    return [EventType(e) for e in found.values_list("event_type", flat=True)]


def test_it_decides_only_for_a_person_accused_once_the_case_is_decided(staff, file_report) -> None:
    filed = file_report(
        people=[actions.NewPerson(name="Wang", role="accused"), actions.NewPerson(name="Li", role="witness")]
    )
    case = filed.case
    accused = next(p for p in InvolvedPerson.objects.filter(report__case=case) if p.role == "accused")
    witness = next(p for p in InvolvedPerson.objects.filter(report__case=case) if p.role == "witness")
    proposal: dict[str, Any] = {"sanctions": ["warning"], "rehire": "eligible", "reason": "x"}
    with pytest.raises(outcomes.ActionError, match="not possible"):
        outcomes.propose_outcome(case=case, actor=staff.lead, person=accused, **proposal)
    for step in (actions.acknowledge_case, actions.begin_assessment):
        step(case=case, actor=staff.lead)
    investigate_the_accused(case, staff.lead, staff.investigator)
    with pytest.raises(outcomes.ActionError, match="not possible"):
        outcomes.propose_outcome(case=case, actor=staff.lead, person=accused, **proposal)
    find_every_allegation(case, staff.investigator, "substantiated")
    actions.record_finding(case=case, actor=staff.lead, finding="", reasoning="It happened.")
    with pytest.raises(outcomes.ActionError, match="person accused"):
        outcomes.propose_outcome(case=case, actor=staff.lead, person=witness, **proposal)
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"sanctions": []}, "Choose the sanctions"),
        ({"sanctions": ["none", "warning"]}, "together"),
        ({"sanctions": ["flogging"]}, "from the list"),
        ({"rehire": "maybe"}, "rehire eligibility"),
        ({"reason": " "}, "must not be empty"),
        ({"rehire": "review_needed"}, "identifier"),  # nothing to recognise him by: not linked, none given
    ]
    for bad, message in refusals:
        with pytest.raises(outcomes.ActionError, match=message):
            outcomes.propose_outcome(case=case, actor=staff.lead, person=accused, **{**proposal, **bad})
    outcome = outcomes.propose_outcome(case=case, actor=staff.lead, person=accused, **proposal)
    assert outcome.state == "final" and not outcome.needs_approval


@time_machine.travel(T0, tick=False)
def test_dismissal_and_not_eligible_wait_for_a_second_person_and_the_case_cannot_close_meanwhile(
    staff, decided
) -> None:
    outcome = _dismiss(decided, staff.lead)
    assert outcome.state == "pending" and outcome.needs_approval
    assert opened(outcome, "reason") == REASON
    assert not RehireEntry.objects.exists()

    assert Transition.CLOSE not in permissions.allowed_transitions(staff.lead, decided)
    with pytest.raises(actions.ActionError, match="waits for approval"):
        actions.close_case(case=decided, actor=staff.oversight, feedback="Done.")
    with pytest.raises(outcomes.ActionError, match="someone other than the person who proposed it"):
        outcomes.approve_outcome(outcome=outcome, actor=staff.lead)
    with pytest.raises(outcomes.ActionError, match="Only a lead handler or oversight"):
        outcomes.approve_outcome(outcome=outcome, actor=staff.handler)
    with pytest.raises(outcomes.ActionError, match="already waiting"):
        _dismiss(decided, staff.handler)

    outcomes.approve_outcome(outcome=outcome, actor=staff.oversight, note="Agreed.")
    outcome.refresh_from_db()
    assert outcome.state == "final" and outcome.decided_by == staff.oversight
    entry = RehireEntry.objects.get()
    assert entry.outcome == outcome and entry.result == "not_eligible"
    # The phone given with the decision and the directory's e-mail and employee number, as digests.
    assert sorted(RehireIdentifier.objects.values_list("kind", flat=True)) == ["email", "employee_number", "phone"]
    assert _events(decided) == [
        EventType.OUTCOME_PROPOSED,
        EventType.OUTCOME_APPROVED,
        EventType.REHIRE_LISTED,
    ]
    leaves = "".join(AuditEvent.objects.values_list("leaf", flat=True))
    # The phone in every form it was given or normalised to; a bare "138" would also match ids and hashes.
    for needle in ["Hangzhou", "138 0013 8000", "13800138000", "accused@example.org"]:
        assert needle not in leaves, needle

    actions.close_case(case=decided, actor=staff.lead, feedback="Thank you for reporting.")
    decided.refresh_from_db()
    assert decided.status == Status.CLOSED


@time_machine.travel(T0, tick=False)
def test_a_rejected_or_withdrawn_decision_leaves_nothing_in_the_registry(staff, decided) -> None:
    first = _dismiss(decided, staff.handler)
    with pytest.raises(outcomes.ActionError, match="must not be empty"):
        outcomes.reject_outcome(outcome=first, actor=staff.lead, note="")
    outcomes.reject_outcome(outcome=first, actor=staff.lead, note="Dismissal is too much for a first incident.")
    second = _dismiss(decided, staff.handler, sanctions=["written_warning"])
    with pytest.raises(outcomes.ActionError, match="Only the person who proposed"):
        outcomes.withdraw_outcome(outcome=second, actor=staff.lead)
    outcomes.withdraw_outcome(outcome=second, actor=staff.handler)
    assert sorted(AccusedOutcome.objects.values_list("state", flat=True)) == ["rejected", "withdrawn"]
    assert not RehireEntry.objects.exists()
    assert Transition.CLOSE in permissions.allowed_transitions(staff.lead, decided)


@time_machine.travel(T0, tick=False)
def test_a_later_decision_that_lifts_not_eligible_needs_approval_too_and_lifts_the_entry(staff, decided) -> None:
    outcomes.approve_outcome(outcome=_dismiss(decided, staff.handler), actor=staff.lead)
    relaxed = outcomes.propose_outcome(
        case=decided,
        actor=staff.handler,
        person=_accused(decided, "Alex Accused"),
        sanctions=["training"],
        rehire="eligible",
        reason="The appeal found the dismissal disproportionate.",
    )
    assert relaxed.state == "pending"  # one person may not undo "not eligible" alone
    assert RehireEntry.objects.get().lifted_at is None
    outcomes.approve_outcome(outcome=relaxed, actor=staff.oversight)
    assert RehireEntry.objects.get().lifted_at == T0
    assert sorted(AccusedOutcome.objects.values_list("state", flat=True)) == ["final", "superseded"]


@time_machine.travel(T0, tick=False)
def test_the_reporter_is_told_the_case_is_decided_with_the_organisations_wording(staff, decided) -> None:
    outcome = _dismiss(decided, staff.lead)
    outcomes.propose_outcome(
        case=decided,
        actor=staff.lead,
        person=_accused(decided, "Zhao Client"),
        sanctions=["none"],
        rehire="eligible",
        reason="A client, outside the company.",
    )
    assert 'id="decision"' not in _status(decided)  # not while a decision waits
    outcomes.configure_policy(
        wording={("action_taken", "en"): "Disciplinary action was taken, as our policy on harassment requires."}
    )
    outcomes.approve_outcome(outcome=outcome, actor=staff.oversight)

    page = _status(decided)
    assert "Your case has been decided." in page
    assert "Alex Accused:</strong> Disciplinary action was taken, as our policy on harassment requires." in page
    assert "Zhao Client:</strong> The organisation decided not to take disciplinary action." in page
    assert "you are not told which action was taken about another person" in page
    assert "Dismissal" not in page and "rehire" not in page.lower()  # her policy default: no sanction of another

    token = Client().post("/api/v1/reporter/session", {"receipt": decided.receipt}, content_type="application/json")
    body = Client().get("/api/v1/reporter/case", headers={"Authorization": f"Bearer {token.json()['token']}"}).json()
    assert body["decision"]["headline"] == "Your case has been decided."
    assert [o["sanctions"] for o in body["decision"]["outcomes"]] == [[], []]


@time_machine.travel(T0, tick=False)
def test_the_reporter_is_told_the_sanctions_only_when_the_organisation_allows_it(staff, decided) -> None:
    outcomes.approve_outcome(outcome=_dismiss(decided, staff.lead), actor=staff.oversight)
    out = StringIO()
    call_command("organisation", "set", "--tell-reporter-sanctions", "on", stdout=out)
    assert "tell reporter sanctions: on" in out.getvalue()
    page = _status(decided)
    assert "What was decided: Dismissal." in page
    assert "you are not told which action" not in page
    assert "Not eligible" not in page  # rehire eligibility is never hers to be told
    call_command("organisation", "set", "--tell-reporter-sanctions", "off", stdout=StringIO())
    assert "Dismissal" not in _status(decided)
    assert AuditEvent.objects.filter(event_type=EventType.OUTCOME_POLICY_CONFIGURED).count() == 2


@time_machine.travel(T0, tick=False)
def test_the_wording_is_set_per_language_with_chinese_defaults(staff, staff_file_report_in_chinese) -> None:
    case = staff_file_report_in_chinese
    outcomes.propose_outcome(
        case=case,
        actor=staff.lead,
        person=InvolvedPerson.objects.get(report__case=case),
        sanctions=["written_warning", "training"],
        rehire="eligible",
        reason="First incident.",
    )
    web = Client()
    web.post("/return/", {"receipt": case.receipt})
    page = web.get("/status/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    assert "您的案件已作出决定。" in page
    assert "组织已就您举报的行为采取了处理措施。" in page
    assert untranslated(page) == []
    out = StringIO()
    call_command("organisation", "set", "--reporter-wording", "action_taken", "zh-hans", "公司已依规处理。", stdout=out)
    assert "reporter wording action_taken [zh-hans]: 公司已依规处理。" in out.getvalue()
    assert "公司已依规处理。" in web.get("/status/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    # English readers still get the default; an empty text goes back to the default.
    assert "The organisation has taken action" in web.get("/status/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    call_command("organisation", "set", "--reporter-wording", "action_taken", "zh-hans", "", stdout=StringIO())
    assert "公司已依规处理。" not in web.get("/status/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    with translation.override("en"), pytest.raises(CommandError, match="Unknown wording"):
        call_command("organisation", "set", "--reporter-wording", "verdict", "en", "x", stdout=StringIO())


@pytest.fixture
def staff_file_report_in_chinese(staff, file_report):
    Organisation.objects.filter(pk=1).update(name="示例科技有限公司", oversight_name="独立监督委员会")
    filed = file_report(
        narrative="出差时经理强迫我喝酒。",
        language="zh-hans",
        people=[actions.NewPerson(name="王经理", role="accused")],
    )
    case = filed.case
    for step in (actions.acknowledge_case, actions.begin_assessment):
        step(case=case, actor=staff.lead)
    investigate_the_accused(case, staff.lead, staff.investigator)
    find_every_allegation(case, staff.investigator, "substantiated")
    actions.record_finding(case=case, actor=staff.lead, finding="", reasoning="属实。")
    case.refresh_from_db()
    case.receipt = filed.receipt
    return case


@time_machine.travel(T0, tick=False)
def test_staff_propose_and_decide_on_the_outcome_pages(staff, decided) -> None:
    accused = _accused(decided, "Alex Accused")
    lead = staff.client_for(staff.lead)
    page = lead.get(f"/staff/cases/{decided.reference}/outcomes/")
    assert page.status_code == 200 and "Alex Accused" in page.content.decode()
    posted = lead.post(
        f"/staff/cases/{decided.reference}/outcomes/",
        {
            "outcome-person": str(accused.pk),
            "outcome-sanctions": ["dismissal"],
            "outcome-rehire": "not_eligible",
            "outcome-reason": REASON,
            "outcome-national_id": "11010519491231002x",
        },
    )
    assert posted.status_code == 302
    outcome = AccusedOutcome.objects.get()
    own = lead.post(
        f"/staff/cases/{decided.reference}/outcomes/{outcome.pk}/decide/",
        {f"decide{outcome.pk}-decision": "approve"},
    )
    assert own.status_code == 400  # she may not decide her own proposal
    board = staff.client_for(staff.oversight)
    page = board.get(f"/staff/cases/{decided.reference}/outcomes/").content.decode()
    assert REASON in page and "Waiting for a second person" in page
    decided_page = board.post(
        f"/staff/cases/{decided.reference}/outcomes/{outcome.pk}/decide/",
        {f"decide{outcome.pk}-decision": "approve", f"decide{outcome.pk}-note": "Agreed."},
    )
    assert decided_page.status_code == 302
    outcome.refresh_from_db()
    assert outcome.state == "final"
    page = board.get(f"/staff/cases/{decided.reference}/outcomes/").content.decode()
    assert "in the rehire registry" in page and "National identifier" in page
    assert "11010519491231002" not in page  # identifiers are kept as digests only, so never shown
    zh = board.get(f"/staff/cases/{decided.reference}/outcomes/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    assert "处理结果" in zh
    assert untranslated(zh.replace(REASON, "").replace("Agreed.", "")) == []


@time_machine.travel(T0, tick=False)
def test_the_outcomes_api_proposes_refuses_self_approval_and_approves(staff, decided) -> None:
    lead, board = api_client_for(staff.lead), api_client_for(staff.oversight)
    listing = lead.get(f"/api/v1/staff/cases/{decided.reference}/outcomes").json()
    accused = next(p for p in listing["accused"] if p["name"] == "Alex Accused")
    proposed = lead.post(
        f"/api/v1/staff/cases/{decided.reference}/outcomes",
        {
            "person": accused["id"],
            "sanctions": ["dismissal"],
            "rehire": "not_eligible",
            "reason": REASON,
            "email": "Alex.Private@Mail.example",
        },
        content_type="application/json",
    )
    assert proposed.status_code == 201 and proposed.json()["state"] == "pending"
    outcome_id = proposed.json()["id"]
    close = lead.post(
        f"/api/v1/cases/{decided.reference}/transitions",
        {"transition": "close", "feedback": "Done."},
        content_type="application/json",
    )
    assert close.status_code == 422 and "waits for approval" in close.json()["detail"][0]["msg"]
    own = lead.post(
        f"/api/v1/staff/cases/{decided.reference}/outcomes/{outcome_id}/approve", {}, content_type="application/json"
    )
    assert own.status_code == 422
    assert "someone other than the person who proposed it" in own.json()["detail"][0]["msg"]
    approved = board.post(
        f"/api/v1/staff/cases/{decided.reference}/outcomes/{outcome_id}/approve",
        {"note": "Agreed."},
        content_type="application/json",
    )
    assert approved.json() == {"id": outcome_id, "state": "final"}
    listing = board.get(f"/api/v1/staff/cases/{decided.reference}/outcomes").json()
    assert listing["outcomes"][0]["decided_by"] == staff.oversight.email
    assert listing["outcomes"][0]["in_registry"] is True
    assert listing["outcomes"][0]["identifiers"] == ["E-mail address", "Employee number"]


@time_machine.travel(T0, tick=False)
def test_the_case_file_part_renders_measures_decisions_and_approvals(staff, decided) -> None:
    from datetime import date

    outcomes.approve_outcome(outcome=_dismiss(decided, staff.lead), actor=staff.oversight, note="Agreed.")
    outcomes.record_measure(
        case=decided,
        actor=staff.lead,
        kind="no_contact",
        protects_reporter=True,
        restricts=[_accused(decided, "Alex Accused").pk],
        starts_on=date(2026, 11, 2),
        review_on=date(2026, 11, 30),
        description="No messages, no meetings.",
    )
    html = render_to_string("outcomes/casefile.html", casefile_context(decided, staff.oversight))
    assert "<h2" in html and "<script" not in html and "<form" not in html
    for text in ["No contact", "No messages, no meetings.", "Dismissal", REASON, staff.lead.email, "Agreed."]:
        assert text in html, text
    assert staff.oversight.email in html
