"""Reads of case data."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import F, Q, QuerySet

from ombuds.cases.models import Case, Organisation, Report
from ombuds.lib import receipts
from ombuds.lib.paging import PageLinks

if TYPE_CHECKING:
    from ombuds.cases.access import CasePart

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


# Where a part's walk stands: cases with a deadline by (deadline, id), then those without by id.
_Key = tuple[bool, datetime | None, int]

# A walk's chunks read at least the first and at most the second of these many cases.
_FIRST_CHUNK = 64
_LARGEST_CHUNK = 1024

# The inbox's filters on the columns of the index a walk reads (assignee, deadline, id),
# and what they are relative to.
_WALKED_FILTERS = {"user", "now", "overdue", "due_within", "mine", "unassigned"}


def _key(deadline: datetime | None, pk: int) -> _Key:
    return deadline is None, deadline, pk


class _Walk:
    """One part of the inbox, read in inbox order, in chunks, only as far as asked.

    A chunk is the next ids meeting the part's walk condition after the last one read,
    in (deadline, id) order: a query of a plain condition on the columns of the index on
    assignee, deadline and id (or the one on deadline and id) with a limit, which the
    database answers from that index, in its order, stopping at the limit. The part's own
    conditions (pools, conflicts, deleted content) and the inbox's other filters are then
    checked for those ids only. So what the inbox reads grows with the page, not with the
    history, whatever the database expects of those conditions: when it expected a
    handful of matches it collected and sorted every one (docs/performance.md). A chunk
    that finds few of the part's cases is followed by a larger one.
    """

    def __init__(self, part: CasePart, filters: dict[str, Any]) -> None:
        self._part = part
        walked = {name: value for name, value in filters.items() if name in _WALKED_FILTERS}
        checked = {name: value for name, value in filters.items() if name not in _WALKED_FILTERS - {"user", "now"}}
        self._walk = _filtered(Case.objects.filter(part.walk), **walked)
        self._order = (*part.fixed, "next_deadline_at", "id")
        # What a chunk's cases are checked against: the walk met its condition and the
        # other filters, left out here so that the database finds the cases by their ids.
        self.held = _filtered(part.checked, **checked)
        # SQLite walks the index in this order for the part's own query and stops at the
        # limit whatever the part's other conditions, so there the part is read as it is,
        # in one query a chunk: checking the cases by id costs it more (docs/performance.md).
        self._direct = connection.vendor == "sqlite"
        self._cases = _filtered(part.cases, **filters)
        self._found: list[_Key] = []
        self._seen: set[int] = set()
        self._after: _Key | None = None
        self._read = 0
        self._last = 0
        self._nulls = False
        self._done = False
        # A filter on the deadline leaves out the cases without one.
        self._with_deadline_only = bool(filters.get("overdue")) or filters.get("due_within") is not None

    def first(self, count: int) -> list[_Key]:
        """The first `count` cases of the part (fewer if it has no more), in inbox order."""
        while len(self._found) < count and not self._done:
            size = min(_LARGEST_CHUNK, max(_FIRST_CHUNK, self._chunk_for(count - len(self._found))))
            if self._direct:
                rows = list(self._next_chunk(self._cases).values_list("id", "next_deadline_at")[:size])
                held = {pk for pk, _deadline in rows}
            else:
                rows = list(self._next_chunk(self._walk).values_list("id", "next_deadline_at")[:size])
                # The part's cases among those: the database finds them by their ids.
                ids = [pk for pk, _deadline in rows]
                held = set(self.held.filter(pk__in=ids).values_list("id", flat=True)) if ids else set()
            # A case whose deadline changed between two chunks may come again: once is enough.
            found = [_key(deadline, pk) for pk, deadline in rows if pk in held and pk not in self._seen]
            self._seen.update(key[2] for key in found)
            self._found += found
            self._read += len(rows)
            self._last = size
            if len(rows) == size:
                self._after = _key(rows[-1][1], rows[-1][0])
            elif self._nulls or self._with_deadline_only:
                self._done = True
            else:
                # The cases without a deadline come next.
                self._nulls, self._after = True, None
        return self._found[:count]

    def shown(self, ids: list[int]) -> list[Case]:
        """The cases of these ids that are still the part's, read for the page."""
        return self._part.still_held(self.held.filter(pk__in=ids).select_related("assignee"))

    def _chunk_for(self, missing: int) -> int:
        # As many as the part's share of the cases read so far says will hold the missing
        # ones, and half as many again; twice the last chunk when none was the part's.
        if not self._read:
            return missing
        if not self._found:
            return 2 * self._last
        return math.ceil(missing * self._read / len(self._found) * 1.5)

    def _next_chunk(self, rows: QuerySet[Case]) -> QuerySet[Case]:
        rows = rows.filter(next_deadline_at__isnull=self._nulls)
        if self._after is not None:
            _nulls, deadline, pk = self._after
            if self._nulls:
                rows = rows.filter(id__gt=pk)
            else:
                rows = rows.filter(
                    Q(next_deadline_at__gt=deadline) | Q(next_deadline_at=deadline, id__gt=pk),
                    next_deadline_at__gte=deadline,
                )
        # Among cases without a deadline this is the order by id, in the index's own terms.
        return rows.order_by(*self._order)


def inbox_page(
    parts: list[CasePart],
    *,
    number: object,
    page_size: int,
    counted_pages: int,
    **filters: Any,
) -> InboxPage:
    """A page of the inbox (earliest pending deadline first, then cases without one, each by id).

    `parts` are the visible cases split so that no case is in two
    (access.visible_case_parts). Each part is read in order, only as far as the page and
    the count need (_Walk), and the parts are merged here: the `OR` of them in one query
    made the database collect and sort every match, thousands on a large history, for 50
    rows. For the same reason the matches are counted only up to `counted_pages` pages,
    and the page says "more than" beyond that.
    """
    walks = [_Walk(part, filters) for part in parts]
    limit = counted_pages * page_size
    found = sum(len(walk.first(limit + 1)) for walk in walks)
    more = found > limit
    num_pages = max(1, math.ceil(min(found, limit) / page_size))
    try:
        wanted = int(str(number))
    except ValueError:
        wanted = 1
    wanted = max(1, wanted if more else min(wanted, num_pages))
    need = wanted * page_size + 1  # one more than the page, to know whether a next page exists
    keys = list(heapq.merge(*(walk.first(need) for walk in walks)))[:need]
    start = (wanted - 1) * page_size
    shown = keys[start : start + page_size]
    by_id: dict[int, Case] = {}
    for walk in walks:
        # Each part's shown cases, checked again by id (a case may have changed since):
        # the part's conditions by the database, and its walk (assigned to her, to nobody)
        # in hand, which read in the query made PostgreSQL walk her cases' index again.
        held = set(walk.first(need))
        ids = [key[2] for key in shown if key in held]
        if ids:
            by_id.update((case.pk, case) for case in walk.shown(ids))
    return InboxPage(
        cases=[by_id[key[2]] for key in shown if key[2] in by_id],
        number=wanted,
        has_next=len(keys) > start + page_size,
        num_pages=num_pages,
        more=more,
    )
