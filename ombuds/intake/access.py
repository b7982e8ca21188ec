"""How a reporter, who has no account, proves she holds a receipt.

Presenting the receipt opens a session: a row on the server, and a signed token she
holds (the API's bearer token, or the web's cookie). The token carries the row's
random id and a secret; the row stores, encrypted under that secret, which report it
opens. So the token reveals no database id, the table reveals no report, "leave" ends
the session on the server (the row is deleted, every copy of the token dies with it),
and a web cookie is refused by the API and an API token by the web pages: each kind
is signed with its own salt and checked against the row's kind.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.core import signing
from django.utils import timezone

from ombuds.audit import log
from ombuds.cases import filing_proof, keyring, selectors
from ombuds.cases.actions import reporter_moment
from ombuds.cases.models import Report
from ombuds.crypto import keys
from ombuds.crypto.errors import DecryptionError
from ombuds.intake.models import ReporterSession

Kind = Literal["web", "api"]
_SALT = "ombuds.intake.reporter-session."


def _context(kind: str, session_id: str) -> bytes:
    return keys.context("reporter-session", kind, session_id.lower())


def open_session(report: Report, kind: Kind) -> str:
    """Open a session on `report` and return the token that holds it.

    The case's data key the report carries (from filing, or opened with her receipt) is
    kept in the session row, encrypted under the token's secret: her later pages can
    read her case, and nothing on the server can without her token.
    """
    session_id = secrets.token_hex(16)
    secret = secrets.token_urlsafe(32)
    key = keyring.reporter_data_key(report)
    random_value = filing_proof.attached_random(report)
    payload = json.dumps(
        {
            "report": report.pk,
            "key": keyring.encode_key(key) if key else None,
            # Her proof of filing's random value, which only her receipt opens.
            "proof": random_value.hex() if random_value else None,
        }
    ).encode()
    ReporterSession.objects.create(
        id=session_id,
        kind=kind,
        sealed=keys.encrypt(keys.token_key(secret), payload, _context(kind, session_id)),
        expires_at=timezone.now() + timedelta(seconds=settings.OMBUDS_REPORTER_SESSION_SECONDS),
    )
    return _sign(kind, session_id, secret)


def _sign(kind: str, session_id: str, secret: str) -> str:
    return signing.dumps({"s": session_id, "k": secret}, salt=_SALT + kind, compress=False)


def _unsign(token: str, kind: Kind) -> tuple[str, str] | None:
    try:
        payload = signing.loads(token, salt=_SALT + kind, max_age=settings.OMBUDS_REPORTER_SESSION_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    session_id, secret = payload.get("s"), payload.get("k")
    if not isinstance(session_id, str) or not isinstance(secret, str) or len(secret) < 32:
        return None
    return session_id, secret


def report_for_token(token: str, kind: Kind) -> Report | None:
    """The report a token opens, or None when it is forged, expired, ended, of the other kind, or unknown."""
    found = _unsign(token, kind)
    if found is None:
        return None
    session_id, secret = found
    row = ReporterSession.objects.filter(pk=session_id, kind=kind, expires_at__gt=timezone.now()).first()
    if row is None:
        return None
    try:
        payload = json.loads(keys.decrypt(keys.token_key(secret), bytes(row.sealed), _context(kind, session_id)))
    except DecryptionError:
        return None
    report = Report.objects.select_related("case").filter(pk=payload["report"]).first()
    if report is not None and payload.get("key"):
        keyring.attach_to_report(report, keyring.decode_key(payload["key"]))
    if report is not None and payload.get("proof"):
        filing_proof.attach_random(report, bytes.fromhex(payload["proof"]))
    return report


def open_with_receipt(receipt: str) -> Report | None:
    """The report a receipt opens, with its case's key opened too (one Argon2id derivation).

    Malformed and unknown receipts look the same (None); the derivation is made only for
    a receipt that finds a report.
    """
    report = selectors.report_for_receipt(receipt)
    if report is None:
        return None
    if not report.case.sealed:
        # Stored before encryption at rest: sealed now, to her as well, while her receipt is at hand.
        with log.deferred(report.anonymous):
            keyring.seal_legacy_case(report.case, receipt=receipt, now=reporter_moment(anonymous=report.anonymous))
        report = selectors.report_for_receipt(receipt) or report
    key = keyring.open_for_reporter(report, receipt)
    if key is not None:
        keyring.attach_to_report(report, key)
        # Staff who could not be given the key when she filed get it now; for an anonymous
        # reporter the grants' times and audit events are of the day and wait for the batch.
        with log.deferred(report.anonymous):
            keyring.grant_pending_of_case(report.case, key, now=reporter_moment(anonymous=report.anonymous))
    return report


def renew(token: str, kind: Kind) -> str | None:
    """A fresh token for the same session (sliding expiry), or None when the session is over.

    The row's own expiry is moved only when less than half of the window is left, so a
    visit writes to the database at most once every few minutes.
    """
    found = _unsign(token, kind)
    if found is None:
        return None
    session_id, secret = found
    window = timedelta(seconds=settings.OMBUDS_REPORTER_SESSION_SECONDS)
    now = timezone.now()
    ReporterSession.objects.filter(
        pk=session_id, kind=kind, expires_at__gt=now, expires_at__lt=now + window / 2
    ).update(expires_at=now + window)
    return _sign(kind, session_id, secret)


def end_session(token: str, kind: Kind) -> bool:
    """End the session on the server; every copy of the token stops working. Returns whether one was ended."""
    found = _unsign(token, kind)
    if found is None:
        return False
    deleted, _ = ReporterSession.objects.filter(pk=found[0], kind=kind).delete()
    return bool(deleted)


def purge_expired(now: datetime) -> int:
    """Sessions past their end carry nothing worth keeping."""
    deleted, _ = ReporterSession.objects.filter(expires_at__lte=now).delete()
    return deleted
