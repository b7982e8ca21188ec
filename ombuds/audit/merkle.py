"""Merkle tree hashing of the audit log, as in RFC 6962 and RFC 9162 (Certificate Transparency).

A leaf is hashed as SHA-256(0x00 ‖ leaf bytes) and an inner node as
SHA-256(0x01 ‖ left ‖ right); the tree of n leaves splits at the largest power of
two below n, and the root of the empty tree is SHA-256 of nothing. The different
first bytes keep a leaf from ever being passed off as an inner node.
docs/audit-log.md describes the same rules for people who check the log with their
own code.

Roots and proofs are computed from leaf *hashes* (`leaf_hash`, `leaf_hashes`).
`CompactRange` is the incremental form: it keeps only the roots of the perfect
subtrees that cover the leaves seen so far (at most one per bit of the size), so one
pass over a million leaves gives the root at every size it passes through in
O(log n) memory; `roots_at` does that for a list of sizes, which is how many signed
tree heads are checked in one pass. To keep Python's overhead per hash low it hashes
aligned blocks of leaves level by level in list comprehensions
(benchmarks/merkle.py measures it against a bare SHA-256 loop).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
# Leaves are taken this many at a time (a power of two, so that blocks stay aligned
# with perfect subtrees): large enough to amortise the per-block work, small enough
# that a block's hashes stay in the processor's cache.
BLOCK = _BLOCK = 1024
# The roots of perfect subtrees of 2**NODE_HEIGHT leaves and more are kept as the log
# grows (`CompactRange.keep_nodes`, the audit log's stored nodes): with them a proof in
# a log of any size reads O(log n) nodes and at most two blocks of leaf hashes.
NODE_HEIGHT = 10

# The root of the leaves [start, end), as proofs ask for it.
SubtreeRoot = Callable[[int, int], bytes]
# A stored node: (height, index, root) for the subtree of leaves [index << height, (index + 1) << height).
Node = tuple[int, int, bytes]

_sha256 = hashlib.sha256


def leaf_hash(leaf: bytes) -> bytes:
    """The hash of one leaf: SHA-256(0x00 ‖ leaf)."""
    return _sha256(_LEAF_PREFIX + leaf).digest()


def leaf_hashes(leaves: Iterable[bytes]) -> list[bytes]:
    """The hashes of many leaves, in order."""
    return [_sha256(_LEAF_PREFIX + leaf).digest() for leaf in leaves]


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node: SHA-256(0x01 ‖ left ‖ right)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def _check_hashes(hashes: Sequence[bytes]) -> None:
    if hashes and set(map(len, hashes)) != {HASH_SIZE}:
        raise ValueError(f"every leaf hash must be {HASH_SIZE} bytes long")


def _perfect_root(hashes: list[bytes]) -> bytes:
    """The root of a perfect subtree; len(hashes) must be a power of two."""
    level = hashes
    while len(level) > 1:
        level = [
            _sha256(_NODE_PREFIX + left + right).digest() for left, right in zip(level[0::2], level[1::2], strict=True)
        ]
    return level[0]


class CompactRange:
    """The leaves [0, size) of a log, kept as the roots of the perfect subtrees covering them.

    A size of 13 (binary 1101) is kept as three roots, of 8, 4 and 1 leaves, left to
    right. Adding leaves merges equal neighbours as a binary counter carries;
    `root()` folds the roots from the right, which gives exactly the RFC 6962 tree
    hash of the first `size` leaves.
    """

    __slots__ = ("_node_height", "_nodes", "_roots", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._roots: list[bytes] = []
        self._nodes: list[Node] | None = None
        self._node_height = NODE_HEIGHT

    @classmethod
    def from_state(cls, size: int, subtree_roots: Sequence[bytes]) -> CompactRange:
        """A range rebuilt from what `size` and `subtree_roots` gave, as the audit head row keeps them.

        There must be one root per set bit of `size`, each 32 bytes long.
        """
        if size < 0 or len(subtree_roots) != size.bit_count():
            raise ValueError(f"a range of {size} leaves has {max(size, 0).bit_count()} subtree roots")
        _check_hashes(subtree_roots)
        tree = cls()
        tree._size = size
        tree._roots = list(subtree_roots)
        return tree

    @property
    def size(self) -> int:
        return self._size

    def keep_nodes(self, height: int | None = None) -> list[Node]:
        """From now on, note every perfect subtree of 2**height leaves or more (NODE_HEIGHT by default) completed.

        Each lands once in the returned list as (height, index, root), as it completes.
        """
        self._nodes = []
        self._node_height = NODE_HEIGHT if height is None else height
        return self._nodes

    @property
    def subtree_roots(self) -> tuple[bytes, ...]:
        """The roots of the perfect subtrees, largest (leftmost) first."""
        return tuple(self._roots)

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash must be {HASH_SIZE} bytes long")
        self._push(leaf_hash, 0)

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add many leaf hashes in order; much faster than appending them one by one."""
        items = iter(leaf_hashes)
        while block := self._next_block(items, None):
            _check_hashes(block)
            self._add_block(block)

    def extend_leaves(self, leaves: Iterable[bytes]) -> None:
        """Hash many leaves and add them in order: the fastest way through a long log."""
        items = iter(leaves)
        while block := self._next_block(items, None):
            self._add_block([_sha256(_LEAF_PREFIX + leaf).digest() for leaf in block])

    def root(self) -> bytes:
        """The tree hash of the leaves added so far (SHA-256 of nothing while there are none)."""
        if not self._roots:
            return EMPTY_ROOT
        node = self._roots[-1]
        for left in reversed(self._roots[:-1]):
            node = _sha256(_NODE_PREFIX + left + node).digest()
        return node

    def _next_block(self, items: Iterator[bytes], until: int | None) -> list[bytes]:
        """The next items, at most up to size `until`, ending where a block of _BLOCK leaves ends.

        Keeping blocks aligned lets each full block go in as one perfect subtree.
        """
        count = _BLOCK - self._size % _BLOCK
        if until is not None:
            count = min(count, until - self._size)
        return list(islice(items, count))

    def _add_block(self, hashes: list[bytes]) -> None:
        start, count = 0, len(hashes)
        while start < count:
            # The largest perfect subtree that starts at the current size (which it
            # must divide) and fits in what is left of the block.
            height = (count - start).bit_length() - 1
            if self._size:
                height = min(height, (self._size & -self._size).bit_length() - 1)
            if self._nodes is not None:
                # Pushed whole, a subtree's inner nodes would go unnoted.
                height = min(height, self._node_height)
            width = 1 << height
            self._push(_perfect_root(hashes[start : start + width]), height)
            start += width

    def _push(self, node: bytes, height: int) -> None:
        """Add the root of a perfect subtree of 2**height leaves; the size must be a multiple of that."""
        roots = self._roots
        carry = self._size >> height
        end = self._size + (1 << height)
        nodes = self._nodes
        if nodes is not None and height >= self._node_height:
            nodes.append((height, (end >> height) - 1, node))
        while carry & 1:
            node = _sha256(_NODE_PREFIX + roots.pop() + node).digest()
            carry >>= 1
            # Each merge completes the subtree twice as high that ends at the new size.
            height += 1
            if nodes is not None and height >= self._node_height:
                nodes.append((height, (end >> height) - 1, node))
        roots.append(node)
        self._size = end


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """The tree hash (MTH) of a list of leaf hashes."""
    tree = CompactRange()
    tree.extend(leaf_hashes)
    return tree.root()


def roots_at(leaves: Iterable[bytes], sizes: Iterable[int], *, hashed: bool = False) -> Iterator[tuple[int, bytes]]:
    """The root at each of `sizes` (which must not decrease), in one pass over the leaves.

    `leaves` are the leaf bytes, or their leaf hashes when `hashed` is true. Yields
    (size, root) pairs. If the leaves run out before a size is reached, iteration
    stops there: the caller then sees fewer pairs than sizes.
    """
    tree = CompactRange()
    items = iter(leaves)
    for size in sizes:
        if size < tree.size:
            raise ValueError("sizes must not decrease")
        while tree.size < size:
            block = tree._next_block(items, size)
            if not block:
                return
            if hashed:
                _check_hashes(block)
            else:
                block = [_sha256(_LEAF_PREFIX + leaf).digest() for leaf in block]
            tree._add_block(block)
        yield size, tree.root()


def _split(size: int) -> int:
    """The largest power of two smaller than size (size >= 2): where RFC 6962 splits a tree."""
    return 1 << ((size - 1).bit_length() - 1)


def _subtree_root(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    return root(hashes[start:end])


def _checked_size(leaf_hashes: Sequence[bytes], size: int | None) -> int:
    if size is None:
        size = len(leaf_hashes)
    if not 0 <= size <= len(leaf_hashes):
        raise ValueError(f"tree size {size} is outside 0..{len(leaf_hashes)}")
    _check_hashes(leaf_hashes[:size])
    return size


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    """The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162 §2.1.3.1).

    `size` defaults to all of them. The path runs from the leaf's sibling up to the
    child of the root. It costs about `size` hashes.
    """
    size = _checked_size(leaf_hashes, size)
    return inclusion_path(lambda start, end: _subtree_root(leaf_hashes, start, end), index, size)


def inclusion_path(subtree_root: SubtreeRoot, index: int, size: int) -> list[bytes]:
    """The audit path of leaf `index` in a tree of `size` leaves, from the roots `subtree_root(start, end)` gives.

    Each range asked for is [start, end) with start a multiple of the largest power of
    two below end - start (or of end - start itself when it is one).
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    # Walk down from the root, noting the sibling subtree at each split; the path
    # lists them bottom-up, so it is reversed at the end.
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            path.append(subtree_root(middle, end))
            end = middle
        else:
            path.append(subtree_root(start, middle))
            start = middle
    path.reverse()
    return path


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `proof` shows leaf `index` with this hash in the tree of `size` leaves with this root.

    The algorithm of RFC 9162 §2.1.3.2.
    """
    if not 0 <= index < size:
        return False
    if len(leaf_hash) != HASH_SIZE or len(root) != HASH_SIZE or any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn = index, size - 1
    node = leaf_hash
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and node == root


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int | None = None) -> list[bytes]:
    """The proof that the tree of `old_size` leaves is a prefix of the tree of `new_size` (RFC 9162 §2.1.4.1).

    `new_size` defaults to all the leaf hashes. The proof is empty when old_size is 0
    or equals new_size. It costs about `new_size` hashes.
    """
    new_size = _checked_size(leaf_hashes, new_size)
    return consistency_path(lambda start, end: _subtree_root(leaf_hashes, start, end), old_size, new_size)


def consistency_path(subtree_root: SubtreeRoot, old_size: int, new_size: int) -> list[bytes]:
    """The consistency proof between sizes old_size and new_size, from the roots `subtree_root(start, end)` gives."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"old size {old_size} is outside 0..{new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    start, end, m = 0, new_size, old_size
    # `whole` is true while the old tree is the whole subtree being looked at, whose
    # root the verifier already has (the old root), so it is left out of the proof.
    whole = True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append(subtree_root(start + k, end))
            end = start + k
        else:
            proof.append(subtree_root(start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        proof.append(subtree_root(start, end))
    proof.reverse()
    return proof


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows the tree of old_size leaves to be a prefix of the tree of new_size leaves.

    The algorithm of RFC 9162 §2.1.4.2 for 0 < old_size < new_size. Equal sizes need
    equal roots and an empty proof; an old size of 0 needs the empty tree's root and an
    empty proof, since the empty tree is a prefix of every tree.
    """
    if not 0 <= old_size <= new_size:
        return False
    if len(old_root) != HASH_SIZE or len(new_root) != HASH_SIZE or any(len(p) != HASH_SIZE for p in proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a perfect subtree of the new one: its root is the first node.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
