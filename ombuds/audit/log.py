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

from django.db import connection, models, transaction
from django.utils import timezone

from ombuds.audit import merkle
from ombuds.audit.canonical import canonical
from ombuds.audit.models import ActorKind, AuditEvent, AuditHead, AuditNode, EventType, PendingEvent
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
    flush), it is made again from the events themselves, so numbering goes on. Read in
    SQL, as the row is written in _append: every audited change passes here.
    """
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT size, frontier FROM {AuditHead._meta.db_table} WHERE id = 1{lock}")  # noqa: S608 - table name from the model
        row = cursor.fetchone()
    if row is not None:
        return AuditHead(pk=1, size=row[0], frontier=bytes(row[1]))
    tree = merkle.CompactRange()
    tree.extend(bytes(h) for h in AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True))
    return AuditHead.objects.create(pk=1, size=tree.size, frontier=b"".join(tree.subtree_roots))


# The columns _append writes, by attribute name; the others have no value to write.
_EVENT_COLUMNS = ("seq", "at", "event_type", "actor_kind", "actor_id", "case_id", "detail", "leaf", "leaf_hash")


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
    event = AuditEvent(
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
    completed = tree.keep_nodes()
    tree.append(leaf_hash)
    head.size, head.frontier = seq + 1, b"".join(tree.subtree_roots)
    _write(event, head)
    if completed:
        # One append in 1,024 completes a subtree worth keeping for proofs (AuditNode).
        AuditNode.objects.bulk_create(
            [AuditNode(height=height, index=index, hash=root) for height, index, root in completed],
            ignore_conflicts=True,
        )
    return event


def _concrete(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _write(event: AuditEvent, head: AuditHead) -> None:
    """Insert the event and move the head, in two statements.

    Each value is prepared by its model field, as the ORM would (time zones, JSON,
    bytes), but the statements are written once rather than built for every event.
    """
    fields = [_concrete(AuditEvent, name) for name in _EVENT_COLUMNS]
    values = [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields]
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    frontier = _concrete(AuditHead, "frontier").get_db_prep_save(head.frontier, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AuditEvent._meta.db_table} ({columns}) VALUES ({marks}) RETURNING id",  # noqa: S608 - names from the model
            values,
        )
        event.pk = cursor.fetchone()[0]
        event._state.adding = False
        event._state.db = connection.alias
        cursor.execute(
            f"UPDATE {AuditHead._meta.db_table} SET size = %s, frontier = %s WHERE id = 1",  # noqa: S608 - table name from the model
            [head.size, frontier],
        )


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
