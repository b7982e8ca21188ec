"""`ombuds audit verify` over a log written through the real actions, untouched and tampered with.

The database refuses to change or delete audit events (append-only triggers), so each
tamper test lifts the triggers inside its own transaction, as someone with the
database owner's rights could, and the test's rollback puts them back.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from nacl.signing import SigningKey

from ombuds.audit import merkle, sth, tree_heads, verify
from ombuds.audit.canonical import canonical
from ombuds.audit.models import AuditEvent, AuditHead, EventType, SignedTreeHead
from ombuds.audit.signing_key import signing_key
from ombuds.cases import actions
from tests.independent_verifier import verify_export
from tests.support import audit_triggers_lifted, release_audit_batch

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OTHER_KEY = SigningKey(hashlib.sha256(b"a key that is not the organisation's").digest())


@pytest.fixture(autouse=True)
def _own_signing_key(settings, tmp_path: Path) -> None:
    settings.OMBUDS_AUDIT_SIGNING_KEY_FILE = tmp_path / "keys" / "audit_signing_key"


@pytest.fixture
def written_log(staff) -> int:
    """A log of real events (reports, steps, views), with a tree head signed after each action."""
    with time_machine.travel(START, tick=False) as clock:

        def signed() -> None:
            clock.shift(timedelta(minutes=1))
            tree_heads.sign_current()

        named = actions.file_report(
            category="bullying", role="witness", narrative="He shouts.", anonymous=False, reporter_name="Mei"
        )
        signed()
        actions.file_report(category="sexual_harassment", role="affected", narrative="Again.", anonymous=True)
        release_audit_batch()
        signed()
        actions.acknowledge_case(case=named.case, actor=staff.handler)
        signed()
        actions.record_case_view(case=named.case, actor=staff.lead, via="web")
        signed()
        actions.add_note(case=named.case, actor=staff.handler, body="Called the witness.")
        signed()
        actions.record_case_view(case=named.case, actor=staff.oversight, via="web")
        signed()
    size = AuditHead.objects.get().size
    assert size >= 8
    assert SignedTreeHead.objects.count() >= 6
    return size


def _verify(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("audit", "verify", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _fails_at(index: int, *args: str) -> str:
    err = StringIO()
    with pytest.raises(CommandError, match=rf"does not hold from event {index} on"):
        call_command("audit", "verify", *args, stdout=StringIO(), stderr=err)
    return err.getvalue()


def _sign_everything_again(key: SigningKey, *, from_size: int) -> None:
    """Replace every tree head above `from_size` by one over the log as it now stands, signed with `key`."""
    leaves = [leaf.encode() for leaf in AuditEvent.objects.order_by("seq").values_list("leaf", flat=True)]
    heads = list(SignedTreeHead.objects.filter(tree_size__gt=from_size))
    sizes = sorted(head.tree_size for head in heads)
    moments = {head.tree_size: head.timestamp for head in heads}
    SignedTreeHead.objects.filter(tree_size__gt=from_size).delete()
    for size, root in merkle.roots_at(leaves, sizes):
        signed = sth.sign(sth.TreeHead.at(moments[size], tree_size=size, root_hash=root), key)
        SignedTreeHead.objects.create(
            tree_size=size,
            root_hash=root.hex(),
            timestamp=signed.head.timestamp,
            signature=base64.b64encode(signed.signature).decode(),
        )


def _rewrite(event: AuditEvent, seq: int, **changes: object) -> None:
    """Give an event a new number and leaf, with its columns and leaf hash to match: a careful forger."""
    fields = {
        "seq": seq,
        "at": event.at,
        "event_type": EventType(event.event_type),
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "case_id": event.case_id,
        "detail": event.detail,
    }
    fields.update(changes)
    from ombuds.audit.log import leaf_document

    leaf = canonical(leaf_document(**fields))
    AuditEvent.objects.filter(pk=event.pk).update(
        seq=seq,
        actor_id=fields["actor_id"],
        detail=fields["detail"],
        leaf=leaf.decode(),
        leaf_hash=merkle.leaf_hash(leaf),
    )


def _one_byte_changed(leaf: str) -> str:
    """The leaf with the last digit of its time changed: same length, still JSON."""
    assert leaf.endswith('Z"}')
    digit = leaf[-4]
    forged = leaf[:-4] + ("1" if digit != "1" else "2") + leaf[-3:]
    assert len(forged) == len(leaf) and forged != leaf
    return forged


def _signed_size(position: int) -> int:
    """The size of the tree head at `position` (oldest first): a place where the log was vouched for."""
    return SignedTreeHead.objects.order_by("tree_size")[position].tree_size


def _rebuild_head() -> None:
    hashes = [bytes(h) for h in AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True)]
    tree = merkle.CompactRange()
    tree.extend(hashes)
    AuditHead.objects.filter(pk=1).update(size=tree.size, frontier=b"".join(tree.subtree_roots))


def test_it_passes_a_log_written_through_the_real_actions(written_log: int) -> None:
    out, err = _verify()
    assert out.strip() == f"OK: {written_log} events and {SignedTreeHead.objects.count()} signed tree heads hold."
    assert "verifying 100%" in err


def test_it_passes_against_the_published_key_given_on_the_command_line(written_log: int) -> None:
    out, _err = _verify("--public-key", sth.public_key_text(signing_key().verify_key))
    assert out.startswith("OK:")


def test_it_names_the_event_of_which_one_byte_was_changed(written_log: int) -> None:
    event = AuditEvent.objects.get(seq=3)
    forged = _one_byte_changed(event.leaf)
    with audit_triggers_lifted():
        AuditEvent.objects.filter(pk=event.pk).update(leaf=forged)
    err = _fails_at(3)
    assert "event 3: its leaf does not match its leaf hash" in err


def test_it_names_a_changed_event_even_when_its_leaf_hash_was_changed_with_it(written_log: int) -> None:
    at = _signed_size(2)
    event = AuditEvent.objects.get(seq=at)
    forged = _one_byte_changed(event.leaf)
    with audit_triggers_lifted():
        AuditEvent.objects.filter(pk=event.pk).update(leaf=forged, leaf_hash=merkle.leaf_hash(forged.encode()))
    err = _fails_at(at)
    assert f"event {at}: its columns do not match its leaf" in err
    assert "its root does not match the events" in err


def test_it_names_a_deleted_event(written_log: int) -> None:
    with audit_triggers_lifted():
        AuditEvent.objects.filter(seq=5).delete()
    err = _fails_at(5)
    assert "event 5 is missing (the next one stored is 6)" in err


def test_it_names_the_first_of_two_swapped_events(written_log: int) -> None:
    first = _signed_size(1)
    second = first + 2
    with audit_triggers_lifted():
        AuditEvent.objects.filter(seq=first).update(seq=10**9)
        AuditEvent.objects.filter(seq=second).update(seq=first)
        AuditEvent.objects.filter(seq=10**9).update(seq=second)
    err = _fails_at(first)
    assert f"event {first}: its columns do not match its leaf" in err
    assert "its root does not match the events" in err


def test_it_names_where_an_event_was_slipped_in_and_the_rest_renumbered(written_log: int) -> None:
    """The forger renumbers, re-encodes and re-hashes every later event: only the tree heads can tell."""
    at = _signed_size(2)
    later = list(AuditEvent.objects.filter(seq__gte=at).order_by("-seq"))
    with audit_triggers_lifted():
        for event in later:
            _rewrite(event, event.seq + 1)
        victim = later[-1]
        leaf = canonical(
            {
                "index": at,
                "time": "2026-12-01T09:03:30.000000Z",
                "actor": {"id": victim.actor_id, "kind": "staff"},
                "action": "case_viewed",
                "object": {"case": victim.case_id},
                "details": {"via": "web"},
            }
        )
        AuditEvent.objects.create(
            seq=at,
            at=datetime(2026, 12, 1, 9, 3, 30, tzinfo=UTC),
            event_type=EventType.CASE_VIEWED,
            actor_kind="staff",
            actor_id=victim.actor_id,
            case_id=victim.case_id,
            detail={"via": "web"},
            leaf=leaf.decode(),
            leaf_hash=merkle.leaf_hash(leaf),
        )
        _rebuild_head()
    err = _fails_at(at)
    assert "its root does not match the events" in err


def test_it_names_where_the_tail_was_rewritten_and_signed_with_another_key(written_log: int) -> None:
    at = _signed_size(3)
    published = sth.public_key_text(signing_key().verify_key)
    with audit_triggers_lifted():
        for event in AuditEvent.objects.filter(seq__gte=at).order_by("seq"):
            _rewrite(event, event.seq, detail={"rewritten": True})
        _rebuild_head()
    _sign_everything_again(OTHER_KEY, from_size=at)
    err = _fails_at(at)
    assert "the signature does not match the public key" in err
    _fails_at(at, "--public-key", published)


def test_it_refuses_a_log_whose_head_counts_an_event_that_is_not_stored(written_log: int) -> None:
    AuditHead.objects.filter(pk=1).update(size=written_log + 1)
    err = _fails_at(written_log)
    assert f"the log's head counts {written_log + 1} events, {written_log} are stored" in err


def test_the_head_row_keeps_the_root_of_every_event_written(written_log: int) -> None:
    leaves = [leaf.encode() for leaf in AuditEvent.objects.order_by("seq").values_list("leaf", flat=True)]
    stored = [bytes(h) for h in AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True)]
    assert stored == merkle.leaf_hashes(leaves)
    assert AuditHead.objects.get().root() == merkle.root(stored)
    assert tree_heads.latest().root_hash == merkle.root(stored).hex()  # type: ignore[union-attr]


def test_an_export_passes_the_independent_verifier(written_log: int, tmp_path: Path) -> None:
    actions_after = AuditEvent.objects.count()
    out = StringIO()
    call_command("audit", "export", str(tmp_path / "export"), stdout=out, stderr=StringIO())
    assert out.getvalue().startswith(f"Exported {actions_after} events")
    verdict = verify_export(tmp_path / "export", sth.public_key_text(signing_key().verify_key))
    assert verdict.ok, verdict.reason
    assert verdict.reason == f"{written_log} events, all covered by good signed tree heads"
    lines = (tmp_path / "export" / "entries.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == written_log
    assert lines[0].startswith('{"index":0,"leaf":"{\\"action\\":\\"')


def test_an_export_of_a_changed_log_fails_the_independent_verifier_at_the_change(
    written_log: int, tmp_path: Path
) -> None:
    at = _signed_size(1)
    event = AuditEvent.objects.get(seq=at)
    forged = _one_byte_changed(event.leaf)
    with audit_triggers_lifted():
        AuditEvent.objects.filter(pk=event.pk).update(leaf=forged, leaf_hash=merkle.leaf_hash(forged.encode()))
    call_command("audit", "export", str(tmp_path / "export"), stdout=StringIO(), stderr=StringIO())
    verdict = verify_export(tmp_path / "export", sth.public_key_text(signing_key().verify_key))
    assert not verdict.ok
    assert verdict.first_bad_index == at


# --- The fast pass: ranges of events checked apart (in processes of their own outside a transaction)


@pytest.mark.parametrize(("block", "task"), [(1, 1), (2, 2), (2, 4), (4, 4), (4, 8), (1024, 65536)])
def test_the_fast_pass_gives_the_root_at_every_size_and_the_compact_range(
    written_log: int, monkeypatch: pytest.MonkeyPatch, block: int, task: int
) -> None:
    monkeypatch.setattr(verify, "BLOCK", block)
    monkeypatch.setattr(verify, "TASK", task)
    sizes = list(range(written_log + 1))
    scanned = verify._fast_scan(written_log, sizes, None, None)
    assert scanned is not None
    tree, roots, _nodes = scanned
    leaves = [leaf.encode() for leaf in AuditEvent.objects.order_by("seq").values_list("leaf", flat=True)]
    assert roots == dict(merkle.roots_at(leaves, sizes))
    whole = merkle.CompactRange()
    whole.extend_leaves(leaves)
    assert (tree.size, tree.subtree_roots) == (whole.size, whole.subtree_roots)


def test_the_fast_pass_adds_each_leaf_once_however_many_tree_heads_end_inside_a_block(
    written_log: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real log has a tree head for every report: one every few events. The compact range
    # before each of them must grow from the one before, not start again from the block's
    # first leaf (which made verify quadratic in the tree heads per block).
    monkeypatch.setattr(verify, "BLOCK", 8)
    monkeypatch.setattr(verify, "TASK", 16)
    added = []
    extend = merkle.CompactRange.extend

    def counting(tree: merkle.CompactRange, hashes: list[bytes]) -> None:
        added.append(len(hashes))
        extend(tree, hashes)

    monkeypatch.setattr(merkle.CompactRange, "extend", counting)
    sizes = list(range(written_log + 1))
    scanned = verify._fast_scan(written_log, sizes, None, 1)
    assert scanned is not None
    leaves = [leaf.encode() for leaf in AuditEvent.objects.order_by("seq").values_list("leaf", flat=True)]
    assert scanned[1] == dict(merkle.roots_at(leaves, sizes))
    # Each leaf at most once into the compact ranges of its block and once into the last range's tail,
    # plus the block roots joined by the main process.
    assert sum(added) <= 2 * written_log + written_log // 8


@pytest.mark.parametrize(
    "change",
    [
        {"case_id": None},
        {"actor_kind": "system"},
        {"event_type": int(EventType.CASE_VIEWED) + 1000},
        {"at": datetime(2026, 12, 1, 9, 3, 30, tzinfo=UTC)},
        {"at": datetime(2026, 12, 1, 9, 3, 30, 1, tzinfo=UTC)},
        {"actor_id": None},
    ],
)
def test_the_fast_pass_refuses_a_column_that_disagrees_with_its_leaf_and_verify_names_it(
    written_log: int, monkeypatch: pytest.MonkeyPatch, change: dict[str, object]
) -> None:
    monkeypatch.setattr(verify, "BLOCK", 2)
    monkeypatch.setattr(verify, "TASK", 4)
    event = AuditEvent.objects.filter(case_id__isnull=False, actor_kind="staff").order_by("seq").first()
    assert event is not None
    with audit_triggers_lifted():
        AuditEvent.objects.filter(pk=event.pk).update(**change)
    assert verify._fast_scan(written_log, [written_log], None, None) is None
    err = _fails_at(event.seq)
    assert f"event {event.seq}: its columns do not match its leaf" in err


def test_the_fast_pass_refuses_numbers_changed_without_their_leaves_and_verify_names_them(
    written_log: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ends the fast pass compares take each event's number from its seq column, once
    # the joined numbers were found to be the positions: two neighbours inside one range (so
    # that the range's first and last rows stay where they were) whose numbers alone were
    # exchanged must fail it all the same.
    monkeypatch.setattr(verify, "BLOCK", 2)
    monkeypatch.setattr(verify, "TASK", 4)
    first = (_signed_size(1) // 4 + 1) * 4 + 1
    assert first + 1 < written_log
    with audit_triggers_lifted():
        AuditEvent.objects.filter(seq=first).update(seq=10**9)
        AuditEvent.objects.filter(seq=first + 1).update(seq=first)
        AuditEvent.objects.filter(seq=10**9).update(seq=first + 1)
    assert verify._fast_scan(written_log, [written_log], None, None) is None
    err = _fails_at(first)
    assert f"event {first}: its columns do not match its leaf" in err


@pytest.mark.parametrize(("column", "value"), [("case_id", "12x"), ("actor_id", "staff"), ("event_type", "seen")])
def test_the_fast_pass_refuses_a_column_that_holds_no_number_and_verify_names_it(
    written_log: int, monkeypatch: pytest.MonkeyPatch, column: str, value: str
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite keeps text in a number column")
    monkeypatch.setattr(verify, "BLOCK", 2)
    monkeypatch.setattr(verify, "TASK", 4)
    event = AuditEvent.objects.filter(case_id__isnull=False, actor_kind="staff").order_by("seq").first()
    assert event is not None
    table = AuditEvent._meta.db_table
    with audit_triggers_lifted(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, event.pk])  # noqa: S608 - test's own names
    try:
        assert verify._fast_scan(written_log, [written_log], None, None) is None
        err = _fails_at(event.seq)
        assert f"event {event.seq}: its columns do not match its leaf" in err
    finally:
        # The foreign keys are checked when the test ends: the row gets its own value back.
        with audit_triggers_lifted(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [getattr(event, column), event.pk])  # noqa: S608


def test_a_log_whose_rows_are_stored_out_of_order_still_passes_with_the_right_roots(
    written_log: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fast pass may read a range in the order the rows are stored; a row moved to the
    # end of the table (a new row id) is an untouched log all the same.
    monkeypatch.setattr(verify, "BLOCK", 2)
    monkeypatch.setattr(verify, "TASK", 4)
    event = AuditEvent.objects.get(seq=3)
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert last is not None
    with audit_triggers_lifted():
        AuditEvent.objects.filter(pk=event.pk).update(id=last + 100)
    sizes = list(range(written_log + 1))
    scanned = verify._fast_scan(written_log, sizes, None, None)
    if scanned is not None:
        leaves = [leaf.encode() for leaf in AuditEvent.objects.order_by("seq").values_list("leaf", flat=True)]
        assert scanned[1] == dict(merkle.roots_at(leaves, sizes))
    verdict = verify.verify(signing_key().verify_key)
    assert verdict.ok, verdict.problems
    assert verdict.events == written_log


def test_the_fast_pass_refuses_a_leaf_with_a_line_break_whose_hash_was_changed_with_it(
    written_log: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "TASK", 4)
    event = AuditEvent.objects.get(seq=2)
    forged = event.leaf.replace(',"details":', ',\n"details":')
    with audit_triggers_lifted():
        AuditEvent.objects.filter(pk=event.pk).update(leaf=forged, leaf_hash=merkle.leaf_hash(forged.encode()))
    assert verify._fast_scan(written_log, [written_log], None, None) is None
    verdict = verify.verify(signing_key().verify_key)
    assert not verdict.ok
    assert any("its root does not match the events" in problem.message for problem in verdict.problems)


@pytest.fixture
def _committed_events_removed_afterwards(transactional_db: None) -> Iterator[None]:
    """The flush after a transactional test deletes every row, which the audit log's triggers refuse on SQLite."""
    yield
    with audit_triggers_lifted():
        AuditEvent.objects.all().delete()


# Committed, so that the processes' own connections see the events. serialized_rollback: the
# rows the migrations made are put back afterwards (see tests/test_heartbeat.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("_committed_events_removed_afterwards")
def test_the_fast_pass_runs_in_processes_of_its_own(written_log: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify, "BLOCK", 2)
    monkeypatch.setattr(verify, "TASK", 4)
    monkeypatch.setattr(verify, "SIGNATURES", 2)
    checked_here = []
    check_here = verify._Signatures.check_here

    def noting(signatures: verify._Signatures) -> list[bytes | None]:
        checked_here.append(len(signatures.heads))
        return check_here(signatures)

    monkeypatch.setattr(verify._Signatures, "check_here", noting)
    seen: list[tuple[int, int]] = []
    verdict = verify.verify(
        signing_key().verify_key, processes=2, progress=lambda done, total: seen.append((done, total))
    )
    assert verdict.ok, verdict.problems
    assert verdict.events == written_log
    assert seen[-1] == (written_log, written_log)
    assert len(seen) == -(-written_log // 4)
    # The processes checked the signatures, in chunks of two tree heads.
    assert checked_here == []
    # A signature that does not hold is found by them too.
    third = SignedTreeHead.objects.order_by("tree_size")[2]
    forged = base64.b64encode(bytes(64)).decode()
    with audit_triggers_lifted():
        SignedTreeHead.objects.filter(pk=third.pk).update(signature=forged)
    try:
        verdict = verify.verify(signing_key().verify_key, processes=2)
        assert checked_here == []
        previous = SignedTreeHead.objects.order_by("tree_size")[1].tree_size
        assert verdict.first_bad_index == previous
        assert any("the signature does not match the public key" in p.message for p in verdict.problems)
    finally:
        with audit_triggers_lifted():
            SignedTreeHead.objects.filter(pk=third.pk).update(signature=third.signature)
    event = AuditEvent.objects.get(seq=5)
    with audit_triggers_lifted():
        AuditEvent.objects.filter(pk=event.pk).update(seq=10**9)
    try:
        verdict = verify.verify(signing_key().verify_key, processes=2)
        assert verdict.first_bad_index == 5
    finally:
        with audit_triggers_lifted():
            AuditEvent.objects.filter(pk=event.pk).update(seq=5)
