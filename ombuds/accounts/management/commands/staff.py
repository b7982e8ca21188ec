"""`ombuds staff`: list staff, invite, change roles, deactivate and reactivate, reset a lost second factor.

Every change is an action with its audit event (ombuds.accounts.actions), followed by
what it means for cases and the directory (ombuds.administration.staff), exactly as on
the administration pages. A change that is refused, or would change nothing, says why
and exits with a non-zero status. A reset prints a one-time link: the person sets up a
new second factor only after opening it (accounts/enrolment.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.accounts import actions as account_actions
from ombuds.accounts.roles import Role
from ombuds.administration import selectors
from ombuds.administration import staff as staff_changes

ROLE_NAMES = [r.value for r in Role]


class Command(BaseCommand):
    help = "List staff, invite, change roles, deactivate and reactivate accounts, or reset a lost second factor."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every staff account: roles, second factor, last login, state and directory person")
        invite = sub.add_parser("invite", help="make an account and e-mail its holder a link to set a password")
        invite.add_argument("email")
        invite.add_argument("--name", default="", help="full name")
        invite.add_argument(
            "--role", action="append", default=[], choices=ROLE_NAMES, help="may be given several times"
        )
        resend = sub.add_parser("resend-invitation", help="e-mail a new invitation link (the old one stops working)")
        resend.add_argument("email")
        roles = sub.add_parser("roles", help="add or remove roles")
        roles.add_argument("email")
        roles.add_argument("--add", action="append", default=[], choices=ROLE_NAMES)
        roles.add_argument("--remove", action="append", default=[], choices=ROLE_NAMES)
        deactivate = sub.add_parser(
            "deactivate", help="stop an account from logging in (tokens revoked, cases assigned are unassigned)"
        )
        deactivate.add_argument("email")
        reactivate = sub.add_parser("reactivate", help="let a deactivated account log in again, with its roles")
        reactivate.add_argument("email")
        reset = sub.add_parser(
            "reset-mfa",
            help="remove a person's second factors and tokens; print the one-time link to set up a new factor",
        )
        reset.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list()
            return
        if action == "invite":
            self._invite(options)
            return
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError("no such staff user")
        try:
            if action == "resend-invitation":
                self._report_invitation(account_actions.resend_invitation(user=user))
            elif action == "roles":
                held = staff_changes.change_roles(
                    user=user,
                    add=[Role(r) for r in options["add"]],
                    remove=[Role(r) for r in options["remove"]],
                    acting_user=None,
                )
                self.stdout.write(f"{user.email}: {', '.join(sorted(r.value for r in held)) or '-'}")
            elif action == "deactivate":
                revoked, released = staff_changes.deactivate(user=user, acting_user=None)
                self.stdout.write(
                    f"{user.email} deactivated; {revoked} token(s) revoked; {released} case(s) unassigned"
                )
            elif action == "reactivate":
                staff_changes.reactivate(user=user, acting_user=None)
                self.stdout.write(
                    f"{user.email} reactivated with roles {', '.join(sorted(r.value for r in _roles(user))) or '-'}. "
                    "Its tokens stay revoked; reset its second factor too if its phone may have changed hands."
                )
            else:
                link = account_actions.reset_second_factor(user=user)
                self.stdout.write(
                    f"{user.email}: second factors removed and API tokens revoked.\n"
                    "Give this one-time link to them in person or by another trusted channel. They log in with\n"
                    "their password, open it in the same browser and set up a new second factor. It works once,\n"
                    f"until {link.expires_at:%Y-%m-%d %H:%M %Z}:\n{link.url}"
                )
        except account_actions.AccountError as exc:
            raise CommandError(str(exc)) from None

    def _list(self) -> None:
        for row in selectors.staff_rows():
            state = "active" if row.user.is_active else "deactivated"
            if row.invited:
                state += ", invited"
            roles = ",".join(role.value for role in row.roles) or "-"
            login = f"{row.user.last_login:%Y-%m-%d %H:%M}" if row.user.last_login else "never"
            person = (
                f"{row.person.employee_id} {row.person.name}"
                if row.person
                else "NOT IN THE DIRECTORY: kept out of nothing"
            )
            self.stdout.write(
                f"{row.user.email:<32} {roles:<28} 2FA: {row.second_factor:<28} last login: {login:<16} "
                f"{state:<20} {person}"
            )

    def _invite(self, options: dict[str, Any]) -> None:
        if not options["role"]:
            raise CommandError("give at least one --role")
        try:
            invitation = staff_changes.invite(
                email=options["email"], name=options["name"], roles=[Role(r) for r in options["role"]], acting_user=None
            )
        except account_actions.AccountError as exc:
            raise CommandError(str(exc)) from None
        self._report_invitation(invitation)

    def _report_invitation(self, invitation: account_actions.Invitation) -> None:
        email = invitation.user.email
        if not invitation.sent:
            raise CommandError(
                f"the invitation to {email} could not be sent (check the OMBUDS_EMAIL_* settings); the account "
                f"exists: send it again with `ombuds staff resend-invitation {email}`"
            )
        self.stdout.write(
            f"invited {email}; the link in the e-mail works once, until {invitation.link.expires_at:%Y-%m-%d %H:%M %Z}"
        )


def _roles(user: User) -> list[Role]:
    names = set(user.groups.values_list("name", flat=True))
    return [role for role in Role if role.value in names]
