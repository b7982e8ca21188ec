"""Staff accounts on the administration pages and with `ombuds staff`: the same actions, audited, never a silent no-op.

An administrator invites a handler (an e-mail through a real SMTP listener, a link
that sets the password once), changes roles, deactivates and reactivates, resets a
second factor and revokes tokens. The commands call the same actions and exit non-zero
on every refusal. Nobody changes their own roles, and the oversight body is told of
every role given.
"""

from __future__ import annotations

import re
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from unittest import mock

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import User
from django.core.management import execute_from_command_line
from django.db import connections
from django.test import Client
from django_tasks_db.models import DBTaskResult

from ombuds.accounts import actions as account_actions
from ombuds.accounts import mail, tokens
from ombuds.accounts.models import ApiToken, EnrolmentLink
from ombuds.accounts.roles import Role
from ombuds.administration import staff as staff_changes
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases.models import PendingGrant
from ombuds.directory.models import Person
from tests.support import client_for, make_staff, totp_code

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and unusual passphrase"
INVITATION_LINK = re.compile(r"https?://\S+(/staff/accounts/invitation/\S+/)")


def run(*argv: str) -> tuple[int, str, str]:
    """Run `ombuds ARGV` as from the shell, in this process: (exit status, standard output, standard error).

    The shell's path closes the database connections when the command ends; the test's
    database must stay open, so that one step is left out.
    """
    out, err = StringIO(), StringIO()
    status = 0
    with redirect_stdout(out), redirect_stderr(err), mock.patch.object(connections, "close_all"):
        try:
            execute_from_command_line(["ombuds", *argv])
        except SystemExit as exc:
            status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


def events(kind: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=kind).order_by("seq"))


def log_in(email: str):
    return Client().post("/staff/accounts/login/", {"login": email, "password": "correct horse battery staple"})


def invitation_path(smtp, to: str) -> str:
    message = next(m for m in smtp.messages if m["To"] == to)
    found = INVITATION_LINK.search(message.get_content())
    assert found, message.get_content()
    return found.group(1)


def invite_on_the_page(client: Client, email: str, *roles: str):
    return client.post("/staff/admin/staff/invite/", {"email": email, "name": "Nia New", "roles": list(roles)})


# --- Invitations ---------------------------------------------------------------------------


def test_an_administrator_invites_a_handler_who_sets_a_password_and_enrols(staff, smtp) -> None:
    Person.objects.create(employee_id="E-NIA", name="Nia New", email="nia@example.org")
    admin = client_for(staff.admin)
    response = invite_on_the_page(admin, "Nia@Example.org", "handler")
    nia = User.objects.get(email="nia@example.org")
    assert response.status_code == 302 and response["Location"] == f"/staff/admin/staff/{nia.pk}/"
    assert "Invitation sent to nia@example.org" in admin.get(response["Location"]).content.decode()
    assert not nia.has_usable_password()
    assert Person.objects.get(employee_id="E-NIA").user == nia  # linked by e-mail at once
    invited = events(EventType.STAFF_INVITED)
    assert [(e.actor_id, e.detail["user"], e.detail["roles"]) for e in invited] == [
        (staff.admin.pk, nia.pk, ["handler"])
    ]

    # The link, from the e-mail as delivered; only its digest is stored.
    path = invitation_path(smtp, "nia@example.org")
    secret = path.rstrip("/").rsplit("/", 1)[1]
    assert secret not in str(list(EnrolmentLink.objects.values()))
    visitor = Client()
    assert visitor.get(path).status_code == 200  # a page with a form: a link preview uses nothing up
    assert visitor.post(path, {"password1": NEW_PASSWORD, "password2": "another"}).status_code == 400
    done = visitor.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 200 and 'href="/staff/accounts/login/"' in done.content.decode()
    nia.refresh_from_db()
    assert nia.check_password(NEW_PASSWORD)
    # Once only.
    assert (
        visitor.post(path, {"password1": "something else entirely", "password2": "something else entirely"}).status_code
        == 404
    )

    # She logs in and is sent to set up the second factor, like every new handler.
    assert (
        visitor.post("/staff/accounts/login/", {"login": "nia@example.org", "password": NEW_PASSWORD}).status_code
        == 302
    )
    assert visitor.get("/staff/")["Location"] == "/staff/accounts/2fa/totp/activate/"
    visitor.get("/staff/accounts/2fa/totp/activate/")
    enrolled = visitor.post(
        "/staff/accounts/2fa/totp/activate/", {"code": totp_code(visitor.session["mfa.totp.secret"])}
    )
    assert enrolled.status_code == 302
    assert Authenticator.objects.filter(user=nia, type="totp").exists()
    assert visitor.get("/staff/").status_code == 200
    steps = [e.detail["step"] for e in events(EventType.STAFF_ENROLMENT_LINK)]
    assert steps == ["issued", "password_set"]


def test_the_invitation_holds_no_secret_but_its_link_and_is_in_the_administrators_language(staff, smtp) -> None:
    admin = client_for(staff.admin)
    admin.post("/i18n/setlang/", {"language": "zh-hans", "next": "/staff/admin/"})
    invite_on_the_page(admin, "mei@example.org", "handler")
    message = smtp.messages[0]
    assert "账户" in message["Subject"] or "账号" in message["Subject"]
    assert INVITATION_LINK.search(message.get_content())


def test_a_newer_invitation_voids_the_older_link(staff, smtp) -> None:
    invitation = account_actions.invite_staff(email="nia@example.org", name="", roles=[Role.HANDLER])
    first = invitation_path(smtp, "nia@example.org")
    smtp.messages.clear()
    response = client_for(staff.admin).post(f"/staff/admin/staff/{invitation.user.pk}/invitation/")
    assert response.status_code == 302
    second = invitation_path(smtp, "nia@example.org")
    assert first != second
    assert Client().get(first).status_code == 404
    assert Client().post(second, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 200
    # The password is set: there is no invitation left to send.
    refused = client_for(staff.admin).post(f"/staff/admin/staff/{invitation.user.pk}/invitation/")
    assert refused.status_code == 400
    assert "has set a password already" in refused.content.decode()


def test_an_invitation_the_mail_server_refuses_says_so_and_can_be_sent_again(staff, settings, smtp) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    admin = client_for(staff.admin)
    response = invite_on_the_page(admin, "nia@example.org", "handler")
    page = admin.get(response["Location"]).content.decode()
    assert "could not be sent" in page
    status, _out, err = run("staff", "resend-invitation", "nia@example.org")
    assert status == 1 and "could not be sent" in err


def test_an_existing_account_is_not_invited_again(staff) -> None:
    response = invite_on_the_page(client_for(staff.admin), "handler@example.org", "handler")
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    status, _out, err = run("staff", "invite", "handler@example.org", "--role", "handler")
    assert status == 1 and "already exists" in err
    assert not events(EventType.STAFF_INVITED)


def test_a_handler_invited_after_a_report_can_be_given_its_key_once_she_enrols(staff, file_report, smtp) -> None:
    case = file_report().case
    invitation = staff_changes.invite(email="nia@example.org", name="", roles=[Role.HANDLER], acting_user=staff.admin)
    nia = invitation.user
    client = Client()
    client.post(invitation_path(smtp, "nia@example.org"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.post("/staff/accounts/login/", {"login": "nia@example.org", "password": NEW_PASSWORD})
    assert not PendingGrant.objects.filter(user=nia, case=case).exists()  # no factor yet: her role opens nothing
    client.get("/staff/accounts/2fa/totp/activate/")
    client.post("/staff/accounts/2fa/totp/activate/", {"code": totp_code(client.session["mfa.totp.secret"])})
    # Queued for the next reader of the case, who makes her grant.
    assert PendingGrant.objects.filter(user=nia, case=case).exists()


# --- Roles ---------------------------------------------------------------------------------


def test_roles_are_changed_on_the_page_and_the_oversight_body_is_told(staff, smtp) -> None:
    admin = client_for(staff.admin)
    response = admin.post(f"/staff/admin/staff/{staff.handler.pk}/roles/", {"roles": ["handler", "lead_handler"]})
    assert response.status_code == 302
    assert {g.name for g in staff.handler.groups.all()} == {"handler", "lead_handler"}
    changed = events(EventType.STAFF_ROLES_CHANGED)
    assert [(e.actor_id, e.detail["added"], e.detail["removed"]) for e in changed] == [
        (staff.admin.pk, ["lead_handler"], [])
    ]
    # The notice to oversight, as the task worker sends it.
    queued = DBTaskResult.objects.filter(task_path="ombuds.accounts.mail.send_role_notice")
    assert queued.count() == 1
    for row in queued:
        mail.send_role_notice.call(**row.args_kwargs["kwargs"])
    assert [m["To"] for m in smtp.messages] == ["oversight@example.org"]
    body = smtp.messages[0].get_content()
    assert "handler@example.org" in body and "Lead handler" in body and "admin@example.org" in body


def _send_account_notices() -> None:
    """Run the queued account notices, as the task worker would."""
    for row in DBTaskResult.objects.filter(task_path="ombuds.accounts.mail.send_account_notice"):
        mail.send_account_notice.call(**row.args_kwargs["kwargs"])
        row.delete()


def test_taking_a_role_away_is_audited_and_told_to_oversight(staff, smtp) -> None:
    client_for(staff.admin).post(f"/staff/admin/staff/{staff.lead.pk}/roles/", {"roles": ["handler"]})
    assert {g.name for g in staff.lead.groups.all()} == {"handler"}
    assert events(EventType.STAFF_ROLES_CHANGED)[0].detail["removed"] == ["lead_handler"]
    assert not DBTaskResult.objects.filter(task_path="ombuds.accounts.mail.send_role_notice").exists()
    _send_account_notices()
    [message] = smtp.messages
    assert message["To"] == "oversight@example.org"
    body = message.get_content()
    assert "lead@example.org no longer has these roles: Lead handler." in body and "admin@example.org" in body


def test_deactivation_reactivation_and_a_second_factor_reset_are_told_to_oversight(staff, smtp) -> None:
    """The review's attack: one administrator locked oversight out, or changed accounts, and nobody heard."""
    board = make_staff("board2@example.org", "oversight")
    admin = client_for(staff.admin)
    assert admin.post(f"/staff/admin/staff/{staff.handler2.pk}/deactivate/").status_code == 302
    # Told to whoever was on the oversight body when it was done, even if deactivated since.
    assert admin.post(f"/staff/admin/staff/{board.pk}/deactivate/").status_code == 302
    _send_account_notices()
    told = sorted((to, m.get_content().splitlines()[0]) for m in smtp.messages for to in m["To"].split(", "))
    assert told == [
        ("board2@example.org", "handler2@example.org was deactivated: the account can no longer log in."),
        ("oversight@example.org", "board2@example.org was deactivated: the account can no longer log in."),
        ("oversight@example.org", "handler2@example.org was deactivated: the account can no longer log in."),
    ]
    smtp.messages.clear()
    assert admin.post(f"/staff/admin/staff/{staff.handler2.pk}/reactivate/").status_code == 302
    assert run("staff", "reset-mfa", "handler@example.org")[0] == 0
    _send_account_notices()
    lines = sorted(m.get_content().splitlines()[0] for m in smtp.messages)
    assert lines == [
        "The second factor of handler@example.org was reset: the account cannot log in until a new one is "
        "set up with a one-time link.",
        "handler2@example.org was reactivated: the account can log in again, with its roles.",
    ]
    # The reset by the server's operator is said so.
    assert any("the server's operator" in m.get_content() for m in smtp.messages)


def test_an_administrator_cannot_give_herself_a_role(staff) -> None:
    admin = client_for(staff.admin)
    response = admin.post(f"/staff/admin/staff/{staff.admin.pk}/roles/", {"roles": ["administrator", "oversight"]})
    assert response.status_code == 400
    assert "cannot change your own roles" in response.content.decode()
    assert {g.name for g in staff.admin.groups.all()} == {"administrator"}
    with pytest.raises(account_actions.AccountError):
        account_actions.change_roles(user=staff.admin, add=[Role.HANDLER], acting_user=staff.admin)
    assert not events(EventType.STAFF_ROLES_CHANGED)


def test_saving_the_roles_an_account_already_has_changes_nothing_and_says_so(staff) -> None:
    response = client_for(staff.admin).post(f"/staff/admin/staff/{staff.handler.pk}/roles/", {"roles": ["handler"]})
    assert response.status_code == 400
    assert "Nothing to change" in response.content.decode()
    status, _out, err = run("staff", "roles", "handler@example.org", "--add", "handler")
    assert status == 1 and "Nothing to change" in err
    status, _out, err = run("staff", "roles", "handler@example.org")
    assert status == 1 and "Choose a role" in err
    assert not events(EventType.STAFF_ROLES_CHANGED)


def test_roles_of_a_deactivated_account_are_refused(staff) -> None:
    assert run("staff", "deactivate", "handler2@example.org")[0] == 0
    status, _out, err = run("staff", "roles", "handler2@example.org", "--add", "lead_handler")
    assert status == 1
    assert "deactivated" in err
    assert {g.name for g in User.objects.get(email="handler2@example.org").groups.all()} == {"handler"}
    response = client_for(staff.admin).post(f"/staff/admin/staff/{staff.handler2.pk}/roles/", {"roles": ["oversight"]})
    assert response.status_code == 400 and "reactivate" in response.content.decode()
    assert not events(EventType.STAFF_ROLES_CHANGED)


# --- Deactivation and reactivation -------------------------------------------------------------


def test_a_deactivated_account_is_reactivated_and_logs_in_again(staff) -> None:
    _record, token = tokens.create_token(user=staff.handler, name="script")
    status, out, _err = run("staff", "deactivate", "handler@example.org")
    assert status == 0 and "1 token(s) revoked" in out
    assert log_in("handler@example.org")["Location"] == "/staff/accounts/inactive/"

    status, out, _err = run("staff", "reactivate", "handler@example.org")
    assert status == 0 and "reactivated" in out
    staff.handler.refresh_from_db()
    assert staff.handler.is_active
    assert {g.name for g in staff.handler.groups.all()} == {"handler"}
    assert log_in("handler@example.org")["Location"] == "/staff/accounts/2fa/authenticate/"
    # Its tokens stay dead.
    assert Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/cases").status_code == 401
    assert [e.actor_id for e in events(EventType.STAFF_REACTIVATED)] == [None]


def test_the_pages_deactivate_and_reactivate_with_the_administrator_named(staff, file_report) -> None:
    from ombuds.cases import actions

    case = file_report().case
    actions.assign_case(case=case, actor=staff.lead, assignee=staff.handler2)
    admin = client_for(staff.admin)
    response = admin.post(f"/staff/admin/staff/{staff.handler2.pk}/deactivate/")
    assert response.status_code == 302
    assert "1 case unassigned" in admin.get(response["Location"]).content.decode()
    case.refresh_from_db()
    assert case.assignee is None
    assert admin.post(f"/staff/admin/staff/{staff.handler2.pk}/reactivate/").status_code == 302
    assert [e.actor_id for e in events(EventType.STAFF_DEACTIVATED)] == [staff.admin.pk]
    assert [e.actor_id for e in events(EventType.STAFF_REACTIVATED)] == [staff.admin.pk]


def test_deactivating_twice_or_reactivating_an_active_account_is_refused(staff) -> None:
    assert run("staff", "deactivate", "handler@example.org")[0] == 0
    status, _out, err = run("staff", "deactivate", "handler@example.org")
    assert status == 1 and "deactivated already" in err
    status, _out, err = run("staff", "reactivate", "handler2@example.org")
    assert status == 1 and "active already" in err
    assert len(events(EventType.STAFF_DEACTIVATED)) == 1
    assert not events(EventType.STAFF_REACTIVATED)


def test_an_administrator_cannot_deactivate_herself(staff) -> None:
    response = client_for(staff.admin).post(f"/staff/admin/staff/{staff.admin.pk}/deactivate/")
    assert response.status_code == 400
    staff.admin.refresh_from_db()
    assert staff.admin.is_active


def test_the_last_active_oversight_member_is_neither_deactivated_nor_stripped_of_the_role(staff) -> None:
    """The review's attack: deactivate the oversight body, give roles unseen, reactivate it."""
    admin = client_for(staff.admin)
    response = admin.post(f"/staff/admin/staff/{staff.oversight.pk}/deactivate/")
    assert response.status_code == 400 and "last active member of the oversight body" in response.content.decode()
    status, _out, err = run("staff", "roles", "oversight@example.org", "--remove", "oversight")
    assert status == 1 and "last active member of the oversight body" in err
    staff.oversight.refresh_from_db()
    assert staff.oversight.is_active and staff.oversight.groups.filter(name="oversight").exists()
    # With a second member, either may go.
    board = make_staff("board2@example.org", "oversight")
    assert admin.post(f"/staff/admin/staff/{staff.oversight.pk}/deactivate/").status_code == 302
    assert run("staff", "roles", "board2@example.org", "--remove", "oversight")[0] == 1
    board.refresh_from_db()
    assert board.groups.filter(name="oversight").exists()


def test_an_unknown_account_is_refused_by_the_command(staff) -> None:
    for argv in (["roles", "nobody@example.org", "--add", "handler"], ["reactivate", "nobody@example.org"]):
        status, _out, err = run("staff", *argv)
        assert status == 1 and "no such staff user" in err


# --- Second factor and tokens ----------------------------------------------------------------


def test_the_page_resets_a_second_factor_only_when_confirmed_and_shows_the_link_once(staff) -> None:
    admin = client_for(staff.admin)
    path = f"/staff/admin/staff/{staff.handler.pk}/second-factor/"
    assert admin.post(path, {}).status_code == 400  # not confirmed
    assert Authenticator.objects.filter(user=staff.handler).exists()
    response = admin.post(path, {"confirm": "on"})
    assert response.status_code == 200
    assert re.search(r"/staff/accounts/enrol/\S+/", response.content.decode())
    assert not Authenticator.objects.filter(user=staff.handler).exists()
    assert [e.actor_id for e in events(EventType.STAFF_MFA_RESET)] == [staff.admin.pk]
    own = admin.post(f"/staff/admin/staff/{staff.admin.pk}/second-factor/", {"confirm": "on"})
    assert own.status_code == 400


def test_tokens_are_revoked_one_or_all_and_nothing_to_revoke_is_refused(staff) -> None:
    first, _t = tokens.create_token(user=staff.lead, name="one")
    tokens.create_token(user=staff.lead, name="two")
    tokens.create_token(user=staff.lead, name="three")
    admin = client_for(staff.admin)
    path = f"/staff/admin/staff/{staff.lead.pk}/tokens/revoke/"
    assert admin.post(path, {"token": first.pk}).status_code == 302
    assert ApiToken.objects.filter(user=staff.lead, revoked_at__isnull=True).count() == 2
    assert admin.post(path, {"token": "all"}).status_code == 302
    assert not ApiToken.objects.filter(user=staff.lead, revoked_at__isnull=True).exists()
    refused = admin.post(path, {"token": "all"})
    assert refused.status_code == 400 and "no active tokens" in refused.content.decode()
    assert [e.actor_id for e in events(EventType.TOKEN_REVOKED)] == [staff.admin.pk] * 3

    tokens.create_token(user=staff.lead, name="four")
    assert run("token", "revoke", "lead@example.org", "--all")[1].strip() == "revoked 1 token(s)"
    status, _out, err = run("token", "revoke", "lead@example.org", "--all")
    assert status == 1 and "no active tokens" in err
    status, _out, err = run("token", "revoke", "lead@example.org", str(first.pk))
    assert status == 1 and "No such active token" in err


def test_the_token_list_never_calls_a_deactivated_accounts_tokens_working(staff) -> None:
    tokens.create_token(user=staff.lead, name="nightly")
    User.objects.filter(pk=staff.lead.pk).update(is_active=False)  # as a deactivation by hand would
    page = client_for(staff.admin).get(f"/staff/admin/staff/{staff.lead.pk}/").content.decode()
    assert "no longer works" in page and ">works<" not in page.replace(" ", "")
    assert "dead: account deactivated" in run("token", "list", "lead@example.org")[1]


# --- The list -------------------------------------------------------------------------------


def test_the_list_shows_each_accounts_directory_person_or_a_warning(staff) -> None:
    assert staff.accused is not None  # linked to his directory person by e-mail
    page = client_for(staff.admin).get("/staff/admin/staff/").content.decode()
    assert "Alex Accused (P-ACCUSED)" in page
    assert page.count("Not in the directory") == 7  # the seven personas with no directory person
    status, out, _err = run("staff", "list")
    assert status == 0
    line = next(line for line in out.splitlines() if line.startswith("handler@example.org"))
    assert "NOT IN THE DIRECTORY" in line and "2FA: app" in line and "active" in line
    line = next(line for line in out.splitlines() if line.startswith("accused@example.org"))
    assert "P-ACCUSED Alex Accused" in line


def test_an_account_whose_email_matches_an_unlinked_person_is_linked_from_the_page(staff) -> None:
    Person.objects.create(employee_id="E-HAN", name="Hana Handler", email="HANDLER@example.org")
    admin = client_for(staff.admin)
    page = admin.get(f"/staff/admin/staff/{staff.handler.pk}/").content.decode()
    assert "Hana Handler (E-HAN) with this e-mail address, not yet linked" in page
    assert admin.post("/staff/admin/staff/link/").status_code == 302
    assert Person.objects.get(employee_id="E-HAN").user == staff.handler
    assert events(EventType.STAFF_LINKED)
    nothing = admin.post("/staff/admin/staff/link/")
    assert "No account could be linked" in admin.get(nothing["Location"]).content.decode()


def test_a_typo_in_an_email_is_visible_on_the_account_page(staff) -> None:
    Person.objects.create(employee_id="E-HAN", name="Hana Handler", email="handler@example.com")
    page = client_for(staff.admin).get(f"/staff/admin/staff/{staff.handler.pk}/").content.decode()
    assert "Nobody in the directory has this e-mail address" in page
    assert "Check the address for a typing error" in page


def test_a_role_notice_reaches_the_oversight_members_of_the_moment_the_role_was_given(staff, smtp) -> None:
    """Deactivating a member before the notice goes does not keep it from her."""
    board = make_staff("board2@example.org", "oversight")
    admin = client_for(staff.admin)
    assert (
        admin.post(f"/staff/admin/staff/{staff.handler.pk}/roles/", {"roles": ["handler", "lead_handler"]}).status_code
        == 302
    )
    assert admin.post(f"/staff/admin/staff/{board.pk}/deactivate/").status_code == 302
    for row in DBTaskResult.objects.filter(task_path="ombuds.accounts.mail.send_role_notice"):
        mail.send_role_notice.call(**row.args_kwargs["kwargs"])
    [notice] = [m for m in smtp.messages if "Roles given" in m["Subject"]]
    assert sorted(notice["To"].split(", ")) == ["board2@example.org", "oversight@example.org"]
