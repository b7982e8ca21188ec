"""A case opened by staff, not by a reporter: the helper the oversight body's own cases share.

The retaliation watch and accountability for inaction (ombuds.watch) open cases on the
oversight body's motion. Such a case is a normal case from then on: the same deadlines,
the same workflow, routed around the people it concerns like any other. This helper runs
inside the transaction of the action that opens it (it is not an entry point) and does
what `file_report` does, without a reporter: nobody holds a receipt to it, so the case's
key is sealed only to its readers and the recovery key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext as _

from ombuds.audit.models import EventType
from ombuds.cases import conflicts, keyring, notify, routing, units
from ombuds.cases.actions._base import MAX_NARRATIVE, ActionError, Box, clean_text, staff_record
from ombuds.cases.actions._routing import recompute_conflicts
from ombuds.cases.actions.reporter import new_reference
from ombuds.cases.deadlines import initial_deadlines
from ombuds.cases.models import Case, Category, InvolvedPerson, PersonRole, Report, ReporterRole
from ombuds.cases.selectors import current_organisation
from ombuds.crypto import keys
from ombuds.directory.models import Person
from ombuds.lib import receipts


@dataclass(frozen=True)
class Involved:
    """A directory person the new case names, and as what (a PersonRole)."""

    person: Person
    role: str


def open_case(
    *,
    actor: User,
    category: str,
    narrative: str,
    people: list[Involved],
    at: datetime,
    event: EventType,
    **detail: int | str,
) -> tuple[Case, keys.DataKey]:
    """Open a case in the caller's transaction and record `event` on it; return the case and its key.

    People named as accused are conflicted with their whole management chain, those named
    to keep out are conflicted themselves (ombuds.cases.conflicts), exactly as when a
    reporter names them. Refused when the person opening it would be conflicted on it:
    nobody opens a case about themselves.
    """
    if category not in Category.values:
        raise ActionError(_("unknown category"))
    narrative = clean_text(narrative, name=_("what happened"), max_length=MAX_NARRATIVE, required=True)
    key = keys.DataKey.generate()
    deadlines = initial_deadlines(current_organisation(), received_at=at, category=category)
    case = Case.objects.create(
        reference=new_reference(),
        category=category,
        anonymous=False,
        received_at=at,
        ack_due_at=deadlines.ack_due_at,
        feedback_due_at=deadlines.feedback_due_at,
        first_action_due_at=deadlines.first_action_due_at,
        next_deadline_at=min(d for d in [deadlines.ack_due_at, deadlines.first_action_due_at] if d is not None),
    )
    box = Box(case, key)
    # The digest of a receipt nobody is given: the column must hold one, and no one can
    # come back to this case as its reporter.
    digest = receipts.digest(receipts.new_receipt())
    assert digest is not None
    report = Report.objects.create(
        case=case,
        receipt_digest=digest,
        role=ReporterRole.ON_BEHALF,
        anonymous=False,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        submitted_at=at,
        narrative=box.seal(narrative, Report, "narrative"),
        reporter_name=box.seal(actor.get_full_name() or actor.email, Report, "reporter_name"),
    )
    unique: dict[tuple[int, str], Involved] = {}
    for entry in people:
        if entry.role not in PersonRole.values:
            raise ActionError(_("unknown role for a person involved"))
        unique.setdefault((entry.person.pk, entry.role), entry)
    InvolvedPerson.objects.bulk_create(
        [
            InvolvedPerson(
                report=report,
                position=index,
                name=box.seal(entry.person.name, InvolvedPerson, "name"),
                role=entry.role,
                person=entry.person,
            )
            for index, entry in enumerate(unique.values(), start=1)
        ]
    )
    units.refresh(case.pk)
    staff_record(event, case=case, actor=actor, at=at, report=report.pk, people=len(unique), **detail)
    recompute_conflicts(case, at=at, actor=actor)
    if conflicts.is_conflicted(actor, case):
        raise ActionError(_("You are among the people this case concerns; another oversight member must open it."))
    keyring.sync_grants(case, key, now=at, by=actor)
    keyring.grant_recovery(case, key, now=at)
    if not case.routed_to_oversight:
        notify.queue(notify.Kind.NEW_CASE, case=case, recipients=routing.pool(case) or routing.leads(case), now=at)
    return case, key
