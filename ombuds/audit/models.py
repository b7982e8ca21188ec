"""The audit trail: one row per action or view, never edited or deleted.

Database triggers (migration 0002) refuse UPDATE and DELETE on this table, so even a
code path that tried could not rewrite history. Event types are a stable IntEnum:
numbers are stored, so existing values never change meaning.

Each event has a gap-free sequence number (`seq`, from 0) and its canonical bytes
(`leaf`), both fixed when it is written: the leaf is what the Merkle log hashes, and
the other columns are kept beside it so the trail can be searched and joined. Its leaf
hash is stored too, so proofs never hash the leaves again; `ombuds audit verify`
recomputes it from the leaf and compares.
"""

from __future__ import annotations

import base64
import enum
import json
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models

from ombuds.audit import sth
from ombuds.audit.merkle import HASH_SIZE, CompactRange
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
    # Protective measures, outcomes per accused and the rehire registry (ombuds.outcomes).
    MEASURE_RECORDED = 120
    MEASURE_EXTENDED = 121
    MEASURE_ENDED = 122
    OUTCOME_PROPOSED = 123
    OUTCOME_APPROVED = 124
    OUTCOME_REJECTED = 125
    OUTCOME_WITHDRAWN = 126
    OUTCOME_DECIDED = 127
    REHIRE_LISTED = 128
    REHIRE_LIFTED = 129
    REHIRE_CHECKED = 130
    REHIRE_CHECK_VIEWED = 131
    OUTCOME_POLICY_CONFIGURED = 132
    REHIRE_KEY_CREATED = 133
    # The retaliation watch, accountability for inaction and the case file (ombuds.watch, ombuds.casefile).
    REPORTER_LINKED = 140
    RETALIATION_FLAGGED = 141
    RETALIATION_FLAG_DECIDED = 142
    RETALIATION_CASE_OPENED = 143
    ACCOUNTABILITY_CASE_OPENED = 144
    LINKED_CASE_OPENED = 145
    CASE_FILE_PRODUCED = 146
    # Policies, acknowledgements and training (ombuds.policies); support resources (ombuds.resources).
    POLICY_CREATED = 170
    POLICY_DRAFT_SAVED = 171
    POLICY_PUBLISHED = 172
    ACKNOWLEDGEMENTS_REQUESTED = 173
    POLICY_ACKNOWLEDGED = 174
    ACKNOWLEDGEMENT_REMINDERS = 175
    ACKNOWLEDGEMENTS_EXPORTED = 176
    TRAINING_IMPORTED = 177
    SUPPORT_RESOURCE_CHANGED = 178
    SUPPORT_SETTINGS_CHANGED = 179
    # Investigations (ombuds.investigations).
    INVESTIGATOR_NAMED = 100
    INVESTIGATOR_RELEASED = 101
    ALLEGATION_ADDED = 102
    ALLEGATION_FOUND = 103
    TASK_ADDED = 104
    TASK_DONE = 105
    TASK_REOPENED = 106
    INTERVIEW_RECORDED = 107
    MINUTES_REVISED = 108
    MINUTES_ANSWERED = 109
    EVIDENCE_ADDED = 110
    EVIDENCE_VIEWED = 111
    EVIDENCE_DOWNLOADED = 112
    EVIDENCE_EXPORTED = 113
    EVIDENCE_VERIFIED = 114
    CONCERNED_INFORMED = 115
    INFORMING_DEFERRED = 116
    CONCERNED_RESPONDED = 117
    INVESTIGATION_VIEWED = 118
    INVESTIGATION_POLICY_CONFIGURED = 119
    # The questionnaire (ombuds.questionnaire): a change to a category's draft, a version published.
    QUESTIONNAIRE_DRAFT_CHANGED = 180
    QUESTIONNAIRE_PUBLISHED = 181
    # Linking reports that name the same person (ombuds.linking).
    REPEAT_OFFENDER_ALERT = 90
    # Reports held in escrow (ombuds.linking.escrow).
    ESCROW_HELD = 91
    ESCROW_RELEASED = 92
    ESCROW_ENDED = 93
    # The administration pages and the commands they share actions with (190-199).
    STAFF_INVITED = 190
    STAFF_REACTIVATED = 191
    DIRECTORY_CHECKED = 192
    DIRECTORY_UPLOAD_DISCARDED = 193
    # The shared rehire registry of several organisations (ombuds.outcomes.shared_registry, 200-209).
    REGISTRY_ENTRY_QUEUED = 200
    REGISTRY_ENTRY_SUBMITTED = 201
    REGISTRY_SUBMISSION_FAILED = 202
    REGISTRY_ENTRY_WITHDRAWN = 203
    REGISTRY_QUERIED = 204
    REGISTRY_HIT = 205
    REGISTRY_QUERY_FAILED = 206
    REGISTRY_HITS_VIEWED = 207
    # Retention (ombuds.retention): identifiers and dates only, never content.
    CASE_CONTENT_DELETED = 220
    LEGAL_HOLD_PLACED = 221
    LEGAL_HOLD_LIFTED = 222
    LEGAL_HOLD_REVIEW_DUE = 223
    RETENTION_RULE_CHANGED = 224
    REHIRE_ENTRY_EXPIRED = 225
    SUBJECT_ACCESS_PRODUCED = 226
    # Oversight analytics (ombuds.analytics): who looked at or took away which figures.
    ANALYTICS_VIEWED = 210
    ANALYTICS_DOWNLOADED = 211
    ANALYTICS_READ_BY_API = 212
    EVIDENCE_PACK_PRODUCED = 213


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
    # Identifiers and counts only, never report content. A copy of the leaf's "details"
    # for querying; `ombuds audit verify` does not compare it with the leaf, so whatever a
    # person relies on (a proof, custody, who was told) reads details() instead.
    detail = models.JSONField(default=dict)
    # The canonical JSON of the event (ombuds.audit.log.leaf_document), as written.
    leaf = models.TextField()
    # SHA-256(0x00 ‖ leaf bytes), written with the event: proofs are made from these.
    leaf_hash = models.BinaryField(max_length=HASH_SIZE)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{EventType(self.event_type).name} at {self.at:%Y-%m-%d}"

    def details(self) -> dict[str, Any]:
        """The event's details as its signed leaf states them (see `detail`)."""
        return leaf_details(self.leaf)


def leaf_details(leaf: str) -> dict[str, Any]:
    """The "details" of a leaf (the canonical JSON of an event); empty if it has none."""
    found = json.loads(leaf).get("details")
    return found if isinstance(found, dict) else {}


class AuditHead(models.Model):
    """One row: the size of the log and its compact range. Taken under a row lock by every
    write, so sequence numbers are handed out in commit order with no gap, on SQLite and
    PostgreSQL alike, and the range always matches the size.

    The compact range (`frontier`) is the roots of the perfect subtrees covering the
    log, largest first, 32 bytes each, one per set bit of `size`: the current root is
    folded from them in O(log N) (ombuds.audit.merkle.CompactRange).
    """

    size = models.PositiveBigIntegerField(default=0)
    frontier = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"audit log of {self.size} events"

    def tree(self) -> CompactRange:
        raw = bytes(self.frontier)
        return CompactRange.from_state(self.size, [raw[i : i + HASH_SIZE] for i in range(0, len(raw), HASH_SIZE)])

    def root(self) -> bytes:
        return self.tree().root()


class AuditNode(models.Model):
    """The root of one perfect subtree of the log: its leaves [index << height, (index + 1) << height).

    Kept for subtrees of 2**merkle.NODE_HEIGHT leaves and more, each written once, by
    the append that completes it: with them, an inclusion or consistency proof reads a
    few dozen rows instead of every leaf hash (ombuds.audit.tree_heads). They only make
    proofs quick: a proof is checked against a signed root, `ombuds audit verify` checks
    every stored node against the events, and a missing node is computed from below.
    """

    height = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["height", "index"], name="audit_node_position")]

    def __str__(self) -> str:
        return f"subtree of 2**{self.height} events from {self.index << self.height}"


class SignedTreeHead(models.Model):
    """A signed tree head (ombuds.audit.sth), kept for good: the log's signed size and root at a moment.

    At most one per size. Signed after every report that enters the log and at least
    every minute while the log grows (ombuds.audit.tree_heads).
    """

    tree_size = models.PositiveBigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)  # 64 lower-case hex digits
    timestamp = models.DateTimeField()  # UTC, whole seconds
    signature = models.CharField(max_length=88)  # 64 bytes, standard base64

    class Meta:
        ordering = ["tree_size"]

    def __str__(self) -> str:
        return f"tree head of {self.tree_size} events"

    def signed(self) -> sth.SignedTreeHead:
        head = sth.TreeHead(self.tree_size, bytes.fromhex(self.root_hash), self.timestamp.astimezone(UTC))
        return sth.SignedTreeHead(head, base64.b64decode(self.signature))

    def as_json(self) -> dict[str, object]:
        """The four keys of docs/audit-log.md §3, as exported and e-mailed."""
        return self.signed().as_json()


class WitnessMailing(models.Model):
    """One e-mail of the latest tree head to the witnesses, per interval (ombuds.audit.witness).

    `slot` numbers the interval; it is unique, so of several sweepers only one sends.
    """

    slot = models.BigIntegerField(unique=True)
    tree_size = models.PositiveBigIntegerField()
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"tree head of {self.tree_size} events sent to the witnesses"


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
