"""The reporter's proof of filing: the commitment written when she files, and the proof she downloads.

Filing draws a random value, seals it to the key pair her receipt derives (beside the
case's key, ombuds.cases.keyring) and writes the commitment to her narrative and that
value into the "report filed" event. Only she can open the value again, with her
receipt; her session carries it as it carries her case's key. The proof itself
(ombuds.audit.receipt_proof) is built from the log whenever she asks: for a named
report at once, for an anonymous one once her batch has entered the log.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from ombuds.audit import receipt_proof, sth, tree_heads
from ombuds.audit.models import AuditEvent, EventType, PendingEvent, SignedTreeHead
from ombuds.audit.signing_key import signing_key
from ombuds.cases.models import Report
from ombuds.crypto import keys
from ombuds.crypto.errors import DecryptionError

_RANDOM_ATTR = "_ombuds_proof_random"


def new_random() -> bytes:
    return secrets.token_bytes(receipt_proof.RANDOM_BYTES)


def commitment(narrative: str, random_value: bytes) -> str:
    return receipt_proof.commitment(narrative, random_value)


def attach_random(report: Report, random_value: bytes) -> None:
    """Give a reporter's request her random value (from filing, her receipt, or her session)."""
    setattr(report, _RANDOM_ATTR, random_value)


def attached_random(report: Report) -> bytes | None:
    value = getattr(report, _RANDOM_ATTR, None)
    return value if isinstance(value, bytes) else None


def open_random(report: Report, pair: keys.KeyPair) -> bool:
    """Open her random value with the key pair her receipt derives; whether there was one to open."""
    if report.proof_seal is None:
        return False
    try:
        value = keys.unseal(pair, bytes(report.proof_seal))
    except DecryptionError:
        return False
    attach_random(report, value)
    return True


@dataclass(frozen=True)
class Ready:
    proof: dict[str, Any]
    # Hers, when her request carries it; never part of the proof.
    random_value: bytes | None


@dataclass(frozen=True)
class NotReady:
    # When her batch enters the log; None when this report has no proof of filing (filed before proofs existed).
    ready_after: datetime | None


def for_report(report: Report) -> Ready | NotReady:
    """Her proof of filing, or when it will be ready."""
    found = _located(report)
    if isinstance(found, NotReady):
        return found
    event, head = found
    _root, path = tree_heads.inclusion(event.seq, head.tree_size)
    proof = receipt_proof.document(
        commitment=str(event.details()["commitment"]),
        leaf_index=event.seq,
        leaf=event.leaf,
        tree_head=head.signed(),
        path=path,
        public_key=sth.public_key_text(signing_key().verify_key),
    )
    return Ready(proof, attached_random(report))


def readiness(report: Report) -> NotReady | None:
    """None when her proof is ready, without building it (her pages only link to it)."""
    found = _located(report)
    return found if isinstance(found, NotReady) else None


def _located(report: Report) -> tuple[AuditEvent, SignedTreeHead] | NotReady:
    """Her "report filed" event and the latest tree head that includes it."""
    event = _filed_event(report)
    if event is None:
        pending = (
            PendingEvent.objects.filter(case_id=report.case_id, event_type=EventType.REPORT_FILED)
            .order_by("release_after")
            .first()
        )
        return NotReady(pending.release_after if pending is not None else None)
    head = tree_heads.covering(event.seq)
    if head is None and not report.anonymous:
        # Signed right after filing as a rule; if that failed, sign now. Never on an anonymous
        # reporter's visit: the tree head's time would tell when she came.
        tree_heads.sign_current()
        head = tree_heads.covering(event.seq)
    if head is None:
        # In the log, waiting for the sweeper's next tree head (signed at least every minute).
        return NotReady(timezone.now() + tree_heads.CADENCE)
    return event, head


def _filed_event(report: Report) -> AuditEvent | None:
    events = AuditEvent.objects.filter(case_id=report.case_id, event_type=EventType.REPORT_FILED).order_by("seq")
    for event in events:
        # The signed leaf's details, not the detail column (which verify does not compare with it).
        detail = event.details()
        if detail.get("report") == report.pk and "commitment" in detail:
            return event
    return None
