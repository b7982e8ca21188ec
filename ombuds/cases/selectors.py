"""Reads of case data."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db.models import F, QuerySet

from ombuds.cases.models import Case, Organisation, Report
from ombuds.lib import receipts
from ombuds.lib.paging import PageLinks

# The primary key of the one organisation row, created by migration cases.0002.
ORGANISATION = 1


def current_organisation() -> Organisation:
    # Created by migration cases.0002; there is exactly one.
    return Organisation.objects.get(pk=ORGANISATION)


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
    cases = _filtered(
        cases,
        user=user,
        now=now,
        status=status,
        category=category,
        overdue=overdue,
        due_within=due_within,
        mine=mine,
        unassigned=unassigned,
    )
    return cases.select_related("assignee").order_by(F("next_deadline_at").asc(nulls_last=True), "id")


def _filtered(
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
    return cases


@dataclass(frozen=True)
class InboxPage(PageLinks):
    """One page of the inbox, and how many pages there are, counted up to a limit."""

    cases: list[Case]
    number: int
    has_next: bool
    # Pages counted, at most the limit; `more` says there are more than that.
    num_pages: int
    more: bool

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)


def _deadline_order(case: Case) -> tuple[datetime, int]:
    assert case.next_deadline_at is not None
    return case.next_deadline_at, case.pk


def _id_order(case: Case) -> int:
    return case.pk


def inbox_page(
    parts: list[QuerySet[Case]],
    *,
    number: object,
    page_size: int,
    counted_pages: int,
    **filters: Any,
) -> InboxPage:
    """A page of the inbox (earliest pending deadline first, then cases without one, each by id).

    `parts` are the visible cases split so that no case is in two
    (access.visible_case_parts). Each part is read in order, through the index on
    assignee and deadline or the one on the deadline, only as far as the page needs,
    and the parts are merged here: the `OR` of them in one query made the database
    collect and sort every match, thousands on a large history, for 50 rows. For the
    same reason the matches are counted only up to `counted_pages` pages, and the
    page says "more than" beyond that.
    """
    parts = [_filtered(part, **filters).select_related("assignee") for part in parts]
    limit = counted_pages * page_size
    found = sum(part[: limit + 1].count() for part in parts)
    more = found > limit
    num_pages = max(1, math.ceil(min(found, limit) / page_size))
    try:
        wanted = int(str(number))
    except ValueError:
        wanted = 1
    wanted = max(1, wanted if more else min(wanted, num_pages))
    need = wanted * page_size + 1  # one more than the page, to know whether a next page exists
    rows = list(
        heapq.merge(
            *(part.filter(next_deadline_at__isnull=False).order_by("next_deadline_at", "id")[:need] for part in parts),
            key=_deadline_order,
        )
    )[:need]
    if len(rows) < need:
        rows += list(
            heapq.merge(
                *(part.filter(next_deadline_at__isnull=True).order_by("id")[: need - len(rows)] for part in parts),
                key=_id_order,
            )
        )[: need - len(rows)]
    start = (wanted - 1) * page_size
    return InboxPage(
        cases=rows[start : start + page_size],
        number=wanted,
        has_next=len(rows) > start + page_size,
        num_pages=num_pages,
        more=more,
    )
