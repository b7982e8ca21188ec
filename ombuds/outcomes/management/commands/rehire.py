"""`ombuds rehire check ... --as EMAIL`: ask the rehire registry about a candidate, as an hr member."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.outcomes import actions


class Command(BaseCommand):
    help = (
        "Ask the rehire registry whether a candidate may be hired. The answer is only eligible, not_eligible "
        "or review_needed, with a check reference oversight can look up; every check is in the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="check one candidate by one or more identifiers")
        check.add_argument("--email", default="")
        check.add_argument("--phone", default="", help="with its country code, or in the organisation's region")
        check.add_argument("--employee-number", default="")
        check.add_argument("--national-id", default="")
        check.add_argument("--as", dest="as_user", required=True, metavar="EMAIL", help="the hr member who asks")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(email__iexact=options["as_user"].strip(), is_active=True).first()
        if actor is None:
            raise CommandError("no active staff member has this e-mail address")
        try:
            found = actions.check_rehire(
                actor=actor,
                identifiers={
                    "email": options["email"],
                    "phone": options["phone"],
                    "employee_number": options["employee_number"],
                    "national_id": options["national_id"],
                },
            )
        except actions.ActionError as exc:
            raise CommandError(str(exc)) from None
        # The same answer as POST /api/v1/staff/rehire-checks, for scripts.
        self.stdout.write(
            json.dumps(
                {"result": found.result, "check_reference": found.reference, "registry_hits": found.registry_holders}
            )
        )
