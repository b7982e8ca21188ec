"""What is recorded when someone looks at or takes away the analytics: one audit event each."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from ombuds.analytics.query import Choice
from ombuds.audit import log
from ombuds.audit.models import EventType


def _detail(choice: Choice, **extra: Any) -> dict[str, Any]:
    return {
        "from": choice.period.first.isoformat(),
        "to": choice.period.end.isoformat(),
        "unit": choice.unit,
        **extra,
    }


def record_view(*, actor: User, choice: Choice, reduced: bool) -> None:
    with transaction.atomic():
        log.record_system(EventType.ANALYTICS_VIEWED, actor_id=actor.pk, **_detail(choice, reduced=reduced))


def record_download(*, actor: User, choice: Choice, figure: str) -> None:
    with transaction.atomic():
        log.record_system(EventType.ANALYTICS_DOWNLOADED, actor_id=actor.pk, **_detail(choice, figure=figure))


def record_api_read(*, actor: User, choice: Choice, reduced: bool) -> None:
    with transaction.atomic():
        log.record_system(EventType.ANALYTICS_READ_BY_API, actor_id=actor.pk, **_detail(choice, reduced=reduced))
