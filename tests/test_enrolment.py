"""After `ombuds staff reset-mfa` a new second factor needs the administrator's one-time link.

Knowing the password is not enough: the link must be opened, once and in time, in the
browser session that then sets up the new factor. New accounts still set up their first
factor at the first login (tests/test_staff_pages.py).
"""

import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from ombuds.accounts.models import EnrolmentLink
from ombuds.audit.models import AuditEvent, EventType
from tests.support import totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LINK = re.compile(r"https?://\S+/staff/accounts/enrol/(\S+)/")


def _reset(email: str) -> str:
    """Run the command; return the path of the link it printed."""
    out = StringIO()
    call_command("staff", "reset-mfa", email, stdout=out)
    found = LINK.search(out.getvalue())
    assert found, out.getvalue()
    return f"/staff/accounts/enrol/{found.group(1)}/"


def _login(email: str) -> Client:
    client = Client()
    assert client.post("/staff/accounts/login/", {"login": email, "password": PASSWORD}).status_code == 302
    return client


def _set_up_totp(client: Client):
    page = client.get("/staff/accounts/2fa/totp/activate/")
    if page.status_code != 200:
        return page
    return client.post("/staff/accounts/2fa/totp/activate/", {"code": totp_code(client.session["mfa.totp.secret"])})


def test_after_a_reset_the_password_alone_cannot_set_up_a_new_factor(staff) -> None:
    _reset("handler@example.org")
    client = _login("handler@example.org")
    assert client.get("/staff/")["Location"] == "/staff/accounts/2fa/totp/activate/"
    refused = client.get("/staff/accounts/2fa/totp/activate/")
    assert refused.status_code == 403
    assert "one-time link" in refused.content.decode()
    assert client.post("/staff/accounts/2fa/totp/activate/", {"code": "123456"}).status_code == 403
    assert client.post("/staff/accounts/2fa/webauthn/add/", {})["Location"] == "/staff/accounts/2fa/totp/activate/"
    assert not Authenticator.objects.filter(user=staff.handler).exists()
    assert client.get("/staff/").status_code == 302


def test_the_link_opened_in_the_same_session_lets_it_set_up_a_new_factor(staff) -> None:
    link = _reset("handler@example.org")
    client = _login("handler@example.org")
    assert client.get(link).status_code == 200  # a page with a button: a link preview uses nothing up
    opened = client.post(link)
    assert opened["Location"] == "/staff/accounts/2fa/totp/activate/"
    assert _set_up_totp(client).status_code == 302
    assert Authenticator.objects.filter(user=staff.handler, type="totp").exists()
    assert client.get("/staff/").status_code == 200
    steps = [e.detail["step"] for e in AuditEvent.objects.filter(event_type=EventType.STAFF_ENROLMENT_LINK)]
    assert steps == ["issued", "opened", "completed"]


def test_a_link_opened_in_another_session_does_not_help_this_one(staff) -> None:
    link = _reset("handler@example.org")
    elsewhere, here = _login("handler@example.org"), _login("handler@example.org")
    elsewhere.post(link)
    assert here.get("/staff/accounts/2fa/totp/activate/").status_code == 403


def test_the_link_works_once(staff) -> None:
    link = _reset("handler@example.org")
    _login("handler@example.org").post(link)
    again = _login("handler@example.org")
    assert again.post(link).status_code == 404
    assert again.get("/staff/accounts/2fa/totp/activate/").status_code == 403


def test_the_link_expires(staff, settings) -> None:
    link = _reset("handler@example.org")
    later = timezone.now() + timedelta(hours=settings.OMBUDS_ENROLMENT_LINK_HOURS, minutes=1)
    with time_machine.travel(later, tick=False):
        client = _login("handler@example.org")
        assert client.post(link).status_code == 404
        assert client.get("/staff/accounts/2fa/totp/activate/").status_code == 403


def test_the_link_is_for_one_account_only(staff) -> None:
    link = _reset("handler@example.org")
    _reset("handler2@example.org")
    other = _login("handler2@example.org")
    assert other.post(link).status_code == 404
    # Not used up by the wrong person.
    assert _login("handler@example.org").post(link).status_code == 302


def test_a_new_reset_voids_the_earlier_link(staff) -> None:
    first = _reset("handler@example.org")
    second = _reset("handler@example.org")
    client = _login("handler@example.org")
    assert client.post(first).status_code == 404
    assert client.post(second).status_code == 302


def test_only_a_digest_of_the_link_is_stored(staff) -> None:
    link = _reset("handler@example.org")
    secret = link.rstrip("/").rsplit("/", 1)[1]
    stored = EnrolmentLink.objects.get()
    assert len(stored.digest) == 64
    assert secret not in stored.digest
