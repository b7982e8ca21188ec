"""Cases and what reporters submit to them.

Models carry data and pure behaviour only. Every change goes through
`ombuds.cases.actions`; nothing here writes in `save()` or through signals.

Report content (narrative, names, messages, attachments) lives in the fields marked
CONTENT below (listed in ombuds.cases.content). Each case has its own data key; these
fields hold text encrypted under it (ombuds.cases.content.seal), attachments live
encrypted in the file store, and the key itself is stored only sealed to each person
who may read the case (CaseKeyGrant) and to the reporter (Report.key_seal).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ombuds.lib.ids import random_id


class Category(models.TextChoices):
    SEXUAL_HARASSMENT = "sexual_harassment", _("Sexual harassment")
    SEXUAL_ASSAULT = "sexual_assault", _("Sexual assault")
    DISCRIMINATION = "discrimination", _("Discrimination")
    BULLYING = "bullying", _("Bullying")
    RETALIATION = "retaliation", _("Retaliation")
    OTHER = "other", _("Other misconduct")


class ReporterRole(models.TextChoices):
    AFFECTED = "affected", _("It happened to me")
    WITNESS = "witness", _("I saw or heard it")
    BYSTANDER = "bystander", _("I was around and know about it")
    ON_BEHALF = "on_behalf", _("I am reporting on someone else's behalf")


class PersonRole(models.TextChoices):
    ACCUSED = "accused", _("Person who did it")
    WITNESS = "witness", _("Witness")
    OTHER = "other", _("Other")
    KEEP_OUT = "keep_out", _("Keep this person out of my case")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ASSESSMENT = "assessment", _("In assessment")
    INVESTIGATION = "investigation", _("Under investigation")
    DECIDED = "decided", _("Decided")
    CLOSED = "closed", _("Closed")


class Sender(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    STAFF = "staff", _("Case handler")


class Finding(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("Substantiated")
    NOT_SUBSTANTIATED = "not_substantiated", _("Not substantiated")
    INCONCLUSIVE = "inconclusive", _("Inconclusive")


class Outcome(models.TextChoices):
    """How a case ended, as the reporter is told."""

    DECIDED = "decided", _("Investigated and decided")
    REFERRED = "referred", _("Referred elsewhere")
    CLOSED_WITHOUT_INVESTIGATION = "closed_without_investigation", _("Closed without investigation")


class ClosureGrounds(models.TextChoices):
    """Why a case may end without an investigation: a closed list, and "no evidence" is not on it (R1).

    A report never needs evidence, so a lack of it is never grounds; the free text that
    comes with the grounds explains the case at hand.
    """

    NOT_MISCONDUCT = "not_misconduct", _("What is described would not be misconduct, even as reported")
    OUTSIDE_REMIT = "outside_remit", _("Outside this channel's remit (not about the organisation or its people)")
    DUPLICATE = "duplicate", _("Repeats a report already handled, with nothing new")
    WITHDRAWN = "withdrawn", _("The reporter asked to withdraw it")
    RESOLVED = "resolved", _("Already resolved, with the reporter's agreement")


class ProposalKind(models.TextChoices):
    CLOSE = "close", _("Close without investigation")
    REFER = "refer", _("Refer elsewhere")
    FINDING = "finding", _("A finding that ends the investigation")


class Organisation(models.Model):
    """The one organisation this installation serves (created by a migration)."""

    name = models.CharField(max_length=200, default="Organisation")
    oversight_name = models.CharField(max_length=200, default="the oversight committee")
    # The organisation's recovery key: every case's data key is also sealed to it. Its
    # private half is printed once when made (`ombuds keys recovery create`) and kept
    # offline; it restores access when every key holder of a case has lost theirs.
    recovery_public_key = models.BinaryField(null=True)
    # Whom a reporter is pointed to when nobody on the oversight body can take her case
    # without a conflict (her own keep-out requests, or the accused's chain, reach them all).
    fallback_contact = models.TextField(blank=True, default="")
    # ISO 8601 durations; see ombuds.lib.durations.
    ack_deadline = models.CharField(max_length=40, default="P7D")
    feedback_deadline = models.CharField(max_length=40, default="P3M")
    assault_first_action_deadline = models.CharField(max_length=40, default="PT24H")
    # Set on the administration pages (ombuds.cases.actions.configure_organisation).
    # How a reporter can reach the oversight body directly; shown on the start page.
    oversight_contact = models.TextField(blank=True, default="")
    # An IANA time zone name; empty means OMBUDS_TIME_ZONE (ombuds.core.organisation).
    time_zone = models.CharField(max_length=64, blank=True, default="")
    # Language codes offered on the reporter pages, comma-separated, each one of
    # settings.LANGUAGES; empty means all of them.
    languages = models.CharField(max_length=200, blank=True, default="")
    # Whether the report form offers "Find in the directory" (names, job titles and units).
    reporters_may_search_directory = models.BooleanField(default=True)
    # The organisation's and the oversight body's names in other languages, as
    # {"zh-hans": {"name": "…", "oversight_name": "…"}}; a name not given there is the one above.
    names_per_language = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        """The organisation's name as readers of `language` see it."""
        return str(self.names_per_language.get(language, {}).get("name") or self.name)

    def oversight_name_in(self, language: str) -> str:
        """The oversight body's name as readers of `language` see it."""
        return str(self.names_per_language.get(language, {}).get("oversight_name") or self.oversight_name)

    def zone_name(self) -> str:
        return self.time_zone or settings.TIME_ZONE

    def offered_languages(self) -> list[tuple[str, str]]:
        """(code, name) of each language offered to reporters, in the order of settings.LANGUAGES."""
        chosen = set(filter(None, self.languages.split(",")))
        installed = [(code, str(name)) for code, name in settings.LANGUAGES]
        offered = [(code, name) for code, name in installed if code in chosen]
        return offered or installed


# Each deadline of a case: the column with its due moment and the column set when it is
# met. The model, the escalation sweep and the case page all read deadlines through this.
DEADLINE_COLUMNS: dict[str, tuple[str, str]] = {
    "first_action": ("first_action_due_at", "first_action_at"),
    "acknowledge": ("ack_due_at", "acknowledged_at"),
    "feedback": ("feedback_due_at", "feedback_given_at"),
}


class Case(models.Model):
    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    reference = models.CharField(max_length=16, unique=True)
    category = models.CharField(max_length=32, choices=Category.choices)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.RECEIVED)
    anonymous = models.BooleanField()
    # For anonymous cases this is the start of the day in the organisation's time
    # zone, never the exact moment (see actions.reporter_moment).
    received_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    ack_due_at = models.DateTimeField(db_index=True)
    feedback_due_at = models.DateTimeField(db_index=True)
    first_action_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    first_action_at = models.DateTimeField(null=True, blank=True)
    feedback_given_at = models.DateTimeField(null=True, blank=True)
    # Hands out each message's, file's and appeal's place in the case, under the case's
    # row lock: they are ordered by it, never by id or by an anonymous reporter's day.
    last_position = models.PositiveIntegerField(default=0)
    # The earliest deadline still to be met; None once nothing is pending. Kept
    # current by every action (actions.refresh_deadlines); the inbox sorts on it.
    next_deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the escalation pass must next look at this case: no untaken ladder step of its
    # own deadlines falls due before this moment minus the reminder's lead (see
    # ombuds.cases.ladder_due). Lowered by the database itself whenever a deadline, what
    # meets it, the status or the escrow changes (a trigger, so every writer is covered);
    # moved forward only by the pass, after it has looked. None: nothing left to take.
    ladder_due_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_cases"
    )
    outcome = models.CharField(max_length=40, choices=Outcome.choices, blank=True)
    # Set when no unconflicted handler could take the case, so it went to oversight.
    routed_to_oversight = models.BooleanField(default=False)
    finding = models.CharField(max_length=32, choices=Finding.choices, blank=True)
    # False only for cases stored before encryption at rest, whose content is still in
    # clear until the sweeper seals it (ombuds.cases.keyring.seal_legacy_cases).
    sealed = models.BooleanField(default=True)
    # Held in escrow until another reporter names the same person (ombuds.linking.escrow):
    # nobody on the staff sees it, and nobody holds its key but its reporter.
    held_in_escrow = models.BooleanField(default=False)
    # The directory unit of the first accused person linked to the directory (by the
    # reporter or a handler), kept by ombuds.cases.units.refresh; None: no unit known.
    # The analytics group by it (docs/analytics.md); never reporter-provided text.
    reporting_unit = models.ForeignKey(
        "directory.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # CONTENT
    referral = models.TextField(blank=True)
    decision_reasoning = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "ack_due_at"]),
            # The inbox walks a handler's cases, and the unassigned ones, in its order
            # (deadline, then id) through the first, and everyone's through the second, and
            # stops after a page (selectors.inbox_page).
            models.Index(fields=["assignee", "next_deadline_at", "id"], name="cases_case_inbox_idx"),
            models.Index(fields=["next_deadline_at", "id"], name="cases_case_deadline_idx"),
            # The analytics' grouped queries read a period of cases by these moments (docs/analytics.md).
            models.Index(fields=["received_at"], name="cases_case_received_at_idx"),
            models.Index(fields=["closed_at"], name="cases_case_closed_at_idx"),
            # The escalation pass reads only the cases with a step to look at (ombuds.cases.sweeps).
            models.Index(fields=["ladder_due_at", "id"], name="cases_case_ladder_due_idx"),
            # The dashboard's cases overdue now, by unit and by handler, counted from this
            # index alone (ombuds.analytics.figures.Overdue): only open, visible cases, with
            # every column the count reads, those of the condition too (SQLite reads the table
            # for a column of the condition it has not got). The condition is the query's
            # filter, term for term.
            models.Index(
                fields=["next_deadline_at", "reporting_unit", "assignee", "held_in_escrow", "status"],
                condition=models.Q(held_in_escrow=False) & ~models.Q(status="closed"),
                name="cases_case_overdue_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    def is_ack_overdue(self, now: datetime) -> bool:
        return self.acknowledged_at is None and self.is_open() and now > self.ack_due_at

    def is_feedback_overdue(self, now: datetime) -> bool:
        return self.is_open() and self.feedback_given_at is None and now > self.feedback_due_at

    def is_first_action_overdue(self, now: datetime) -> bool:
        return (
            self.first_action_due_at is not None
            and self.first_action_at is None
            and self.is_open()
            and now > self.first_action_due_at
        )

    def is_overdue(self, now: datetime) -> bool:
        return self.next_deadline_at is not None and now > self.next_deadline_at

    def pending_deadlines(self) -> list[tuple[str, datetime]]:
        """The deadlines not yet met, as (name, moment), earliest first."""
        if not self.is_open():
            return []
        pending = [
            (name, due)
            for name, (due_column, met_column) in DEADLINE_COLUMNS.items()
            if (due := getattr(self, due_column)) is not None and getattr(self, met_column) is None
        ]
        return sorted(pending, key=lambda item: item[1])


class Report(models.Model):
    """One person's account, with the digest of the receipt she was given."""

    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reports")
    receipt_digest = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=16, choices=ReporterRole.choices)
    anonymous = models.BooleanField()
    language = models.CharField(max_length=16, default="en")
    submitted_at = models.DateTimeField()  # coarse for anonymous reports
    # The case's data key sealed to the key pair her receipt derives (Argon2id with the
    # parameters and salt in receipt_kdf): with the receipt she opens her case, and only then.
    receipt_kdf = models.BinaryField(null=True)
    key_seal = models.BinaryField(null=True)
    # The random value of her proof of filing (ombuds.cases.filing_proof), sealed to the same
    # key pair: only she can open it, with her receipt.
    proof_seal = models.BinaryField(null=True)
    # The questionnaire version she answered (ombuds.questionnaire): her answers are read
    # with its questions for as long as the report is kept, whatever is published later.
    questionnaire = models.ForeignKey(
        "questionnaire.Version", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # CONTENT
    narrative = models.TextField()
    occurred = models.TextField(blank=True)
    location = models.TextField(blank=True)
    reporter_name = models.TextField(blank=True)
    reporter_contact = models.TextField(blank=True)
    # Her answers to the questionnaire, as JSON keyed by question (ombuds.questionnaire.answers).
    answers = models.TextField(blank=True, default="")

    class Meta:
        # A case's first report (its reporter role, its first accused person) is found in order.
        indexes = [models.Index(fields=["case", "submitted_at"], name="cases_report_case_submitted")]

    def __str__(self) -> str:
        return f"report {self.pk} on {self.case_id}"


class InvolvedPerson(models.Model):
    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="people")
    role = models.CharField(max_length=16, choices=PersonRole.choices)
    # Her order of the people she named.
    position = models.PositiveSmallIntegerField(default=0)
    # The directory person this is, when the reporter picked one or a handler linked one.
    person = models.ForeignKey(
        "directory.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="mentions"
    )
    # CONTENT
    name = models.TextField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.role} on report {self.report_id}"


class Message(models.Model):
    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages")
    sender = models.CharField(max_length=16, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField()  # coarse when sent by an anonymous reporter
    position = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField(null=True, blank=True)
    # A staff message that tells the reporter what is being done (Directive art. 9(1)(f)).
    is_feedback = models.BooleanField(default=False)
    # CONTENT
    body = models.TextField()

    class Meta:
        # By position: an anonymous reporter's message keeps only its day, so sorting by
        # time would put her afternoon reply before the morning question it answers.
        ordering = ["position"]

    def __str__(self) -> str:
        return f"message {self.pk} on {self.case_id}"


class Attachment(models.Model):
    """A file kept in the database, so it is stored in the same transaction as its report."""

    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    sender = models.CharField(max_length=16, choices=Sender.choices)
    uploaded_at = models.DateTimeField()
    position = models.PositiveIntegerField(default=0)
    size = models.PositiveBigIntegerField()
    # The encrypted file in the file store (ombuds.crypto.filestore), named by a random id.
    blob_id = models.CharField(max_length=32, blank=True)
    # CONTENT
    filename = models.TextField()
    content_type = models.TextField()
    # The file's own key, encrypted under the case's data key.
    file_key = models.TextField(blank=True)
    # Only for files stored before encryption at rest, until the sweeper seals them.
    legacy_data = models.BinaryField(null=True)

    def __str__(self) -> str:
        return f"attachment {self.pk} on {self.case_id}"


class Appeal(models.Model):
    """A reporter's appeal to the independent oversight body."""

    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="appeals")
    filed_at = models.DateTimeField()  # coarse for anonymous cases
    position = models.PositiveIntegerField(default=0)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField(max_length=16, blank=True)
    # CONTENT
    reason = models.TextField()
    resolution_note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"appeal {self.pk} on {self.case_id}"


class Note(models.Model):
    """An internal note the reporter never sees."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # CONTENT
    body = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.case_id}"


class ClosureProposal(models.Model):
    """A proposal to end a case in a way one person may not decide alone (R5).

    Closing without investigation, referring elsewhere, and a finding of "not
    substantiated" or "inconclusive" each end the case for the reporter; a second
    person (a lead handler or oversight, never the proposer) approves or rejects it.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="closure_proposals")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(null=True)
    kind = models.CharField(max_length=16, choices=ProposalKind.choices, default=ProposalKind.CLOSE)
    # For closing without investigation: why, from a closed list.
    grounds = models.CharField(max_length=32, choices=ClosureGrounds.choices, blank=True)
    # For a finding: which one.
    finding = models.CharField(max_length=32, choices=Finding.choices, blank=True)
    # CONTENT
    # Closing: the explanation the reporter reads. Referral: the message she receives.
    # Finding: the reasoning.
    reason = models.TextField()
    search_done = models.TextField(blank=True)
    decision_note = models.TextField(blank=True)
    # Set when the proposal is to refer the matter elsewhere rather than simply close it.
    referral = models.TextField(blank=True)

    class Meta:
        constraints = [
            # At most one undecided proposal per case.
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(decided_at__isnull=True), name="one_open_closure_proposal"
            ),
        ]

    def __str__(self) -> str:
        return f"closure proposal {self.pk} on {self.case_id}"

    @property
    def is_pending(self) -> bool:
        return self.decided_at is None


class Notice(models.Model):
    """A staff e-mail waiting to be sent by the worker.

    Notices caused by an anonymous reporter wait for the next batch boundary, so the
    e-mail's arrival does not reveal when she acted (see notify.send_after).
    """

    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32)
    recipients = models.JSONField()  # user ids
    send_after = models.DateTimeField()
    sent = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["sent", "send_after"])]

    def __str__(self) -> str:
        return f"{self.kind} notice for {self.case_id}"


class Deadline(models.TextChoices):
    FIRST_ACTION = "first_action", _("first action")
    ACKNOWLEDGE = "acknowledge", _("acknowledgement")
    FEEDBACK = "feedback", _("feedback")


class LadderStep(models.TextChoices):
    REMINDER = "reminder", _("reminder to the responsible handler")
    LEAD = "lead", _("escalated to a lead handler")
    OVERSIGHT = "oversight", _("escalated to the oversight body")


class Escalation(models.Model):
    """One step of the escalation ladder for one deadline. The unique constraint makes each happen once."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="escalations")
    # One of Deadline for the case's own deadlines, or the kind of an item deadline
    # (ombuds.cases.ladder), whose item is then named below.
    deadline = models.CharField(max_length=16)
    item = models.CharField(max_length=64, blank=True, default="")
    due_at = models.DateTimeField()
    step = models.CharField(max_length=16, choices=LadderStep.choices)
    at = models.DateTimeField()
    # True when the step went to oversight (always for the oversight step; for the lead
    # step when no unconflicted lead handler exists).
    to_oversight = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "deadline", "item", "due_at", "step"], name="escalation_item_step_once"
            ),
        ]

    def __str__(self) -> str:
        what = f"{self.deadline} {self.item}".strip()
        return f"{self.step} for {what} on {self.case_id}"


class LadderCheck(models.Model):
    """When the escalation pass last read every case's deadlines, not only the cases it was pointed to.

    One row. Several workers claim the hourly full check with a conditional update of it,
    so only one of them runs it (ombuds.cases.sweeps).
    """

    full_at = models.DateTimeField(null=True, blank=True)
    # The ladder's offsets (settings) the stored ladder_due_at moments were computed with.
    offsets = models.CharField(max_length=200, blank=True, default="")

    def __str__(self) -> str:
        return f"full ladder check at {self.full_at}"


class KeepOutAction(models.TextChoices):
    ADD = "add", _("Keep this person out")
    REMOVE = "remove", _("Let this person back in")


class KeepOutProposal(models.Model):
    """A staff member's request to keep someone out of a case, or to lift such a request.

    It takes effect only when a lead handler or oversight member who is neither the
    proposer nor the person concerned approves it, and never when it would leave the
    case without an unconflicted oversight member (R2: oversight never loses sight of
    a case by anyone's action). The reporter's own keep-out requests apply at once.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="keep_out_proposals")
    person = models.ForeignKey("directory.Person", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=8, choices=KeepOutAction.choices)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(null=True)
    # CONTENT
    note = models.TextField()
    decision_note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person"],
                condition=models.Q(decided_at__isnull=True),
                name="one_open_keep_out_proposal",
            ),
        ]

    def __str__(self) -> str:
        return f"keep-out proposal {self.pk} on {self.case_id}"

    @property
    def is_pending(self) -> bool:
        return self.decided_at is None


class ConflictReason(models.TextChoices):
    ACCUSED = "accused", _("named as the person who did it")
    MANAGER = "manager", _("in the management chain of a person named")
    KEEP_OUT = "keep_out", _("the reporter asked to keep them out")
    HANDLER = "handler", _("added by a handler")


class Conflict(models.Model):
    """A person who must not see, handle or hear of a case (R3).

    Rows with reason accused, manager or keep_out are computed (cases.conflicts) and
    replaced when the directory or the links change; rows added by a handler stay.
    """

    # Random, not sequential: see ombuds.lib.ids.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="conflicts")
    person = models.ForeignKey("directory.Person", on_delete=models.PROTECT, related_name="conflicts")
    reason = models.CharField(max_length=16, choices=ConflictReason.choices)
    # For a manager: the accused person whose chain they are in.
    via = models.ForeignKey("directory.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # CONTENT
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "person", "reason"], name="conflict_once_per_reason"),
        ]

    def __str__(self) -> str:
        return f"conflict on {self.case_id}"


class PoolMembership(models.Model):
    """A handler in the pool of a category. A category with no members is everyone's."""

    category = models.CharField(max_length=32, choices=Category.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pools")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category", "user"], name="pool_membership_once")]

    def __str__(self) -> str:
        return f"{self.category} pool member"


class GrantHolder(models.TextChoices):
    STAFF = "staff", _("Staff member")
    RECOVERY = "recovery", _("Organisation recovery key")


class CaseKeyGrant(models.Model):
    """A case's data key, sealed to one holder's public key (a libsodium sealed box).

    Whoever holds a grant and the matching private key can read the case; nobody else
    can, the server included. Grants follow who may read the case: they are made when
    someone becomes eligible and removed when they are conflicted, leave the case, or
    leave the organisation. Conflicted people never get one.
    """

    # Random, not sequential (ombuds.lib.ids): the grants made when she files would otherwise
    # sit, by number, between staff grants whose times are exact.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="key_grants")
    holder = models.CharField(max_length=16, choices=GrantHolder.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    sealed = models.BinaryField()
    granted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user"], condition=models.Q(holder="staff"), name="one_grant_per_staff_member"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(holder="recovery"), name="one_recovery_grant_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder} grant on {self.case_id}"


class PendingGrant(models.Model):
    """Someone who may now read a case but has no grant yet.

    The server cannot make the grant itself (it holds no key that opens a case); the
    next person who can read the case and uses ombuds makes it (keyring.grant_pending).
    """

    # Random, as CaseKeyGrant's.
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="one_pending_grant")]

    def __str__(self) -> str:
        return f"pending grant on {self.case_id}"
