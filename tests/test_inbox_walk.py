"""The inbox reads each part of what a handler sees in its order, and only as far as its page.

selectors.inbox_page walks the cases assigned to her, and the unassigned ones, in
(deadline, id) order through an index, in chunks, and checks the rest of each part's
conditions (pools, conflicts, escrow, deleted content) for the cases read. On
PostgreSQL the part queries it replaced collected and sorted every match when the
planner expected only a handful (docs/performance.md).
"""

import json
import re
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ombuds.cases import access, selectors
from ombuds.cases.models import Case, PoolMembership, Status

pytestmark = pytest.mark.django_db

_serial = count(1)


def _cases(number: int, *, assignee: Any, category: str, deadline: Any, status: str = Status.RECEIVED) -> None:
    """`number` cases at once, `deadline` giving each one's next deadline from its place (or None)."""
    now = timezone.now()
    Case.objects.bulk_create(
        Case(
            reference=f"C-T{next(_serial):07d}",
            category=category,
            status=status,
            anonymous=False,
            received_at=now - timedelta(days=30),
            ack_due_at=now - timedelta(days=23),
            feedback_due_at=now + timedelta(days=60),
            next_deadline_at=deadline(i),
            assignee=assignee,
        )
        for i in range(number)
    )


def _whole_inbox(user: Any, *, page_size: int, **filters: Any) -> list[str]:
    shown: list[str] = []
    number = 1
    while True:
        page = selectors.inbox_page(
            access.visible_case_parts(user),
            user=user,
            now=timezone.now(),
            number=number,
            page_size=page_size,
            counted_pages=1000,
            **filters,
        )
        shown += [case.reference for case in page]
        if not page.has_next:
            return shown
        number += 1


@pytest.mark.parametrize("filters", [{}, {"overdue": True}, {"due_within": 3}, {"category": "bullying"}])
def test_the_pages_in_small_chunks_are_the_single_query_in_order(staff, monkeypatch, filters) -> None:
    # Chunks of two to four cases, so that the walks go on from where a chunk ended many
    # times, over deadlines that tie, into the cases without one, past cases of pools
    # that are not hers.
    monkeypatch.setattr(selectors, "_FIRST_CHUNK", 2, raising=False)
    monkeypatch.setattr(selectors, "_LARGEST_CHUNK", 4, raising=False)
    PoolMembership.objects.create(category="bullying", user=staff.handler)
    PoolMembership.objects.create(category="retaliation", user=staff.handler2)
    now = timezone.now()
    hourly = lambda i: now + timedelta(hours=i // 3 - 8)  # noqa: E731 (three cases an hour)
    _cases(17, assignee=staff.handler, category="retaliation", deadline=hourly)
    _cases(6, assignee=staff.handler, category="other", deadline=lambda i: None, status=Status.CLOSED)
    _cases(13, assignee=None, category="bullying", deadline=hourly)
    _cases(11, assignee=None, category="retaliation", deadline=hourly)  # handler2's pool
    _cases(5, assignee=None, category="other", deadline=lambda i: None)  # nobody's pool: everyone's
    _cases(9, assignee=staff.handler2, category="bullying", deadline=hourly)
    expected = [
        case.reference
        for case in selectors.inbox(access.visible_cases(staff.handler), user=staff.handler, now=now, **filters)
    ]
    assert expected
    assert _whole_inbox(staff.handler, page_size=3, **filters) == expected


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += _plan_nodes(child)
    return nodes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner; SQLite walks its index anyway")
def test_on_postgresql_the_inbox_reads_only_as_far_as_its_page(staff) -> None:
    # Thousands of overdue cases of hers and unassigned in her pool, among more that are
    # not hers, the statistics as after a load (retention_erasure never analysed); a page
    # of ten, counted up to three pages. The rows any step of any of its queries produces
    # must stay near what the page and the count need, far under the thousands.
    PoolMembership.objects.create(category="bullying", user=staff.handler)
    PoolMembership.objects.create(category="retaliation", user=staff.handler2)
    now = timezone.now()
    minutes = lambda i: now - timedelta(days=20) + timedelta(minutes=i)  # noqa: E731
    _cases(3000, assignee=staff.handler, category="bullying", deadline=minutes)
    _cases(6000, assignee=staff.handler, category="other", deadline=lambda i: None, status=Status.CLOSED)
    _cases(3000, assignee=None, category="bullying", deadline=minutes)
    _cases(3000, assignee=None, category="retaliation", deadline=minutes)
    _cases(6000, assignee=staff.handler2, category="bullying", deadline=minutes)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
    user = staff.handler
    with CaptureQueriesContext(connection) as queries:
        page = selectors.inbox_page(
            access.visible_case_parts(user), user=user, now=now, number=1, page_size=10, counted_pages=3, overdue=True
        )
    expected = list(selectors.inbox(access.visible_cases(user), user=user, now=now, overdue=True)[:10])
    assert [case.pk for case in page] == [case.pk for case in expected]
    assert page.more
    largest = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if not re.match(r"\s*SELECT\b.*\bcases_case\b", query["sql"], re.S):
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
            (plan,) = cursor.fetchone()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            nodes = _plan_nodes(plan[0]["Plan"])
            rows = max(node["Actual Rows"] * node["Actual Loops"] for node in nodes)
            largest.append((rows, [node["Node Type"] for node in nodes], query["sql"][:200]))
    assert largest
    assert max(rows for rows, _nodes, _sql in largest) <= 300, max(largest)


def test_a_case_reassigned_after_the_walk_read_it_is_not_shown(staff, monkeypatch) -> None:
    """Between a part's walk and the reading of the page, a case given to another handler leaves her inbox."""
    now = timezone.now()
    _cases(3, assignee=staff.handler, category="retaliation", deadline=lambda i: now - timedelta(hours=i + 1))
    _cases(2, assignee=None, category="retaliation", deadline=lambda i: now - timedelta(hours=i + 10))
    first = selectors._Walk.first
    moved: list[str] = []

    def first_then_reassign(self: Any, count: int) -> Any:
        found = first(self, count)
        if not moved:
            # One of hers and one unassigned case, read by the walks, now go to her colleague.
            for kind in (Case.objects.filter(assignee=staff.handler), Case.objects.filter(assignee=None)):
                case = kind.order_by("pk").first()
                assert case is not None
                Case.objects.filter(pk=case.pk).update(assignee=staff.handler2)
                moved.append(case.reference)
        return found

    monkeypatch.setattr(selectors._Walk, "first", first_then_reassign)
    page = selectors.inbox_page(
        access.visible_case_parts(staff.handler),
        user=staff.handler,
        now=now,
        number=1,
        page_size=50,
        counted_pages=10,
    )
    shown = {case.reference for case in page}
    assert len(moved) == 2
    assert not shown & set(moved), "a case now another handler's was shown"
    assert len(shown) == 3
