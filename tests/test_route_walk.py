"""Every staff route, with and without a SCRIPT_NAME, for a session that typed only the password.

No route may show case content or make a token. The routes come from Django's URL
resolver (tests/support.py), so a route added later is walked too.
"""

import secrets

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from ombuds.accounts.models import ApiToken
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Appeal, Attachment, Case
from ombuds.directory.models import Person
from ombuds.investigations import actions as investigation
from ombuds.investigations.helpers import NewAllegation
from tests.support import CaseIds, client_for, make_staff, password_only_client, staff_paths, staff_routes, walk

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
MARKER = "walkmarker" + secrets.token_hex(6)
SCRIPT_NAMES = ("", "/x")

# One form for every POST: the fields of the token form, the case forms and the e-mail form.
FORM: dict[str, object] = {
    "name": "walk",
    "password": PASSWORD,
    "email": "walk@elsewhere.example",
    "action_add": "",
    "message-body": "walk",
    "note-body": "walk",
    "code": "000000",
    "revoke": "1",
}

CONTENT_EVENTS = [
    EventType.CASE_VIEWED,
    EventType.CASE_EXPORTED,
    EventType.ATTACHMENT_DOWNLOADED,
    # A case file's text is compressed inside the PDF, where the marker search cannot see it.
    EventType.CASE_FILE_PRODUCED,
    EventType.INVESTIGATION_VIEWED,
    EventType.EVIDENCE_VIEWED,
    EventType.EVIDENCE_DOWNLOADED,
    EventType.EVIDENCE_EXPORTED,
    EventType.EVIDENCE_VERIFIED,
]


@pytest.fixture
def case_ids(file_report) -> CaseIds:
    """A case whose narrative, file, appeal and thread all carry the marker."""
    requester = make_staff("walk-lead@example.org", "handler", "lead_handler")
    filed = file_report(
        narrative=f"The marker {MARKER} is in the narrative.",
        attachments=[actions.NewAttachment(filename="a.txt", content_type="text/plain", data=MARKER.encode())],
    )
    actions.post_reporter_message(report=filed.report, body=f"And in a message: {MARKER}")
    actions.file_appeal(report=filed.report, reason=f"And in an appeal: {MARKER}")
    outsider = Person.objects.create(employee_id="W1", name="Walk Colleague")
    keep_out = actions.propose_keep_out(
        case=filed.case, actor=requester, person=outsider, note=f"And in a keep-out request: {MARKER}"
    )
    # And in every part of an investigation (ombuds.investigations).
    investigator = make_staff("walk-investigator@example.org", "investigator")
    actions.acknowledge_case(case=filed.case, actor=requester)
    actions.begin_assessment(case=filed.case, actor=requester)
    case = actions.open_investigation(
        case=filed.case,
        actor=requester,
        investigators=[investigator],
        allegations=[NewAllegation(conduct=f"Alleged: {MARKER}", name=f"Named {MARKER}")],
    )
    task = investigation.add_task(
        case=case, actor=requester, title=f"Task {MARKER}", owner=investigator, due_on=timezone.localdate()
    )
    interview = investigation.record_interview(
        case=case,
        actor=requester,
        interviewee="reporter",
        held_at=timezone.now(),
        present=f"Present {MARKER}",
        minutes=f"Minutes {MARKER}",
    )
    item = investigation.add_evidence(
        case=case,
        actor=requester,
        kind="file",
        description=f"Evidence {MARKER}",
        source=f"Source {MARKER}",
        file=actions.NewAttachment(filename="e.txt", content_type="text/plain", data=MARKER.encode()),
    )
    return CaseIds(
        filed.case.reference,
        Attachment.objects.get().pk,
        Appeal.objects.get().pk,
        keep_out.pk,
        investigator_id=case.investigators.get().pk,
        allegation_id=case.allegations.get().pk,
        task_id=task.pk,
        interview_id=interview.pk,
        evidence_id=item.pk,
    )


def _logged_in_with_password(email: str) -> Client:
    """A real login through the form, as someone who knows only the password."""
    client = Client()
    response = client.post("/staff/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _assert_nothing_leaked(answers, users: list[User]) -> None:
    leaks = [f"{a.method} {a.script_name}{a.path} -> {a.status}" for a in answers if MARKER in a.body]
    assert leaks == []
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(event_type__in=CONTENT_EVENTS).exists()
    assert not EmailAddress.objects.filter(email="walk@elsewhere.example").exists()
    for user in users:
        user.refresh_from_db()
        assert user.email.endswith("@example.org")


def test_the_walk_finds_every_kind_of_staff_route(case_ids) -> None:
    routes = {route.route for route in staff_routes()}
    for expected in [
        "staff/",
        "staff/settings/",
        "staff/audit/",
        "staff/cases/<ref:reference>/export/",
        "staff/cases/<ref:reference>/attachments/<int:attachment_id>/",
        "staff/accounts/email/",
        "staff/accounts/2fa/totp/deactivate/",
        "api/v1/cases/<reference>",
        "staff/cases/<ref:reference>/keep-out/<int:proposal_id>/",
        "staff/cases/<ref:reference>/measures/<int:measure_id>/extend/",
        "staff/cases/<ref:reference>/outcomes/<int:outcome_id>/decide/",
        "staff/rehire/<str:check_reference>/",
        "api/v1/staff/cases/<reference>/outcomes",
        "api/v1/staff/rehire-checks",
        "staff/retaliation-flags/",
        "staff/cases/<ref:reference>/reporter/link/",
        "staff/cases/<ref:reference>/retaliation-flags/<int:flag_id>/clear/",
        "staff/cases/<ref:reference>/retaliation-flags/<int:flag_id>/retaliation-case/",
        "staff/cases/<ref:reference>/accountability-case/",
        "staff/cases/<ref:reference>/case-file.pdf",
        "api/v1/retaliation-flags",
        "api/v1/cases/<reference>/retaliation-flags/<flag_id>/clear",
        "api/v1/cases/<reference>/accountability-case",
        "api/v1/cases/<reference>/case-file",
        "staff/cases/<ref:reference>/investigation/evidence/<int:evidence_id>/download/",
        "api/v1/staff/cases/<reference>/investigation/evidence/<evidence_id>/custody",
        "staff/analytics/",
        "staff/analytics/<slug:key>.csv",
        "api/v1/analytics",
    ]:
        assert expected in routes, expected
    paths = staff_paths(case_ids)
    assert f"/staff/cases/{case_ids.reference}/steps/approve_closure/" in paths
    assert f"/api/v1/cases/{case_ids.reference}" in paths
    assert len(paths) > 50


def test_a_session_with_the_second_factor_does_see_the_marker(staff, case_ids) -> None:
    """The walk can see a leak: the same case page shows the marker once the second factor is passed."""
    answers = walk(lambda: client_for(staff.lead), [f"/staff/cases/{case_ids.reference}/"], form={}, script_names=("",))
    assert any(MARKER in answer.body for answer in answers)


def test_a_session_with_the_second_factor_does_see_the_marker_in_the_investigation(staff, case_ids) -> None:
    base = f"/staff/cases/{case_ids.reference}/investigation"
    paths = [f"{base}/", f"{base}/interviews/{case_ids.interview_id}/", f"{base}/evidence/{case_ids.evidence_id}/"]
    answers = walk(lambda: client_for(staff.lead), paths, form={}, script_names=("",))
    assert all(MARKER in answer.body for answer in answers if answer.method == "GET")


def test_a_handler_without_a_second_factor_gets_no_case_content_and_no_token_anywhere(case_ids) -> None:
    newcomer = make_staff("newcomer@example.org", "handler", "lead_handler", totp=False)
    answers = walk(
        lambda: _logged_in_with_password(newcomer.email),
        staff_paths(case_ids),
        form=FORM,
        script_names=SCRIPT_NAMES,
    )
    assert len(answers) > 200
    _assert_nothing_leaked(answers, [newcomer])


def test_a_session_that_never_passed_the_second_factor_gets_nothing_even_if_the_account_has_one(
    staff, case_ids
) -> None:
    """A session logged in before the second factor was set up (elsewhere) is still only a password."""
    answers = walk(
        lambda: password_only_client(staff.lead), staff_paths(case_ids), form=FORM, script_names=SCRIPT_NAMES
    )
    _assert_nothing_leaked(answers, [staff.lead])
    # Nor could it take the second factor away.
    assert staff.lead.authenticator_set.filter(type="totp").exists()


def test_an_oversight_member_with_only_the_password_produces_no_case_file_and_opens_no_case(staff, case_ids) -> None:
    """Oversight reaches the case file, the flags and the cases it opens: none without the second factor."""
    answers = walk(lambda: password_only_client(staff.oversight), staff_paths(case_ids), form=FORM, script_names=("",))
    _assert_nothing_leaked(answers, [staff.oversight])
    assert not [a.path for a in answers if a.body.startswith("%PDF")]
    assert Case.objects.count() == 1
