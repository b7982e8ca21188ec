"""The oversight body's notice of each directory import that changed something.

A person's managers are kept out of reports about them, so one administrator's import can
let a manager read a report again, or keep an oversight member out of one: the body is
told of each, with the staff whose place in the management tree moved. The directory app
may not reach the accounts app (tests/test_layers.py), so this listener registers with
the import from this app's ready() (ombuds.directory.observers.listen).
"""

from __future__ import annotations

import functools
import operator

from django.contrib.auth.models import User
from django.db import models

from ombuds.accounts.mail import queue_settings_notice
from ombuds.directory.importer import ImportResult
from ombuds.directory.models import Person

# The most staff accounts a notice of an import names in each list (the rest are counted).
NAMED_IN_NOTICE = 50


class OversightNotice:
    """Queues the notice in the import's transaction (accounts.mail.queue_settings_notice)."""

    def imported(self, result: ImportResult, *, actor_id: int | None) -> None:
        """Queue the oversight body's notice of an import: its counts, and the staff whose place in the tree moved.

        Managers are kept out of reports about the people below them, so one import can let a
        manager read a report again, or keep an oversight member out of one (docs/conflicts.md).
        Staff are named by their account's link, or by the e-mail the account will be linked
        by after the import. An import that changed nothing tells nobody.
        """
        if not (result.created or result.updated or result.manager_changes):
            return
        moved = {move.employee_id for move in result.manager_moves}
        managing = {move.new_manager_id for move in result.manager_moves if move.new_manager_id}
        released = {move.old_manager_id for move in result.manager_moves if move.old_manager_id}
        # Staff accounts are few and a reorganisation can move everyone: the staff are read, not the moved.
        addresses = {email.lower(): email for email in User.objects.exclude(email="").values_list("email", flat=True)}
        staff: dict[str, str] = {}
        by_address = [models.Q(email__iexact=address) for address in addresses]
        people = Person.objects.filter(functools.reduce(operator.or_, by_address, models.Q(user__isnull=False)))
        for employee_id, email, account in people.values_list("employee_id", "email", "user__email"):
            if account or email.lower() in addresses:
                staff[employee_id] = account or addresses[email.lower()]
        facts: list[tuple[str, dict[str, str]]] = [
            (
                "directory_imported",
                {
                    "rows": str(result.rows),
                    "created": str(result.created),
                    "updated": str(result.updated),
                    "moves": str(len(result.manager_changes)),
                },
            )
        ]
        for key, among in (
            ("directory_staff_moved", moved),
            ("directory_staff_managing", managing),
            ("directory_staff_released", released),
        ):
            emails = sorted({email for employee_id, email in staff.items() if employee_id in among})
            if emails:
                named = ", ".join(emails[:NAMED_IN_NOTICE])
                if len(emails) > NAMED_IN_NOTICE:
                    named += f" (+{len(emails) - NAMED_IN_NOTICE})"
                facts.append((key, {"emails": named}))
        actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
        queue_settings_notice(facts=facts, acting_user=actor)
