"""Signing the log's tree heads, and reading the log's tree for proofs.

A tree head is signed after every report that enters the log (a named report right
after its filing commits; an anonymous one when its batch is released) and by the
sweeper at least every minute while the log grows. Signing takes the head row's lock,
so the size and root it signs are those of committed events, and two processes never
sign the same size: the second finds the first's tree head and signs nothing.
"""

from __future__ import annotations

import base64
import operator
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import reduce

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ombuds.audit import merkle, sth
from ombuds.audit.models import AuditEvent, AuditHead, AuditNode, SignedTreeHead
from ombuds.audit.signing_key import signing_key

# The sweeper signs when the last tree head is at least this old and the log has grown.
CADENCE = timedelta(seconds=60)
# Leaf hashes are read from the database this many at a time.
CHUNK = 20_000


def latest() -> SignedTreeHead | None:
    return SignedTreeHead.objects.order_by("-tree_size").first()


def sign_current(now: datetime | None = None) -> SignedTreeHead | None:
    """Sign a tree head for the log as it stands; None when one for this size exists already.

    The timestamp never goes back from the last tree head's, even if this process's
    clock is behind another's: verifiers require tree heads in order of time.
    """
    now = now or timezone.now()
    key = signing_key()
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            return None
        if SignedTreeHead.objects.filter(tree_size=head.size).exists():
            return None
        last = latest()
        moment = max(now, last.timestamp) if last is not None else now
        signed = sth.sign(sth.TreeHead.at(moment, tree_size=head.size, root_hash=head.root()), key)
        return SignedTreeHead.objects.create(
            tree_size=head.size,
            root_hash=signed.head.root_hash.hex(),
            timestamp=signed.head.timestamp,
            signature=base64.b64encode(signed.signature).decode("ascii"),
        )


def sign_if_due(now: datetime) -> SignedTreeHead | None:
    """The sweeper's cadence: sign when the log grew since the last tree head and that one is a minute old."""
    size = AuditHead.objects.filter(pk=1).values_list("size", flat=True).first()
    if size is None:
        return None
    last = latest()
    if last is not None and (last.tree_size >= size or now - last.timestamp < CADENCE):
        return None
    return sign_current(now)


def sign_after_commit() -> None:
    """Sign once the caller's transaction has committed (a named report, as soon as it is stored)."""
    transaction.on_commit(lambda: sign_current(), robust=True)


def covering(index: int) -> SignedTreeHead | None:
    """The latest tree head that includes event `index`."""
    return SignedTreeHead.objects.filter(tree_size__gt=index).order_by("-tree_size").first()


def log_size() -> int:
    return AuditHead.objects.filter(pk=1).values_list("size", flat=True).first() or 0


def leaf_hashes(size: int) -> list[bytes]:
    """The stored leaf hashes of events [0, size), in order."""
    hashes: list[bytes] = []
    while len(hashes) < size:
        start = len(hashes)
        chunk = AuditEvent.objects.filter(seq__gte=start, seq__lt=min(size, start + CHUNK)).order_by("seq")
        found = [bytes(h) for h in chunk.values_list("leaf_hash", flat=True)]
        if not found:
            break
        hashes += found
    if len(hashes) != size:
        raise ValueError(f"the log holds fewer than {size} events")
    return hashes


def inclusion(index: int, tree_size: int) -> tuple[bytes, list[bytes]]:
    """(root at tree_size, audit path of event `index`), from the stored nodes and leaf hashes."""
    stored = _StoredTree(tree_size)
    stored.read_nodes(lambda plan: (merkle.inclusion_path(plan, index, tree_size), plan(0, tree_size)))
    path = merkle.inclusion_path(stored.subtree_root, index, tree_size)
    root = stored.subtree_root(0, tree_size)
    if not _agrees_with_signed(tree_size, root):
        hashes = leaf_hashes(tree_size)
        return merkle.root(hashes), merkle.inclusion_proof(hashes, index, tree_size)
    return root, path


def consistency(first: int, second: int) -> tuple[bytes, bytes, list[bytes]]:
    """(root at first, root at second, consistency proof), from the stored nodes and leaf hashes."""
    if not 0 <= first <= second:
        raise ValueError(f"old size {first} is outside 0..{second}")
    stored = _StoredTree(second)
    stored.read_nodes(lambda plan: (merkle.consistency_path(plan, first, second), plan(0, first), plan(0, second)))
    proof = merkle.consistency_path(stored.subtree_root, first, second)
    first_root, second_root = stored.subtree_root(0, first), stored.subtree_root(0, second)
    if not (_agrees_with_signed(first, first_root) and _agrees_with_signed(second, second_root)):
        hashes = leaf_hashes(second)
        return merkle.root(hashes[:first]), merkle.root(hashes), merkle.consistency_proof(hashes, first, second)
    return first_root, second_root, proof


def _agrees_with_signed(size: int, root: bytes) -> bool:
    """False when a tree head signed at this size has another root: then a stored node is wrong.

    The proofs are then made from every leaf hash instead, as they always could be;
    `ombuds audit verify` names the node.
    """
    signed = SignedTreeHead.objects.filter(tree_size=size).values_list("root_hash", flat=True).first()
    return signed is None or signed == root.hex()


class _StoredTree:
    """The roots of ranges of the first `size` events, from the stored nodes (AuditNode) and leaf hashes.

    A perfect subtree of 2**NODE_HEIGHT leaves or more is one stored node; a range of
    fewer leaves is hashed from its stored leaf hashes (read in one query); any other
    range splits as RFC 9162 splits a tree. A proof in a log of n events thus reads
    O(log n) nodes and at most two ranges of leaf hashes, whatever n is.
    """

    def __init__(self, size: int) -> None:
        if size < 0 or size > log_size():
            raise ValueError(f"the log holds fewer than {size} events")
        self.size = size
        self._blocks: dict[int, list[bytes]] = {}  # the leaf hashes of a block of 2**NODE_HEIGHT, read once
        self._nodes: dict[tuple[int, int], bytes] = {}  # stored nodes read ahead, by (height, index)

    def read_nodes(self, walk: Callable[[merkle.SubtreeRoot], object]) -> None:
        """Read in one query the stored nodes that `walk` will ask for, learnt by walking it once without them."""
        wanted: set[tuple[int, int]] = set()

        def plan(start: int, end: int) -> bytes:
            self._wanted(start, end, wanted)
            return merkle.EMPTY_ROOT

        walk(plan)
        if wanted:
            positions = reduce(operator.or_, (Q(height=height, index=index) for height, index in wanted))
            for height, index, root in AuditNode.objects.filter(positions).values_list("height", "index", "hash"):
                self._nodes[height, index] = bytes(root)

    def _wanted(self, start: int, end: int, wanted: set[tuple[int, int]]) -> None:
        width = end - start
        if width < 1 << merkle.NODE_HEIGHT:
            return
        if width & (width - 1) == 0 and start % width == 0:
            height = width.bit_length() - 1
            wanted.add((height, start >> height))
            return
        half = 1 << ((width - 1).bit_length() - 1)
        self._wanted(start, start + half, wanted)
        self._wanted(start + half, end, wanted)

    def subtree_root(self, start: int, end: int) -> bytes:
        if start == end:
            return merkle.EMPTY_ROOT
        if not 0 <= start < end <= self.size:
            raise ValueError(f"events {start}..{end} are outside a tree of {self.size}")
        width = end - start
        lowest = 1 << merkle.NODE_HEIGHT
        if width < lowest:
            return merkle.root(self._leaf_hashes(start, end))
        if width & (width - 1) == 0 and start % width == 0:
            height = width.bit_length() - 1
            node = self._nodes.get((height, start >> height))
            if node is None:
                found = AuditNode.objects.filter(height=height, index=start >> height).values_list("hash", flat=True)
                node = bytes(found[0]) if found else None
            if node is not None:
                return node
            half = width // 2
        else:
            half = 1 << ((width - 1).bit_length() - 1)
        return merkle.node_hash(self.subtree_root(start, start + half), self.subtree_root(start + half, end))

    def _leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """The leaf hashes [start, end), each block they fall in read in one query."""
        height = merkle.NODE_HEIGHT
        hashes: list[bytes] = []
        for block in range(start >> height, ((end - 1) >> height) + 1):
            if block not in self._blocks:
                first = block << height
                self._blocks[block] = _leaf_hashes_between(first, min(first + (1 << height), self.size))
            first = block << height
            hashes += self._blocks[block][max(start, first) - first : min(end, first + (1 << height)) - first]
        if len(hashes) != end - start:
            raise ValueError(f"the log holds fewer than {end} events")
        return hashes


def _leaf_hashes_between(start: int, end: int) -> list[bytes]:
    events = AuditEvent.objects.filter(seq__gte=start, seq__lt=end).order_by("seq")
    return [bytes(h) for h in events.values_list("leaf_hash", flat=True)]
