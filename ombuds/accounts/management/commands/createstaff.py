"""Create a staff user with roles from the command line."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.accounts import actions as account_actions
from ombuds.accounts.roles import Role
from ombuds.administration import staff as staff_changes


class Command(BaseCommand):
    help = (
        "Create a staff user. The password is read from OMBUDS_NEW_PASSWORD or asked for. "
        "To let the person choose it, use `ombuds staff invite` instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="full name")
        parser.add_argument(
            "--role", action="append", default=[], choices=[r.value for r in Role], help="may be given several times"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        if "@" not in email:
            raise CommandError("give an e-mail address")
        if not options["role"]:
            raise CommandError("give at least one --role")
        password = os.environ.get("OMBUDS_NEW_PASSWORD") or getpass.getpass(f"Password for {email}: ")
        try:
            user = staff_changes.create(
                email=email,
                name=options["name"],
                roles=[Role(r) for r in options["role"]],
                password=password,
                acting_user=None,
            )
        except account_actions.AccountError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"created {email} with roles {', '.join(options['role'])}")
        if not hasattr(user, "person"):
            self.stdout.write(
                f"No directory person has the e-mail {email}: this account is kept out of no case until one does."
            )
        self.stdout.write("They must set up two-factor authentication at first login.")
