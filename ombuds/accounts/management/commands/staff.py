"""`ombuds staff`: list staff, change roles, deactivate an account, reset a lost second factor.

Every change is written to the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ombuds.accounts.roles import Role, forget_roles, roles_of
from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.cases import actions


def _record(user: User, change: str, **detail: Any) -> None:
    log.record_system(EventType.STAFF_CHANGED, user=user.pk, change=change, **detail)


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
            "reset-mfa", help="remove a person's second factors; they set up a new one at next login"
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
        with transaction.atomic():
            if options["action"] == "roles":
                for role in options["add"]:
                    user.groups.add(Group.objects.get_or_create(name=role)[0])
                for role in options["remove"]:
                    user.groups.remove(*Group.objects.filter(name=role))
                forget_roles(user)
                _record(user, "roles", added=options["add"], removed=options["remove"])
                self.stdout.write(f"{user.email}: {', '.join(sorted(r.value for r in roles_of(user))) or '-'}")
            elif options["action"] == "deactivate":
                user.is_active = False
                user.save(update_fields=["is_active"])
                released = actions.release_assignments(user=user)
                _record(user, "deactivated", unassigned=released)
                self.stdout.write(f"{user.email} deactivated; {released} case(s) unassigned")
            else:
                from allauth.mfa.models import Authenticator

                removed, _ = Authenticator.objects.filter(user=user).delete()
                _record(user, "mfa_reset", removed=removed)
                self.stdout.write(f"{user.email}: second factors removed; a new one is set up at the next login")
