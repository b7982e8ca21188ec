"""The second factor is enforced where access is decided: views, token check, access module.

A check of the URL prefix alone could be sidestepped with a SCRIPT_NAME: the request's
`path` then lies outside /staff/ while Django still resolves the staff page.
"""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client, RequestFactory

from ombuds.accounts import tokens
from ombuds.accounts.adapter import StaffAccountAdapter
from ombuds.accounts.forms import NoEmailChangeForm
from ombuds.accounts.models import ApiToken
from ombuds.cases import access
from tests.support import client_for, make_staff, password_only_client, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NARRATIVE = "Nobody without a second factor may read this sentence."


@pytest.fixture
def case(file_report):
    return file_report(narrative=NARRATIVE).case


@pytest.fixture
def without_middleware(settings) -> None:
    """Take the middleware away: the views must hold on their own."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("RequireMFAMiddleware")]


def _password_login(email: str) -> Client:
    client = Client()
    assert client.post("/staff/accounts/login/", {"login": email, "password": PASSWORD}).status_code == 302
    return client


def test_the_staff_views_demand_the_second_factor_without_the_middleware(without_middleware, staff, case) -> None:
    lead = password_only_client(staff.lead)
    oversight = password_only_client(staff.oversight)
    for client, path in [
        (lead, "/staff/"),
        (lead, "/staff/settings/"),
        (lead, f"/staff/cases/{case.reference}/"),
        (lead, f"/staff/cases/{case.reference}/export/"),
        (oversight, "/staff/audit/"),
    ]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/staff/accounts/2fa/reauthenticate/?next="), path
    assert client_for(staff.lead).get(f"/staff/cases/{case.reference}/").status_code == 200


def test_a_handler_without_totp_is_sent_to_set_it_up_by_the_views_themselves(without_middleware, case) -> None:
    make_staff("new@example.org", "handler", totp=False)
    client = _password_login("new@example.org")
    for path in ["/staff/", f"/staff/cases/{case.reference}/", f"/staff/cases/{case.reference}/export/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/staff/accounts/2fa/totp/activate/"


def test_a_script_name_does_not_carry_a_staff_page_past_the_check(case) -> None:
    make_staff("new@example.org", "handler", totp=False)
    client = _password_login("new@example.org")
    for path in [f"/staff/cases/{case.reference}/", f"/staff/cases/{case.reference}/export/"]:
        response = client.get(path, SCRIPT_NAME="/x")
        assert response.status_code == 302, path
        assert NARRATIVE not in response.content.decode()
    assert client.post("/staff/settings/", {"name": "t", "password": PASSWORD}, SCRIPT_NAME="/x").status_code == 302
    assert not ApiToken.objects.exists()


def test_the_access_module_shows_nothing_to_an_account_whose_roles_need_a_factor_it_lacks(staff, case) -> None:
    newcomer = make_staff("new@example.org", "handler", "lead_handler", "oversight", totp=False)
    assert not access.visible_cases(newcomer).exists()
    assert not access.visible_audit_events(newcomer).exists()
    assert access.visible_cases(staff.lead).filter(pk=case.pk).exists()
    assert access.visible_audit_events(staff.oversight).exists()


def test_the_api_refuses_the_token_of_an_account_that_no_longer_has_totp(staff, case) -> None:
    _record, token = tokens.create_token(user=staff.lead, name="script")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    assert api.get(f"/api/v1/cases/{case.reference}").status_code == 200
    Authenticator.objects.filter(user=staff.lead).delete()  # as when the app is removed on its own page
    assert api.get(f"/api/v1/cases/{case.reference}").status_code == 401
    assert api.get("/api/v1/cases").status_code == 401


def test_no_token_is_made_for_an_account_whose_roles_need_a_factor_it_lacks() -> None:
    newcomer = make_staff("new@example.org", "handler", totp=False)
    with pytest.raises(tokens.TokenError):
        tokens.create_token(user=newcomer, name="script")
    assert not ApiToken.objects.exists()


def test_a_session_must_pass_the_factor_the_account_has_now(staff, case) -> None:
    client = client_for(staff.lead)
    assert client.get("/staff/").status_code == 200
    Authenticator.objects.filter(user=staff.lead).delete()
    TOTP.activate(staff.lead, generate_totp_secret())  # a new app, set up in another browser
    response = client.get(f"/staff/cases/{case.reference}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/accounts/2fa/reauthenticate/")


def test_a_password_only_session_passes_the_factor_and_goes_on(staff, case) -> None:
    client = password_only_client(staff.lead)
    response = client.get(f"/staff/cases/{case.reference}/")
    check = client.post(response["Location"], {"code": totp_code(staff.lead.totp_secret)})
    assert check.status_code == 302
    assert check["Location"] == f"/staff/cases/{case.reference}/"
    assert NARRATIVE in client.get(check["Location"]).content.decode()


def test_a_password_only_session_cannot_remove_the_second_factor(staff) -> None:
    client = password_only_client(staff.lead)
    for script_name in ("", "/x"):
        response = client.post("/staff/accounts/2fa/totp/deactivate/", SCRIPT_NAME=script_name)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/accounts/2fa/reauthenticate/")
    assert Authenticator.objects.filter(user=staff.lead, type="totp").exists()


@pytest.mark.parametrize("script_name", ["", "/x"])
def test_the_e_mail_pages_do_not_exist_for_staff(staff, script_name) -> None:
    client = client_for(staff.handler)
    for path in ["/staff/accounts/email/", "/staff/accounts/confirm-email/", "/staff/accounts/confirm-email/abc/"]:
        assert client.get(path, SCRIPT_NAME=script_name).status_code == 404, path
        response = client.post(path, {"email": "x@elsewhere.example", "action_add": ""}, SCRIPT_NAME=script_name)
        assert response.status_code == 404, path
    assert not EmailAddress.objects.filter(email="x@elsewhere.example").exists()
    staff.handler.refresh_from_db()
    assert staff.handler.email == "handler@example.org"


def test_the_account_adapter_and_form_refuse_a_new_address(staff) -> None:
    adapter = StaffAccountAdapter()
    address = EmailAddress.objects.create(user=staff.handler, email="x@elsewhere.example", primary=False)
    request = RequestFactory().get("/")
    request.user = staff.handler
    request.session = client_for(staff.handler).session
    assert adapter.confirm_email(request, address) is False
    address.refresh_from_db()
    assert not address.verified and not address.primary
    assert adapter.can_delete_email(address) is False
    form = NoEmailChangeForm(data={"email": "y@elsewhere.example"}, user=staff.handler)
    assert not form.is_valid()
    assert "directory" in str(form.errors["email"])
