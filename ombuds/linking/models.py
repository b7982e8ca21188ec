"""What linking stores: match identifiers (π) with case and report ids, never an identifier.

A match identifier is 32 bytes hashed from a match key (ombuds.crypto.threshold.match_id):
a copy of the database cannot say whom it stands for, nor test a guess, without the
match key file. The match key itself is not stored either: whoever holds one can open
what is held in escrow under it (docs/security.md, "Match keys").
"""

from __future__ import annotations

from django.db import models

from ombuds.lib.ids import random_id


class Mention(models.Model):
    """One identifier of one accused person on one report, as its match identifier."""

    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    match_id = models.BinaryField(max_length=32)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey("cases.Report", on_delete=models.PROTECT, related_name="+")
    # Which of the people on the report (InvolvedPerson.position): one person's identifiers
    # together make one alert, and two people on one report are two.
    position = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["match_id"])]
        constraints = [
            models.UniqueConstraint(fields=["report", "position", "match_id"], name="linking_mention_once"),
        ]

    def __str__(self) -> str:
        return f"mention on report {self.report_id}"


class NamedReporter(models.Model):
    """A named reporter's name or contact on her report, as a match identifier.

    Reports that share one come from the same reporter, so they are not independent
    and raise no alert together. Anonymous reports have none: each receipt counts as a
    reporter of its own (docs/security.md says what that means).
    """

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    match_id = models.BinaryField(max_length=32)
    report = models.ForeignKey("cases.Report", on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["match_id"])]
        constraints = [models.UniqueConstraint(fields=["report", "match_id"], name="linking_named_reporter_once")]

    def __str__(self) -> str:
        return f"named reporter of report {self.report_id}"


class HoldState(models.TextChoices):
    HELD = "held"
    RELEASED_BY_MATCH = "released_by_match"
    RELEASED_BY_REPORTER = "released_by_reporter"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class HeldReport(models.Model):
    """A report its reporter chose to hold in escrow until another reporter names the same person.

    The row stays after the hold ends, so her status page can tell her how it ended.
    """

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    report = models.OneToOneField("cases.Report", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=24, choices=HoldState.choices, default=HoldState.HELD)
    held_since = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"report {self.report_id} in escrow"


class EscrowShare(models.Model):
    """For one match identifier of a held report: π, its reporter's share and the case key sealed under the line.

    ombuds.crypto.threshold: one share alone does not open the sealed key; a second
    reporter's share for the same match key does.
    """

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    held = models.ForeignKey(HeldReport, on_delete=models.CASCADE, related_name="shares")
    match_id = models.BinaryField(max_length=32)
    share = models.BinaryField(max_length=64)
    sealed_key = models.BinaryField(max_length=128)

    class Meta:
        indexes = [models.Index(fields=["match_id"])]
        constraints = [models.UniqueConstraint(fields=["held", "match_id"], name="linking_escrow_share_once")]

    def __str__(self) -> str:
        return f"escrow share of {self.held_id}"
