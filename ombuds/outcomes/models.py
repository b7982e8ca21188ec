"""Protective measures, the outcome for each accused person, and the rehire registry (R8).

Models carry data and pure behaviour only; every change goes through
ombuds.outcomes.actions. Free text written about a case (a measure's description, the
reasons for a change or a decision) is case content, sealed with the case's data key
(listed in ombuds.cases.content). The registry keeps a person's identifiers only as
keyed digests (ombuds.outcomes.registry), never in clear.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ombuds.cases.models import Case, InvolvedPerson
from ombuds.lib.ids import random_id


class MeasureKind(models.TextChoices):
    NO_CONTACT = "no_contact", _("No contact")
    SEPARATION = "separation", _("Separation or reassignment")
    SUSPENSION = "suspension", _("Suspension pending investigation")
    TRAVEL_SAFETY = "travel_safety", _("Travel and trip safety (no shared trips or rooms, no drinking obligations)")
    REPORTER_SUPPORT = "reporter_support", _("Leave or support for the reporter")
    OTHER = "other", _("Other")


# Kinds that bind someone: they must name at least one person they restrict.
RESTRICTING_KINDS = frozenset(
    {MeasureKind.NO_CONTACT, MeasureKind.SEPARATION, MeasureKind.SUSPENSION, MeasureKind.TRAVEL_SAFETY}
)


class Measure(models.Model):
    """An interim measure on a case: whom it protects, whom it restricts, and for how long."""

    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="measures")
    kind = models.CharField(max_length=24, choices=MeasureKind.choices)
    # The case's reporter; the people of the report it protects are listed below.
    protects_reporter = models.BooleanField(default=False)
    protects = models.ManyToManyField(InvolvedPerson, blank=True, related_name="+")
    restricts = models.ManyToManyField(InvolvedPerson, blank=True, related_name="+")
    starts_on = models.DateField()
    review_on = models.DateField()
    # The review date's deadline on the escalation ladder: the end of that day in the
    # organisation's time zone (ombuds.outcomes.ladder). Kept current by the actions.
    review_due_at = models.DateTimeField(db_index=True)
    ends_on = models.DateField(null=True, blank=True)  # None: until further notice
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    # Set when ended early by an action (a measure whose end date passes simply lapses).
    ended_at = models.DateTimeField(null=True, blank=True)
    # CONTENT
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_on", "recorded_at"]

    def __str__(self) -> str:
        return f"{self.kind} measure {self.pk} on {self.case_id}"

    def is_over(self, today: date) -> bool:
        return self.ended_at is not None or (self.ends_on is not None and self.ends_on < today)

    def is_in_force(self, today: date) -> bool:
        return not self.is_over(today) and self.starts_on <= today


class MeasureChangeKind(models.TextChoices):
    EXTENDED = "extended", _("Extended or reviewed")
    ENDED = "ended", _("Ended")


class MeasureChange(models.Model):
    """Extending (a new review date, a new end) or ending a measure, with the reason."""

    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=16, choices=MeasureChangeKind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    previous_review_on = models.DateField()
    previous_ends_on = models.DateField(null=True, blank=True)
    review_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    # CONTENT
    reason = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} change of measure {self.measure_id}"


class Sanction(models.TextChoices):
    NONE = "none", _("None")
    WARNING = "warning", _("Warning")
    TRAINING = "training", _("Training")
    WRITTEN_WARNING = "written_warning", _("Written warning")
    DEMOTION = "demotion", _("Demotion")
    SUSPENSION = "suspension", _("Suspension")
    DISMISSAL = "dismissal", _("Dismissal")


class Rehire(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible for rehire")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible for rehire")
    REVIEW_NEEDED = "review_needed", _("Review needed before any rehire")


class OutcomeState(models.TextChoices):
    PENDING = "pending", _("Waiting for a second person's approval")
    FINAL = "final", _("Final")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn by the proposer")
    SUPERSEDED = "superseded", _("Replaced by a later decision")


class AccusedOutcome(models.Model):
    """The decision about one accused person of a decided case: sanctions and rehire eligibility.

    A decision with dismissal or "not eligible", or one that replaces such a decision,
    waits for a second person (a lead handler or oversight, never its proposer), like
    closing without investigation (R5); any other decision is final at once.
    """

    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="accused_outcomes")
    person = models.ForeignKey(InvolvedPerson, on_delete=models.PROTECT, related_name="outcomes")
    # A list of Sanction values: ["none"], or one or more of the others.
    sanctions = models.JSONField(default=list)
    rehire = models.CharField(max_length=16, choices=Rehire.choices)
    state = models.CharField(max_length=16, choices=OutcomeState.choices)
    needs_approval = models.BooleanField(default=False)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    final_at = models.DateTimeField(null=True, blank=True)
    # CONTENT
    reason = models.TextField()
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["proposed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(state="pending"), name="one_pending_outcome_per_person"
            ),
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(state="final"), name="one_final_outcome_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"outcome {self.pk} on {self.case_id}"

    @property
    def is_pending(self) -> bool:
        return self.state == OutcomeState.PENDING

    @property
    def takes_action(self) -> bool:
        return any(s != Sanction.NONE for s in self.sanctions)


class IdentifierKind(models.TextChoices):
    EMAIL = "email", _("E-mail address")
    PHONE = "phone", _("Phone number")
    EMPLOYEE_NUMBER = "employee_number", _("Employee number")
    NATIONAL_ID = "national_id", _("National identifier")


class RehireIdentifier(models.Model):
    """One identifier of an accused person, as the keyed digest of its normalised form (never in clear)."""

    outcome = models.ForeignKey(AccusedOutcome, on_delete=models.PROTECT, related_name="identifiers")
    kind = models.CharField(max_length=16, choices=IdentifierKind.choices)
    digest = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outcome", "kind", "digest"], name="rehire_identifier_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of outcome {self.outcome_id}"


class RehireEntry(models.Model):
    """The registry's entry for a final outcome of "not eligible" or "review needed".

    Its identifiers are the outcome's; a later decision about the same person lifts it
    (the row stays, so a past check still says which entry it matched).
    """

    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    outcome = models.OneToOneField(AccusedOutcome, on_delete=models.PROTECT, related_name="rehire_entry")
    result = models.CharField(max_length=16, choices=Rehire.choices)
    listed_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rehire entry {self.pk}"


class RehireCheck(models.Model):
    """One question asked of the registry, and its answer. The identifiers asked about are not kept."""

    reference = models.CharField(max_length=16, unique=True)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(db_index=True)
    # Which kinds of identifier were given, e.g. ["email", "phone"]: never their values.
    kinds = models.JSONField(default=list)
    result = models.CharField(max_length=16, choices=Rehire.choices)
    matched = models.ManyToManyField(RehireEntry, blank=True, related_name="checks")
    # Members of the shared registry holding an entry for the candidate: [{member, oversight_contact}].
    registry_holders = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-asked_at", "-id"]

    def __str__(self) -> str:
        return self.reference


class RegistryKeyCheck(models.Model):
    """One row: a keyed digest of a fixed text, telling the registry key in use from any other.

    A registry searched with another key (a lost key replaced by a new one) would answer
    "eligible" for everyone; with this, ombuds refuses to search instead.
    """

    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return "rehire registry key check"


class OutcomePolicy(models.Model):
    """What the reporter is told of the outcomes: the organisation's wording and whether sanctions are told.

    One row (made by the migration). `wording` maps a wording key (ombuds.outcomes.telling)
    and a language to the organisation's own text; a missing one uses the default text.
    """

    # Whether the reporter is told the sanctions decided about another person. Off by default.
    tell_sanctions = models.BooleanField(default=False)
    wording = models.JSONField(default=dict)
    # The region a phone number without its country code belongs to (ISO 3166, e.g. "CN");
    # empty: every number must be given with its country code.
    phone_region = models.CharField(max_length=2, blank=True, default="")

    def __str__(self) -> str:
        return "outcome policy"


class SubmissionState(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("Waiting for the decision's approval")
    PENDING = "pending", _("Waiting to be sent to the shared registry")
    SUBMITTED = "submitted", _("In the shared registry")
    FAILED = "failed", _("The shared registry could not be reached; retried")
    CANCELLED = "cancelled", _("Not sent: the decision was not approved")
    WITHDRAWING = "withdrawing", _("Being withdrawn from the shared registry")
    WITHDRAWN = "withdrawn", _("Withdrawn from the shared registry")


class RegistrySubmission(models.Model):
    """One decision's entries in the shared registry of several organisations (shared_registry.py).

    The identifiers wait here, encrypted under a key derived from the signing key file,
    only until the entries are submitted; then only the registry's entry numbers remain.
    """

    outcome = models.OneToOneField(AccusedOutcome, on_delete=models.PROTECT, related_name="registry_submission")
    state = models.CharField(max_length=20, choices=SubmissionState.choices, db_index=True)
    sealed_identifiers = models.TextField(blank=True)
    entry_ids = models.JSONField(default=list)
    expires_on = models.DateField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # A short reason of the last failure, naming no identifier.
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"registry submission of outcome {self.outcome_id} ({self.state})"
