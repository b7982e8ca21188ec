"""Signing the log's tree heads, and reading the log's tree for proofs.

A tree head is signed after every report that enters the log (a named report right
after its filing commits; an anonymous one when its batch is released) and by the
sweeper at least every minute while the log grows. Signing takes the head row's lock,
so the size and root it signs are those of committed events, and two processes never
sign the same size: the second finds the first's tree head and signs nothing.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ombuds.audit import merkle, sth
from ombuds.audit.models import AuditEvent, AuditHead, SignedTreeHead
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
    """(root at tree_size, audit path of event `index`), from the stored leaf hashes."""
    hashes = leaf_hashes(tree_size)
    return merkle.root(hashes), merkle.inclusion_proof(hashes, index, tree_size)


def consistency(first: int, second: int) -> tuple[bytes, bytes, list[bytes]]:
    """(root at first, root at second, consistency proof), from the stored leaf hashes."""
    hashes = leaf_hashes(second)
    return merkle.root(hashes[:first]), merkle.root(hashes), merkle.consistency_proof(hashes, first, second)
