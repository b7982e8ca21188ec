"""The one way to write the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ombuds.audit.models import ActorKind, AuditEvent, EventType
from ombuds.cases.models import Case


def record(
    event_type: EventType,
    *,
    at: datetime,
    case: Case | None,
    actor_kind: ActorKind,
    actor: User | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events are written in the transaction of the change they record")
    return AuditEvent.objects.create(
        event_type=int(event_type),
        at=at,
        case=case,
        actor_kind=actor_kind,
        actor=actor,
        detail=detail or {},
    )


def record_system(event_type: EventType, **detail: Any) -> AuditEvent:
    """Append an event about the installation itself (configuration, staff, directory), not a case."""
    return record(event_type, at=timezone.now(), case=None, actor_kind=ActorKind.SYSTEM, detail=detail)
