"""The one way to write the audit trail.

`record` takes identifiers, not models, so the audit app depends on no other app of
ombuds. Each event is numbered and encoded once, when it is written: its canonical
bytes (`leaf_document`) are what the Merkle log hashes, so they never change after.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.audit.canonical import canonical
from ombuds.audit.models import ActorKind, AuditEvent, AuditHead, EventType


def iso_utc(moment: datetime) -> str:
    """A moment as ISO 8601 in UTC with microseconds and a Z, the one form used in leaves."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def leaf_document(
    *,
    seq: int,
    at: datetime,
    event_type: EventType,
    actor_kind: str,
    actor_id: int | None,
    case_id: int | None,
    detail: dict[str, Any],
) -> dict[str, Any]:
    """The event as the log states it: index, time, actor, action, object and details.

    An anonymous reporter appears as {"kind": "reporter"} and nothing else; her events'
    times are already coarse (the day) when they reach here.
    """
    actor: dict[str, Any] = {"kind": str(actor_kind)}
    if actor_id is not None:
        actor["id"] = actor_id
    return {
        "index": seq,
        "time": iso_utc(at),
        "actor": actor,
        "action": event_type.name.lower(),
        "object": {"case": case_id} if case_id is not None else None,
        "details": detail,
    }


def record(
    event_type: EventType,
    *,
    at: datetime,
    case_id: int | None,
    actor_kind: ActorKind | str,
    actor_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records.

    The head row is locked until that transaction commits, so two writers can never
    take the same number, and a rolled-back change leaves no gap.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events are written in the transaction of the change they record")
    detail = detail or {}
    head = AuditHead.objects.select_for_update().get(pk=1)
    seq = head.size
    leaf = canonical(
        leaf_document(
            seq=seq,
            at=at,
            event_type=event_type,
            actor_kind=str(actor_kind),
            actor_id=actor_id,
            case_id=case_id,
            detail=detail,
        )
    )
    event = AuditEvent.objects.create(
        seq=seq,
        event_type=int(event_type),
        at=at,
        case_id=case_id,
        actor_kind=str(actor_kind),
        actor_id=actor_id,
        detail=detail,
        leaf=leaf.decode("utf-8"),
    )
    AuditHead.objects.filter(pk=1).update(size=seq + 1)
    return event


def record_system(event_type: EventType, *, actor_id: int | None = None, **detail: Any) -> AuditEvent:
    """Append an event about the installation itself (configuration, staff, directory), not a case.

    With `actor_id` the change is attributed to that staff member; without, to the system
    (a command run on the server).
    """
    return record(
        event_type,
        at=timezone.now(),
        case_id=None,
        actor_kind=ActorKind.STAFF if actor_id is not None else ActorKind.SYSTEM,
        actor_id=actor_id,
        detail=detail,
    )
