"""Every time staff open, export or download from a case, it is recorded (R6)."""

from __future__ import annotations

from typing import Literal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ombuds.audit.models import EventType
from ombuds.cases.actions._base import staff_record
from ombuds.cases.models import Attachment, Case, Message, Sender

Via = Literal["web", "api"]


def record_case_view(*, case: Case, actor: User, via: Via = "web") -> None:
    """Record a view of the case (through a page or the API); the reporter's messages count as read."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        Message.objects.filter(case=case, sender=Sender.REPORTER, read_at__isnull=True).update(read_at=now)
        staff_record(EventType.CASE_VIEWED, case=case, actor=actor, at=now, via=via)


def record_case_export(*, case: Case, actor: User) -> None:
    with transaction.atomic(durable=True):
        staff_record(EventType.CASE_EXPORTED, case=case, actor=actor, at=timezone.now())


def record_attachment_download(*, attachment: Attachment, actor: User) -> None:
    with transaction.atomic(durable=True):
        staff_record(
            EventType.ATTACHMENT_DOWNLOADED,
            case=attachment.case,
            actor=actor,
            at=timezone.now(),
            attachment=attachment.pk,
        )
