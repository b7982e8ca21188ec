"""Witnesses: the latest signed tree head e-mailed, on a schedule, to addresses outside the organisation.

Once someone outside holds a tree head, the log up to it can no longer be rewritten
without the rewrite showing against their copy. OMBUDS_AUDIT_WITNESS_EMAILS lists the
addresses (the oversight body chooses them: an external ombudsperson, a lawyer, a
works council); OMBUDS_AUDIT_WITNESS_INTERVAL says how often. The sweeper calls
`send_if_due`; the e-mail goes out through the task queue, as staff notices do, and
holds only the tree head and how to check it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task

from ombuds.audit import sth, tree_heads
from ombuds.audit.models import WitnessMailing
from ombuds.audit.signing_key import signing_key
from ombuds.lib.durations import Duration


def interval_seconds() -> int:
    return max(1, int(Duration.parse(settings.OMBUDS_AUDIT_WITNESS_INTERVAL).exact.total_seconds()))


def send_if_due(now: datetime) -> bool:
    """Queue the e-mail of the latest tree head once per interval; whether it was queued now.

    The interval's number is a unique key, so with several sweepers only one queues it.
    """
    if not settings.OMBUDS_AUDIT_WITNESS_EMAILS:
        return False
    latest = tree_heads.latest()
    if latest is None:
        return False
    slot = int(now.timestamp()) // interval_seconds()
    with transaction.atomic():
        _mailing, created = WitnessMailing.objects.get_or_create(
            slot=slot, defaults={"tree_size": latest.tree_size, "sent_at": now}
        )
        if created:
            public_key = sth.public_key_text(signing_key().verify_key)
            send_tree_head.enqueue(tree_head=latest.signed().to_bytes().decode("ascii"), public_key=public_key)
    return created


@task()
def send_tree_head(*, tree_head: str, public_key: str) -> int:
    """One e-mail to every witness; returns how many were sent."""
    base = settings.OMBUDS_BASE_URL.rstrip("/")
    subject = "[ombuds] Signed tree head of the audit log"
    body = (
        "The organisation's audit log signed this tree head. Please keep this e-mail.\n\n"
        f"{tree_head}\n\n"
        f"It is signed with the Ed25519 public key {public_key}\n"
        "(compare it with the key the organisation published).\n\n"
        "To check it: write the canonical JSON of the three keys tree_size, root_hash and\n"
        "timestamp (keys sorted, no spaces) and verify the base64 signature over those bytes\n"
        "with the public key. Later, anyone can ask the organisation for a consistency proof\n"
        "from this tree head to a newer one, or for an export of the log, and check that the\n"
        "log still begins with exactly these events. The audit log's format and the checks\n"
        f"are described in docs/audit-log.md of ombuds ({base}).\n"
    )
    return int(send_mail(subject, body, None, list(settings.OMBUDS_AUDIT_WITNESS_EMAILS)))
