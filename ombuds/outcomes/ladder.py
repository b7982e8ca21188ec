"""A protective measure's review date on the escalation ladder (cases.ladder): reminder, lead, oversight.

A measure must be looked at again by its review date: kept (a new review date), changed
or ended. Until one of those happens the review is due like any other deadline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ombuds.cases.ladder import ItemDeadline
from ombuds.cases.models import Case, Status
from ombuds.outcomes.models import Measure

KIND = "measure_review"


def review_due(review_on: date) -> datetime:
    """The moment a review date is missed: the end of that day in the organisation's time zone."""
    return timezone.make_aware(datetime.combine(review_on + timedelta(days=1), time.min))


class MeasureReviews:
    kind = KIND
    label: Promise = _("the review of a protective measure")

    def due(self, by: datetime, limit: int) -> Iterable[ItemDeadline]:
        due = (
            Measure.objects.filter(ended_at__isnull=True, review_due_at__lte=by)
            .exclude(case__status=Status.CLOSED)
            .order_by("review_due_at")
            .values_list("case_id", "pk", "review_due_at")[:limit]
        )
        return [ItemDeadline(case_id, str(pk), due_at) for case_id, pk, due_at in due]

    def still_due(self, case: Case, item: str, due_at: datetime) -> bool:
        return Measure.objects.filter(case=case, pk=int(item), ended_at__isnull=True, review_due_at=due_at).exists()

    def responsible(self, case: Case, item: str) -> list[User] | None:
        return None  # the case's responsible handlers
