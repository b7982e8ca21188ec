"""Confidentiality, anonymity and integrity rules that a review found missing; each test pins one."""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.test import Client

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions, notify, routing
from ombuds.cases.models import Case, Escalation, Notice, Organisation
from ombuds.core.sweep import run as sweep
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person
from tests.support import client_for, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    boss = Person.objects.create(employee_id="E1", name="Boss", email="boss@example.org")
    max_ = Person.objects.create(employee_id="E2", name="Max", email="max@example.org", manager=boss)
    return boss, max_


def _client(user) -> Client:
    return client_for(user)


def test_the_audit_trail_hides_cases_the_reader_is_conflicted_on(chain, file_report) -> None:
    boss_user = make_staff("boss@example.org", "oversight")
    max_user = make_staff("max@example.org", "auditor")
    other = make_staff("board@example.org", "oversight")
    link_staff_by_email()
    filed = file_report(people=[actions.NewPerson(name="Max", role="accused", employee_id="E2")])
    for conflicted in (boss_user, max_user):
        row = f"</span>{filed.case.reference}</td>"  # the trail's case cell
        page = _client(conflicted).get(f"/staff/audit/?case={filed.case.reference}").content.decode()
        assert row not in page
        assert "No events." in page
        assert row not in _client(conflicted).get("/staff/audit/").content.decode()
    assert f"</span>{filed.case.reference}</td>" in _client(other).get("/staff/audit/").content.decode()


def test_a_handler_cannot_relink_the_reporters_pick(chain, file_report, staff) -> None:
    accused = make_staff("max@example.org", "handler", "lead_handler")
    link_staff_by_email()
    filed = file_report(people=[actions.NewPerson(name="Max", role="accused", employee_id="E2")])
    mention = filed.report.people.get()
    response = _client(staff.handler).post(
        f"/staff/cases/{filed.case.reference}/people/link/", {"link-mention": mention.pk, "link-employee_id": "E1"}
    )
    assert response.status_code == 400
    assert _client(accused).get(f"/staff/cases/{filed.case.reference}/").status_code == 404


def test_a_conflicted_assignee_gets_no_mail_and_a_late_link_unassigns(chain, file_report, staff) -> None:
    boss_handler = make_staff("boss@example.org", "handler")  # not yet linked to the directory
    filed = file_report(people=[actions.NewPerson(name="Max", role="accused", employee_id="E2")])
    actions.assign_case(case=filed.case, actor=staff.lead, assignee=boss_handler)
    link_staff_by_email()  # now the account is the accused's manager
    assert routing.responsible(Case.objects.get(pk=filed.case.pk)) != [boss_handler]
    actions.directory_changed()
    assert Case.objects.get(pk=filed.case.pk).assignee is None


def test_mail_is_checked_for_conflicts_again_when_sent(chain, file_report, staff, smtp) -> None:
    boss_handler = make_staff("boss@example.org", "handler")
    link_staff_by_email()
    filed = file_report(anonymous=False, reporter_name="R", people=[actions.NewPerson(name="Max", role="accused")])
    notice = Notice.objects.get(case=filed.case, kind="new_case")
    assert boss_handler.pk in notice.recipients  # queued before anyone linked Max
    actions.link_person(
        mention=filed.report.people.get(), actor=staff.lead, person=Person.objects.get(employee_id="E2")
    )
    notify.send_notification.call(kind="new_case", reference=filed.case.reference, user_ids=notice.recipients)
    assert "boss@example.org" not in {m["To"] for m in smtp.messages}
    assert smtp.messages  # the others were mailed


def test_an_anonymous_reporter_gets_no_reminder_stamped_minutes_after_filing(staff) -> None:
    filed_at = datetime(2026, 11, 2, 16, 42, 7, tzinfo=UTC)
    with time_machine.travel(filed_at, tick=False):
        filed = actions.file_report(category="sexual_assault", role="affected", narrative="x", anonymous=True)
    sweep(filed_at + timedelta(seconds=30))
    assert not Escalation.objects.filter(case=filed.case).exists()
    assert not AuditEvent.objects.filter(case=filed.case, event_type=EventType.DEADLINE_REMINDER).exists()
    # the escalation at the deadline itself still happens
    due = filed.case.first_action_due_at
    assert due is not None
    sweep(due + timedelta(minutes=1))
    assert Escalation.objects.filter(case=filed.case, deadline="first_action", step="lead").exists()


def test_every_render_of_a_case_page_is_recorded(staff, file_report) -> None:
    case = file_report().case
    response = _client(staff.handler).post(f"/staff/cases/{case.reference}/notes/", {"note-body": ""})
    assert response.status_code == 400
    assert "My manager kept touching" in response.content.decode()
    assert AuditEvent.objects.filter(case=case, event_type=EventType.CASE_VIEWED, actor=staff.handler).exists()


def test_only_oversight_reads_an_appeal(staff, file_report) -> None:
    filed = file_report()
    actions.file_appeal(report=filed.report, reason="I fear retaliation from my handler.")
    assert (
        "fear retaliation" not in _client(staff.handler).get(f"/staff/cases/{filed.case.reference}/").content.decode()
    )
    assert "fear retaliation" in _client(staff.oversight).get(f"/staff/cases/{filed.case.reference}/").content.decode()


def test_refused_reporter_requests_are_not_logged(client, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        client.post("/return/", {"receipt": "1111-2222-3333-4444-5555-6666-7777"})
        client.post("/api/v1/reporter/session", {"receipt": "x"}, content_type="application/json")
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_the_csrf_cookie_ends_with_the_browser_session(client) -> None:
    response = client.get("/report/")
    assert response.cookies["csrftoken"]["max-age"] == ""


def test_staff_cannot_change_their_own_e_mail(staff) -> None:
    assert _client(staff.handler).get("/staff/accounts/email/").status_code == 404
    new = make_staff("new@example.org", "handler", totp=False)
    # Without a second factor the person is first sent to set one up; either way nothing changes.
    response = _client(new).post("/staff/accounts/email/", {"email": "x@elsewhere.org", "action_add": ""})
    assert response.status_code in (302, 404)
    assert response.get("Location", "") != "/staff/accounts/email/"
    assert not EmailAddress.objects.filter(email="x@elsewhere.org").exists()


def test_bad_inputs_that_used_to_fail_loudly_now_get_clear_answers(staff, client) -> None:
    from ombuds.accounts import tokens

    _record, token = tokens.create_token(user=staff.lead, name="t")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/cases?page=1000000000000000000").status_code == 422
    assert _client(staff.lead).get("/staff/cases/C-%00/").status_code == 404
    assert _client(staff.oversight).get("/staff/audit/?case=%00").status_code == 200
    response = client.post(
        "/api/v1/reports",
        {
            "category": "other",
            "role": "witness",
            "narrative": "x",
            "anonymous": True,
            "people": [{"name": "A", "role": "accused", "employee_id": "E\u0000"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201


def test_an_absurd_deadline_is_refused_before_it_can_break_filing() -> None:
    with pytest.raises(actions.ActionError, match="ten years"):
        actions.configure_organisation(ack_deadline="P8000Y")
    with pytest.raises(actions.ActionError):
        actions.configure_organisation(ack_deadline="PT99999999999999H")
    actions.file_report(category="other", role="witness", narrative="still works", anonymous=True)


@pytest.mark.parametrize(
    ("field", "too_long", "longest"),
    [
        ("ack_deadline", "P8D", "PT168H"),
        ("ack_deadline", "P10Y", "P1W"),
        ("feedback_deadline", "P13W", "P12W"),
        ("feedback_deadline", "P3M1D", "P89D"),
        ("assault_first_action_deadline", "P2W", "P7D"),
    ],
)
def test_no_deadline_may_be_set_past_what_the_law_allows(field: str, too_long: str, longest: str) -> None:
    """The review's attack: one administrator set the deadlines to ten years, and nothing ever escalated."""
    before = Organisation.objects.values_list(field, flat=True).get(pk=1)
    too_long_setting: dict[str, Any] = {field: too_long}
    with pytest.raises(actions.ActionError, match="may be at most"):
        actions.configure_organisation(**too_long_setting)
    assert Organisation.objects.values_list(field, flat=True).get(pk=1) == before
    longest_setting: dict[str, Any] = {field: longest}
    actions.configure_organisation(**longest_setting)
    assert Organisation.objects.values_list(field, flat=True).get(pk=1) == longest


def test_the_first_deadlines_from_the_environment_have_the_same_ceiling(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from ombuds.lib.env import env_duration

    monkeypatch.setenv("OMBUDS_ACK_DEADLINE", "P8D")
    with pytest.raises(ImproperlyConfigured, match="OMBUDS_ACK_DEADLINE may be at most P7D"):
        env_duration("OMBUDS_ACK_DEADLINE", "P7D", longest="P7D")
    monkeypatch.setenv("OMBUDS_ACK_DEADLINE", "PT168H")
    assert env_duration("OMBUDS_ACK_DEADLINE", "P7D", longest="P7D") == "PT168H"


def test_configuration_changes_are_audited(staff) -> None:
    actions.configure_organisation(ack_deadline="P5D")
    actions.set_pool_membership(category="bullying", user=staff.handler, member=True)
    kinds = set(AuditEvent.objects.filter(case=None).values_list("event_type", flat=True))
    assert {EventType.ORGANISATION_CONFIGURED, EventType.POOL_CHANGED} <= kinds
