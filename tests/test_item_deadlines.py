"""Deadlines of things inside a case climb the same ladder as the case's own deadlines."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import ladder
from ombuds.cases.models import Case, Escalation, Notice, Status
from ombuds.cases.sweeps import DueStep, due_steps
from ombuds.core.sweep import run as sweep

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class Chores:
    """A kind of item deadline kept in memory: {(case id, item): (due, owner or None)}."""

    kind: str = "chore"
    label: Promise = field(default_factory=lambda: _("a chore"))
    items: dict[tuple[int, str], tuple[datetime, User | None]] = field(default_factory=dict)

    def due(self, by: datetime, limit: int) -> Iterable[ladder.ItemDeadline]:
        open_cases = set(Case.objects.exclude(status=Status.CLOSED).values_list("pk", flat=True))
        found = [
            ladder.ItemDeadline(case_id, item, due)
            for (case_id, item), (due, _owner) in self.items.items()
            if due <= by and case_id in open_cases
        ]
        return sorted(found, key=lambda i: i.due_at)[:limit]

    def still_due(self, case: Case, item: str, due_at: datetime) -> bool:
        found = self.items.get((case.pk, item))
        return found is not None and found[0] == due_at

    def responsible(self, case: Case, item: str) -> list[User] | None:
        owner = self.items[(case.pk, item)][1]
        return [owner] if owner is not None else None


@pytest.fixture
def chores(monkeypatch: pytest.MonkeyPatch) -> Chores:
    source = Chores()
    monkeypatch.setitem(ladder._SOURCES, source.kind, source)
    return source


def _steps(case: Case) -> list[tuple[str, str, str]]:
    return list(Escalation.objects.filter(case=case, item__gt="").values_list("deadline", "item", "step"))


@time_machine.travel(T0, tick=False)
def test_an_item_climbs_reminder_lead_and_oversight_once_each(file_report, staff, chores, settings) -> None:
    settings.OMBUDS_REMINDER_BEFORE = "PT48H"
    settings.OMBUDS_OVERSIGHT_GRACE = "PT48H"
    case = file_report(anonymous=False, reporter_name="Mei").case
    chores.items[(case.pk, "7")] = (T0 + timedelta(days=10), staff.handler2)

    sweep(T0 + timedelta(days=7))
    assert _steps(case) == []
    sweep(T0 + timedelta(days=8, minutes=1))
    assert _steps(case) == [("chore", "7", "reminder")]
    reminder = Notice.objects.filter(case=case, kind="deadline_near").latest("send_after")
    assert reminder.recipients == [staff.handler2.pk]  # the item's owner, not the case's pool
    sweep(T0 + timedelta(days=10, minutes=1))
    sweep(T0 + timedelta(days=10, minutes=2))
    assert _steps(case) == [("chore", "7", "reminder"), ("chore", "7", "lead")]
    sweep(T0 + timedelta(days=12, minutes=1))
    assert _steps(case)[-1] == ("chore", "7", "oversight")
    assert Escalation.objects.get(case=case, item="7", step="oversight").to_oversight
    escalated = AuditEvent.objects.filter(case_id=case.pk, event_type=EventType.ESCALATED_TO_OVERSIGHT)
    assert [e.detail["item"] for e in escalated if e.detail["deadline"] == "chore"] == ["7"]


@time_machine.travel(T0, tick=False)
def test_an_item_done_or_moved_is_not_escalated(file_report, staff, chores) -> None:
    case = file_report(anonymous=False, reporter_name="Mei").case
    chores.items[(case.pk, "done")] = (T0 + timedelta(days=1), None)
    chores.items[(case.pk, "moved")] = (T0 + timedelta(days=1), None)
    due = {(s.item, s.step) for s in _due(T0 + timedelta(days=1, minutes=1))}
    assert ("done", "lead") in due and ("moved", "lead") in due
    del chores.items[(case.pk, "done")]
    chores.items[(case.pk, "moved")] = (T0 + timedelta(days=30), None)
    sweep(T0 + timedelta(days=1, minutes=1))
    assert [s for s in _steps(case) if s[2] != "reminder"] == []


@time_machine.travel(T0, tick=False)
def test_item_escalations_are_not_told_to_the_reporter_as_missed_case_deadlines(
    client, file_report, staff, chores
) -> None:
    filed = file_report(anonymous=False, reporter_name="Mei")
    chores.items[(filed.case.pk, "1")] = (T0 + timedelta(days=1), None)
    sweep(T0 + timedelta(days=1, minutes=1))
    assert _steps(filed.case)
    token = client.post("/api/v1/reporter/session", {"receipt": filed.receipt}, content_type="application/json")
    body = client.get("/api/v1/reporter/case", headers={"Authorization": f"Bearer {token.json()['token']}"}).json()
    assert body["escalations"] == []


def test_a_source_may_not_take_the_name_of_a_case_deadline() -> None:
    with pytest.raises(ValueError, match="deadline of the case"):
        ladder.register(Chores(kind="feedback"))
    assert ladder.label("feedback") == "feedback"
    assert ladder.label("unknown") == "unknown"


def _due(now: datetime) -> list[DueStep]:
    return due_steps(now)
