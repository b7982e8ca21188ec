"""`ombuds staff`: list staff, change roles, deactivate an account, reset a lost second factor.

Every change is an action with its audit event (ombuds.accounts.actions). A reset
prints a one-time link: the person sets up a new second factor only after opening it
(accounts/enrolment.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.accounts import actions as account_actions
from ombuds.accounts import enrolment
from ombuds.accounts.roles import Role, roles_of
from ombuds.cases import actions, keyring


class Command(BaseCommand):
    help = "List staff, change their roles, deactivate an account, or reset a lost second factor."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every staff account with its roles")
        roles = sub.add_parser("roles", help="add or remove roles")
        roles.add_argument("email")
        roles.add_argument("--add", action="append", default=[], choices=[r.value for r in Role])
        roles.add_argument("--remove", action="append", default=[], choices=[r.value for r in Role])
        deactivate = sub.add_parser(
            "deactivate", help="stop an account from logging in (cases assigned are unassigned)"
        )
        deactivate.add_argument("email")
        reset = sub.add_parser(
            "reset-mfa",
            help="remove a person's second factors and tokens; print the one-time link to set up a new factor",
        )
        reset.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for user in User.objects.order_by("email"):
                state = "" if user.is_active else " (deactivated)"
                names = ", ".join(sorted(r.value for r in roles_of(user))) or "-"
                self.stdout.write(f"{user.email:<32} {names}{state}")
            return
        found = User.objects.filter(email__iexact=options["email"].strip()).first()
        if found is None:
            raise CommandError("no such staff user")
        user = found
        try:
            if options["action"] == "roles":
                held = account_actions.change_roles(
                    user=user, add=[Role(r) for r in options["add"]], remove=[Role(r) for r in options["remove"]]
                )
                # Her grants follow the cases her roles now let her read.
                keyring.resync_user(user)
                self.stdout.write(f"{user.email}: {', '.join(sorted(r.value for r in held)) or '-'}")
            elif options["action"] == "deactivate":
                account_actions.deactivate_staff(user=user)
                released = actions.release_assignments(user=user)
                keyring.resync_user(user)  # an inactive account may read nothing: its grants go
                self.stdout.write(f"{user.email} deactivated; {released} case(s) unassigned")
            else:
                link = enrolment.reset_second_factor(user=user)
                self.stdout.write(
                    f"{user.email}: second factors removed and API tokens revoked.\n"
                    "Give this one-time link to them in person or by another trusted channel. They log in with\n"
                    "their password, open it in the same browser and set up a new second factor. It works once,\n"
                    f"until {link.expires_at:%Y-%m-%d %H:%M %Z}:\n{link.url}"
                )
        except account_actions.AccountError as exc:
            raise CommandError(str(exc)) from None
