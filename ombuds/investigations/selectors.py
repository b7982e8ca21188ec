"""Reads of the investigation outside a case: the tasks in someone's inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import User

from ombuds.cases import access
from ombuds.cases.models import Status
from ombuds.investigations.models import Task


@dataclass(frozen=True)
class InboxTask:
    """A task of someone's, as the inbox lists it: no content (its title opens only on the case's pages)."""

    reference: str
    id: int
    label: str
    due_on: date
    due_at: datetime
    overdue: bool


def open_tasks(user: User, *, now: datetime, overdue_only: bool = False) -> list[InboxTask]:
    """The open tasks `user` owns on the cases she may see, earliest due first."""
    tasks = (
        Task.objects.filter(owner=user, done_at__isnull=True)
        .exclude(case__status=Status.CLOSED)
        .select_related("case")
        .order_by("due_at", "number")
    )
    if overdue_only:
        tasks = tasks.filter(due_at__lte=now)
    # Her own open tasks are few: her cases are asked about one by one (access.visible_among).
    mine = list(tasks)
    seen = access.visible_among(user, (task.case_id for task in mine))
    return [
        InboxTask(
            reference=task.case.reference,
            id=task.pk,
            label=task.label,
            due_on=task.due_on,
            due_at=task.due_at,
            overdue=task.is_overdue(now),
        )
        for task in [task for task in mine if task.case_id in seen][:200]
    ]
