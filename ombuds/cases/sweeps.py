"""What the background worker does on every sweep: escalate missed deadlines, send due notices.

Each due step is found with an indexed query and taken by actions.escalate, which claims
it with a unique row; several workers may sweep at once.

A case's own deadlines are looked at only on the cases whose stored moment
(Case.ladder_due_at, see ombuds.cases.ladder_due) has come, not on every past-due case
of the history: after looking, the pass moves the moment to the case's next untaken step.
Once an hour, and at once when the ladder's settings change, the pass also asks the full
question of every case (full_case_steps), in case a moment was ever left too late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q

from ombuds.cases import actions, ladder, ladder_due, notify
from ombuds.cases.models import DEADLINE_COLUMNS, Case, Escalation, LadderCheck, LadderStep, Status

BATCH = 500
# How often the pass also asks the full question of every case (the safety net).
FULL_EVERY = timedelta(hours=1)


def _offsets() -> dict[LadderStep, timedelta]:
    return {LadderStep(step): offset for step, offset in ladder_due.offsets().items()}


@dataclass
class SweepResult:
    steps: int = 0
    notices: int = 0
    # Steps found due but already taken (by another worker, or met meanwhile).
    skipped: int = 0
    # Cases whose stored moment had come, and whether the full question was asked too.
    looked_at: int = 0
    full: bool = False


@dataclass(frozen=True)
class DueStep:
    case: Case
    deadline: str
    due_at: datetime
    step: LadderStep
    item: str = ""


@dataclass
class _Looked:
    steps: list[DueStep] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)


def due_steps(now: datetime) -> list[DueStep]:
    """Ladder steps that are due and not yet taken: the case's own deadlines, then items'."""
    return case_steps(now) + _item_steps(now)


def _horizon(now: datetime) -> datetime:
    return now + ladder_due.lead(ladder_due.offsets())


def _candidates(now: datetime) -> list[int]:
    """The cases whose moment has come, earliest first (through the index on ladder_due_at)."""
    return list(
        Case.objects.filter(ladder_due_at__lte=_horizon(now))
        .order_by("ladder_due_at", "id")
        .values_list("id", flat=True)
    )


def _look(case_ids: list[int], now: datetime) -> _Looked:
    """The untaken steps due on these cases, from their rows and their escalations (two queries)."""
    cases = Case.objects.in_bulk(case_ids)
    taken = _taken(case_ids)
    looked = _Looked()
    steps = ladder_due.offsets()
    for case_id in case_ids:
        case = cases.get(case_id)
        if case is None:
            continue
        looked.cases.append(case)
        found = ladder_due.look(_values(case), taken.get(case_id, []), steps, now)
        looked.steps += [DueStep(case, name, due, LadderStep(step)) for name, due, step in found.due]
    return looked


def _taken(case_ids: list[int]) -> dict[int, list[tuple[str, datetime, str]]]:
    """The (deadline, due_at, step) of each case's escalations for its own deadlines."""
    taken: dict[int, list[tuple[str, datetime, str]]] = {}
    for case_id, deadline, due_at, step in Escalation.objects.filter(case_id__in=case_ids, item="").values_list(
        "case_id", "deadline", "due_at", "step"
    ):
        taken.setdefault(case_id, []).append((deadline, due_at, step))
    return taken


def _values(case: Case) -> dict[str, object]:
    return {column: getattr(case, column) for column in ladder_due.WATCHED}


def case_steps(now: datetime) -> list[DueStep]:
    """The untaken steps of the cases' own deadlines due by `now`, read from the cases whose moment has come."""
    found: list[DueStep] = []
    ids = _candidates(now)
    for start in range(0, len(ids), BATCH):
        found += _look(ids[start : start + BATCH], now).steps
    return found


def full_case_steps(now: datetime) -> list[DueStep]:
    """The same question asked of every case, whatever its stored moment: the hourly safety net.

    Each query walks every open past-due case of the history (seconds at a million cases),
    so the pass asks it rarely; tests hold case_steps to the same answer.
    """
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


def _move_forward(case_ids: list[int], now: datetime) -> None:
    """Store each looked-at case's next moment, from its escalations as they are now.

    The update is conditional on every watched column being as read: when an action moved
    a deadline meanwhile, the database has lowered the moment and it is left so.
    """
    cases = Case.objects.in_bulk(case_ids).values()
    taken = _taken(case_ids)
    steps = ladder_due.offsets()
    for case in cases:
        values = _values(case)
        moment = ladder_due.look(values, taken.get(case.pk, []), steps, now).ladder_due_at
        if moment == case.ladder_due_at:
            continue
        unchanged = Q(pk=case.pk)
        for column, value in values.items():
            unchanged &= Q(**{f"{column}__isnull": True}) if value is None else Q(**{column: value})
        Case.objects.filter(unchanged).update(ladder_due_at=moment)


def _claim_full(now: datetime) -> bool:
    """Whether this pass asks the full question: an hour since the last one, or other ladder settings.

    Claimed with a conditional update of the one LadderCheck row, so one worker of several
    does it. New settings first put every open case's moment back to its earliest unmet
    deadline (computed with the old offsets, a moment could be too late).
    """
    fingerprint = ladder_due.fingerprint(ladder_due.offsets())
    check, _created = LadderCheck.objects.get_or_create(pk=1)
    if check.offsets == fingerprint and check.full_at is not None and now - check.full_at < FULL_EVERY:
        return False
    claimed = LadderCheck.objects.filter(pk=1, full_at=check.full_at, offsets=check.offsets)
    if check.full_at is None:
        claimed = LadderCheck.objects.filter(pk=1, full_at__isnull=True, offsets=check.offsets)
    if not claimed.update(full_at=now, offsets=fingerprint):
        return False
    if check.offsets != fingerprint:
        with connection.cursor() as cursor:
            cursor.execute(ladder_due.reset_sql(postgres=connection.vendor == "postgresql"))
    return True


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


def _take(due: DueStep, now: datetime, result: SweepResult) -> None:
    if actions.escalate(case=due.case, deadline=due.deadline, due_at=due.due_at, step=due.step, now=now, item=due.item):
        result.steps += 1
    else:
        result.skipped += 1


def sweep(now: datetime) -> SweepResult:
    result = SweepResult()
    if _claim_full(now):
        result.full = True
        full = full_case_steps(now)
        for due in full:
            _take(due, now, result)
        _move_forward(sorted({due.case.pk for due in full}), now)
    ids = _candidates(now)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        looked = _look(chunk, now)
        result.looked_at += len(looked.cases)
        for due in looked.steps:
            _take(due, now, result)
        _move_forward(chunk, now)
    for due in _item_steps(now):
        _take(due, now, result)
    result.notices = notify.send_due(now)
    return result
