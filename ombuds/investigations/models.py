"""What an investigation records: who investigates, what is alleged, the plan, interviews, evidence, findings.

Models carry data and pure behaviour only; every change goes through
ombuds.investigations.actions. Free text and files are case content (listed in
ombuds.cases.content): these fields hold text sealed under the case's data key, and the
evidence files live encrypted in the file store. Ids are random, as for the case's own
rows (ombuds.lib.ids).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ombuds.cases.models import Category, Finding
from ombuds.lib.ids import random_id


def end_of_day(day: date) -> datetime:
    """The moment a date has passed in the organisation's time zone: the start of the next day."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), timezone.get_current_timezone())


class StandardOfProof(models.TextChoices):
    BALANCE_OF_PROBABILITIES = "balance_of_probabilities", _("Balance of probabilities")
    CLEAR_AND_CONVINCING = "clear_and_convincing", _("Clear and convincing evidence")
    BEYOND_REASONABLE_DOUBT = "beyond_reasonable_doubt", _("Beyond reasonable doubt")


class InvestigationPolicy(models.Model):
    """The organisation's rules for investigations (one row, made by a migration)."""

    # The standard a finding is measured against; each finding records the one it applied.
    standard_of_proof = models.CharField(
        max_length=32, choices=StandardOfProof.choices, default=StandardOfProof.BALANCE_OF_PROBABILITIES
    )

    def __str__(self) -> str:
        return f"investigation policy ({self.standard_of_proof})"


class Investigator(models.Model):
    """A person named to investigate one case. Only while named (and not conflicted) do they see it."""

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="investigators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="investigations")
    named_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    named_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user"], condition=models.Q(released_at__isnull=True), name="investigator_named_once"
            ),
        ]

    def __str__(self) -> str:
        return f"investigator on {self.case_id}"


class Allegation(models.Model):
    """What is to be decided: one person involved and the conduct alleged against them."""

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="allegations")
    number = models.PositiveIntegerField()  # ... within the case
    subject = models.ForeignKey("cases.InvolvedPerson", on_delete=models.PROTECT, related_name="allegations")
    category = models.CharField(max_length=32, choices=Category.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    finding = models.CharField(max_length=32, choices=Finding.choices, blank=True)
    standard = models.CharField(max_length=32, choices=StandardOfProof.choices, blank=True)
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    found_at = models.DateTimeField(null=True, blank=True)
    # CONTENT
    conduct = models.TextField()
    finding_reasoning = models.TextField(blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="allegation_number_once")]

    def __str__(self) -> str:
        return f"allegation A-{self.number} on {self.case_id}"

    @property
    def label(self) -> str:
        return f"A-{self.number}"


class Task(models.Model):
    """A step of the investigation plan (interview X, collect Y, review Z), with its owner and due date."""

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="tasks")
    number = models.PositiveIntegerField()  # T-1, T-2 ...
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="investigation_tasks")
    due_on = models.DateField()
    # The moment the task is overdue (the end of due_on in the organisation's time zone),
    # kept by the actions: the escalation sweep and the inbox query this column.
    due_at = models.DateTimeField(db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # CONTENT
    title = models.TextField()

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="task_number_once")]
        indexes = [models.Index(fields=["owner", "done_at", "due_at"])]

    def __str__(self) -> str:
        return f"task T-{self.number} on {self.case_id}"

    @property
    def label(self) -> str:
        return f"T-{self.number}"

    def is_overdue(self, now: datetime) -> bool:
        return self.done_at is None and now >= self.due_at


class IntervieweeKind(models.TextChoices):
    REPORTER = "reporter", _("The reporter")
    PERSON = "person", _("A person involved")
    OTHER = "other", _("Someone else")


class Interview(models.Model):
    """An interview: who, when, who was present, and the minutes.

    The minutes of the reporter's own interview are shown to her, and only to her, on
    her status page; she agrees or asks for corrections (MinutesAnswer). Revising the
    minutes makes a new version for her to answer.
    """

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="interviews")
    number = models.PositiveIntegerField()  # I-1, I-2 ...
    interviewee_kind = models.CharField(max_length=16, choices=IntervieweeKind.choices)
    # The report of the reporter interviewed, or the person involved interviewed.
    interviewee_report = models.ForeignKey(
        "cases.Report", null=True, blank=True, on_delete=models.PROTECT, related_name="interviews"
    )
    interviewee_person = models.ForeignKey(
        "cases.InvolvedPerson", null=True, blank=True, on_delete=models.PROTECT, related_name="interviews"
    )
    held_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    minutes_version = models.PositiveIntegerField(default=1)
    revised_at = models.DateTimeField(null=True, blank=True)
    # CONTENT
    interviewee_name = models.TextField(blank=True)  # for someone not named in the report
    present = models.TextField()
    minutes = models.TextField()

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="interview_number_once")]

    def __str__(self) -> str:
        return f"interview I-{self.number} on {self.case_id}"

    @property
    def label(self) -> str:
        return f"I-{self.number}"


class MinutesAnswer(models.Model):
    """The reporter's answer to one version of her interview's minutes (Directive 2019/1937 art. 18(4))."""

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    interview = models.ForeignKey(Interview, on_delete=models.PROTECT, related_name="answers")
    version = models.PositiveIntegerField()
    agreed = models.BooleanField()
    answered_at = models.DateTimeField()  # the day only for an anonymous reporter
    # CONTENT
    corrections = models.TextField(blank=True)

    class Meta:
        ordering = ["version"]
        constraints = [models.UniqueConstraint(fields=["interview", "version"], name="one_answer_per_minutes_version")]

    def __str__(self) -> str:
        return f"answer to minutes v{self.version} of {self.interview_id}"


class EvidenceKind(models.TextChoices):
    FILE = "file", _("A file, kept here")
    HELD_ELSEWHERE = "held_elsewhere", _("Something held elsewhere, described")


class Integrity(models.TextChoices):
    INTACT = "intact", _("Intact: the bytes match the recorded SHA-256")
    MISMATCH = "mismatch", _("Altered: the bytes no longer match the recorded SHA-256")
    UNREADABLE = "unreadable", _("Damaged or altered: the stored file cannot be decrypted")
    MISSING = "missing", _("Missing: the stored file is gone")


FLAGGED = frozenset({Integrity.MISMATCH, Integrity.UNREADABLE, Integrity.MISSING})


class EvidenceItem(models.Model):
    """One item of the evidence register: E-1, E-2 ... with its SHA-256 at intake and where it came from.

    The SHA-256 is content, sealed like the rest: a plain digest would let anyone holding
    the database confirm that a file they have was handed in (see ombuds.cases.content).
    Every later access is an audit event, which makes the item's chain of custody.
    """

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="evidence")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=EvidenceKind.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()
    size = models.PositiveBigIntegerField(default=0)
    # The encrypted file in the file store (ombuds.crypto.filestore), named by a random id.
    blob_id = models.CharField(max_length=32, blank=True)
    # The result of the latest check of the stored bytes against the recorded SHA-256.
    integrity = models.CharField(max_length=16, choices=Integrity.choices, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # CONTENT
    description = models.TextField()
    source = models.TextField()  # where it came from: who handed it in, how it was obtained
    location = models.TextField(blank=True)  # where an item held elsewhere is kept
    filename = models.TextField(blank=True)
    content_type = models.TextField(blank=True)
    # The file's own key, sealed under the case's key.
    blob_key = models.TextField(blank=True)
    sha256 = models.TextField(blank=True)  # hexadecimal

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="evidence_number_once")]

    def __str__(self) -> str:
        return f"evidence E-{self.number} on {self.case_id}"

    @property
    def label(self) -> str:
        return f"E-{self.number}"

    @property
    def flagged(self) -> bool:
        return self.integrity in FLAGGED


class InformingKind(models.TextChoices):
    INFORMED = "informed", _("Informed of the allegations")
    DEFERRED = "deferred", _("Informing deferred")


class InformingMethod(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Telephone")
    VIDEO = "video", _("Video call")
    OTHER = "other", _("Other")


class Informing(models.Model):
    """When and how a person concerned was told of the allegations, or why telling them waits.

    The latest record for a person is the one in force; a deferral carries a review
    date, which climbs the escalation ladder until it is reviewed (informed, or
    deferred again with a new reason and date).
    """

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="informings")
    subject = models.ForeignKey("cases.InvolvedPerson", on_delete=models.PROTECT, related_name="informings")
    kind = models.CharField(max_length=16, choices=InformingKind.choices)
    informed_on = models.DateField(null=True, blank=True)
    method = models.CharField(max_length=16, choices=InformingMethod.choices, blank=True)
    review_on = models.DateField(null=True, blank=True)
    # The end of review_on in the organisation's time zone, for the escalation sweep.
    review_at = models.DateTimeField(null=True, blank=True, db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)
    # CONTENT
    details = models.TextField(blank=True)  # how they were told, and of what
    reason = models.TextField(blank=True)  # why informing waits

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "subject"], condition=models.Q(superseded_at__isnull=True), name="one_current_informing"
            ),
        ]

    def __str__(self) -> str:
        return f"informing ({self.kind}) on {self.case_id}"

    def is_review_overdue(self, now: datetime) -> bool:
        return (
            self.kind == InformingKind.DEFERRED
            and self.superseded_at is None
            and self.review_at is not None
            and now >= self.review_at
        )


class ConcernedResponse(models.Model):
    """What a person concerned answered to the allegations: kept with the case (the right to be heard)."""

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="concerned_responses")
    subject = models.ForeignKey("cases.InvolvedPerson", on_delete=models.PROTECT, related_name="responses")
    received_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    # CONTENT
    response = models.TextField()

    class Meta:
        ordering = ["received_on", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"response on {self.case_id}"
