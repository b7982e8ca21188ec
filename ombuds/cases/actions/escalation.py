"""The escalation ladder, run by the worker: reminder, lead handler, oversight (R2)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from ombuds.audit.models import EventType
from ombuds.cases import notify, routing
from ombuds.cases.actions._base import locked, system_record
from ombuds.cases.models import Case, Escalation, LadderStep

_LADDER_EVENTS = {
    LadderStep.REMINDER: EventType.DEADLINE_REMINDER,
    LadderStep.LEAD: EventType.ESCALATED_TO_LEAD,
    LadderStep.OVERSIGHT: EventType.ESCALATED_TO_OVERSIGHT,
}


def escalate(*, case: Case, deadline: str, due_at: datetime, step: str, now: datetime) -> Escalation | None:
    """Take one ladder step for one deadline, exactly once.

    The Escalation row's unique constraint is the claim: when two workers race, one
    insert fails and that worker does nothing. The audit event and the notices commit
    with the claim, so a worker killed midway leaves nothing half done; the step is
    simply taken by the next sweep.
    """
    try:
        with transaction.atomic(durable=True):
            case = locked(case)
            pending = dict(case.pending_deadlines())
            if pending.get(deadline) != due_at:
                return None  # met or moved since the sweep looked
            escalation = Escalation.objects.create(case=case, deadline=deadline, due_at=due_at, step=step, at=now)
            if step == LadderStep.REMINDER:
                recipients = routing.responsible(case)
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
            system_record(
                _LADDER_EVENTS[LadderStep(step)],
                case=case,
                at=now,
                deadline=deadline,
                due_at=due_at.isoformat(),
                recipients=len(recipients),
            )
    except IntegrityError:
        return None
    return escalation
