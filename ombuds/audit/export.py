"""`ombuds audit export DIR`: the log in the export format of docs/audit-log.md §5.

DIR/entries.jsonl holds one line per event, {"index": i, "leaf": "<leaf>"}; DIR/sths.jsonl
every signed tree head, oldest first, each with its signature; DIR/public_key the
signing key's public key. A tree head is signed first if the log grew since the last
one, and the export stops at the last tree head's size, so every event in it is
covered by a tree head even while the log goes on growing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ombuds.audit import sth, tree_heads
from ombuds.audit.canonical import canonical
from ombuds.audit.models import AuditEvent, SignedTreeHead
from ombuds.audit.signing_key import signing_key

CHUNK = 20_000


@dataclass(frozen=True)
class Exported:
    events: int
    tree_heads: int


def export(directory: Path, *, progress: Callable[[int, int], None] | None = None) -> Exported:
    directory.mkdir(parents=True, exist_ok=True)
    tree_heads.sign_current()
    last = tree_heads.latest()
    size = last.tree_size if last is not None else 0
    with (directory / "entries.jsonl").open("wb") as out:
        start = 0
        while start < size:
            rows = (
                AuditEvent.objects.filter(seq__gte=start, seq__lt=min(size, start + CHUNK))
                .order_by("seq")
                .values_list("seq", "leaf")
            )
            lines = [canonical({"index": seq, "leaf": leaf}) + b"\n" for seq, leaf in rows]
            if not lines:
                break
            out.write(b"".join(lines))
            start += len(lines)
            if progress is not None:
                progress(start, size)
    heads = SignedTreeHead.objects.filter(tree_size__lte=size).order_by("tree_size")
    (directory / "sths.jsonl").write_bytes(b"".join(head.signed().to_bytes() + b"\n" for head in heads))
    (directory / "public_key").write_text(sth.public_key_text(signing_key().verify_key) + "\n", encoding="ascii")
    return Exported(events=start, tree_heads=heads.count())
