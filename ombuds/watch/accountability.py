"""The escalation history of a case, as an accountability case for inaction is built from it.

Every step of the ladder (ombuds.cases.actions.escalation) is an Escalation row and an
audit event that names, by account id, who was told. A deadline was missed when its
ladder went past the reminder (to the lead handlers or the oversight body). Those who
let it pass are the people told at the reminder (the assignee, or the pool) and at the
lead step (the lead handlers); a lead step that went straight to the oversight body
names no one, since that body is the one now acting. Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User

from ombuds.audit.models import AuditEvent, EventType, leaf_details
from ombuds.cases import ladder
from ombuds.cases.models import Case, Escalation, LadderStep

_EVENT_STEPS = {
    EventType.DEADLINE_REMINDER: LadderStep.REMINDER,
    EventType.ESCALATED_TO_LEAD: LadderStep.LEAD,
    EventType.ESCALATED_TO_OVERSIGHT: LadderStep.OVERSIGHT,
}
_MISSED = (LadderStep.LEAD, LadderStep.OVERSIGHT)


@dataclass(frozen=True)
class Step:
    deadline: str
    deadline_label: str
    item: str
    due_at: datetime
    step: str
    step_label: str
    at: datetime
    to_oversight: bool
    # Who was told; None for a step recorded before the ladder named its recipients.
    notified: list[User] | None


@dataclass(frozen=True)
class History:
    steps: list[Step]
    # The people who let a missed deadline pass, by account.
    concerned: list[User]
    latest: datetime | None

    @property
    def missed(self) -> bool:
        return any(step.step in _MISSED for step in self.steps)


def _notified_by_step(case: Case) -> dict[tuple[str, str, str, datetime], list[int]]:
    found: dict[tuple[str, str, str, datetime], list[int]] = {}
    events = AuditEvent.objects.filter(case_id=case.pk, event_type__in=[int(e) for e in _EVENT_STEPS])
    # From the signed leaf, not the detail column, which verify does not compare with it:
    # who was told decides who is named as concerned.
    for event_type, leaf in events.values_list("event_type", "leaf"):
        detail = leaf_details(leaf)
        if "notified" not in detail:
            continue
        key = (
            str(_EVENT_STEPS[EventType(event_type)]),
            str(detail.get("deadline", "")),
            str(detail.get("item", "")),
            datetime.fromisoformat(detail["due_at"]),
        )
        found[key] = [int(pk) for pk in detail["notified"]]
    return found


def history(case: Case) -> History:
    """Every ladder step of the case, earliest first, with who was told, and who let a deadline pass."""
    notified = _notified_by_step(case)
    rows = list(Escalation.objects.filter(case=case).order_by("at", "id"))
    users = {u.pk: u for u in User.objects.filter(pk__in={pk for ids in notified.values() for pk in ids})}
    missed = {(row.deadline, row.item, row.due_at) for row in rows if row.step in _MISSED}
    steps: list[Step] = []
    concerned: dict[int, User] = {}
    for row in rows:
        ids = notified.get((row.step, row.deadline, row.item, row.due_at))
        told = [users[pk] for pk in ids if pk in users] if ids is not None else None
        steps.append(
            Step(
                deadline=row.deadline,
                deadline_label=ladder.label(row.deadline),
                item=row.item,
                due_at=row.due_at,
                step=row.step,
                step_label=str(LadderStep(row.step).label),
                at=row.at,
                to_oversight=row.to_oversight,
                notified=told,
            )
        )
        let_pass = row.step in (LadderStep.REMINDER, LadderStep.LEAD) and not row.to_oversight
        if let_pass and (row.deadline, row.item, row.due_at) in missed:
            concerned.update((user.pk, user) for user in told or [])
    return History(
        steps=steps,
        concerned=sorted(concerned.values(), key=lambda u: u.email),
        latest=rows[-1].at if rows else None,
    )


def who(user: User) -> str:
    """A staff member as the history names them: the name and the e-mail address."""
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name else user.email
