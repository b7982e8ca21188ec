"""`ombuds audit verify`: recompute the whole tree from the stored events and check every signed tree head.

The fast pass (`_fast_scan`) splits the log into ranges of TASK events, aligned with
perfect subtrees, and hands them to one process per processor, each reading its rows on
a connection of its own. A process hashes each leaf again and compares it with the
stored leaf hash, checks each row's columns against its leaf (the columns, read as the
database stores them, give the exact bytes the leaf must start and end with, written
out here for the whole range at once and compared in one C call per row), and returns
only the roots of the full blocks of merkle.BLOCK leaves and, for each signed tree head
ending inside the range, the compact range of its last partial block. The same
processes first check the tree heads' signatures, in chunks (a log has one for every
report, so these can cost as much as the events); the main process joins the block
roots into the roots at every signed size. When any row fails, the fast pass stops, and the careful pass
below runs to name the first bad index and say what is wrong with it.

The careful pass reads the events in order, in large chunks, hashes each stored leaf again
and compares the result with the stored leaf hash, and takes the root at the size of
every signed tree head on the way (merkle.CompactRange). A second check, run by the
database over the same rows at the same time (on a connection of its own), compares
each row's indexed columns (number, time, type, actor, case) with what its leaf says.
Then each tree head's signature is checked against the public key, its root against
the recomputed root at its size, its size and time against the one before it, and the
head row's size and compact range against the recomputed ones.

Two consecutive tree heads are consistent (the later log extends the earlier) exactly
when both their roots are roots of the one tree recomputed here, so checking each
root against the recomputed tree checks their consistency too.

The answer is the first index that can no longer be vouched for: the event itself
when a row is wrong, missing or out of place; for a tree head whose signature or
root fails, the size of the last tree head that held (docs/audit-log.md §5).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, repeat, starmap
from typing import NamedTuple

from django.db import DatabaseError, connection, connections, transaction
from nacl.signing import VerifyKey

from ombuds.audit import merkle, sth
from ombuds.audit.canonical import canonical
from ombuds.audit.log import iso_utc
from ombuds.audit.models import AuditEvent, AuditHead, AuditNode, EventType, SignedTreeHead

CHUNK = 50_000
# The fast pass hands the main process the roots of blocks of this many leaves (a power
# of two, so that each is a perfect subtree), and gives each process tasks of TASK
# events (a multiple of BLOCK): large enough that a task's query and answer cost little,
# small enough for a smooth progress bar.
BLOCK = merkle.BLOCK
TASK = 64 * BLOCK

Progress = Callable[[int, int], None]

_sha256 = hashlib.sha256
# The digest method of a hash object, to map over many of them.
_digest = type(_sha256()).digest


@dataclass(frozen=True)
class Problem:
    index: int
    message: str


@dataclass
class Verdict:
    events: int = 0
    tree_heads: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_index(self) -> int | None:
        return min((problem.index for problem in self.problems), default=None)


def verify(
    public_key: VerifyKey, *, progress: Progress | None = None, chunk: int = CHUNK, processes: int | None = None
) -> Verdict:
    """Check the stored log and its tree heads; the verdict lists every problem found.

    `processes` is how many processes the fast pass uses (by default one per processor
    this process may run on); inside a transaction, which other connections cannot see
    into, it runs in this process.
    """
    verdict = Verdict()
    total = AuditEvent.objects.count()
    rows = SignedTreeHead.objects.order_by("tree_size", "timestamp")
    heads = list(starmap(_Head, rows.values_list("tree_size", "root_hash", "timestamp", "signature")))
    verdict.tree_heads = len(heads)
    sizes = sorted({head.tree_size for head in heads})
    # The signatures are checked by the fast pass's processes too, before they read and hash:
    # a log has a tree head for every report, so checking them can take as long as the events.
    signatures = _Signatures(bytes(public_key), heads)
    scanned = _fast_scan(total, sizes, progress, processes, signatures=signatures)
    holding = signatures.holding if signatures.holding is not None else signatures.check_here()
    if scanned is not None:
        tree, roots, nodes = scanned
        verdict.events = tree.size
        _check_tree_heads(heads, holding, roots, tree.size, verdict, stopped=False)
        _check_head_row(tree, total, None, verdict)
        _check_nodes(nodes, verdict)
        verdict.problems.sort(key=lambda problem: problem.index)
        return verdict
    # Some row failed: the careful pass names the first one and what is wrong with it.
    columns = _columns_alongside()
    tree, roots, first_bad_row = _scan(total, sizes, verdict, progress, chunk)
    verdict.events = tree.size
    bad = columns()
    if bad is not None:
        verdict.problems.append(Problem(bad, f"event {bad}: its columns do not match its leaf"))
    _check_tree_heads(heads, holding, roots, tree.size, verdict, stopped=first_bad_row is not None)
    _check_head_row(tree, total, first_bad_row, verdict)
    verdict.problems.sort(key=lambda problem: problem.index)
    return verdict


def _scan(
    total: int, sizes: list[int], verdict: Verdict, progress: Progress | None, chunk: int
) -> tuple[merkle.CompactRange, dict[int, bytes], int | None]:
    """Hash every leaf in order; the tree, the roots at `sizes`, and the first bad row (None if none)."""
    tree = merkle.CompactRange()
    roots: dict[int, bytes] = {}
    wanted = iter(sizes)
    next_size = next(wanted, None)
    if next_size == 0:
        roots[0] = tree.root()
        next_size = next(wanted, None)
    start = 0
    while True:
        leaves, stored = _read(start, chunk)
        if not leaves:
            missing = _first_missing(start)
            if missing is not None:
                verdict.problems.append(
                    Problem(missing, f"event {missing} is missing (the next one stored is {_next_seq(missing)})")
                )
            return tree, roots, missing
        cut: int | None = None
        if len(leaves) < chunk and (missing := _first_missing(start)) is not None and missing < start + len(leaves):
            # A number is missing inside this chunk: the events after it are out of place.
            cut = missing
            verdict.problems.append(Problem(cut, f"event {cut} is missing (the next one stored is {_next_seq(cut)})"))
            leaves, stored = leaves[: cut - start], stored[: cut - start]
        hashes = [_sha256(b"\x00" + leaf).digest() for leaf in leaves]
        # One comparison of two joined strings: far cheaper than one per event.
        if b"".join(hashes) != b"".join(stored):
            bad = next(i for i, (mine, theirs) in enumerate(zip(hashes, stored, strict=True)) if mine != theirs)
            verdict.problems.append(Problem(start + bad, f"event {start + bad}: its leaf does not match its leaf hash"))
            cut, hashes = start + bad, hashes[:bad]
        next_size = _extend(tree, hashes, roots, next_size, wanted)
        if cut is not None:
            return tree, roots, cut
        start += len(leaves)
        if progress is not None:
            progress(start, max(total, start))


def _read(start: int, count: int) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """The leaves (as bytes) and stored leaf hashes of events numbered [start, start + count), in order.

    Read with one plain query per chunk, the leaf already as bytes, so that reading costs
    little more than the database's own work: this pass is what `ombuds audit verify`'s
    speed is measured by (benchmarks/audit_verify.py).
    """
    table = AuditEvent._meta.db_table
    leaf = "convert_to(leaf, 'UTF8')" if connection.vendor == "postgresql" else "CAST(leaf AS BLOB)"
    sql = f"SELECT {leaf}, leaf_hash FROM {table} WHERE seq >= %s AND seq < %s ORDER BY seq"  # noqa: S608 - no outside value
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, start + count])
        rows = cursor.fetchall()
    if not rows:
        return (), ()
    leaves, stored = zip(*rows, strict=True)
    if not isinstance(leaves[0], bytes) or not isinstance(stored[0], bytes):
        leaves, stored = tuple(map(bytes, leaves)), tuple(map(bytes, stored))
    return leaves, stored


def _first_missing(start: int) -> int | None:
    """The first number from `start` on that no event has while a later event exists; None if none."""
    numbers = AuditEvent.objects.filter(seq__gte=start).order_by("seq").values_list("seq", flat=True)
    expected = start
    for number in numbers.iterator(chunk_size=CHUNK):
        if number != expected:
            return expected
        expected += 1
    return None


def _next_seq(after: int) -> int | None:
    return AuditEvent.objects.filter(seq__gt=after).order_by("seq").values_list("seq", flat=True).first()


def _extend(
    tree: merkle.CompactRange,
    hashes: list[bytes],
    roots: dict[int, bytes],
    next_size: int | None,
    wanted: Iterator[int],
) -> int | None:
    """Add hashes to the tree, noting the root at every wanted size passed; the next wanted size."""
    position = 0
    while next_size is not None and next_size <= tree.size + len(hashes) - position:
        take = next_size - tree.size
        tree.extend(hashes[position : position + take])
        position += take
        roots[next_size] = tree.root()
        next_size = next(wanted, None)
    tree.extend(hashes[position:])
    return next_size


class _Head(NamedTuple):
    """A tree head as stored (see SignedTreeHead)."""

    tree_size: int
    root_hash: str  # hex
    timestamp: datetime
    signature: str  # base64


# Tree heads whose signatures one task of the fast pass checks.
SIGNATURES = 2_000


@dataclass
class _Signatures:
    """The tree heads' signatures, checked in chunks of SIGNATURES by the fast pass's processes or here."""

    public_key: bytes
    heads: list[_Head]
    # Per tree head, its root when it can be read and its signature holds, else None; set once checked.
    holding: list[bytes | None] | None = None

    def tasks(self) -> list[tuple[bytes, list[_Head]]]:
        return [(self.public_key, self.heads[i : i + SIGNATURES]) for i in range(0, len(self.heads), SIGNATURES)]

    def check_here(self) -> list[bytes | None]:
        self.holding = list(chain.from_iterable(map(_holding_roots, self.tasks())))
        return self.holding


def _holding_roots(task: tuple[bytes, list[_Head]]) -> list[bytes | None]:
    """Each tree head's root, or None where it cannot be read or its signature does not hold."""
    public_key = VerifyKey(task[0])
    holding: list[bytes | None] = []
    for tree_size, root_hash, timestamp, signature in task[1]:
        row = SignedTreeHead(tree_size=tree_size, root_hash=root_hash, timestamp=timestamp, signature=signature)
        try:
            signed = row.signed()
        except ValueError:
            signed = None
        holding.append(signed.head.root_hash if signed is not None and sth.verify(signed, public_key) else None)
    return holding


def _check_tree_heads(
    heads: list[_Head],
    holding: list[bytes | None],
    roots: dict[int, bytes],
    readable: int,
    verdict: Verdict,
    *,
    stopped: bool,
) -> None:
    """Signature, order, and root of each tree head, oldest first.

    When the pass stopped at a bad event, the tree heads beyond it cannot be checked and
    are not counted as problems of their own: that event already says where the log fails.
    """
    vouched = 0  # events covered by the last tree head that held
    previous: _Head | None = None
    for head, root in zip(heads, holding, strict=True):
        if stopped and head.tree_size > readable:
            return
        name = f"tree head of {head.tree_size} events ({head.timestamp.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ})"
        problem = None
        if root is None:
            problem = f"{name}: the signature does not match the public key"
        elif previous is not None and head.timestamp < previous.timestamp:
            problem = f"{name}: signed before the tree head of {previous.tree_size} events"
        elif head.tree_size > readable:
            problem = f"{name}: covers more events than the log holds in order ({readable})"
        elif roots.get(head.tree_size) != root:
            problem = f"{name}: its root does not match the events"
        if problem is not None:
            verdict.problems.append(Problem(vouched, f"{problem}; the events from {vouched} on are not vouched for"))
            return
        vouched, previous = head.tree_size, head


def _check_head_row(tree: merkle.CompactRange, total: int, first_bad_row: int | None, verdict: Verdict) -> None:
    """The head row (size and compact range) must describe the same tree as the events."""
    if first_bad_row is not None:
        return
    head = AuditHead.objects.filter(pk=1).first()
    size = head.size if head is not None else 0
    if size != total or total != tree.size:
        at = min(size, total)
        verdict.problems.append(Problem(at, f"the log's head counts {size} events, {total} are stored"))
    elif head is not None and bytes(head.frontier) != b"".join(tree.subtree_roots):
        verdict.problems.append(Problem(size, "the log's head holds a compact range that does not match the events"))


def _check_nodes(block_nodes: list[merkle.Node], verdict: Verdict) -> None:
    """Every stored subtree root (AuditNode) must be the root of its events, as recomputed.

    A missing node is no problem (proofs compute it from below); a wrong one would make
    proofs fail, and no application writes one, so it is named.
    """
    above = BLOCK.bit_length() - 1  # a block is a node of this height
    recomputed = {(height + above, index): root for height, index, root in block_nodes}
    stored = AuditNode.objects.values_list("height", "index", "hash")
    wrong = [
        (index << height, height)
        for height, index, root in stored.iterator(chunk_size=CHUNK)
        if recomputed.get((height, index)) != bytes(root)
    ]
    if wrong:
        first, height = min(wrong)
        last = first + (1 << height) - 1
        verdict.problems.append(
            Problem(first, f"the stored root of the subtree of events {first} to {last} does not match the events")
        )


# --- The fast pass ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Range:
    """What one task of the fast pass found in its events [start, end), all of which held."""

    start: int
    end: int
    blocks: list[bytes]  # the root of each full block of BLOCK leaves, in order
    tail: tuple[bytes, ...]  # the compact range of the leaves after the last full block
    partial: dict[int, tuple[bytes, ...]]  # per signed size ending inside a block: that block's leaves before it


def _fast_scan(
    total: int,
    sizes: list[int],
    progress: Progress | None,
    processes: int | None,
    *,
    signatures: _Signatures | None = None,
) -> tuple[merkle.CompactRange, dict[int, bytes], list[merkle.Node]] | None:
    """The tree, the roots at `sizes` (those within the log) and the nodes above the blocks, or None when any row fails.

    The nodes are those of the tree of block roots, as CompactRange.keep_nodes gives
    them: height 0 is a block of BLOCK leaves.

    `signatures`, when given, are checked by the same processes, before the ranges; their
    `holding` is set when every range was read (else they are left for the caller).
    """
    ends = [(start, min(start + TASK, total)) for start in range(0, total, TASK)]
    # The sizes ending in each range, found by bisection: a log has a tree head for every
    # report, so there can be as many as one for every few events.
    tasks = [(start, end, sizes[bisect_right(sizes, start) : bisect_right(sizes, end)]) for start, end in ends]
    blocks = merkle.CompactRange()  # the tree of the block roots: its nodes are the tree's own
    nodes = blocks.keep_nodes(0)
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT} if sizes and sizes[0] == 0 else {}
    tail: tuple[bytes, ...] = ()
    for (_start, _end, sizes_in), found in zip(tasks, _run(tasks, processes, signatures), strict=True):
        if found is None:
            return None
        # The sizes come in order: the tree of block roots grows up to each in turn, every
        # block root hashed in once, however many tree heads end in the range.
        taken = 0
        for size in sizes_in:
            whole = size // BLOCK - found.start // BLOCK
            blocks.extend(found.blocks[taken:whole])
            taken = whole
            roots[size] = merkle.CompactRange.from_state(
                size, blocks.subtree_roots + found.partial.get(size, ())
            ).root()
        blocks.extend(found.blocks[taken:])
        tail = found.tail
        if progress is not None:
            progress(found.end, total)
    if progress is not None and not tasks:
        progress(0, 0)
    return merkle.CompactRange.from_state(total, blocks.subtree_roots + tail), roots, nodes


def _run(
    tasks: list[tuple[int, int, list[int]]], processes: int | None, signatures: _Signatures | None
) -> Iterator[_Range | None]:
    """The tasks' answers in order: from a pool of processes, or here inside a transaction."""
    if processes is None:
        processes = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    alone = (
        processes < 2
        or len(tasks) < 2
        or connection.in_atomic_block
        or (connection.vendor == "sqlite" and connection.is_in_memory_db())  # type: ignore[attr-defined]
        or "fork" not in multiprocessing.get_all_start_methods()
    )
    if alone:
        if signatures is not None:
            signatures.check_here()
        yield from map(_scan_range, tasks)
        return
    # Each process opens its own connection: none may inherit this one's.
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        checked = pool.map_async(_holding_roots, signatures.tasks()) if signatures is not None else None
        yield from pool.imap(_scan_range, tasks)
        if signatures is not None and checked is not None:
            signatures.holding = list(chain.from_iterable(checked.get()))


class _Prefixes(dict[tuple[str, str, str], bytes]):
    """The bytes a leaf starts with, by the (event type, actor kind, actor id) its columns give, as text."""

    def __missing__(self, key: tuple[str, str, str]) -> bytes:
        event_type, actor_kind, actor_id = key
        try:
            action = EventType(int(event_type)).name.lower()
            actor: dict[str, object] = {"id": int(actor_id), "kind": actor_kind} if actor_id else {"kind": actor_kind}
        except ValueError:
            # No leaf starts with this byte: an unknown action or an actor id that is no
            # number fails the check, as it should.
            prefix = b"\xff"
        else:
            # The leaf's keys are sorted: action, actor, details, index, object, time. The
            # leaf comes with the byte that starts its hash input (see _range_sql).
            prefix = b"\x00" + canonical({"action": action, "actor": actor})[:-1] + b',"details":'
        self[key] = prefix
        return prefix


class _Objects(dict[str, str]):
    """The leaf's object, as JSON text, by the case id its column gives ("" when it has none)."""

    def __missing__(self, key: str) -> str:
        if not key:
            text = "null"
        elif key.isascii() and key.isdigit():
            text = f'{{"case":{int(key)}}}'
        else:
            text = "\n"  # a case id that is no number: the ends split into too many pieces, and the pass fails
        self[key] = text
        return text


_prefixes = _Prefixes()
_objects = _Objects()


def _range_sql() -> str:
    """The events [start, end) as one row: count, numbers, leaves, leaf hashes, and the indexed columns.

    Each column joins one value of every event, in order, into one string: the database
    builds them in C, where a row per event would cost far more in this process than
    everything else the pass does. The columns are joined as they are stored, with
    nothing computed per row: the database's string functions (concatenation, JSON)
    cost more per row than the same work done here over the joined strings. Leaves are
    joined with newlines, which canonical JSON never holds; a leaf that holds one anyway
    splits into more pieces than there are events, and the pass fails, as it does when a
    column value holds the comma that joins them.

    On SQLite the rows are read in the order of their row id, from the row numbered
    `start` to the row numbered `end` (or the last), a plain walk of the table instead
    of a look-up through the index on seq for every row; the joined numbers must then be
    exactly start, start + 1, …, end - 1, so a row out of place fails the pass all the same.
    """
    table = AuditEvent._meta.db_table
    if connection.vendor == "postgresql":
        return f"""
            SELECT count(*), string_agg(seq::text, ','), string_agg(convert_to(leaf, 'UTF8'), '\\x0a00'::bytea),
                   string_agg(leaf_hash, ''::bytea),
                   string_agg(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), ','),
                   string_agg(coalesce(case_id::text, ''), ','), string_agg(event_type::text, ','),
                   string_agg(actor_kind, ','), string_agg(coalesce(actor_id::text, ''), ',')
            FROM (SELECT * FROM {table} WHERE seq >= %s AND seq < %s ORDER BY seq) AS e
        """  # noqa: S608 - no outside value
    # Django keeps an aware time in SQLite as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]".
    return f"""
        SELECT count(*), group_concat(seq), CAST(group_concat(leaf, char(10, 0)) AS BLOB),
               CAST(group_concat(leaf_hash, '') AS BLOB), group_concat(at), group_concat(ifnull(case_id, '')),
               group_concat(event_type), group_concat(actor_kind), group_concat(ifnull(actor_id, ''))
        FROM {table}
        WHERE id >= (SELECT id FROM {table} WHERE seq = %s)
          AND id < ifnull((SELECT id FROM {table} WHERE seq = %s), 9223372036854775807)
    """  # noqa: S608 - no outside value


# "000" to "999": the last three digits of every number, written once.
_THOUSAND = [f"{number:03d}" for number in range(1000)]


def _numbers_text(start: int, end: int) -> str:
    """The numbers start, start + 1, …, end - 1 as text joined by commas: ",".join(map(str, range(start, end))).

    Written a thousand at a time, each thousand one join of its digits before the last
    three with those three, instead of one conversion of an int to text per number.
    """
    parts = []
    number = start
    while number < end:
        high, low = divmod(number, 1000)
        stop = min(end, (high + 1) * 1000)
        if high:
            head = str(high)
            parts.append(head + ("," + head).join(_THOUSAND[low : stop - high * 1000]))
        else:
            parts.append(",".join(map(str, range(number, stop))))
        number = stop
    return ",".join(parts)


def _scan_range(task: tuple[int, int, list[int]]) -> _Range | None:
    """Check the events [start, end) and reduce them to block roots; None when any of them fails."""
    start, end, sizes = task
    with connection.cursor() as cursor:
        cursor.execute(_range_sql(), [start, end])
        count, numbers, joined_leaves, stored, moments, cases, types, kinds, actors = cursor.fetchone()
    if count != end - start:
        return None  # one is missing or out of place (the numbers are unique, so none can be there twice)
    if not count:
        return _Range(start, end, [], (), {})
    if numbers != _numbers_text(start, end):
        return None
    # Each piece but the first is 0x00 ‖ leaf, the input of its leaf hash (see _range_sql);
    # the first gets its 0x00 here (one short copy, not one of the whole range).
    leaves = bytes(joined_leaves).split(b"\n")
    if len(leaves) != count:
        return None
    leaves[0] = b"\x00" + leaves[0]
    hashes = list(map(_digest, map(_sha256, leaves)))
    if b"".join(hashes) != bytes(stored):
        return None
    columns = [
        moments.replace(" ", "T").split(","),
        cases.split(","),
        types.split(","),
        kinds.split(","),
        actors.split(","),
    ]
    if any(len(values) != count for values in columns):
        return None
    times, case_ids, event_types, actor_kinds, actor_ids = columns
    # Each leaf starts with its action and actor, as its columns give them…
    if not all(
        map(bytes.startswith, leaves, map(_prefixes.__getitem__, zip(event_types, actor_kinds, actor_ids, strict=True)))
    ):
        return None
    # … and ends with its number, object and time. The pieces of every end are laid out in
    # one list (a slice assignment per column, no work per event in this process), joined
    # at once and split into one end per event. The numbers are those just checked against
    # the positions. A time stored on a whole second has no fraction; the leaf has six zeros.
    # The database writes a time as 19 characters on a whole second, else 26. When the
    # joined length is that of 26 each, the fix-up is skipped: a time of any other length
    # fails the comparison with its leaf below either way, as it should.
    if len(moments) != 27 * count - 1:
        times = [moment if len(moment) != 19 else moment + ".000000" for moment in times]
    pieces = [',"index":', "", ',"object":', "", ',"time":"', "", 'Z"}\n'] * count
    pieces[1::7] = numbers.split(",")
    pieces[3::7] = map(_objects.__getitem__, case_ids)
    pieces[5::7] = times
    ends = "".join(pieces).encode().split(b"\n")
    # The last piece is the empty one after the last end's line break.
    if len(ends) != count + 1 or not all(map(bytes.endswith, leaves, ends)):
        return None
    full = len(hashes) // BLOCK * BLOCK
    level = hashes[:full]
    for _height in range(BLOCK.bit_length() - 1):
        # Each node hashes 0x01 ‖ left ‖ right: the pairs taken from one iterator over the
        # level, every call made from C (map), none through a line of Python per node.
        pairs = iter(level)
        level = list(map(_digest, map(_sha256, map(b"".join, zip(repeat(b"\x01"), pairs, pairs)))))
    tail = merkle.CompactRange()
    tail.extend(hashes[full:])
    # The compact range of the leaves before each size inside a block: one range per block,
    # grown from size to size, so that each leaf is added once however many sizes end there.
    partial = {}
    block = merkle.CompactRange()
    first = taken = start
    for size in sizes:
        if size % BLOCK:
            if size // BLOCK * BLOCK != first:
                block, first = merkle.CompactRange(), size // BLOCK * BLOCK
                taken = first
            block.extend(hashes[taken - start : size - start])
            taken = size
            partial[size] = block.subtree_roots
    return _Range(start, end, level, tail.subtree_roots, partial)


# --- The columns beside each leaf -------------------------------------------------------


def _columns_alongside() -> Callable[[], int | None]:
    """Start the database's comparison of every row's columns with its leaf; returns a wait for its answer.

    Outside a transaction it runs on a connection of its own in a second thread, while
    this one hashes: the database does the work (SQLite lets go of the interpreter while
    it runs a query; PostgreSQL works in its own process), so the two overlap. Inside a
    transaction (the tests) another connection may not see the rows, so it runs here.
    """
    if connection.in_atomic_block:
        bad = _first_disagreeing()
        return lambda: bad
    answer: list[int | None] = []

    def run() -> None:
        try:
            answer.append(_first_disagreeing())
        finally:
            connections.close_all()  # this thread's own connection

    worker = threading.Thread(target=run, name="audit-verify-columns")
    worker.start()

    def wait() -> int | None:
        worker.join()
        if not answer:
            raise RuntimeError("the comparison of the columns with the leaves did not finish")
        return answer[0]

    return wait


def _first_disagreeing() -> int | None:
    """The first event whose columns disagree with its leaf."""
    try:
        with transaction.atomic():
            return _first_disagreeing_in_database()
    except DatabaseError:
        # PostgreSQL refuses the whole query if one leaf is not JSON; read them here instead.
        return _first_disagreeing_in_python()


def _action_case(column: str) -> str:
    names = " ".join(f"WHEN {int(member)} THEN '{member.name.lower()}'" for member in EventType)
    return f"CASE {column} {names} END"


def _first_disagreeing_in_database() -> int | None:
    table = AuditEvent._meta.db_table
    if connection.vendor == "postgresql":
        # OFFSET 0 keeps the subquery from being folded into the outer one, where each of the
        # six uses of j would parse the leaf again: parsed once per row, the check is about six times faster.
        sql = f"""
            SELECT MIN(seq) FROM (SELECT seq, event_type, at, actor_kind, actor_id, case_id, leaf::jsonb AS j
                                  FROM {table} OFFSET 0) AS e
            WHERE NOT (
                j->'index' = to_jsonb(seq)
                AND j->>'action' IS NOT DISTINCT FROM ({_action_case("event_type")})
                AND j->'actor'->>'kind' IS NOT DISTINCT FROM actor_kind
                AND j->'actor'->'id' IS NOT DISTINCT FROM to_jsonb(actor_id)
                AND j->'object'->'case' IS NOT DISTINCT FROM to_jsonb(case_id)
                AND j->>'time' IS NOT DISTINCT FROM to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
            ) IS NOT FALSE
        """  # noqa: S608 - no value from outside: the table name, numbers and the event names of the code
    else:
        # One parse of each leaf: json_extract with several paths gives their values as one JSON
        # array, compared as text with the array of the row's columns (six single extractions
        # would parse the leaf six times, most of the cost of this check). The leaf's own
        # tokens are compared, so the check is, if anything, stricter than comparing values.
        # Django keeps an aware time in SQLite as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]".
        sql = f"""
            SELECT MIN(seq) FROM {table}
            WHERE CASE WHEN json_valid(leaf) THEN
                json_extract(leaf, '$.index', '$.action', '$.actor.kind', '$.actor.id', '$.object.case', '$.time')
                IS NOT json_array(
                    seq, ({_action_case("event_type")}), actor_kind, actor_id, case_id,
                    replace(at, ' ', 'T') || CASE WHEN instr(at, '.') THEN '' ELSE '.000000' END || 'Z'
                )
            ELSE 1 END
        """  # noqa: S608 - no value from outside: the table name, numbers and the event names of the code
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _first_disagreeing_in_python() -> int | None:
    events = AuditEvent.objects.order_by("seq")
    names = {int(member): member.name.lower() for member in EventType}
    rows = events.values_list("seq", "leaf", "event_type", "at", "actor_kind", "actor_id", "case_id")
    for seq, leaf, event_type, at, actor_kind, actor_id, case_id in rows.iterator(chunk_size=CHUNK):
        try:
            document = json.loads(leaf)
        except ValueError:
            return int(seq)
        actor: dict[str, object] = {"kind": actor_kind} if actor_id is None else {"id": actor_id, "kind": actor_kind}
        expected = {
            "index": seq,
            "action": names.get(event_type),
            "actor": actor,
            "object": None if case_id is None else {"case": case_id},
            "time": iso_utc(at),
        }
        if not isinstance(document, dict) or any(document.get(key) != value for key, value in expected.items()):
            return int(seq)
    return None
