"""How a reporter, who has no account, proves she holds a receipt.

Presenting the receipt gives a short-lived signed token (the API's bearer token, the
web's cookie). The token is stateless: no session row records when she visited.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from ombuds.cases.models import Report

_SALT = "ombuds.intake.reporter-token"


def issue_token(report: Report) -> str:
    return signing.dumps({"r": report.pk}, salt=_SALT, compress=False)


def report_for_token(token: str) -> Report | None:
    """The report a token opens, or None when it is forged, expired or unknown."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=settings.OMBUDS_REPORTER_SESSION_SECONDS)
    except signing.BadSignature:
        return None
    report_id = payload.get("r") if isinstance(payload, dict) else None
    if not isinstance(report_id, int):
        return None
    return Report.objects.select_related("case").filter(pk=report_id).first()
