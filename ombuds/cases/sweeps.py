"""What the background worker does on every sweep: escalate missed deadlines, send due notices.

Each due step is found with an indexed query on the deadline columns and taken by
actions.escalate, which claims it with a unique row; several workers may sweep at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q

from ombuds.cases import actions, notify
from ombuds.cases.models import DEADLINE_COLUMNS, Case, Escalation, LadderStep, Status
from ombuds.core import heartbeat
from ombuds.lib.durations import Duration

BATCH = 500


def _offsets() -> dict[LadderStep, timedelta]:
    return {
        LadderStep.REMINDER: -Duration.parse(settings.OMBUDS_REMINDER_BEFORE).exact,
        LadderStep.LEAD: timedelta(0),
        LadderStep.OVERSIGHT: Duration.parse(settings.OMBUDS_OVERSIGHT_GRACE).exact,
    }


@dataclass
class SweepResult:
    steps: int = 0
    notices: int = 0
    # Steps found due but already taken (by another worker, or met meanwhile).
    skipped: int = 0


def due_steps(now: datetime) -> list[tuple[Case, str, datetime, LadderStep]]:
    """Ladder steps that are due and not yet taken."""
    found: list[tuple[Case, str, datetime, LadderStep]] = []
    for deadline, (due_field, met_field) in DEADLINE_COLUMNS.items():
        for step, offset in _offsets().items():
            taken = Escalation.objects.filter(
                case=OuterRef("pk"), deadline=deadline, step=step, due_at=OuterRef(due_field)
            )
            cases = (
                Case.objects.exclude(status=Status.CLOSED)
                .filter(Q(**{f"{met_field}__isnull": True}) & Q(**{f"{due_field}__lte": now - offset}))
                .exclude(Exists(taken))
            )
            if step == LadderStep.REMINDER:
                # For an anonymous case, a reminder already due on the day of filing would be
                # taken minutes after she filed and stamp that moment in the trail. The
                # escalation at the deadline itself still follows.
                cases = cases.exclude(
                    Q(anonymous=True) & Q(**{f"{due_field}__lt": F("received_at") + timedelta(days=1) - offset})
                )
            cases = cases.order_by(due_field)[:BATCH]
            found.extend((case, deadline, getattr(case, due_field), step) for case in cases)
    return found


def sweep(now: datetime) -> SweepResult:
    result = SweepResult()
    for case, deadline, due_at, step in due_steps(now):
        if actions.escalate(case=case, deadline=deadline, due_at=due_at, step=step, now=now):
            result.steps += 1
        else:
            result.skipped += 1
    result.notices = notify.send_due(now)
    heartbeat.beat()  # a write on every pass, so the database files never show when a reporter last wrote
    return result
