"""The audit trail: one row per action or view, never edited or deleted.

Database triggers (migration 0002) refuse UPDATE and DELETE on this table, so even a
code path that tried could not rewrite history. Event types are a stable IntEnum:
numbers are stored, so existing values never change meaning.

Each event has a gap-free sequence number (`seq`, from 0) and its canonical bytes
(`leaf`), both fixed when it is written: the leaf is what the Merkle log hashes, and
the other columns are kept beside it so the trail can be searched and joined.
"""

from __future__ import annotations

import enum

from django.conf import settings
from django.db import models

from ombuds.lib.ids import random_id


class EventType(enum.IntEnum):
    REPORT_FILED = 1
    REPORTER_MESSAGE = 2
    REPORTER_ATTACHMENT = 3
    APPEAL_FILED = 4
    CASE_VIEWED = 10
    ATTACHMENT_DOWNLOADED = 11
    CASE_EXPORTED = 12
    CASE_ACKNOWLEDGED = 20
    CASE_ASSIGNED = 21
    ASSESSMENT_STARTED = 22
    INVESTIGATION_STARTED = 23
    CASE_REFERRED = 24
    CLOSURE_PROPOSED = 25
    CLOSURE_APPROVED = 26
    CLOSURE_REJECTED = 27
    CASE_DECIDED = 28
    CASE_CLOSED = 29
    CASE_REOPENED = 30
    STAFF_MESSAGE = 31
    NOTE_ADDED = 32
    APPEAL_RESOLVED = 33
    CLOSURE_WITHDRAWN = 34
    DEADLINE_REMINDER = 40
    ESCALATED_TO_LEAD = 41
    ESCALATED_TO_OVERSIGHT = 42
    CONFLICTS_CHANGED = 50
    PERSON_LINKED = 51
    CONFLICT_ADDED = 52
    ROUTED_TO_OVERSIGHT = 53
    UNASSIGNED_FOR_CONFLICT = 54
    KEEP_OUT_PROPOSED = 55
    KEEP_OUT_DECIDED = 56
    CONFLICT_REMOVED = 57
    OVERSIGHT_CONFLICTED = 58
    DIRECTORY_IMPORTED = 60
    ORGANISATION_CONFIGURED = 61
    POOL_CHANGED = 62
    STAFF_CREATED = 63
    STAFF_CHANGED = 64
    TOKEN_CREATED = 65
    TOKEN_REVOKED = 66
    STAFF_ENROLMENT_LINK = 67
    STAFF_ROLES_CHANGED = 68
    STAFF_DEACTIVATED = 69
    STAFF_MFA_RESET = 70
    STAFF_LINKED = 71
    STAFF_KEY_CREATED = 72
    STAFF_KEY_REPLACED = 73
    STAFF_KEY_ROTATED = 74
    STAFF_RETIRED = 75
    KEY_GRANTED = 80
    KEY_REVOKED = 81
    RECOVERY_KEY_CREATED = 82
    ACCESS_RECOVERED = 83
    CASE_SEALED = 84
    # The administration pages and the commands they share actions with (130-139).
    STAFF_INVITED = 130
    STAFF_REACTIVATED = 131
    DIRECTORY_CHECKED = 132
    DIRECTORY_UPLOAD_DISCARDED = 133


class ActorKind(models.TextChoices):
    REPORTER = "reporter"
    STAFF = "staff"
    SYSTEM = "system"


class AuditEvent(models.Model):
    # Position in the log, from 0, without gaps (see AuditHead).
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)  # coarse when the actor is an anonymous reporter
    # An EventType value. No choices on the column: the IntEnum is the one list, and adding
    # an event type needs no migration.
    event_type = models.PositiveSmallIntegerField()
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Identifiers and counts only, never report content.
    detail = models.JSONField(default=dict)
    # The canonical JSON of the event (ombuds.audit.log.leaf_document), as written.
    leaf = models.TextField()

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{EventType(self.event_type).name} at {self.at:%Y-%m-%d}"


class AuditHead(models.Model):
    """One row: the size of the log. Taken under a row lock by every write, so sequence
    numbers are handed out in commit order with no gap, on SQLite and PostgreSQL alike."""

    size = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit log of {self.size} events"


class PendingEvent(models.Model):
    """An event of an anonymous reporter's transaction, waiting for the next batch to enter the log.

    The log is numbered: an event appended at once would sit between two staff events
    with exact times and so time her to the minute. Her events (and the system's, in the
    same transaction) wait here, written in that transaction, and enter the log together
    at the next batch boundary, in random order (ombuds.audit.log.release_pending).
    """

    # Random, so the rows themselves order nothing (see ombuds.lib.ids).
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    at = models.DateTimeField()
    event_type = models.PositiveSmallIntegerField()
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_id = models.IntegerField(null=True, blank=True)
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    detail = models.JSONField(default=dict)
    # The batch boundary at which it may enter the log.
    release_after = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"pending {EventType(self.event_type).name}"
