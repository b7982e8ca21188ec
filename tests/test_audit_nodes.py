"""The log's stored subtree roots (AuditNode): proofs in a log of any size without reading every leaf hash.

Most tests lower merkle.NODE_HEIGHT (and verify's BLOCK with it) so that a log of a
few hundred events has nodes at several heights; one test keeps the real heights.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from ombuds.audit import log, merkle, tree_heads, verify
from ombuds.audit.models import AuditEvent, AuditNode, EventType, SignedTreeHead
from ombuds.audit.signing_key import signing_key

EVENTS = 150
HEIGHT = 2


def _hashes(count: int) -> list[bytes]:
    return [merkle.leaf_hash(b"event %d" % number) for number in range(count)]


def _expected_nodes(hashes: list[bytes], lowest: int) -> set[merkle.Node]:
    """Every perfect subtree of 2**lowest leaves or more, its root computed plainly."""
    found = set()
    height = lowest
    while 1 << height <= len(hashes):
        width = 1 << height
        for index in range(len(hashes) // width):
            found.add((height, index, merkle.root(hashes[index * width : (index + 1) * width])))
        height += 1
    return found


@given(
    size=st.integers(min_value=0, max_value=300),
    kept_from=st.integers(min_value=0, max_value=300),
    lowest=st.integers(min_value=0, max_value=4),
    one_by_one=st.booleans(),
)
def test_a_compact_range_notes_each_perfect_subtree_once_as_it_completes(
    size: int, kept_from: int, lowest: int, one_by_one: bool
) -> None:
    hashes = _hashes(size)
    kept_from = min(kept_from, size)
    tree = merkle.CompactRange()
    tree.extend(hashes[:kept_from])
    # Rebuilt from a head row's state, as an append does.
    tree = merkle.CompactRange.from_state(tree.size, tree.subtree_roots)
    nodes = tree.keep_nodes(lowest)
    if one_by_one:
        for leaf_hash in hashes[kept_from:]:
            tree.append(leaf_hash)
    else:
        tree.extend(hashes[kept_from:])
    assert len(nodes) == len(set(nodes))
    completed_later = {node for node in _expected_nodes(hashes, lowest) if (node[1] + 1) << node[0] > kept_from}
    assert set(nodes) == completed_later
    assert tree.root() == merkle.root(hashes)


@pytest.fixture(autouse=True)
def _own_signing_key(settings, tmp_path: Path) -> None:
    settings.OMBUDS_AUDIT_SIGNING_KEY_FILE = tmp_path / "keys" / "audit_signing_key"


@pytest.fixture
def low_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(merkle, "NODE_HEIGHT", HEIGHT)
    monkeypatch.setattr(verify, "BLOCK", 1 << HEIGHT)


def _append(count: int, *, sign_every: int = 7) -> None:
    for number in range(count):
        with transaction.atomic():
            log.record_system(EventType.ORGANISATION_CONFIGURED, changed=[f"field {number}"])
        if number % sign_every == sign_every - 1:
            tree_heads.sign_current()
    tree_heads.sign_current()


def _stored_hashes() -> list[bytes]:
    return [bytes(h) for h in AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True)]


def _stored_nodes() -> set[merkle.Node]:
    return {(h, i, bytes(root)) for h, i, root in AuditNode.objects.values_list("height", "index", "hash")}


@pytest.fixture
def nodes_log(db, low_nodes) -> list[bytes]:
    _append(EVENTS)
    return _stored_hashes()


@pytest.fixture
def counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The leaf hashes each read of a range gives; reading every leaf hash fails the test."""
    reads: list[int] = []
    between = tree_heads._leaf_hashes_between

    def counting(start: int, end: int) -> list[bytes]:
        found = between(start, end)
        reads.append(len(found))
        return found

    def everything(size: int) -> list[bytes]:
        raise AssertionError(f"a proof read all {size} leaf hashes")

    monkeypatch.setattr(tree_heads, "_leaf_hashes_between", counting)
    monkeypatch.setattr(tree_heads, "leaf_hashes", everything)
    return reads


def test_each_append_that_completes_a_subtree_stores_its_root(nodes_log: list[bytes]) -> None:
    assert len(nodes_log) == EVENTS
    assert _stored_nodes() == _expected_nodes(nodes_log, HEIGHT)


def test_proofs_from_the_stored_nodes_equal_those_from_every_leaf_and_read_few_leaves(
    nodes_log: list[bytes], counted_reads: list[int]
) -> None:
    signed = {head.tree_size: bytes.fromhex(head.root_hash) for head in SignedTreeHead.objects.all()}
    for size in [1, 2, 3, 4, 5, 8, 9, 63, 64, 65, 100, 149, 150]:
        for index in sorted(i for i in {0, 1, size // 2, size - 2, size - 1} if 0 <= i < size):
            counted_reads.clear()
            root, path = tree_heads.inclusion(index, size)
            assert root == merkle.root(nodes_log[:size])
            assert path == merkle.inclusion_proof(nodes_log, index, size)
            # At most two blocks of leaf hashes: the leaf's own and the last, partial one.
            assert sum(counted_reads) <= 2 << HEIGHT
            if size in signed:
                assert merkle.verify_inclusion(nodes_log[index], index, size, path, signed[size])
        for first in sorted(m for m in {0, 1, 2, 4, 7, size // 2, size - 1, size} if 0 <= m <= size):
            counted_reads.clear()
            first_root, second_root, proof = tree_heads.consistency(first, size)
            assert (first_root, second_root) == (merkle.root(nodes_log[:first]), merkle.root(nodes_log[:size]))
            assert proof == merkle.consistency_proof(nodes_log, first, size)
            assert sum(counted_reads) <= 3 << HEIGHT


def _node_changed(height: int, index: int) -> None:
    table, position = AuditNode._meta.db_table, connection.ops.quote_name("index")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET hash = %s WHERE height = %s AND {position} = %s",  # noqa: S608 - names from the model
            [b"\x42" * 32, height, index],
        )
        assert cursor.rowcount == 1


def test_a_wrong_node_is_named_by_verify_and_proofs_for_signed_heads_still_hold(nodes_log: list[bytes]) -> None:
    assert verify.verify(signing_key().verify_key).ok
    _node_changed(HEIGHT + 1, 1)  # events 8 to 15
    verdict = verify.verify(signing_key().verify_key)
    assert not verdict.ok
    assert verdict.first_bad_index == 8
    assert "the stored root of the subtree of events 8 to 15 does not match the events" in verdict.problems[0].message
    # The signed root shows the node wrong: the proof is made from every leaf hash instead.
    head = SignedTreeHead.objects.order_by("-tree_size").first()
    assert head is not None
    root, path = tree_heads.inclusion(9, head.tree_size)
    assert root.hex() == head.root_hash
    assert merkle.verify_inclusion(nodes_log[9], 9, head.tree_size, path, root)


def test_a_missing_node_is_computed_from_below(nodes_log: list[bytes], counted_reads: list[int]) -> None:
    AuditNode.objects.filter(height=HEIGHT + 2).delete()
    _root, path = tree_heads.inclusion(3, EVENTS)
    assert path == merkle.inclusion_proof(nodes_log, 3, EVENTS)
    assert verify.verify(signing_key().verify_key).ok


def test_the_migration_stores_the_nodes_of_a_log_written_before_them(nodes_log: list[bytes]) -> None:
    AuditNode.objects.all().delete()
    migration = importlib.import_module("ombuds.audit.migrations.0008_subtree_nodes")
    backfill: Callable[..., None] = migration.backfill
    backfill(apps, None)
    assert _stored_nodes() == _expected_nodes(nodes_log, HEIGHT)


@pytest.mark.django_db
def test_with_the_real_heights_a_block_of_1024_events_is_a_node_that_verify_checks() -> None:
    _append(2 * merkle.BLOCK + 5, sign_every=500)
    hashes = _stored_hashes()
    assert _stored_nodes() == _expected_nodes(hashes, merkle.NODE_HEIGHT)
    assert {(h, i) for h, i, _root in _stored_nodes()} == {(10, 0), (10, 1), (11, 0)}
    _root, path = tree_heads.inclusion(1500, len(hashes))
    assert path == merkle.inclusion_proof(hashes, 1500, len(hashes))
    assert verify.verify(signing_key().verify_key).ok
    _node_changed(10, 1)
    verdict = verify.verify(signing_key().verify_key)
    assert verdict.first_bad_index == 1024
    assert "events 1024 to 2047" in verdict.problems[0].message
