"""Deadline arithmetic: pure functions of the organisation's durations and a moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ombuds.cases.models import Category, Organisation
from ombuds.lib.durations import Duration


@dataclass(frozen=True)
class Deadlines:
    ack_due_at: datetime
    feedback_due_at: datetime
    first_action_due_at: datetime | None


def initial_deadlines(org: Organisation, *, received_at: datetime, category: str) -> Deadlines:
    """Deadlines of a new case.

    Feedback is due three months (by default) after acknowledgement; until one is
    sent, it counts from the end of the acknowledgement window, as the Whistleblower
    Directive (art. 9(1)(f)) prescribes.
    """
    ack_due = Duration.parse(org.ack_deadline).after(received_at)
    first_action = (
        Duration.parse(org.assault_first_action_deadline).after(received_at)
        if category == Category.SEXUAL_ASSAULT
        else None
    )
    return Deadlines(
        ack_due_at=ack_due,
        feedback_due_at=Duration.parse(org.feedback_deadline).after(ack_due),
        first_action_due_at=first_action,
    )
