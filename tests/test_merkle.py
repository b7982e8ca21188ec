"""The audit log's Merkle tree: RFC 6962 test vectors, proofs, and the incremental builder.

The known answers are the Certificate Transparency test vectors (the eight leaves
used by the reference implementations, with their roots, inclusion paths and
consistency proofs). The properties compare the library with the recursive
definitions of RFC 9162 §2.1, written out below as plainly as the RFC states them.
"""

from __future__ import annotations

import hashlib
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ombuds.audit import merkle

# --- The recursive definitions of RFC 9162 §2.1, as the oracle ------------------------


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def reference_mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return _sha256(b"")
    if len(leaves) == 1:
        return _sha256(b"\x00" + leaves[0])
    k = _k(len(leaves))
    return _sha256(b"\x01" + reference_mth(leaves[:k]) + reference_mth(leaves[k:]))


def reference_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return [*reference_path(m, leaves[:k]), reference_mth(leaves[k:])]
    return [*reference_path(m - k, leaves[k:]), reference_mth(leaves[:k])]


def reference_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    if m == len(leaves):
        return [] if whole else [reference_mth(leaves)]
    k = _k(len(leaves))
    if m <= k:
        return [*reference_subproof(m, leaves[:k], whole), reference_mth(leaves[k:])]
    return [*reference_subproof(m - k, leaves[k:], False), reference_mth(leaves[:k])]


# --- Certificate Transparency test vectors --------------------------------------------

LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
LEAF_HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]

# Root of the tree of the first n leaves, for n = 0..8.
ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]

# The hashes of the perfect subtrees of the eight-leaf tree, by level, left to right.
NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]


def _node(level: int, position: int) -> bytes:
    return bytes.fromhex(NODES[level][position])


# The perfect subtrees that make up the tree of each size, largest first.
COMPACT_RANGES = [
    [],
    [_node(0, 0)],
    [_node(1, 0)],
    [_node(1, 0), _node(0, 2)],
    [_node(2, 0)],
    [_node(2, 0), _node(0, 4)],
    [_node(2, 0), _node(1, 2)],
    [_node(2, 0), _node(1, 2), _node(0, 6)],
    [_node(3, 0)],
]

# (leaf index, tree size, audit path)
INCLUSION_PROOFS = [
    (0, 1, []),
    (0, 8, [_node(0, 1), _node(1, 1), _node(2, 1)]),
    (5, 8, [_node(0, 4), _node(1, 3), _node(2, 0)]),
    (2, 3, [_node(1, 0)]),
    (1, 5, [_node(0, 0), _node(1, 1), _node(0, 4)]),
]

# (old size, new size, proof)
CONSISTENCY_PROOFS = [
    (1, 1, []),
    (1, 8, [_node(0, 1), _node(1, 1), _node(2, 1)]),
    (6, 8, [_node(1, 2), _node(1, 3), _node(2, 0)]),
    (2, 5, [_node(1, 1), _node(0, 4)]),
    (6, 7, [_node(1, 2), _node(0, 6), _node(2, 0)]),
]

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_it_hashes_the_empty_tree_as_the_hash_of_nothing() -> None:
    assert ROOTS[0] == merkle.EMPTY_ROOT
    assert merkle.root([]) == ROOTS[0]
    assert merkle.CompactRange().root() == ROOTS[0]


def test_it_separates_leaf_and_node_hashes_by_their_first_byte() -> None:
    assert merkle.leaf_hash(b"") == bytes.fromhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    left = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
    right = bytes.fromhex("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f")
    assert merkle.node_hash(left, right) == bytes.fromhex(
        "1a378704c17da31e2d05b6d121c2bb2c7d76f6ee6fa8f983e596c2d034963c57"
    )


def test_it_gives_the_published_root_for_every_size_of_the_test_tree() -> None:
    assert [merkle.root(LEAF_HASHES[:size]) for size in range(9)] == ROOTS


def test_it_keeps_the_published_perfect_subtrees_at_every_size() -> None:
    tree = merkle.CompactRange()
    assert list(tree.subtree_roots) == COMPACT_RANGES[0]
    for size, leaf in enumerate(LEAF_HASHES, start=1):
        tree.append(leaf)
        assert tree.size == size
        assert list(tree.subtree_roots) == COMPACT_RANGES[size]
        assert tree.root() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_PROOFS)
def test_it_builds_the_published_inclusion_paths(index: int, size: int, path: list[bytes]) -> None:
    assert merkle.inclusion_proof(LEAF_HASHES, index, size) == path


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_PROOFS)
def test_it_accepts_the_published_inclusion_paths_and_nothing_near_them(
    index: int, size: int, path: list[bytes]
) -> None:
    leaf, root = LEAF_HASHES[index], ROOTS[size]
    assert merkle.verify_inclusion(leaf, index, size, path, root)
    wrong: list[tuple[bytes, int, int, list[bytes], bytes]] = [
        (leaf, index - 1, size, path, root),
        (leaf, index + 1, size, path, root),
        (leaf, index ^ 2, size, path, root),
        (leaf, index, size * 2, path, root),
        (leaf, index, size // 2, path, root),
        (merkle.leaf_hash(b"WrongLeaf"), index, size, path, root),
        (leaf, index, size, path, merkle.EMPTY_ROOT),
        (leaf, index, size, path, SOME_HASH),
        (leaf, index, size, [*path, b""], root),
        (leaf, index, size, [*path, root], root),
        (leaf, index, size, [b"", *path], root),
        (leaf, index, size, [root, *path], root),
    ]
    for position in range(len(path)):
        flipped = list(path)
        flipped[position] = bytes([path[position][0] ^ 8]) + path[position][1:]
        wrong.append((leaf, index, size, flipped, root))
    if path:
        wrong.append((leaf, index, size, path[:-1], root))
    if len(path) > 1:
        wrong.append((leaf, index, size, [path[0], SOME_HASH, *path[1:]], root))
    accepted = [case for case in wrong if merkle.verify_inclusion(*case)]
    assert accepted == []


def test_it_accepts_an_inclusion_proof_from_a_real_certificate_transparency_log() -> None:
    # Leaf 848049 of a log of 3,630,887 entries, from the reference implementation's tests.
    path = [
        bytes.fromhex(h)
        for h in [
            "1a208aeebcd1b39fe2de247ee8db9454e1e93a312d206b87f6ca9cc6ec6f1ddd",
            "0a1b78b383f580856f433c01a5741e160d451c185910027f6cc9f828687a40c4",
            "3d1745789bc63f2da15850de1c12a5bf46ed81e1cc90f086148b1662e79aab3d",
            "9095b61e14d8990acf390905621e62b1714fb8e399fbb71de5510e0aef45affe",
            "0a332b91b8fab564e6afd1dd452449e04619b18accc0ff9aa8393cd4928451f2",
            "2336f0181d264aed6d8f3a6507ca14a8d3b3c3a23791ac263e845d208c1ee330",
            "b4ce56e300590500360c146c6452edbede25d4ed83919278749ee5dbe178e048",
            "933f6ddc848ea562e4f9c5cfb5f176941301dad0c6fdb9d1fbbe34fac1be6966",
            "b95a6222958a86f74c030be27c44f57dbe313e5e7c7f4ffb98bcbd3a03bb52f2",
            "daeeb3ce5923defd0faeb8e0c210b753b85b809445d7d3d3cd537a9aabaa9c45",
            "7fadd0a13e9138a2aa6c3fdec4e2275af233b94812784f66bcca9aa8e989f2bc",
            "1864e6ba3e32878610546539734fb5eeae2529991f130c575c73a7e25a2a7c56",
            "12842d1202b1dc6828a17ab253c02e7ce9409b5192430feba44189f39cc02d66",
            "29af64b16fa3053c13d02ac63aa75b23aa468506e44c3a2315edc85d2dc22b11",
            "b527b99934a0bd9edd154e449b0502e2c499bba783f3bc3dfe23364b6b532009",
            "4584db8ae8e351ace08e01f306378a92bfd43611714814f3d834a2842d69faa8",
            "86a9a41573b0d6e4292f01e93243d6cc65b30f06606fc6fa57390e7e90ed580f",
            "a88b98fbe84d4c6aae8db9d1605dfac059d9f03fe0fcb0d5dff1295dacba09e6",
            "06326dc617a6d1f7021dc536026dbfd5fffc6f7c5531d48ef6ccd1ed1569f2a1",
            "f41fe8fdc3a2e4e8345e30216e7ebecffee26ff266eeced208a6c2a3cf08f960",
            "40cf5bde8abb76983f3e98ba97aa36240402975674e120f234b3448911090f8d",
            "b3222dc8658538079883d980d7fdc2bef9285344ea34338968f736b04aeb387a",
        ]
    ]
    leaf = bytes.fromhex("7a395c866d5ecdb0cccb623e011dbc392cd348d1d1d72776174e127a24b09c78")
    root = bytes.fromhex("78316a05c9bcf14a3a4548f5b854a9adfcd46a4c034401b3ce7eb7ac2f1d0ecb")
    assert merkle.verify_inclusion(leaf, 848049, 3630887, path, root)
    assert not merkle.verify_inclusion(leaf, 848050, 3630887, path, root)
    assert not merkle.verify_inclusion(leaf, 848049, 3630887, path, bytes(32))


def test_it_refuses_inclusion_in_a_tree_too_small_for_the_index() -> None:
    for index, size in [(0, 0), (1, 0), (1, 1), (2, 1)]:
        assert not merkle.verify_inclusion(LEAF_HASHES[0], index, size, [], ROOTS[1])
    assert not merkle.verify_inclusion(LEAF_HASHES[0], -1, 1, [], ROOTS[1])
    assert not merkle.verify_inclusion(b"", 0, 1, [], b"")


def test_it_builds_no_inclusion_proof_for_a_leaf_outside_the_tree() -> None:
    with pytest.raises(ValueError, match="not in a tree of size 3"):
        merkle.inclusion_proof(LEAF_HASHES, 3, 3)
    with pytest.raises(ValueError, match="tree size 9"):
        merkle.inclusion_proof(LEAF_HASHES, 0, 9)


@pytest.mark.parametrize(("old_size", "new_size", "proof"), CONSISTENCY_PROOFS)
def test_it_builds_the_published_consistency_proofs(old_size: int, new_size: int, proof: list[bytes]) -> None:
    assert merkle.consistency_proof(LEAF_HASHES, old_size, new_size) == proof


@pytest.mark.parametrize(("old_size", "new_size", "proof"), CONSISTENCY_PROOFS)
def test_it_accepts_the_published_consistency_proofs_and_nothing_near_them(
    old_size: int, new_size: int, proof: list[bytes]
) -> None:
    old, new = ROOTS[old_size], ROOTS[new_size]
    assert merkle.verify_consistency(old_size, new_size, old, new, proof)
    if not proof:
        return
    wrong: list[tuple[int, int, bytes, bytes, list[bytes]]] = [
        (old_size - 1, new_size, old, new, proof),
        (old_size + 1, new_size, old, new, proof),
        (old_size ^ 2, new_size, old, new, proof),
        (old_size, new_size * 2, old, new, proof),
        (old_size, new_size // 2, old, new, proof),
        (old_size, new_size, b"WrongRoot", new, proof),
        (old_size, new_size, old, b"WrongRoot", proof),
        (old_size, new_size, SOME_HASH, new, proof),
        (old_size, new_size, old, SOME_HASH, proof),
        (old_size, new_size, new, old, proof),
        (old_size, new_size, old, new, []),
        (old_size, new_size, old, new, [*proof, b""]),
        (old_size, new_size, old, new, [*proof, old]),
        (old_size, new_size, old, new, [*proof, new]),
        (old_size, new_size, old, new, [b"", *proof]),
        (old_size, new_size, old, new, [old, *proof]),
        (old_size, new_size, old, new, [new, *proof]),
        (old_size, new_size, old, new, [proof[0], *proof]),
        (old_size, new_size, old, new, proof[:-1]),
    ]
    for position in range(len(proof)):
        flipped = list(proof)
        flipped[position] = bytes([proof[position][0] ^ 16]) + proof[position][1:]
        wrong.append((old_size, new_size, old, new, flipped))
    accepted = [case for case in wrong if merkle.verify_consistency(*case)]
    assert accepted == []


def test_it_treats_the_empty_tree_as_a_prefix_of_every_tree() -> None:
    assert merkle.consistency_proof(LEAF_HASHES, 0, 5) == []
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, ROOTS[5], [])
    assert merkle.verify_consistency(0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [])
    # ... but only with the empty tree's root, and with nothing to prove.
    assert not merkle.verify_consistency(0, 5, ROOTS[1], ROOTS[5], [])
    assert not merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, ROOTS[5], [merkle.EMPTY_ROOT])


def test_it_needs_equal_roots_and_an_empty_proof_for_equal_sizes() -> None:
    assert merkle.consistency_proof(LEAF_HASHES, 3, 3) == []
    assert merkle.verify_consistency(3, 3, ROOTS[3], ROOTS[3], [])
    assert not merkle.verify_consistency(3, 3, ROOTS[3], ROOTS[4], [])
    assert not merkle.verify_consistency(3, 3, ROOTS[3], ROOTS[3], [ROOTS[3]])


def test_it_refuses_a_tree_that_shrank() -> None:
    assert not merkle.verify_consistency(5, 2, ROOTS[5], ROOTS[2], merkle.consistency_proof(LEAF_HASHES, 2, 5))
    with pytest.raises(ValueError, match="old size 6"):
        merkle.consistency_proof(LEAF_HASHES, 6, 5)


def test_it_refuses_leaf_hashes_of_the_wrong_length() -> None:
    tree = merkle.CompactRange()
    with pytest.raises(ValueError, match="32 bytes"):
        tree.append(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        tree.extend([LEAF_HASHES[0], b"short"])
    with pytest.raises(ValueError, match="32 bytes"):
        merkle.root([b"x" * 33])


def test_it_refuses_sizes_that_go_backwards() -> None:
    with pytest.raises(ValueError, match="must not decrease"):
        list(merkle.roots_at(LEAVES, [3, 2]))


def test_it_stops_when_the_leaves_run_out_before_a_size() -> None:
    assert list(merkle.roots_at(LEAVES, [2, 8, 9, 10])) == [(2, ROOTS[2]), (8, ROOTS[8])]


def test_it_gives_the_same_roots_from_leaves_and_from_their_hashes() -> None:
    sizes = [0, 1, 1, 3, 8]
    expected = [(size, ROOTS[size]) for size in sizes]
    assert list(merkle.roots_at(LEAVES, sizes)) == expected
    assert list(merkle.roots_at(LEAF_HASHES, sizes, hashed=True)) == expected


def test_it_gives_the_right_root_at_every_size_across_block_boundaries() -> None:
    # Large enough to cross the builder's internal blocks twice; the leaf-by-leaf
    # builder is checked against the recursive definition on both sides of each.
    leaves = [i.to_bytes(4, "big") for i in range(2100)]
    stepwise = merkle.CompactRange()
    expected = [merkle.EMPTY_ROOT]
    for leaf in leaves:
        stepwise.append(merkle.leaf_hash(leaf))
        expected.append(stepwise.root())
    for size in [1, 2, 3, 1023, 1024, 1025, 1500, 2047, 2048, 2049, 2100]:
        assert expected[size] == reference_mth(leaves[:size])
    assert list(merkle.roots_at(leaves, range(2101))) == list(enumerate(expected))
    assert list(merkle.roots_at(leaves, [7, 1030, 2049])) == [(s, expected[s]) for s in (7, 1030, 2049)]


# --- Properties over random trees ------------------------------------------------------


def _leaves(count: int) -> list[bytes]:
    return [b"event %d" % i for i in range(count)]


def _flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(min_value=1, max_value=300))
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def two_sizes(draw: st.DrawFn, smallest_old_size: int = 0) -> tuple[int, int]:
    new_size = draw(st.integers(min_value=1, max_value=300))
    return draw(st.integers(min_value=smallest_old_size, max_value=new_size)), new_size


@given(tree_and_index())
def test_every_inclusion_proof_verifies_and_matches_the_definition(case: tuple[int, int]) -> None:
    size, index = case
    leaves = _leaves(size)
    hashes = merkle.leaf_hashes(leaves)
    proof = merkle.inclusion_proof(hashes, index)
    assert proof == reference_path(index, leaves)
    assert merkle.verify_inclusion(hashes[index], index, size, proof, reference_mth(leaves))


@given(two_sizes())
def test_every_consistency_proof_verifies_and_matches_the_definition(case: tuple[int, int]) -> None:
    old_size, new_size = case
    leaves = _leaves(new_size)
    hashes = merkle.leaf_hashes(leaves)
    proof = merkle.consistency_proof(hashes, old_size)
    expected = [] if old_size in (0, new_size) else reference_subproof(old_size, leaves, True)
    assert proof == expected
    assert merkle.verify_consistency(old_size, new_size, reference_mth(leaves[:old_size]), reference_mth(leaves), proof)


@given(tree_and_index(), st.data())
def test_a_flipped_bit_anywhere_fails_an_inclusion_proof(case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    hashes = merkle.leaf_hashes(_leaves(size))
    proof = merkle.inclusion_proof(hashes, index)
    root = merkle.root(hashes)
    bit = data.draw(st.integers(min_value=0, max_value=255))
    assert not merkle.verify_inclusion(_flip(hashes[index], bit), index, size, proof, root)
    assert not merkle.verify_inclusion(hashes[index], index, size, proof, _flip(root, bit))
    if proof:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        proof[position] = _flip(proof[position], bit)
        assert not merkle.verify_inclusion(hashes[index], index, size, proof, root)


# From size 0 any new root is consistent (the empty tree is a prefix of every tree), so
# the flipped bits start at size 1.
@given(two_sizes(smallest_old_size=1), st.data())
def test_a_flipped_bit_anywhere_fails_a_consistency_proof(case: tuple[int, int], data: st.DataObject) -> None:
    old_size, new_size = case
    hashes = merkle.leaf_hashes(_leaves(new_size))
    proof = merkle.consistency_proof(hashes, old_size)
    old_root, new_root = merkle.root(hashes[:old_size]), merkle.root(hashes)
    bit = data.draw(st.integers(min_value=0, max_value=255))
    assert not merkle.verify_consistency(old_size, new_size, _flip(old_root, bit), new_root, proof)
    assert not merkle.verify_consistency(old_size, new_size, old_root, _flip(new_root, bit), proof)
    if proof:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        proof[position] = _flip(proof[position], bit)
        assert not merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)


@settings(max_examples=50)
@given(
    st.integers(min_value=0, max_value=200),
    st.lists(st.integers(min_value=1, max_value=40), max_size=30),
    st.sampled_from([2, 4, 16]),
)
def test_the_builder_gives_the_defined_root_at_every_size(size: int, chunks: list[int], block: int) -> None:
    leaves = _leaves(size)
    expected = [reference_mth(leaves[:n]) for n in range(size + 1)]
    # A small block size makes the block boundaries fall inside these small trees.
    with mock.patch.object(merkle, "_BLOCK", block):
        assert list(merkle.roots_at(leaves, range(size + 1))) == list(enumerate(expected))
        # The same leaves added in chunks of random sizes, alternately one at a time
        # (which leaves the builder at unaligned sizes) and in bulk.
        tree, position, one_by_one = merkle.CompactRange(), 0, True
        for chunk in [*chunks, size]:
            part = leaves[position : position + chunk]
            if one_by_one:
                for leaf in part:
                    tree.append(merkle.leaf_hash(leaf))
            else:
                tree.extend(merkle.leaf_hashes(part))
            position += len(part)
            one_by_one = not one_by_one
            assert tree.size == position
            assert tree.root() == expected[position]
        fresh = merkle.CompactRange()
        fresh.extend_leaves(leaves)
        assert fresh.root() == expected[size]
