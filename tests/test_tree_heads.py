"""When tree heads are signed, that each is signed once, and the witnesses' e-mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from ombuds.audit import log, sth, tree_heads, witness
from ombuds.audit.models import AuditEvent, AuditHead, EventType, SignedTreeHead
from ombuds.audit.signing_key import signing_key
from ombuds.cases import actions
from ombuds.core import sweep

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _own_signing_key(settings, tmp_path: Path) -> None:
    settings.OMBUDS_AUDIT_SIGNING_KEY_FILE = tmp_path / "keys" / "audit_signing_key"


def _event() -> None:
    with transaction.atomic():
        log.record_system(EventType.ORGANISATION_CONFIGURED, changed=["name"])


def _file(anonymous: bool) -> actions.FiledReport:
    return actions.file_report(
        category="bullying",
        role="witness",
        narrative="He shouts.",
        anonymous=anonymous,
        reporter_name="" if anonymous else "Mei",
    )


def test_a_named_report_is_covered_by_a_tree_head_as_soon_as_it_commits(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        filed = _file(anonymous=False)
    event = AuditEvent.objects.get(case_id=filed.case.pk, event_type=EventType.REPORT_FILED)
    head = tree_heads.latest()
    assert head is not None and head.tree_size == AuditHead.objects.get().size > event.seq
    assert sth.verify(head.signed(), signing_key().verify_key)


def test_an_anonymous_report_is_covered_when_its_batch_enters_the_log(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        filed = _file(anonymous=True)
    assert tree_heads.latest() is None  # nothing of hers is in the log yet, and nothing is signed for her
    sweep.run(datetime(9999, 1, 1, tzinfo=UTC))
    event = AuditEvent.objects.get(case_id=filed.case.pk, event_type=EventType.REPORT_FILED)
    assert tree_heads.covering(event.seq) is not None


def test_the_sweeper_signs_at_least_every_minute_while_the_log_grows() -> None:
    with time_machine.travel(NOON, tick=False):
        _event()
        first = tree_heads.sign_current()
        assert first is not None
        _event()
    sweep.run(NOON + timedelta(seconds=59))
    assert tree_heads.latest() == first  # grown, but the last is not a minute old
    sweep.run(NOON + timedelta(seconds=60))
    second = tree_heads.latest()
    assert second is not None and second.tree_size == AuditHead.objects.get().size > first.tree_size
    sweep.run(NOON + timedelta(minutes=5))
    assert tree_heads.latest() == second  # an hour of nothing signs nothing


def test_a_size_is_signed_once_and_time_never_goes_back() -> None:
    _event()
    with time_machine.travel(NOON, tick=False):
        first = tree_heads.sign_current()
        assert tree_heads.sign_current() is None
    _event()
    with time_machine.travel(NOON - timedelta(minutes=3), tick=False):
        late_clock = tree_heads.sign_current()
    assert first is not None and late_clock is not None
    assert late_clock.timestamp == first.timestamp
    assert SignedTreeHead.objects.filter(tree_size=first.tree_size).count() == 1


def test_the_head_row_keeps_the_current_root_without_reading_the_events() -> None:
    for _ in range(37):
        _event()
    leaves = [leaf.encode() for leaf in AuditEvent.objects.order_by("seq").values_list("leaf", flat=True)]
    head = AuditHead.objects.get()
    assert head.size == len(leaves)
    assert len(bytes(head.frontier)) == 32 * head.size.bit_count()
    assert head.root() == merkle_root(leaves)


def merkle_root(leaves: list[bytes]) -> bytes:
    from ombuds.audit import merkle

    return merkle.root(merkle.leaf_hashes(leaves))


def test_witnesses_get_the_latest_tree_head_once_per_interval_without_report_content(settings, smtp) -> None:
    settings.OMBUDS_AUDIT_WITNESS_EMAILS = ["witness@law.example", "council@elsewhere.example"]
    settings.OMBUDS_AUDIT_WITNESS_INTERVAL = "PT6H"
    secret = "he cornered me by the lifts"
    with time_machine.travel(NOON, tick=False):
        actions.file_report(
            category="bullying", role="witness", narrative=secret, anonymous=False, reporter_name="Mei Chen"
        )
        sweep.run(NOON)
        sweep.run(NOON + timedelta(hours=1))
    queued = DBTaskResult.objects.filter(task_path="ombuds.audit.witness.send_tree_head")
    assert queued.count() == 1
    for row in queued:
        witness.send_tree_head.call(**row.args_kwargs["kwargs"])
    head = tree_heads.latest()
    assert head is not None
    assert {message["To"] for message in smtp.messages} == {"witness@law.example, council@elsewhere.example"}
    text = smtp.messages[0].get_content()
    assert head.signed().to_bytes().decode() in text
    assert sth.public_key_text(signing_key().verify_key) in text
    assert "cornered" not in text and "Mei" not in text
    sweep.run(NOON + timedelta(hours=6))
    assert DBTaskResult.objects.filter(task_path="ombuds.audit.witness.send_tree_head").count() == 2


def test_without_witnesses_nothing_is_sent(settings) -> None:
    settings.OMBUDS_AUDIT_WITNESS_EMAILS = []
    _event()
    tree_heads.sign_current()
    assert witness.send_if_due(NOON) is False
    assert not DBTaskResult.objects.filter(task_path="ombuds.audit.witness.send_tree_head").exists()


class _SchemaEditor:
    """What the audit migrations' trigger helpers use of a schema editor: its connection and execute()."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection

    def execute(self, sql: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)


def test_the_migration_fills_in_the_leaf_hashes_and_compact_range_of_events_written_before_it() -> None:
    import importlib

    from django.apps import apps

    from ombuds.audit.checks import missing_triggers
    from ombuds.audit.migrations import _append_only

    for _ in range(11):
        _event()
    expected = AuditHead.objects.get().root()
    # As before the migration: no leaf hashes, no compact range.
    editor = _SchemaEditor()
    _append_only.remove(editor)  # type: ignore[no-untyped-call]
    AuditEvent.objects.update(leaf_hash=b"")
    AuditHead.objects.update(frontier=b"")
    _append_only.add(editor)  # type: ignore[no-untyped-call]
    migration = importlib.import_module("ombuds.audit.migrations.0007_merkle_tree")
    migration.backfill(apps, editor)
    assert AuditHead.objects.get().root() == expected
    assert all(bytes(h) for h in AuditEvent.objects.values_list("leaf_hash", flat=True))
    assert missing_triggers() == set()


def test_a_compact_range_is_rebuilt_only_from_one_root_per_set_bit() -> None:
    from ombuds.audit import merkle

    hashes = merkle.leaf_hashes([b"a", b"b", b"c"])
    tree = merkle.CompactRange()
    tree.extend(hashes)
    again = merkle.CompactRange.from_state(3, tree.subtree_roots)
    again.append(merkle.leaf_hash(b"d"))
    assert again.root() == merkle.root([*hashes, merkle.leaf_hash(b"d")])
    with pytest.raises(ValueError, match="subtree roots"):
        merkle.CompactRange.from_state(3, tree.subtree_roots[:1])
