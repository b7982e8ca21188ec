"""`ombuds audit verify`: recompute the whole tree from the stored events and check every signed tree head.

The fast pass (`_fast_scan`) splits the log into ranges of TASK events, aligned with
perfect subtrees, and hands them to one process per processor, each reading its rows on
a connection of its own. A process hashes each leaf again and compares it with the
stored leaf hash, checks each row's columns against its leaf (the columns give, through
the database's own string functions, the exact bytes the leaf must start and end with,
compared in one C call per row), and returns only the roots of the full blocks of
merkle.BLOCK leaves and, for each signed tree head ending inside the range, the compact
range of its last partial block. The main process joins those into the roots at every
signed size. When any row fails, the fast pass stops, and the careful pass below runs
to name the first bad index and say what is wrong with it.

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC

from django.db import DatabaseError, connection, connections, transaction
from nacl.signing import VerifyKey

from ombuds.audit import merkle, sth
from ombuds.audit.canonical import canonical
from ombuds.audit.log import iso_utc
from ombuds.audit.models import AuditEvent, AuditHead, EventType, SignedTreeHead

CHUNK = 50_000
# The fast pass hands the main process the roots of blocks of this many leaves (a power
# of two, so that each is a perfect subtree), and gives each process tasks of TASK
# events (a multiple of BLOCK): large enough that a task's query and answer cost little,
# small enough for a smooth progress bar.
BLOCK = merkle.BLOCK
TASK = 64 * BLOCK

Progress = Callable[[int, int], None]

_sha256 = hashlib.sha256


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
    heads = list(SignedTreeHead.objects.order_by("tree_size", "timestamp"))
    verdict.tree_heads = len(heads)
    sizes = sorted({head.tree_size for head in heads})
    scanned = _fast_scan(total, sizes, progress, processes)
    if scanned is not None:
        tree, roots = scanned
        verdict.events = tree.size
        _check_tree_heads(heads, roots, tree.size, public_key, verdict, stopped=False)
        _check_head_row(tree, total, None, verdict)
        verdict.problems.sort(key=lambda problem: problem.index)
        return verdict
    # Some row failed: the careful pass names the first one and what is wrong with it.
    columns = _columns_alongside()
    tree, roots, first_bad_row = _scan(total, sizes, verdict, progress, chunk)
    verdict.events = tree.size
    bad = columns()
    if bad is not None:
        verdict.problems.append(Problem(bad, f"event {bad}: its columns do not match its leaf"))
    _check_tree_heads(heads, roots, tree.size, public_key, verdict, stopped=first_bad_row is not None)
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


def _check_tree_heads(
    heads: list[SignedTreeHead],
    roots: dict[int, bytes],
    readable: int,
    public_key: VerifyKey,
    verdict: Verdict,
    *,
    stopped: bool,
) -> None:
    """Signature, order, and root of each tree head, oldest first.

    When the pass stopped at a bad event, the tree heads beyond it cannot be checked and
    are not counted as problems of their own: that event already says where the log fails.
    """
    vouched = 0  # events covered by the last tree head that held
    previous: SignedTreeHead | None = None
    for head in heads:
        if stopped and head.tree_size > readable:
            return
        name = f"tree head of {head.tree_size} events ({head.timestamp.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ})"
        problem = None
        try:
            signed = head.signed()
        except ValueError:
            signed = None
        if signed is None or not sth.verify(signed, public_key):
            problem = f"{name}: the signature does not match the public key"
        elif previous is not None and head.timestamp < previous.timestamp:
            problem = f"{name}: signed before the tree head of {previous.tree_size} events"
        elif head.tree_size > readable:
            problem = f"{name}: covers more events than the log holds in order ({readable})"
        elif roots.get(head.tree_size) != signed.head.root_hash:
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
    total: int, sizes: list[int], progress: Progress | None, processes: int | None
) -> tuple[merkle.CompactRange, dict[int, bytes]] | None:
    """The tree and the roots at `sizes` (those within the log), or None when any row fails."""
    ends = [(start, min(start + TASK, total)) for start in range(0, total, TASK)]
    tasks = [(start, end, [size for size in sizes if start < size <= end]) for start, end in ends]
    blocks = merkle.CompactRange()  # the tree of the block roots: its nodes are the tree's own
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT} if sizes and sizes[0] == 0 else {}
    tail: tuple[bytes, ...] = ()
    for (_start, _end, sizes_in), found in zip(tasks, _run(tasks, processes), strict=True):
        if found is None:
            return None
        for size in sizes_in:
            whole = size // BLOCK - found.start // BLOCK
            state = blocks.subtree_roots if whole == 0 else _extended(blocks, found.blocks[:whole]).subtree_roots
            roots[size] = merkle.CompactRange.from_state(size, state + found.partial.get(size, ())).root()
        blocks.extend(found.blocks)
        tail = found.tail
        if progress is not None:
            progress(found.end, total)
    if progress is not None and not tasks:
        progress(0, 0)
    return merkle.CompactRange.from_state(total, blocks.subtree_roots + tail), roots


def _extended(tree: merkle.CompactRange, hashes: list[bytes]) -> merkle.CompactRange:
    copy = merkle.CompactRange.from_state(tree.size, tree.subtree_roots)
    copy.extend(hashes)
    return copy


def _run(tasks: list[tuple[int, int, list[int]]], processes: int | None) -> Iterator[_Range | None]:
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
        yield from map(_scan_range, tasks)
        return
    # Each process opens its own connection: none may inherit this one's.
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        yield from pool.imap(_scan_range, tasks)


class _Prefixes(dict[str, bytes]):
    """The bytes a leaf starts with, by the (event type, actor kind, actor id) its columns give, as JSON."""

    def __missing__(self, key: str) -> bytes:
        event_type, actor_kind, actor_id = json.loads(key)
        try:
            action = EventType(event_type).name.lower()
        except ValueError:
            action = None  # no leaf names an unknown action: the check fails, as it should
        actor: dict[str, object] = {"kind": actor_kind} if actor_id is None else {"id": actor_id, "kind": actor_kind}
        # The leaf's keys are sorted: action, actor, details, index, object, time.
        prefix = canonical({"action": action, "actor": actor})[:-1] + b',"details":' if action else b"\xff"
        self[key] = prefix
        return prefix


_prefixes = _Prefixes()


def _range_sql() -> str:
    """The events [start, end) as one row: count, numbers, leaves, leaf hashes, prefix keys and suffixes.

    Each column joins one value of every event, in order, into one string: the database
    builds them in C, where a row per event would cost far more in this process than
    everything else the pass does. Leaves are joined with newlines, which canonical JSON
    never holds; a leaf that holds one anyway splits into more pieces than there are
    events, and the pass fails. The suffix is the exact end of the leaf that the row's
    columns give (`,"index":…,"object":…,"time":"…"}`), the key names its exact start
    (`{"action":…,"actor":…,"details":`, see _Prefixes).
    """
    table = AuditEvent._meta.db_table
    if connection.vendor == "postgresql":
        moment = """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
        suffix = f"""',"index":' || seq || ',"object":' || coalesce('{{"case":' || case_id || '}}', 'null')
                     || ',"time":"' || {moment} || '"}}'"""
        return f"""
            SELECT count(*), string_agg(seq::text, ',' ORDER BY seq),
                   string_agg(convert_to(leaf, 'UTF8'), '\\x0a'::bytea ORDER BY seq),
                   string_agg(leaf_hash, ''::bytea ORDER BY seq),
                   string_agg(json_build_array(event_type, actor_kind, actor_id)::text, E'\\n' ORDER BY seq),
                   string_agg(convert_to({suffix}, 'UTF8'), '\\x0a'::bytea ORDER BY seq)
            FROM {table} WHERE seq >= %s AND seq < %s
        """  # noqa: S608 - no outside value
    # Django keeps an aware time in SQLite as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]".
    moment = "replace(at, ' ', 'T') || CASE WHEN instr(at, '.') THEN '' ELSE '.000000' END"
    suffix = f"""',"index":' || seq || ',"object":' || ifnull('{{"case":' || case_id || '}}', 'null')
                 || ',"time":"' || {moment} || 'Z"}}'"""
    # The aggregates take the rows in the order of the subquery (the index on seq); the
    # joined numbers are compared with the expected ones all the same.
    return f"""
        SELECT count(*), group_concat(seq), CAST(group_concat(leaf, char(10)) AS BLOB),
               CAST(group_concat(leaf_hash, '') AS BLOB), group_concat(k, char(10)),
               CAST(group_concat(x, char(10)) AS BLOB)
        FROM (SELECT seq, CAST(leaf AS BLOB) AS leaf, leaf_hash, json_array(event_type, actor_kind, actor_id) AS k,
                     {suffix} AS x
              FROM {table} WHERE seq >= %s AND seq < %s ORDER BY seq)
    """  # noqa: S608 - no outside value


def _scan_range(task: tuple[int, int, list[int]]) -> _Range | None:
    """Check the events [start, end) and reduce them to block roots; None when any of them fails."""
    start, end, sizes = task
    with connection.cursor() as cursor:
        cursor.execute(_range_sql(), [start, end])
        count, numbers, joined_leaves, stored, keys, suffixes = cursor.fetchone()
    if count != end - start:
        return None  # one is missing (the numbers are unique, so none can be there twice)
    if not count:
        return _Range(start, end, [], (), {})
    if numbers != ",".join(map(str, range(start, end))):
        return None
    leaves = bytes(joined_leaves).split(b"\n")
    if len(leaves) != count:
        return None
    hashes = [_sha256(b"\x00" + leaf).digest() for leaf in leaves]
    if b"".join(hashes) != bytes(stored):
        return None
    ends = bytes(suffixes).split(b"\n")
    starts = keys.split("\n")
    if len(ends) != count or len(starts) != count:
        return None
    if not all(map(bytes.endswith, leaves, ends)) or not all(
        map(bytes.startswith, leaves, map(_prefixes.__getitem__, starts))
    ):
        return None
    full = len(hashes) // BLOCK * BLOCK
    level = hashes[:full]
    for _height in range(BLOCK.bit_length() - 1):
        level = [_sha256(b"\x01" + left + right).digest() for left, right in zip(level[0::2], level[1::2], strict=True)]
    tail = merkle.CompactRange()
    tail.extend(hashes[full:])
    partial = {}
    for size in sizes:
        if size % BLOCK:
            block = merkle.CompactRange()
            block.extend(hashes[size // BLOCK * BLOCK - start : size - start])
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
