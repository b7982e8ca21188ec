"""The content seam: every piece of report content is sealed on its way in and opened on its way out here.

`CONTENT` lists, per model, every field that holds what a reporter or a handler wrote
(the fields that per-case encryption seals); `METADATA` lists the fields that stay in
clear because routing, deadlines and statistics need them. tests/test_content_seam.py
fails when a text, binary or file field is added to a case model without being listed
in one of them.

Actions call `seal` when they write content; the two read models (`cases.case_view`
for staff, `intake.reporter_view` for the reporter) call `open` when they read it.
Nothing else touches content fields. Today both are the identity; per-case keys turn
them into encryption without changing any caller.
"""

from __future__ import annotations

from django.db import models

from ombuds.cases.models import (
    Appeal,
    Attachment,
    Case,
    ClosureProposal,
    Conflict,
    Escalation,
    InvolvedPerson,
    KeepOutProposal,
    Message,
    Note,
    Notice,
    Organisation,
    PoolMembership,
    Report,
)

CONTENT: dict[type[models.Model], frozenset[str]] = {
    Case: frozenset({"referral", "decision_reasoning"}),
    Report: frozenset({"narrative", "occurred", "location", "reporter_name", "reporter_contact"}),
    InvolvedPerson: frozenset({"name"}),
    Message: frozenset({"body"}),
    Attachment: frozenset({"filename", "content_type", "data"}),
    Appeal: frozenset({"reason", "resolution_note"}),
    Note: frozenset({"body"}),
    ClosureProposal: frozenset({"reason", "search_done", "decision_note", "referral"}),
    Conflict: frozenset({"note"}),
    KeepOutProposal: frozenset({"note", "decision_note"}),
}

# Fields in clear, and why each may be.
METADATA: dict[type[models.Model], frozenset[str]] = {
    # Routing, deadlines and statistics.
    Case: frozenset({"reference", "category", "status", "outcome", "finding"}),
    # The receipt's keyed digest finds the report; role and language shape the reporter's pages.
    Report: frozenset({"receipt_digest", "role", "language"}),
    InvolvedPerson: frozenset({"role"}),
    Message: frozenset({"sender"}),
    # Who uploaded it. No digest of a file is kept: a plain hash would let anyone holding
    # the database confirm that a file they already have was reported.
    Attachment: frozenset({"sender"}),
    Appeal: frozenset({"resolution"}),
    Conflict: frozenset({"reason"}),
    KeepOutProposal: frozenset({"action"}),
    ClosureProposal: frozenset({"kind", "grounds", "finding"}),
    Escalation: frozenset({"deadline", "step"}),
    Notice: frozenset({"kind", "recipients"}),
    PoolMembership: frozenset({"category"}),
    # The organisation's own configuration, not report content.
    Organisation: frozenset(
        {
            "name",
            "oversight_name",
            "fallback_contact",
            "ack_deadline",
            "feedback_deadline",
            "assault_first_action_deadline",
        }
    ),
}


def is_content(model: type[models.Model], field: str) -> bool:
    return field in CONTENT.get(model, frozenset())


def seal(value: str, *, model: type[models.Model], field: str) -> str:
    """What is stored for `value` in `model.field` (content fields only)."""
    assert is_content(model, field), f"{model.__name__}.{field} is not a content field"
    return value


def seal_bytes(value: bytes, *, model: type[models.Model], field: str) -> bytes:
    assert is_content(model, field), f"{model.__name__}.{field} is not a content field"
    return value


def open(value: str, *, model: type[models.Model], field: str) -> str:
    """The readable value of a stored content field."""
    assert is_content(model, field), f"{model.__name__}.{field} is not a content field"
    return value


def open_bytes(value: bytes, *, model: type[models.Model], field: str) -> bytes:
    assert is_content(model, field), f"{model.__name__}.{field} is not a content field"
    return bytes(value)
