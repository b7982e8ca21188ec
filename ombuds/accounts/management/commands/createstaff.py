"""Create a staff user with roles from the command line."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ombuds.accounts.roles import Role
from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.cases import actions
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
        if User.objects.filter(username=email).exists():
            raise CommandError(f"{email} already exists")
        if not options["role"]:
            raise CommandError("give at least one --role")
        password = os.environ.get("OMBUDS_NEW_PASSWORD") or getpass.getpass(f"Password for {email}: ")
        first, _, last = options["name"].partition(" ")
        user = User(username=email, email=email, first_name=first, last_name=last)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
            for role in options["role"]:
                user.groups.add(Group.objects.get_or_create(name=role)[0])
            log.record_system(EventType.STAFF_CREATED, user=user.pk, roles=sorted(options["role"]))
        if link_staff_by_email():
            actions.directory_changed()
        self.stdout.write(f"created {email} with roles {', '.join(options['role'])}")
        self.stdout.write("They must set up two-factor authentication at first login.")
