"""The audit trail can be appended to and nothing else."""

import pytest
from django.db import DatabaseError, transaction

from ombuds.audit import log
from ombuds.audit.models import ActorKind, AuditEvent, EventType

pytestmark = pytest.mark.django_db


def test_the_database_refuses_to_change_an_event(file_report) -> None:
    file_report()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(detail={"forged": True})
    assert not AuditEvent.objects.filter(detail={"forged": True}).exists()


def test_the_database_refuses_to_delete_an_event(file_report) -> None:
    file_report()
    before = AuditEvent.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == before >= 1


def test_an_event_is_only_written_inside_the_change_it_records(file_report) -> None:
    filed = file_report()
    connection = transaction.get_connection()
    # pytest-django wraps each test in a transaction; step outside it to see the guard act.
    saved = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError, match="in the transaction"):
            log.record(
                EventType.REPORT_FILED, at=filed.case.received_at, case_id=filed.case.pk, actor_kind=ActorKind.SYSTEM
            )
    finally:
        connection.in_atomic_block = saved


def test_the_migrated_database_has_every_append_only_trigger(db) -> None:
    """Migrations that rebuild the table on SQLite drop its triggers; the last one must put them back."""
    from ombuds.audit.checks import missing_triggers

    assert missing_triggers() == set()
