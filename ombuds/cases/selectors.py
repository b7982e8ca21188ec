"""Reads of case data."""

from __future__ import annotations

from ombuds.cases.models import Organisation, Report
from ombuds.lib import receipts


def current_organisation() -> Organisation:
    # Created by migration cases.0002; there is exactly one.
    return Organisation.objects.get(pk=1)


def report_for_receipt(receipt: str) -> Report | None:
    """The report a receipt opens, or None. Malformed and unknown receipts look the same."""
    digest = receipts.digest(receipt)
    if digest is None:
        return None
    return Report.objects.select_related("case").filter(receipt_digest=digest).first()
