"""What the background worker does on every sweep: escalate missed deadlines, send due notices.

Each due step is found with an indexed query on the deadline columns and taken by
actions.escalate, which claims it with a unique row; several workers may sweep at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q

from ombuds.cases import actions, ladder, notify
from ombuds.cases.models import DEADLINE_COLUMNS, Case, Escalation, LadderStep, Status
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


@dataclass(frozen=True)
class DueStep:
    case: Case
    deadline: str
    due_at: datetime
    step: LadderStep
    item: str = ""


def due_steps(now: datetime) -> list[DueStep]:
    """Ladder steps that are due and not yet taken: the case's own deadlines, then items'."""
    return _case_steps(now) + _item_steps(now)


def _case_steps(now: datetime) -> list[DueStep]:
    found: list[DueStep] = []
    for deadline, (due_field, met_field) in DEADLINE_COLUMNS.items():
        for step, offset in _offsets().items():
            taken = Escalation.objects.filter(
                case=OuterRef("pk"), deadline=deadline, step=step, due_at=OuterRef(due_field)
            )
            cases = (
                Case.objects.exclude(status=Status.CLOSED)
                .exclude(held_in_escrow=True)  # its deadlines start at its release
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
            found.extend(DueStep(case, deadline, getattr(case, due_field), step) for case in cases)
    return found


def _item_steps(now: datetime) -> list[DueStep]:
    found: list[DueStep] = []
    for source in ladder.sources():
        for step, offset in _offsets().items():
            items = list(source.due(now - offset, BATCH))
            if not items:
                continue
            case_ids = {i.case_id for i in items}
            taken = set(
                Escalation.objects.filter(case_id__in=case_ids, deadline=source.kind, step=step).values_list(
                    "case_id", "item", "due_at"
                )
            )
            waiting = [i for i in items if (i.case_id, i.item, i.due_at) not in taken]
            cases = (
                Case.objects.exclude(status=Status.CLOSED)
                .exclude(held_in_escrow=True)
                .in_bulk({i.case_id for i in waiting})
            )
            found.extend(
                DueStep(cases[i.case_id], source.kind, i.due_at, step, i.item) for i in waiting if i.case_id in cases
            )
    return found


def sweep(now: datetime) -> SweepResult:
    result = SweepResult()
    for due in due_steps(now):
        if actions.escalate(
            case=due.case, deadline=due.deadline, due_at=due.due_at, step=due.step, now=now, item=due.item
        ):
            result.steps += 1
        else:
            result.skipped += 1
    result.notices = notify.send_due(now)
    return result
