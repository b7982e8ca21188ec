"""Reads of case data."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import F, QuerySet

from ombuds.cases.models import Case, Organisation, Report
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


def inbox(
    cases: QuerySet[Case],
    *,
    user: User,
    now: datetime,
    status: str = "",
    category: str = "",
    overdue: bool = False,
    due_within: int | None = None,
    mine: bool = False,
    unassigned: bool = False,
) -> QuerySet[Case]:
    """Filter and order visible cases for the inbox: earliest pending deadline first.

    One query whatever the page size: the assignee is joined, nothing else is read per row.
    """
    if status:
        cases = cases.filter(status=status)
    if category:
        cases = cases.filter(category=category)
    if overdue:
        cases = cases.filter(next_deadline_at__lt=now)
    if due_within is not None:
        cases = cases.filter(next_deadline_at__lte=now + timedelta(days=due_within))
    if mine:
        cases = cases.filter(assignee=user)
    if unassigned:
        cases = cases.filter(assignee__isnull=True)
    return cases.select_related("assignee").order_by(F("next_deadline_at").asc(nulls_last=True), "id")
