"""Deadlines of things inside a case, on the same escalation ladder as the case's own (R2).

A case's own deadlines (acknowledgement, feedback, first action) are columns of the case
(models.DEADLINE_COLUMNS). Work inside a case has deadlines too: a task of an
investigation plan, the review date of a protective measure, the date to reconsider
informing the person concerned. Each kind of such item registers a `DeadlineSource`
here; the worker's sweep (cases.sweeps) asks every source which items are due and takes
reminder, lead and oversight steps for them exactly as for the case's deadlines, with
one Escalation row per (case, kind, item, due moment, step).

A source answers three questions: which open items are due by a moment, whether one item
is still due at that moment (asked inside the escalation's transaction, with the case
locked, so a task done meanwhile is not escalated), and who is responsible for it (the
reminder goes to them; by default the case's responsible handlers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.contrib.auth.models import User
from django.utils.functional import Promise

from ombuds.cases.models import Case, Deadline


@dataclass(frozen=True)
class ItemDeadline:
    """One item of a case that is due at a moment."""

    case_id: int
    item: str  # the item's key within its kind, e.g. the task's id; at most 64 characters
    due_at: datetime


class DeadlineSource(Protocol):
    # Stored in Escalation.deadline: at most 16 characters, unique among sources and case deadlines.
    kind: str
    # What the deadline is, for people: "a task of the investigation plan".
    label: Promise

    def due(self, by: datetime, limit: int) -> Iterable[ItemDeadline]:
        """Open items (of cases that are not closed) due at or before `by`, earliest first, at most `limit`."""
        ...

    def still_due(self, case: Case, item: str, due_at: datetime) -> bool:
        """Whether the item is still open and still due at `due_at` (called with the case locked)."""
        ...

    def responsible(self, case: Case, item: str) -> list[User] | None:
        """Who gets the reminder for this item; None for the case's responsible handlers."""
        ...


_SOURCES: dict[str, DeadlineSource] = {}


def register(source: DeadlineSource) -> None:
    """Add a kind of item deadline (called from an app's ready())."""
    if source.kind in Deadline.values:
        raise ValueError(f"{source.kind!r} is a deadline of the case itself")
    if len(source.kind) > 16:
        raise ValueError(f"{source.kind!r} is longer than 16 characters")
    existing = _SOURCES.get(source.kind)
    if existing is not None and type(existing) is not type(source):
        raise ValueError(f"{source.kind!r} is registered twice")
    _SOURCES[source.kind] = source


def sources() -> list[DeadlineSource]:
    return list(_SOURCES.values())


def source(kind: str) -> DeadlineSource | None:
    return _SOURCES.get(kind)


def label(kind: str) -> str:
    """What a deadline is, for people, whether the case's own or an item's."""
    if kind in Deadline.values:
        return str(Deadline(kind).label)
    found = _SOURCES.get(kind)
    return str(found.label) if found is not None else kind
