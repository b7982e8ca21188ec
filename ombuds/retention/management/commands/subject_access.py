"""ombuds subject_access EMPLOYEE_ID --by EMAIL [--output FILE]: a subject access request's document.

The oversight member named by --by types her password: her key opens the cases, as on
the page; the server alone holds no key that opens a case.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.accounts import keys as staff_keys
from ombuds.cases.actions import ActionError
from ombuds.directory.models import Person
from ombuds.retention import subject_access


class Command(BaseCommand):
    help = "Produce the JSON document of what ombuds holds about a person concerned (GDPR art. 15)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("employee_id", help="the person's employee number in the directory")
        parser.add_argument("--by", required=True, help="e-mail of the oversight member producing it")
        parser.add_argument("--output", help="file to write; standard output when omitted")

    def handle(self, *args: Any, **options: Any) -> None:
        person = Person.objects.filter(employee_id=options["employee_id"]).first()
        if person is None:
            raise CommandError("nobody in the directory has this employee number")
        actor = User.objects.filter(email__iexact=options["by"], is_active=True).first()
        if actor is None:
            raise CommandError("no active staff account has this e-mail address")
        if staff_keys.attached(actor) is None:
            password = getpass.getpass(f"Password of {actor.email}: ")
            # Checked first: unlock() makes a new key pair for a password that no longer opens the old one.
            if not actor.check_password(password):
                raise CommandError("wrong password")
            staff_keys.attach(actor, staff_keys.unlock(actor, password).key_pair)
        try:
            data = subject_access.produce(person=person, actor=actor)
        except ActionError as exc:
            raise CommandError(str(exc)) from exc
        if options["output"]:
            Path(options["output"]).write_bytes(data)
            self.stdout.write(f"written to {options['output']}")
        else:
            sys.stdout.buffer.write(data)
