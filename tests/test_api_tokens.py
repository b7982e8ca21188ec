"""Personal API tokens: made with the password again, audited, and ended by a new password or a reset."""

import re
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from ombuds.accounts import tokens
from ombuds.accounts.models import ApiToken
from ombuds.audit.models import AuditEvent, EventType
from tests.support import client_for

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a quite different passphrase"


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _token_from(page: str) -> str | None:
    found = re.search(r'<code class="token">(omb_[^<]+)</code>', page)
    return found.group(1) if found else None


def _api(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_making_a_token_in_the_browser_asks_for_the_password_again(staff) -> None:
    client = client_for(staff.lead)
    missing = client.post("/staff/settings/", {"name": "script"})
    assert missing.status_code == 400
    assert _token_from(missing.content.decode()) is None
    wrong = client.post("/staff/settings/", {"name": "script", "password": "not it"})
    assert wrong.status_code == 400
    assert "not your password" in wrong.content.decode()
    assert not ApiToken.objects.exists()
    right = client.post("/staff/settings/", {"name": "script", "password": PASSWORD})
    token = _token_from(right.content.decode())
    assert token is not None
    assert _api(token).get("/api/v1/cases").status_code == 200


def test_a_wrong_password_on_the_token_form_counts_as_a_failed_login(staff, settings) -> None:
    client = client_for(staff.lead)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/staff/settings/", {"name": "script", "password": "not it"})
    assert (
        AccessAttempt.objects.get(username="lead@example.org").failures_since_start == settings.AXES_FAILURE_LIMIT - 1
    )
    locked = client.post("/staff/settings/", {"name": "script", "password": "not it"})
    assert locked.status_code == 429
    # Locked now: not even the right password makes a token.
    client.post("/staff/settings/", {"name": "script", "password": PASSWORD})
    assert not ApiToken.objects.exists()


def test_only_a_session_that_passed_the_second_factor_makes_a_token(staff) -> None:
    # An account without a role needs no second factor; without one, no token from the browser.
    response = client_for(staff.outsider).post("/staff/settings/", {"name": "script", "password": PASSWORD})
    assert response.status_code == 400
    assert "two-factor authentication" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_making_and_revoking_tokens_is_audited_in_the_browser_and_on_the_server(staff) -> None:
    client = client_for(staff.lead)
    client.post("/staff/settings/", {"name": "script", "password": PASSWORD})
    web = ApiToken.objects.get()
    client.post("/staff/settings/", {"revoke": web.pk})
    _run("token", "create", "lead@example.org")
    command = ApiToken.objects.exclude(pk=web.pk).get()
    _run("token", "revoke", "lead@example.org", str(command.pk))
    events = [
        (event.event_type, event.detail)
        for event in AuditEvent.objects.filter(event_type__in=[EventType.TOKEN_CREATED, EventType.TOKEN_REVOKED])
    ]
    lead = staff.lead.pk
    assert events == [
        (EventType.TOKEN_CREATED, {"user": lead, "token": web.pk, "via": "web", "opens_content": True}),
        (EventType.TOKEN_REVOKED, {"user": lead, "token": web.pk, "via": "web"}),
        (EventType.TOKEN_CREATED, {"user": lead, "token": command.pk, "via": "command", "opens_content": False}),
        (EventType.TOKEN_REVOKED, {"user": lead, "token": command.pk, "via": "command"}),
    ]


def test_a_password_change_ends_every_token(staff) -> None:
    _record, token = tokens.create_token(user=staff.lead, name="script")
    assert _api(token).get("/api/v1/cases").status_code == 200
    changed = client_for(staff.lead).post(
        "/staff/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert _api(token).get("/api/v1/cases").status_code == 401
    assert "dead: password changed" in _run("token", "list", "lead@example.org")


def test_a_second_factor_reset_ends_every_token(staff) -> None:
    _record, token = tokens.create_token(user=staff.lead, name="script")
    _run("staff", "reset-mfa", "lead@example.org")
    assert _api(token).get("/api/v1/cases").status_code == 401
    assert ApiToken.objects.get().revoked_at is not None
    assert AuditEvent.objects.filter(event_type=EventType.TOKEN_REVOKED, detail__reason="mfa_reset").count() == 1


def test_a_token_made_before_the_reset_stays_dead_even_if_its_revocation_were_undone(staff) -> None:
    """The fingerprint alone ends it: the generation of the second factor moved on."""
    record, _token = tokens.create_token(user=staff.lead, name="script")
    _run("staff", "reset-mfa", "lead@example.org")
    record.refresh_from_db()
    assert tokens.token_state(record) is tokens.TokenState.REVOKED
    record.revoked_at = None
    assert tokens.token_state(record) is tokens.TokenState.CHANGED


def test_a_token_from_before_fingerprints_does_not_work(staff) -> None:
    record, token = tokens.create_token(user=staff.lead, name="old")
    ApiToken.objects.filter(pk=record.pk).update(fingerprint="")
    assert _api(token).get("/api/v1/cases").status_code == 401


def test_the_token_list_does_not_call_a_dead_accounts_tokens_active(staff) -> None:
    _run("token", "create", "lead@example.org", "--name", "nightly")
    assert "\tactive" in _run("token", "list", "lead@example.org")
    _run("staff", "deactivate", "lead@example.org")
    listing = _run("token", "list", "lead@example.org")
    assert "nightly" in listing
    assert "\tactive" not in listing
    # Deactivation revokes them outright, so they stay dead if the account is ever reactivated.
    assert "\trevoked " in listing


def test_a_token_of_an_account_deactivated_by_hand_is_listed_as_dead(staff) -> None:
    _run("token", "create", "lead@example.org", "--name", "nightly")
    User.objects.filter(email="lead@example.org").update(is_active=False)
    listing = _run("token", "list", "lead@example.org")
    assert "\tactive" not in listing and "dead: account deactivated" in listing


def test_a_case_view_says_whether_it_came_through_a_page_or_the_api(staff, file_report) -> None:
    case = file_report().case
    client_for(staff.lead).get(f"/staff/cases/{case.reference}/")
    _record, token = tokens.create_token(user=staff.lead, name="script")
    _api(token).get(f"/api/v1/cases/{case.reference}")
    views = AuditEvent.objects.filter(case=case, event_type=EventType.CASE_VIEWED).order_by("id")
    assert [event.detail.get("via") for event in views] == ["web", "api"]
