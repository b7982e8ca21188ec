"""The audit trail: one row per action or view, never edited or deleted.

Database triggers (migration 0002) refuse UPDATE and DELETE on this table, so even a
code path that tried could not rewrite history. Event types are a stable IntEnum:
numbers are stored, so existing values never change meaning.
"""

from __future__ import annotations

import enum

from django.conf import settings
from django.db import models


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
    DIRECTORY_IMPORTED = 60
    ORGANISATION_CONFIGURED = 61
    POOL_CHANGED = 62
    STAFF_CREATED = 63
    STAFF_CHANGED = 64
    TOKEN_CREATED = 65
    TOKEN_REVOKED = 66
    STAFF_ENROLMENT_LINK = 67


class ActorKind(models.TextChoices):
    REPORTER = "reporter"
    STAFF = "staff"
    SYSTEM = "system"


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)  # coarse when the actor is an anonymous reporter
    # An EventType value. No choices on the column: the IntEnum is the one list, and adding
    # an event type needs no migration.
    event_type = models.PositiveSmallIntegerField()
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Identifiers and counts only, never report content.
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{EventType(self.event_type).name} at {self.at:%Y-%m-%d}"
