"""Filing a report: one transaction, a receipt only after commit, no evidence needed."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import DatabaseError

from ombuds.audit.models import ActorKind, AuditEvent, EventType
from ombuds.cases import actions, content, keyring, selectors
from ombuds.cases.models import Attachment, Case, InvolvedPerson, Organisation, Report
from tests.support import opened, release_audit_batch

pytestmark = pytest.mark.django_db

FROZEN = datetime(2026, 11, 29, 14, 37, 12, tzinfo=UTC)


def test_it_opens_a_case_from_a_narrative_alone(file_report) -> None:
    filed = file_report()
    case = Case.objects.get()
    assert case.status == "received"
    assert opened(case.reports.get(), "narrative", receipt=filed.receipt).startswith("My manager")
    assert Attachment.objects.count() == 0


def test_it_stores_people_attachments_and_the_first_audit_event_together(file_report) -> None:
    filed = file_report(
        people=[
            actions.NewPerson(name="R. Manager", role="accused"),
            actions.NewPerson(name="A. Colleague", role="witness"),
        ],
        attachments=[actions.NewAttachment(filename="note.txt", content_type="text/plain", data=b"hello")],
        occurred="around March",
        location="hotel on the sales trip",
    )
    report = Report.objects.get()
    receipt = filed.receipt
    assert [(opened(p, "name", receipt=receipt), p.role) for p in InvolvedPerson.objects.all()] == [
        ("R. Manager", "accused"),
        ("A. Colleague", "witness"),
    ]
    attachment = Attachment.objects.get()
    key = keyring.open_for_reporter(report, receipt)
    assert b"".join(content.open_file(attachment, key=key, case=filed.case)) == b"hello"
    assert attachment.size == 5
    assert attachment.report == report
    event = AuditEvent.objects.get(event_type=EventType.REPORT_FILED)
    assert event.event_type == EventType.REPORT_FILED
    assert event.case == filed.case
    assert event.actor_kind == ActorKind.REPORTER
    assert "My manager" not in str(event.detail)


def test_the_receipt_opens_the_report_and_is_not_stored(file_report) -> None:
    filed = file_report()
    assert selectors.report_for_receipt(filed.receipt) == filed.report
    digits = filed.receipt.replace("-", "")
    stored = Report.objects.values_list("receipt_digest", flat=True).get()
    assert digits not in stored
    assert filed.receipt not in stored


def test_a_failure_mid_transaction_stores_nothing(file_report, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("ombuds.audit.log.record", broken)
    with pytest.raises(DatabaseError):
        file_report(attachments=[actions.NewAttachment(filename="a.txt", content_type="text/plain", data=b"x")])
    assert Case.objects.count() == 0
    assert Report.objects.count() == 0
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"category": "gossip"}, "unknown category"),
        ({"role": "judge"}, "unknown reporter role"),
        ({"narrative": "   "}, "must not be empty"),
        ({"narrative": "x" * (actions.MAX_NARRATIVE + 1)}, "longer than"),
        ({"location": "x" * 201}, "longer than"),
        ({"reporter_name": "Jane"}, "anonymous report cannot carry"),
        ({"people": [actions.NewPerson(name="X", role="boss")]}, "unknown role"),
        ({"people": [actions.NewPerson(name=" ", role="accused")]}, "must not be empty"),
        ({"narrative": "bad\x00byte"}, "cannot be stored"),
    ],
)
def test_it_refuses_bad_input_and_changes_nothing(file_report, overrides, message) -> None:
    with pytest.raises(actions.ActionError, match=message):
        file_report(**overrides)
    assert Case.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_it_refuses_too_many_or_too_large_files(file_report, settings) -> None:
    settings.OMBUDS_MAX_ATTACHMENTS = 2
    settings.OMBUDS_MAX_ATTACHMENT_BYTES = 10
    small = actions.NewAttachment(filename="a", content_type="text/plain", data=b"1")
    with pytest.raises(actions.ActionError, match="at most 2 files"):
        file_report(attachments=[small, small, small])
    with pytest.raises(actions.ActionError, match="at most 10 bytes"):
        file_report(attachments=[actions.NewAttachment(filename="b", content_type="text/plain", data=b"x" * 11)])
    with pytest.raises(actions.ActionError, match="empty"):
        file_report(attachments=[actions.NewAttachment(filename="c", content_type="text/plain", data=b"")])
    assert Case.objects.count() == 0


@time_machine.travel(FROZEN, tick=False)
def test_it_keeps_only_the_day_for_an_anonymous_reporter(file_report) -> None:
    filed = file_report(anonymous=True)
    midnight = datetime(2026, 11, 29, tzinfo=UTC)
    case = Case.objects.get()
    assert case.received_at == midnight
    assert Report.objects.get().submitted_at == midnight
    assert set(AuditEvent.objects.filter(case=case).values_list("at", flat=True)) == {midnight}
    message = actions.post_reporter_message(report=filed.report, body="one more thing")
    assert message.sent_at == midnight


@time_machine.travel(FROZEN, tick=False)
def test_it_keeps_the_exact_time_for_a_named_reporter(file_report) -> None:
    file_report(anonymous=False, reporter_name="Jane Doe", reporter_contact="jane@example.org")
    assert Case.objects.get().received_at == FROZEN


@time_machine.travel(FROZEN, tick=False)
def test_it_sets_the_default_deadlines(file_report) -> None:
    file_report(anonymous=False, reporter_name="Jane")
    case = Case.objects.get()
    assert case.ack_due_at == FROZEN + timedelta(days=7)
    # three months after the end of the acknowledgement window (6 Dec → 6 Mar)
    assert case.feedback_due_at == datetime(2027, 3, 6, 14, 37, 12, tzinfo=UTC)
    assert case.first_action_due_at is None


@time_machine.travel(FROZEN, tick=False)
def test_it_gives_sexual_assault_a_24_hour_first_action_deadline(file_report) -> None:
    file_report(category="sexual_assault", anonymous=False, reporter_name="Jane")
    assert Case.objects.get().first_action_due_at == FROZEN + timedelta(hours=24)


@time_machine.travel(FROZEN, tick=False)
def test_it_uses_the_organisations_configured_durations(file_report) -> None:
    Organisation.objects.filter(pk=1).update(ack_deadline="PT30S", feedback_deadline="P1M")
    file_report(anonymous=False, reporter_name="Jane")
    case = Case.objects.get()
    assert case.ack_due_at == FROZEN + timedelta(seconds=30)
    assert case.feedback_due_at == datetime(2026, 12, 29, 14, 37, 42, tzinfo=UTC)


def test_overdue_checks_are_pure(file_report) -> None:
    file_report()
    case = Case.objects.get()
    assert not case.is_ack_overdue(case.ack_due_at)
    assert case.is_ack_overdue(case.ack_due_at + timedelta(seconds=1))
    assert case.is_feedback_overdue(case.feedback_due_at + timedelta(seconds=1))


def test_reporter_follow_ups_are_audited(file_report) -> None:
    filed = file_report()
    actions.post_reporter_message(report=filed.report, body="Also, it happened twice.")
    actions.add_reporter_attachments(
        report=filed.report,
        attachments=[actions.NewAttachment(filename="later.txt", content_type="text/plain", data=b"later")],
    )
    actions.file_appeal(report=filed.report, reason="Nobody answered.")
    release_audit_batch()
    reporter_events = AuditEvent.objects.filter(actor_kind=ActorKind.REPORTER)
    types = sorted(reporter_events.values_list("event_type", flat=True))
    assert types == [
        EventType.REPORT_FILED,
        EventType.REPORTER_MESSAGE,
        EventType.REPORTER_ATTACHMENT,
        EventType.APPEAL_FILED,
    ]
    with pytest.raises(actions.ActionError):
        actions.post_reporter_message(report=filed.report, body="  ")
    with pytest.raises(actions.ActionError):
        actions.file_appeal(report=filed.report, reason="")
    with pytest.raises(actions.ActionError):
        actions.add_reporter_attachments(report=filed.report, attachments=[])
