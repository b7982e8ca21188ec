"""Accountability for inaction: one action opens a case against those who let a deadline pass.

In the story the managers did not respond and the head of HR let the report lie. Here
the case's acknowledgement deadline is ignored until it reaches the oversight body,
which opens, in one step, a case against the handlers who were reminded, the lead
handler who was told, and the head of HR it names. The new case is a normal case: its
account is the escalation history, and the people it concerns, with their management
chains, cannot see it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from ombuds.accounts import keys as staff_keys
from ombuds.accounts import tokens
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Case, Category, Conflict, ConflictReason, Organisation, Report
from ombuds.core.sweep import run as sweep
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person
from ombuds.watch import accountability
from ombuds.watch import actions as watch_actions
from ombuds.watch.models import LinkedCase, LinkKind
from tests.support import client_for, make_staff, opened, rewrite_detail_column

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def escalated(staff, file_report):
    """Staff in the directory; a named report whose acknowledgement deadline climbed the whole ladder."""
    Organisation.objects.filter(pk=1).update(ack_deadline="P3D", feedback_deadline="P10D")
    staff.board2 = make_staff("board2@example.org", "oversight")
    director = Person.objects.create(employee_id="E-DIR", name="Dora Director", email="board2@example.org")
    Person.objects.create(employee_id="E-HR", name="Hanna Head of HR", manager=director)
    for n, user in enumerate([staff.handler, staff.handler2, staff.lead, staff.oversight]):
        Person.objects.create(employee_id=f"S{n}", name=user.email.split("@")[0].title(), email=user.email)
    link_staff_by_email()
    with time_machine.travel(T0, tick=False):
        staff.case = file_report(anonymous=False, reporter_name="Mei Chen").case
    sweep(T0 + timedelta(days=5, minutes=1))
    return staff


def _api(user: Any) -> tuple[Client, dict[str, str]]:
    token = tokens.create_token(user=user, name="script", key_pair=staff_keys.attached(user))[1]
    client = client_for(user)
    return client, {"Authorization": f"Bearer {token}"}


def test_one_action_opens_a_case_against_those_who_let_the_deadline_pass(escalated) -> None:
    client, auth = _api(escalated.oversight)
    with time_machine.travel(T0 + timedelta(days=6), tick=False):
        answer = client.post(
            f"/api/v1/cases/{escalated.case.reference}/accountability-case",
            {"statement": "The head of HR was told in person and did nothing.", "others": ["E-HR"]},
            content_type="application/json",
            headers=auth,
        )
    assert answer.status_code == 201
    new = Case.objects.get(reference=answer.json()["reference"])
    link = LinkedCase.objects.get(case=new)
    assert (link.origin, link.kind, link.opened_by) == (escalated.case, LinkKind.ACCOUNTABILITY, escalated.oversight)
    # A normal case, with the same deadlines as any other.
    assert new.category == Category.OTHER and new.ack_due_at == T0 + timedelta(days=9)
    accused = set(
        Conflict.objects.filter(case=new, reason=ConflictReason.ACCUSED).values_list("person__employee_id", flat=True)
    )
    # The pool reminded (both handlers and the lead, who also handles), the lead told, and the head of HR.
    assert accused == {"S0", "S1", "S2", "E-HR"}
    # Everyone it concerns, and the head of HR's director above her, gets 404; oversight reads it.
    for user in [escalated.handler, escalated.handler2, escalated.lead, escalated.board2]:
        assert client_for(user).get(f"/staff/cases/{new.reference}/").status_code == 404, user.email
        _other, their_auth = _api(user)
        assert _other.get(f"/api/v1/cases/{new.reference}", headers=their_auth).status_code == 404
    assert client.get(f"/staff/cases/{new.reference}/").status_code == 200
    # Nobody unconflicted could handle it, so it went to the oversight body.
    assert new.routed_to_oversight


def test_who_was_told_is_read_from_the_signed_log_not_from_the_copy_beside_it(escalated) -> None:
    def told() -> tuple[list[str], list[tuple[str, list[str]]]]:
        found = accountability.history(escalated.case)
        steps = [(step.step, sorted(user.email for user in step.notified or [])) for step in found.steps]
        return sorted(user.email for user in found.concerned), steps

    before = told()
    assert escalated.lead.email in before[0] and escalated.handler.email in before[0]
    # Someone with the database's keys empties the lists of who was told in the detail column:
    # the signed leaves stay, and so do the people who let the deadline pass.
    emptied = rewrite_detail_column(
        AuditEvent.objects.filter(case_id=escalated.case.pk, detail__has_key="notified"),
        lambda detail: {**detail, "notified": []},
    )
    assert emptied >= 2
    assert told() == before
    new = watch_actions.open_accountability_case(case=escalated.case, actor=escalated.oversight)
    accused = Conflict.objects.filter(case=new, reason=ConflictReason.ACCUSED)
    assert set(accused.values_list("person__employee_id", flat=True)) == {"S0", "S1", "S2"}


def test_the_new_case_is_pre_filled_with_the_escalation_history_as_sealed_content(escalated) -> None:
    new = watch_actions.open_accountability_case(case=escalated.case, actor=escalated.oversight, others=["E-HR"])
    report = Report.objects.get(case=new)
    assert report.narrative.startswith("s1:")
    narrative = opened(report, "narrative")
    assert escalated.case.reference in narrative
    assert "acknowledgement" in narrative
    assert "reminder to the responsible handler" in narrative and "handler@example.org" in narrative
    assert "escalated to a lead handler" in narrative and "lead@example.org" in narrative
    assert "escalated to the oversight body" in narrative and "oversight@example.org" in narrative
    assert "2026-11-05 09:00" in narrative  # when it was due


def test_opening_it_is_audited_on_both_cases(escalated) -> None:
    new = watch_actions.open_accountability_case(case=escalated.case, actor=escalated.oversight)
    opened_event = AuditEvent.objects.get(case=new, event_type=EventType.ACCOUNTABILITY_CASE_OPENED)
    assert opened_event.actor_id == escalated.oversight.pk and opened_event.detail["origin"] == escalated.case.pk
    linked = AuditEvent.objects.get(case=escalated.case, event_type=EventType.LINKED_CASE_OPENED)
    assert linked.detail == {"linked": new.pk, "kind": "accountability"}
    assert "Mei" not in opened_event.leaf and "handler@example.org" not in opened_event.leaf


@pytest.mark.parametrize("persona", ["handler", "lead", "admin", "auditor", "outsider"])
def test_non_oversight_staff_get_404_on_the_route(escalated, persona) -> None:
    user = getattr(escalated, persona)
    client = client_for(user)
    reference = escalated.case.reference
    assert client.post(f"/staff/cases/{reference}/accountability-case/", {}).status_code == 404
    # Before the method is checked: a wrong method says no more than a refusal.
    assert client.get(f"/staff/cases/{reference}/accountability-case/").status_code == 404
    if getattr(user, "totp_secret", None):
        _client, auth = _api(user)
        answer = client.post(
            f"/api/v1/cases/{reference}/accountability-case", {}, content_type="application/json", headers=auth
        )
        assert answer.status_code == 404
    page = client.get(f"/staff/cases/{reference}/").content.decode()
    assert "accountability-heading" not in page
    assert not LinkedCase.objects.exists()


def test_a_conflicted_oversight_member_gets_404(escalated, file_report) -> None:
    keep_out = [actions.NewPerson(name="Dora", role="keep_out", employee_id="E-DIR")]
    with time_machine.travel(T0, tick=False):
        case = file_report(anonymous=False, reporter_name="Mei", people=keep_out).case
    sweep(T0 + timedelta(days=5, minutes=1))
    client = client_for(escalated.board2)
    assert client.post(f"/staff/cases/{case.reference}/accountability-case/", {}).status_code == 404
    assert not LinkedCase.objects.exists()


def test_it_is_refused_for_a_case_whose_deadlines_were_kept(staff, file_report) -> None:
    case = file_report(anonymous=False, reporter_name="Mei").case
    client, auth = _api(staff.oversight)
    answer = client.post(
        f"/api/v1/cases/{case.reference}/accountability-case", {}, content_type="application/json", headers=auth
    )
    assert answer.status_code == 422
    assert "not escalated" in answer.json()["detail"][0]["msg"]
    assert not LinkedCase.objects.exists()


def test_it_is_refused_while_someone_it_concerns_has_no_directory_record(escalated) -> None:
    Person.objects.filter(user=escalated.handler2).update(user=None)
    with pytest.raises(actions.ActionError, match=re.escape("handler2@example.org")):
        watch_actions.open_accountability_case(case=escalated.case, actor=escalated.oversight)
    assert not LinkedCase.objects.exists() and Case.objects.count() == 1


def test_it_is_opened_once_for_the_same_escalations(escalated) -> None:
    first = watch_actions.open_accountability_case(case=escalated.case, actor=escalated.oversight)
    with pytest.raises(actions.ActionError, match=first.reference):
        watch_actions.open_accountability_case(case=escalated.case, actor=escalated.board2)


def test_the_case_page_offers_it_to_oversight_with_the_history(escalated) -> None:
    client = client_for(escalated.oversight)
    page = client.get(f"/staff/cases/{escalated.case.reference}/").content.decode()
    assert "accountability-heading" in page and "lead@example.org" in page
    response = client.post(
        f"/staff/cases/{escalated.case.reference}/accountability-case/",
        {"accountability-statement": "", "accountability-others": "E-HR"},
    )
    new = LinkedCase.objects.get().case
    assert response.status_code == 302 and response["Location"] == f"/staff/cases/{new.reference}/"
    assert escalated.case.reference in client.get(f"/staff/cases/{new.reference}/").content.decode()
