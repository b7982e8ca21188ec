"""Command-line administration: staff, tokens, pools, organisation settings; the audit page."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from ombuds.accounts.models import ApiToken
from ombuds.cases import actions
from ombuds.cases.models import Organisation, PoolMembership
from ombuds.directory.models import Person

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createstaff_makes_a_user_with_roles_and_links_the_directory(monkeypatch) -> None:
    Person.objects.create(employee_id="E7", name="New Handler", email="new@example.org")
    monkeypatch.setenv("OMBUDS_NEW_PASSWORD", "a long and unusual passphrase")
    output = _run(
        "createstaff", "new@example.org", "--name", "New Handler", "--role", "handler", "--role", "lead_handler"
    )
    assert "created new@example.org" in output
    user = User.objects.get(username="new@example.org")
    assert set(user.groups.values_list("name", flat=True)) == {"handler", "lead_handler"}
    assert user.check_password("a long and unusual passphrase")
    assert Person.objects.get(employee_id="E7").user == user


def test_createstaff_refuses_weak_passwords_and_duplicates(monkeypatch) -> None:
    monkeypatch.setenv("OMBUDS_NEW_PASSWORD", "short")
    with pytest.raises(CommandError):
        _run("createstaff", "a@example.org", "--role", "handler")
    monkeypatch.setenv("OMBUDS_NEW_PASSWORD", "a long and unusual passphrase")
    _run("createstaff", "a@example.org", "--role", "handler")
    with pytest.raises(CommandError, match="already exists"):
        _run("createstaff", "a@example.org", "--role", "handler")


def test_token_create_prints_a_working_token_stored_only_as_a_digest(staff) -> None:
    token = _run("token", "create", "lead@example.org", "--name", "nightly export").strip()
    assert token.startswith("omb_")
    record = ApiToken.objects.get(user=staff.lead)
    assert token not in (record.digest, record.prefix)
    assert Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/cases").status_code == 200
    listing = _run("token", "list", "lead@example.org")
    assert "nightly export" in listing and "active" in listing
    _run("token", "revoke", "lead@example.org", str(record.pk))
    assert Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/cases").status_code == 401
    with pytest.raises(CommandError):
        _run("token", "create", "nobody@example.org")


def test_pools_route_new_cases_to_their_handlers(staff, file_report) -> None:
    _run("pool", "add", "sexual_assault", "handler2@example.org")
    assert PoolMembership.objects.count() == 1
    case = file_report(category="sexual_assault").case
    other = file_report(category="bullying").case
    handler, handler2 = staff.client_for(staff.handler), staff.client_for(staff.handler2)
    assert handler.get(f"/staff/cases/{case.reference}/").status_code == 404  # not in that pool
    assert handler2.get(f"/staff/cases/{case.reference}/").status_code == 200
    assert handler.get(f"/staff/cases/{other.reference}/").status_code == 200  # no pool: everyone's
    with pytest.raises(CommandError, match="only handlers"):
        _run("pool", "add", "bullying", "oversight@example.org")
    _run("pool", "remove", "sexual_assault", "handler2@example.org")
    assert handler.get(f"/staff/cases/{case.reference}/").status_code == 200


def test_the_organisation_command_changes_deadlines_for_new_cases(file_report) -> None:
    output = _run("organisation", "set", "--ack-deadline", "pt2m", "--oversight-name", "the Audit Committee")
    assert "PT2M" in output
    org = Organisation.objects.get()
    assert (org.ack_deadline, org.oversight_name) == ("PT2M", "the Audit Committee")
    with pytest.raises(CommandError, match="not an ISO 8601 duration"):
        _run("organisation", "set", "--feedback-deadline", "three months")
    assert Organisation.objects.get().feedback_deadline == "P3M"


def test_the_audit_trail_is_for_auditors_and_oversight_only(staff, file_report) -> None:
    filed = file_report()
    actions.acknowledge_case(case=filed.case, actor=staff.handler)
    auditor = staff.client_for(staff.auditor)
    page = auditor.get("/staff/audit/").content.decode()
    assert "case acknowledged" in page and filed.case.reference in page and "handler@example.org" in page
    assert "My manager kept touching" not in page  # identifiers only
    assert auditor.get(f"/staff/cases/{filed.case.reference}/").status_code == 404  # the trail, not the case
    assert staff.client_for(staff.oversight).get("/staff/audit/").status_code == 200
    for persona in ["handler", "admin", "outsider"]:
        assert staff.client_for(getattr(staff, persona)).get("/staff/audit/").status_code == 404, persona


def test_staff_roles_deactivation_and_mfa_reset_are_audited(staff, file_report) -> None:
    from allauth.mfa.models import Authenticator

    from ombuds.audit.models import AuditEvent, EventType

    assert "handler@example.org" in _run("staff", "list")
    assert "lead_handler" in _run("staff", "roles", "handler@example.org", "--add", "lead_handler")
    assert "lead_handler" not in _run("staff", "roles", "handler@example.org", "--remove", "lead_handler")
    case = file_report().case
    actions.assign_case(case=case, actor=staff.lead, assignee=staff.handler2)
    assert "1 case(s) unassigned" in _run("staff", "deactivate", "handler2@example.org")
    case.refresh_from_db()
    assert case.assignee is None
    assert not User.objects.get(email="handler2@example.org").is_active
    assert Authenticator.objects.filter(user=staff.handler).exists()
    _run("staff", "reset-mfa", "handler@example.org")
    assert not Authenticator.objects.filter(user=staff.handler).exists()
    counted = {
        kind: AuditEvent.objects.filter(event_type=kind).count()
        for kind in (EventType.STAFF_ROLES_CHANGED, EventType.STAFF_DEACTIVATED, EventType.STAFF_MFA_RESET)
    }
    assert counted == {EventType.STAFF_ROLES_CHANGED: 2, EventType.STAFF_DEACTIVATED: 1, EventType.STAFF_MFA_RESET: 1}
    with pytest.raises(CommandError):
        _run("staff", "deactivate", "nobody@example.org")
