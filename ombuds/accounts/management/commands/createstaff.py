"""Create a staff user with roles from the command line."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.accounts import actions as account_actions
from ombuds.accounts.roles import Role
from ombuds.cases import actions, keyring
from ombuds.directory.linking import link_staff_by_email


class Command(BaseCommand):
    help = "Create a staff user. The password is read from OMBUDS_NEW_PASSWORD or asked for."

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
            account_actions.create_staff(
                email=email, name=options["name"], roles=[Role(r) for r in options["role"]], password=password
            )
        except account_actions.AccountError as exc:
            raise CommandError(str(exc)) from None
        if link_staff_by_email():
            actions.directory_changed()
        # The cases her roles let her read are granted to her by their other readers.
        user = User.objects.get(username=email)
        keyring.resync_user(user)
        self.stdout.write(f"created {email} with roles {', '.join(options['role'])}")
        self.stdout.write("They must set up two-factor authentication at first login.")
