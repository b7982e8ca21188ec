"""The retaliation watch and the cases the oversight body opens from watching.

A named reporter linked to her directory record (ReporterLink), and the witnesses linked
to the directory, are watched for a protection window after the case was filed: an
import that changes their record in a way that may be adverse raises a RetaliationFlag
on the case. Oversight clears it with a note, or opens a retaliation case from it. A
case whose deadline escalated can lead to an accountability case against those who let
it pass. Both new cases are linked to the first (LinkedCase).

Models carry data only; every change is in ombuds.watch.actions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ombuds.lib.ids import random_id


class ReporterLink(models.Model):
    """The directory record of a named reporter, linked by staff so the watch can follow it.

    Kept as a keyed digest of the person (ombuds.watch.secrecy), never as a plain link: a
    copy of the database must not tell who reported. The employee id is shown to staff,
    sealed under the case's key.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    report = models.OneToOneField("cases.Report", on_delete=models.PROTECT, related_name="+")
    person_digest = models.CharField(max_length=64, db_index=True)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()
    # CONTENT
    employee_id = models.TextField()

    def __str__(self) -> str:
        return f"reporter link on {self.case_id}"


class Subject(models.TextChoices):
    REPORTER = "reporter", _("The reporter")
    WITNESS = "witness", _("A witness")


class FlagState(models.TextChoices):
    OPEN = "open", _("Waiting for oversight")
    CLEARED = "cleared", _("Cleared")
    CASE_OPENED = "case_opened", _("Retaliation case opened")


class RetaliationFlag(models.Model):
    """A change to a watched person's directory record within the protection window."""

    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="retaliation_flags")
    subject = models.CharField(max_length=16, choices=Subject.choices)
    raised_at = models.DateTimeField()
    # The import that made the change: the sequence number of its DIRECTORY_IMPORTED audit event.
    import_id = models.PositiveBigIntegerField()
    state = models.CharField(max_length=16, choices=FlagState.choices, default=FlagState.OPEN)
    # The change as the import recorded it (who, and each field's old and new value), as
    # JSON encrypted under the watch key (ombuds.watch.secrecy) while the flag is open: the
    # import holds no case's key. Deciding the flag moves it into `change`, sealed under
    # the case's key, and empties this.
    pending_change = models.BinaryField(null=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # CONTENT
    change = models.TextField(blank=True)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "raised_at"])]

    def __str__(self) -> str:
        return f"retaliation flag on {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.state == FlagState.OPEN


class LinkKind(models.TextChoices):
    RETALIATION = "retaliation", _("Retaliation case")
    ACCOUNTABILITY = "accountability", _("Accountability case for inaction")


class LinkedCase(models.Model):
    """A case the oversight body opened from another: a retaliation or an accountability case."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="opened_from")
    origin = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=LinkKind.choices)
    flag = models.OneToOneField(
        RetaliationFlag, null=True, blank=True, on_delete=models.PROTECT, related_name="opened_case"
    )
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind} case {self.case_id} from {self.origin_id}"
