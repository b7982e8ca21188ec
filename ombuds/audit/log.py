"""The one way to write the audit trail.

`record` takes identifiers, not models, so the audit app depends on no other app of
ombuds. Each event is numbered and encoded once, when it is written: its canonical
bytes (`leaf_document`) are what the Merkle log hashes, so they never change after.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.audit import merkle
from ombuds.audit.canonical import canonical
from ombuds.audit.models import ActorKind, AuditEvent, AuditHead, EventType, PendingEvent
from ombuds.lib import batching

# Set while an anonymous reporter's transaction runs: its events wait for the next batch.
_deferring: ContextVar[bool] = ContextVar("ombuds_audit_deferring", default=False)


@contextmanager
def deferred(active: bool = True) -> Iterator[None]:
    """Within this block, events wait for the next batch boundary instead of entering the log at once.

    Used around everything an anonymous reporter does (and what the system does in the
    same transaction): numbered at once, her event would sit between staff events with
    exact times and time her to the minute.
    """
    token = _deferring.set(active)
    try:
        yield
    finally:
        _deferring.reset(token)


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
) -> AuditEvent | None:
    """Append one event. Must run inside the transaction of the change it records.

    The head row is locked until that transaction commits, so two writers can never
    take the same number, and a rolled-back change leaves no gap. Inside `deferred()`
    the event is stored, in the same transaction, to enter the log at the next batch
    boundary; None is returned then.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events are written in the transaction of the change they record")
    detail = detail or {}
    if _deferring.get():
        PendingEvent.objects.create(
            at=at,
            event_type=int(event_type),
            actor_kind=str(actor_kind),
            actor_id=actor_id,
            case_id=case_id,
            detail=detail,
            release_after=batching.next_boundary(timezone.now()),
        )
        return None
    return _append(event_type, at=at, case_id=case_id, actor_kind=actor_kind, actor_id=actor_id, detail=detail)


def _locked_head() -> AuditHead:
    """The log's head row, locked until the caller's transaction ends.

    A migration makes it; if it is missing (a database emptied by hand or by a test
    flush), it is made again from the events themselves, so numbering goes on.
    """
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        tree = merkle.CompactRange()
        tree.extend(bytes(h) for h in AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True))
        head = AuditHead.objects.create(pk=1, size=tree.size, frontier=b"".join(tree.subtree_roots))
    return head


def _append(
    event_type: EventType,
    *,
    at: datetime,
    case_id: int | None,
    actor_kind: ActorKind | str,
    actor_id: int | None,
    detail: dict[str, Any],
) -> AuditEvent:
    head = _locked_head()
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
    leaf_hash = merkle.leaf_hash(leaf)
    event = AuditEvent.objects.create(
        seq=seq,
        event_type=int(event_type),
        at=at,
        case_id=case_id,
        actor_kind=str(actor_kind),
        actor_id=actor_id,
        detail=detail,
        leaf=leaf.decode("utf-8"),
        leaf_hash=leaf_hash,
    )
    # The compact range moves with the size, under the same lock: the root is always at hand.
    tree = head.tree()
    tree.append(leaf_hash)
    head.size, head.frontier = seq + 1, b"".join(tree.subtree_roots)
    AuditHead.objects.filter(pk=1).update(size=head.size, frontier=head.frontier)
    return event


def release_pending(now: datetime) -> int:
    """Append the waiting events whose batch boundary has passed, shuffled, in one transaction.

    Returns how many entered the log. Safe with several sweepers: the head row's lock
    serialises them, and each pending row is taken once.
    """
    with transaction.atomic(durable=True):
        _locked_head()
        due = list(PendingEvent.objects.select_for_update().filter(release_after__lte=now))
        # Random order within the batch: their order in the log says nothing about hers.
        random.SystemRandom().shuffle(due)
        for pending in due:
            _append(
                EventType(pending.event_type),
                at=pending.at,
                case_id=pending.case_id,
                actor_kind=pending.actor_kind,
                actor_id=pending.actor_id,
                detail=pending.detail,
            )
        PendingEvent.objects.filter(pk__in=[p.pk for p in due]).delete()
    return len(due)


def record_system(event_type: EventType, *, actor_id: int | None = None, **detail: Any) -> AuditEvent | None:
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
