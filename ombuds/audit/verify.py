"""`ombuds audit verify`: recompute the whole tree from the stored events and check every signed tree head.

One pass reads the events in order, in large chunks, hashes each stored leaf again
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
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC

from django.db import DatabaseError, connection, connections, transaction
from nacl.signing import VerifyKey

from ombuds.audit import merkle, sth
from ombuds.audit.log import iso_utc
from ombuds.audit.models import AuditEvent, AuditHead, EventType, SignedTreeHead

CHUNK = 50_000

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


def verify(public_key: VerifyKey, *, progress: Progress | None = None, chunk: int = CHUNK) -> Verdict:
    """Check the stored log and its tree heads; the verdict lists every problem found."""
    verdict = Verdict()
    total = AuditEvent.objects.count()
    heads = list(SignedTreeHead.objects.order_by("tree_size", "timestamp"))
    verdict.tree_heads = len(heads)
    sizes = sorted({head.tree_size for head in heads})
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
