"""The escalation ladder, run by the worker: reminder, lead handler, oversight (R2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from ombuds.audit.models import EventType
from ombuds.cases import ladder, notify, routing
from ombuds.cases.actions._base import locked, system_record
from ombuds.cases.models import Case, Escalation, LadderStep

_LADDER_EVENTS = {
    LadderStep.REMINDER: EventType.DEADLINE_REMINDER,
    LadderStep.LEAD: EventType.ESCALATED_TO_LEAD,
    LadderStep.OVERSIGHT: EventType.ESCALATED_TO_OVERSIGHT,
}


def escalate(
    *, case: Case, deadline: str, due_at: datetime, step: str, now: datetime, item: str = ""
) -> Escalation | None:
    """Take one ladder step for one deadline, exactly once.

    `deadline` is one of the case's own deadlines, or the kind of an item deadline
    (ombuds.cases.ladder) with `item` naming the item.

    The Escalation row's unique constraint is the claim: when two workers race, one
    insert fails and that worker does nothing. The audit event and the notices commit
    with the claim, so a worker killed midway leaves nothing half done; the step is
    simply taken by the next sweep.
    """
    try:
        with transaction.atomic(durable=True):
            case = locked(case)
            source = ladder.source(deadline) if item else None
            if item:
                if source is None or not case.is_open() or not source.still_due(case, item, due_at):
                    return None  # done, moved or unknown since the sweep looked
            elif dict(case.pending_deadlines()).get(deadline) != due_at:
                return None  # met or moved since the sweep looked
            escalation = Escalation.objects.create(
                case=case, deadline=deadline, item=item, due_at=due_at, step=step, at=now
            )
            if step == LadderStep.REMINDER:
                named = source.responsible(case, item) if source is not None else None
                recipients = routing.responsible(case) if named is None else named
            elif step == LadderStep.LEAD:
                recipients = routing.leads(case)
            else:
                recipients = routing.oversight(case)
            if step == LadderStep.LEAD and not recipients:
                # Nobody who may lead this case: it goes straight to oversight.
                recipients = routing.oversight(case)
                escalation.to_oversight = True
                escalation.save(update_fields=["to_oversight"])
            elif step == LadderStep.OVERSIGHT:
                escalation.to_oversight = True
                escalation.save(update_fields=["to_oversight"])
            kind = notify.Kind.DEADLINE_NEAR if step == LadderStep.REMINDER else notify.Kind.ESCALATED
            notify.queue(kind, case=case, recipients=recipients, now=now)
            # Who was told, by account id: an accountability case for the missed deadline
            # names them (ombuds.watch.accountability).
            detail: dict[str, Any] = {
                "deadline": deadline,
                "due_at": due_at.isoformat(),
                "notified": sorted({user.pk for user in recipients}),
            }
            if item:
                detail["item"] = item
            system_record(_LADDER_EVENTS[LadderStep(step)], case=case, at=now, recipients=len(recipients), **detail)
    except IntegrityError:
        return None
    return escalation
