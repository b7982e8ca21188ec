"""The investigation's deadlines on the escalation ladder (ombuds.cases.ladder).

Two kinds of item have a date: a task of the plan is due on its due date, and a
deferred informing of a person concerned must be reviewed by its review date. Both
climb the same ladder as the case's own deadlines (reminder, lead handler, oversight)
until they are met; the Escalation row names the kind and the item's id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ombuds.cases import permissions
from ombuds.cases.ladder import ItemDeadline
from ombuds.cases.models import Case, Status
from ombuds.investigations.models import Informing, InformingKind, Task


def _item_id(item: str) -> int | None:
    return int(item) if item.isdigit() else None


class TaskDeadlines:
    """Tasks of the plan not done by their due date; the reminder goes to the task's owner."""

    kind = "task"
    label: Promise = _("a task of the investigation plan")

    def due(self, by: datetime, limit: int) -> Iterable[ItemDeadline]:
        rows = (
            Task.objects.filter(done_at__isnull=True, due_at__lte=by)
            .exclude(case__status=Status.CLOSED)
            .order_by("due_at")
            .values_list("case_id", "pk", "due_at")[:limit]
        )
        return [ItemDeadline(case_id, str(pk), due_at) for case_id, pk, due_at in rows]

    def still_due(self, case: Case, item: str, due_at: datetime) -> bool:
        pk = _item_id(item)
        return pk is not None and Task.objects.filter(case=case, pk=pk, done_at__isnull=True, due_at=due_at).exists()

    def responsible(self, case: Case, item: str) -> list[User] | None:
        pk = _item_id(item)
        task = Task.objects.filter(case=case, pk=pk).select_related("owner").first() if pk is not None else None
        if task is None or not permissions.may_own_task(task.owner, case):
            return None  # an owner who left the case: the case's responsible handlers hear of it
        return [task.owner]


class InformingReviews:
    """Deferrals of informing a person concerned, past their review date; the reminder goes to who deferred it."""

    kind = "informing"
    label: Promise = _("the review of a deferred informing")

    def due(self, by: datetime, limit: int) -> Iterable[ItemDeadline]:
        rows = (
            Informing.objects.filter(kind=InformingKind.DEFERRED, superseded_at__isnull=True, review_at__lte=by)
            .exclude(case__status=Status.CLOSED)
            .order_by("review_at")
            .values_list("case_id", "pk", "review_at")[:limit]
        )
        return [ItemDeadline(case_id, str(pk), review_at) for case_id, pk, review_at in rows if review_at]

    def still_due(self, case: Case, item: str, due_at: datetime) -> bool:
        pk = _item_id(item)
        return (
            pk is not None
            and Informing.objects.filter(
                case=case, pk=pk, kind=InformingKind.DEFERRED, superseded_at__isnull=True, review_at=due_at
            ).exists()
        )

    def responsible(self, case: Case, item: str) -> list[User] | None:
        pk = _item_id(item)
        record = Informing.objects.filter(case=case, pk=pk).select_related("recorded_by").first() if pk else None
        if record is None or not permissions.may_own_task(record.recorded_by, case):
            return None
        return [record.recorded_by]
