"""An anonymous reporter's audit events enter the numbered log in batches, never at the minute she acted.

A staff member who reads the trail sees every event with its number; an event of hers
numbered at once would sit between two staff events with exact times and time her to
the minute, whatever day-only time it carries itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from ombuds.audit import log
from ombuds.audit.models import ActorKind, AuditEvent, EventType, PendingEvent
from ombuds.cases import actions

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 11, 2, 10, 3, tzinfo=UTC)


def _file(anonymous: bool) -> actions.FiledReport:
    return actions.file_report(
        category="bullying",
        role="witness",
        narrative="He shouts.",
        anonymous=anonymous,
        reporter_name="" if anonymous else "Mei",
    )


def test_her_events_wait_for_the_boundary_and_then_follow_every_staff_event_of_the_hour(staff, settings) -> None:
    settings.OMBUDS_ANONYMOUS_NOTICE_BATCH_SECONDS = 3600
    named = _file(anonymous=False)
    with time_machine.travel(MORNING, tick=False):
        actions.acknowledge_case(case=named.case, actor=staff.handler)  # 10:03, exact
    with time_machine.travel(datetime(2026, 11, 2, 10, 21, tzinfo=UTC), tick=False):
        filed = _file(anonymous=True)  # she files at 10:21
    with time_machine.travel(datetime(2026, 11, 2, 10, 47, tzinfo=UTC), tick=False):
        actions.add_note(case=named.case, actor=staff.handler, body="Called the witness.")  # 10:47, exact
    assert not AuditEvent.objects.filter(case_id=filed.case.pk).exists()
    waiting = PendingEvent.objects.filter(case_id=filed.case.pk)
    # Filing, and the case's key granted to its readers: both wait.
    assert {p.event_type for p in waiting} == {EventType.REPORT_FILED, EventType.KEY_GRANTED}
    assert {p.release_after for p in waiting} == {datetime(2026, 11, 2, 11, 0, tzinfo=UTC)}
    # Before the boundary, nothing moves.
    assert log.release_pending(datetime(2026, 11, 2, 10, 59, tzinfo=UTC)) == 0
    assert log.release_pending(datetime(2026, 11, 2, 11, 0, tzinfo=UTC)) >= 1
    assert not PendingEvent.objects.exists()
    filed_event = AuditEvent.objects.get(case_id=filed.case.pk, event_type=EventType.REPORT_FILED)
    note = AuditEvent.objects.get(event_type=EventType.NOTE_ADDED)
    # Her event comes after the 10:47 note: its number says "this hour", not "between 10:03 and 10:47".
    assert filed_event.seq > note.seq
    assert filed_event.at == datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # and its own time is the day


def test_a_named_reporters_events_enter_the_log_at_once() -> None:
    filed = _file(anonymous=False)
    assert AuditEvent.objects.filter(case_id=filed.case.pk, actor_kind=ActorKind.REPORTER).count() == 1
    assert not PendingEvent.objects.exists()


def test_a_rolled_back_filing_leaves_nothing_waiting() -> None:
    with pytest.raises(actions.ActionError):
        actions.file_report(category="nonsense", role="witness", narrative="x", anonymous=True)
    assert not PendingEvent.objects.exists()


def test_the_numbers_stay_gap_free_through_batches(staff) -> None:
    for _ in range(3):
        _file(anonymous=True)
        _file(anonymous=False)
    log.release_pending(datetime(9999, 1, 1, tzinfo=UTC))
    numbers = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert numbers == list(range(len(numbers)))
