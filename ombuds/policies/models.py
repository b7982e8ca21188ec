"""Policies with versions, employees' acknowledgements of them, and training records (R10).

A policy is a slug and a kind; its words live in versions, one text per offered
language. A version is a draft until it is published, and frozen from then on: what an
employee acknowledged is exactly what she read. Every change goes through
ombuds.policies.actions; nothing here writes in save() or in signals.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PolicyKind(models.TextChoices):
    ANTI_HARASSMENT = "anti_harassment", _("Anti-harassment")
    REPORTING = "reporting", _("Reporting")
    ANTI_RETALIATION = "anti_retaliation", _("Anti-retaliation")
    INVESTIGATION = "investigation", _("Investigation procedure")
    OTHER = "other", _("Other")


class Policy(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=32, choices=PolicyKind.choices)
    # Order on the public list: smaller first, then by slug.
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "slug"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.slug


class PolicyVersion(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What changed, for the administrators (never shown to the public).
    note = models.CharField(max_length=500, blank=True, default="")
    # None while the version is a draft. Published versions are never edited.
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set when a later version is published: no more reminders are sent for this one.
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number_unique"),
            # At most one draft per policy: two administrators editing two drafts would
            # publish over each other.
            models.UniqueConstraint(fields=["policy"], condition=Q(published_at__isnull=True), name="policy_one_draft"),
        ]

    def __str__(self) -> str:
        return f"{self.policy.slug} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class PolicyText(models.Model):
    """A version's title and Markdown text in one language."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=16)
    title = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "language"], name="policy_text_language_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.language})"


class AcknowledgementRequest(models.Model):
    """One person asked to acknowledge one version; acknowledged once, through any of her links."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="requests")
    person = models.ForeignKey("directory.Person", on_delete=models.PROTECT, related_name="policy_requests")
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # How it was given: "link" (the e-mailed one-time link).
    via = models.CharField(max_length=16, blank=True, default="")
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    # When the next reminder is due; None once acknowledged or when no more reminders are sent.
    # The sweeper claims a reminder with a conditional UPDATE on this and reminders_sent.
    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "person"], name="acknowledgement_request_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.version} for person {self.person_id}"


class AcknowledgementLink(models.Model):
    """A personal one-time link of a request. Only a SHA-256 digest of its secret is kept.

    The secret (256 bits) exists only in the e-mail: it is made by the task that sends
    the e-mail, so it is never stored in the task queue either. A reminder makes a new
    link; every link of a request works until the request is acknowledged.
    """

    request = models.ForeignKey(AcknowledgementRequest, on_delete=models.CASCADE, related_name="links")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"link {self.pk} of request {self.request_id}"


class TrainingSession(models.Model):
    """A session or course on a day ("Respect at work", 2026-03-04)."""

    course = models.CharField(max_length=200)
    held_on = models.DateField()

    class Meta:
        ordering = ["-held_on", "course"]
        constraints = [
            models.UniqueConstraint(fields=["course", "held_on"], name="training_session_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.course} ({self.held_on:%Y-%m-%d})"


class TrainingAttendance(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="attendances")
    person = models.ForeignKey("directory.Person", on_delete=models.PROTECT, related_name="training")
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="training_attendance_unique"),
        ]

    def __str__(self) -> str:
        return f"person {self.person_id} at {self.session}"


class TrainingImport(models.Model):
    """What one import of a training file did, for the administrators' list of imports."""

    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rows = models.PositiveIntegerField()
    sessions_created = models.PositiveIntegerField()
    attendances_created = models.PositiveIntegerField()
    already_recorded = models.PositiveIntegerField()

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"training import of {self.imported_at:%Y-%m-%d}"
