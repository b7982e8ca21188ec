"""How long a closed case is kept, what stops its deletion, and what is left after it.

Models carry data and pure behaviour only; every change goes through
ombuds.retention.actions.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models

from ombuds.cases.models import Category
from ombuds.lib.ids import random_id

# The defaults when an administrator has set nothing for a category (docs/retention.md says why).
DEFAULT_WITHOUT_INVESTIGATION = "P2M"
DEFAULT_AFTER_DECISION = "P5Y"
# No period is shorter (configure_rule refuses it): one administrator could otherwise wipe
# every closed case of a category at the next sweep.
MINIMUM_PERIOD = "P1M"


class RetentionRule(models.Model):
    """An administrator's retention periods for one category, as ISO 8601 durations after closure."""

    category = models.CharField(max_length=32, choices=Category.choices, unique=True)
    # Closed without investigation, or referred elsewhere: nothing was investigated here.
    without_investigation = models.CharField(max_length=40, default=DEFAULT_WITHOUT_INVESTIGATION)
    # Investigated and decided: counted from the closing that follows the decision.
    after_decision = models.CharField(max_length=40, default=DEFAULT_AFTER_DECISION)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The periods before the last change: for rules.NOTICE after it, a case's content is
    # deleted only once both the periods before and after the change have passed.
    previous_without_investigation = models.CharField(max_length=40, blank=True, default="")
    previous_after_decision = models.CharField(max_length=40, blank=True, default="")

    def __str__(self) -> str:
        return f"retention of {self.category}"


class LegalHold(models.Model):
    """Oversight's order to keep a case's content past its retention period, with a date to review it."""

    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="legal_holds")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField()
    review_on = models.DateField(db_index=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    # When oversight was told that the review date had passed (once per hold).
    review_noticed_at = models.DateTimeField(null=True, blank=True)
    # CONTENT
    reason = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(lifted_at__isnull=True), name="one_legal_hold_in_force"
            ),
        ]

    def __str__(self) -> str:
        return f"legal hold {self.pk} on {self.case_id}"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None

    def review_due(self, today: date) -> bool:
        return self.in_force and self.review_on <= today


class Erasure(models.Model):
    """The record that a case's content was deleted at the end of its retention period.

    What statistics need stays on the case (category, dates, status, outcome, finding);
    the unit is kept here because the people it came from are gone.
    """

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="erasure")
    erased_at = models.DateTimeField()
    # The unit of the first person accused who was in the directory, when there was one.
    unit = models.ForeignKey("directory.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"erasure of {self.case_id}"
