"""Keeping a case's conflict set and its routing in line with the directory (R3).

Helpers for the actions that change who is named, who is linked, or who is kept out;
they run inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User

from ombuds.audit.models import EventType
from ombuds.cases import conflicts, keyring, notify, routing
from ombuds.cases.actions._base import system_record
from ombuds.cases.models import Case, Conflict
from ombuds.investigations import helpers as investigation


def recompute_conflicts(case: Case, *, at: datetime, actor: User | None = None) -> bool:
    """Bring the stored conflict set in line with the directory; act on what changed.

    Returns whether the set changed. A conflicted assignee is removed at once, and a
    case no unconflicted handler can take goes to oversight. A case held in escrow is
    left alone: nobody may hear of it, and its release computes them (actions.escrow).
    """
    if case.held_in_escrow:
        return False
    wanted = conflicts.compute(case)
    have = conflicts.stored(case)
    added, removed = wanted - have, have - wanted
    for entry in removed:
        Conflict.objects.filter(case=case, person_id=entry.person_id, reason=entry.reason).delete()
    for entry in added:
        Conflict.objects.update_or_create(
            case=case, person_id=entry.person_id, reason=entry.reason, defaults={"via_id": entry.via_id}
        )
    if added or removed:
        system_record(
            EventType.CONFLICTS_CHANGED,
            case=case,
            at=at,
            actor=actor,
            added=sorted(e.person_id for e in added),
            removed=sorted(e.person_id for e in removed),
        )
    route_around_conflicts(case, at=at)
    if added or removed:
        # The newly conflicted lose their grant at once; anyone let back in waits for a reader.
        keyring.sync_grants(case, None, now=at, by=actor)
    if (added or removed) and routing.oversight_conflicted(case):
        # Her own keep-out requests or the accused's chain reach the whole oversight body:
        # her status page now points her to the organisation's fallback contact.
        system_record(EventType.OVERSIGHT_CONFLICTED, case=case, at=at, actor=actor)
    return bool(added or removed)


def route_around_conflicts(case: Case, *, at: datetime) -> None:
    if case.assignee is not None and conflicts.is_conflicted(case.assignee, case):
        previous = case.assignee_id
        case.assignee = None
        case.save(update_fields=["assignee"])
        system_record(EventType.UNASSIGNED_FOR_CONFLICT, case=case, at=at, previous=previous)
    investigation.release_conflicted(case, at=at)
    if case.is_open() and not case.routed_to_oversight and routing.nobody_can_handle(case):
        case.routed_to_oversight = True
        case.save(update_fields=["routed_to_oversight"])
        system_record(EventType.ROUTED_TO_OVERSIGHT, case=case, at=at)
        # The real time decides when the notice may go (batched for an anonymous reporter).
        notify.queue(notify.Kind.ESCALATED, case=case, recipients=routing.oversight(case))
