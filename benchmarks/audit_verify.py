"""`ombuds audit verify` over 1,000,000 stored events, against a bare SHA-256 loop over the same leaf bytes.

The target: verify runs at no less than a third of the speed of
`hashlib.sha256(leaf).digest()` in a plain loop over the leaves already in memory, in
the same run. Verify does much more per event: it reads the event from the database,
hashes it as a leaf, compares that with the stored leaf hash, checks its columns against
its leaf, builds the tree and takes the root at each of 1,000 signed tree heads (whose
signatures it checks), spread over one process per processor (ombuds.audit.verify's
fast pass): processor time counts this process only, wall time is what the target
compares. The fast pass in this one process is timed apart too, by processor time.

The events are written in bulk with one INSERT statement per 10,000 rows, with their
leaves, leaf hashes and head row exactly as ombuds.audit.log writes them one by one;
the tree heads are signed with a key made for the run. As in benchmarks/merkle.py, the
steps take turns and the fastest round of each counts: by wall time for the loop and
verify, whose ratio is the target, by processor time for the fast pass alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks import Measurement
from benchmarks.merkle import _fastest

if TYPE_CHECKING:
    from ombuds.audit.models import SignedTreeHead

EVENTS = 1_000_000
TREE_HEADS = 1_000
# A tree head every this many events in the second measurement, as in a real log.
DENSE_EVERY = 10
BATCH = 10_000
START = datetime(2026, 12, 1, tzinfo=UTC)


def _write_log(key: object) -> list[bytes]:
    """1,000,000 events and 1,000 signed tree heads, written straight into the tables; the leaves."""
    from django.db import connection, transaction

    from ombuds.audit import merkle
    from ombuds.audit.canonical import canonical
    from ombuds.audit.log import iso_utc, leaf_document
    from ombuds.audit.models import AuditEvent, AuditHead, AuditNode, EventType, SignedTreeHead

    table = AuditEvent._meta.db_table
    leaves: list[bytes] = []
    tree = merkle.CompactRange()
    nodes = tree.keep_nodes()
    columns = "seq, at, event_type, actor_kind, actor_id, case_id, detail, leaf, leaf_hash"
    insert = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
    with transaction.atomic():
        for start in range(0, EVENTS, BATCH):
            rows = []
            for seq in range(start, start + BATCH):
                at = START + timedelta(seconds=seq, microseconds=seq % 7 * 1000)
                detail = {"via": "web", "note": seq % 977}
                leaf = canonical(
                    leaf_document(
                        seq=seq,
                        at=at,
                        event_type=EventType.CASE_VIEWED,
                        actor_kind="system",
                        actor_id=None,
                        case_id=None,
                        detail=detail,
                    )
                )
                leaves.append(leaf)
                leaf_hash = merkle.leaf_hash(leaf)
                tree.append(leaf_hash)
                stored_at = iso_utc(at).replace("T", " ").removesuffix("Z").removesuffix(".000000")
                rows.append(
                    (
                        seq,
                        stored_at,
                        int(EventType.CASE_VIEWED),
                        "system",
                        None,
                        None,
                        '{"via": "web"}',
                        leaf.decode(),
                        leaf_hash,
                    )
                )
            with connection.cursor() as cursor:
                cursor.executemany(insert, rows)
        AuditHead.objects.update_or_create(pk=1, defaults={"size": tree.size, "frontier": b"".join(tree.subtree_roots)})
        AuditNode.objects.bulk_create([AuditNode(height=h, index=i, hash=root) for h, i, root in nodes])
        SignedTreeHead.objects.bulk_create(
            _tree_heads(key, leaves, range(EVENTS // TREE_HEADS, EVENTS + 1, EVENTS // TREE_HEADS))
        )
    return leaves


def _tree_heads(key: object, leaves: list[bytes], sizes: Iterable[int]) -> list[SignedTreeHead]:
    """Tree heads of the log of `leaves` at `sizes` (in order), signed with `key`, at START plus a second per event."""
    import base64

    from ombuds.audit import merkle, sth
    from ombuds.audit.models import SignedTreeHead

    heads = []
    for size, root in merkle.roots_at(leaves, sizes):
        signed = sth.sign(sth.TreeHead.at(START + timedelta(seconds=size), tree_size=size, root_hash=root), key)  # type: ignore[arg-type]
        heads.append(
            SignedTreeHead(
                tree_size=size,
                root_hash=root.hex(),
                timestamp=signed.head.timestamp,
                signature=base64.b64encode(signed.signature).decode(),
            )
        )
    return heads


def _add_tree_heads(key: object, leaves: list[bytes], *, every: int) -> int:
    """Sign a tree head at every multiple of `every` events that has none yet; how many tree heads there are then."""
    from ombuds.audit.models import SignedTreeHead

    have = set(SignedTreeHead.objects.values_list("tree_size", flat=True))
    wanted = [size for size in range(every, len(leaves) + 1, every) if size not in have]
    heads = _tree_heads(key, leaves, wanted)
    SignedTreeHead.objects.bulk_create(heads, batch_size=5000)
    return len(have) + len(heads)


def verify_1m(scratch: Path) -> list[Measurement]:
    from nacl.signing import SigningKey

    from ombuds.audit import verify

    key = SigningKey.generate()
    leaves = _write_log(key)
    sha256 = hashlib.sha256

    def bare_loop() -> None:
        for leaf in leaves:
            sha256(leaf).digest()

    def whole() -> None:
        verdict = verify.verify(key.verify_key)
        assert verdict.ok, verdict.problems[:3]
        assert verdict.events == EVENTS

    sizes = list(range(EVENTS // TREE_HEADS, EVENTS + 1, EVENTS // TREE_HEADS))

    def alone() -> None:
        assert verify._fast_scan(EVENTS, sizes, None, 1) is not None

    # The target compares wall times (verify's work is spread over processes whose time this
    # process does not count), so the loop's and verify's rounds are chosen by wall time, as
    # `make bench` does (benchmarks/probe.py); the fast pass in this one process by processor time.
    by_wall, by_processor = (lambda timing: timing.seconds), (lambda timing: timing.cpu_seconds)
    bare, full, scan = _fastest([bare_loop, whole, alone], by=[by_wall, by_wall, by_processor])

    from ombuds.audit import tree_heads

    def proofs() -> None:
        # A reporter's proof of filing and an auditor's consistency proof, from the stored nodes.
        for index in range(7, EVENTS, EVENTS // 10):
            tree_heads.inclusion(index, EVENTS)
            tree_heads.consistency(index, EVENTS)

    (proving,) = _fastest([proofs], by=[by_wall])

    # A real log has a tree head for every report and every minute of activity: about one
    # for every ten events. The same events with that many tree heads (one round: checking
    # the signatures alone takes seconds).
    dense = _add_tree_heads(key, leaves, every=DENSE_EVERY)
    (crowded,) = _fastest([whole], by=[by_wall], rounds=1)
    return [
        bare.measurement(f"sha256 loop, {EVENTS:,} leaves", f"avg leaf {sum(map(len, leaves)) / EVENTS:.0f} bytes"),
        full.measurement(
            f"audit verify, {EVENTS:,} events",
            f"{bare.seconds / full.seconds:.2f}× the loop's speed by wall time (target ≥ 0.33)",
        ),
        scan.measurement(
            "  its fast pass in one process",
            f"{bare.cpu_seconds / scan.cpu_seconds:.2f}× the loop's speed by processor time",
        ),
        crowded.measurement(
            f"audit verify, {EVENTS:,} events, {dense:,} tree heads",
            f"{bare.seconds / crowded.seconds:.2f}× the loop's speed by wall time",
        ),
        proving.measurement(
            f"10 inclusion and 10 consistency proofs, {EVENTS:,} events",
            f"{proving.seconds / 20 * 1000:.1f} ms a proof",
        ),
    ]
