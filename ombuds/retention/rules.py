"""How long each closed case is kept: per category, after its closing (docs/retention.md).

Closed without investigation, or referred elsewhere, two months by default; investigated
and decided, five years by default. Administrators set other periods per category
(ombuds.retention.actions.configure_rule); a category without a rule keeps the defaults.
A change deletes nothing earlier than the periods before it would have for NOTICE after
it is made, so that the oversight body can see it in the audit trail and place legal
holds before a shortened period takes any content.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from ombuds.cases.models import Case, Category, Outcome, Status
from ombuds.lib.durations import Duration
from ombuds.retention.models import DEFAULT_AFTER_DECISION, DEFAULT_WITHOUT_INVESTIGATION, RetentionRule


@dataclass(frozen=True)
class Periods:
    category: str
    without_investigation: str
    after_decision: str


def periods() -> dict[str, Periods]:
    """Every category's periods, as written (ISO 8601), the defaults where nothing is set."""
    found = {
        rule.category: Periods(rule.category, rule.without_investigation, rule.after_decision)
        for rule in RetentionRule.objects.all()
    }
    return {
        category.value: found.get(
            category.value, Periods(category.value, DEFAULT_WITHOUT_INVESTIGATION, DEFAULT_AFTER_DECISION)
        )
        for category in Category
    }


# For this long after a change, the periods before it still hold content back.
NOTICE = timedelta(days=30)


def erasing_periods(now: datetime) -> dict[str, tuple[Periods, ...]]:
    """Every category's periods that must all have passed before content is deleted at `now`.

    The periods set now; for NOTICE after a change, the periods before it too.
    """
    table = periods()
    found: dict[str, tuple[Periods, ...]] = {category: (chosen,) for category, chosen in table.items()}
    recent = RetentionRule.objects.filter(changed_at__gt=now - NOTICE).exclude(previous_without_investigation="")
    for rule in recent:
        before_change = Periods(rule.category, rule.previous_without_investigation, rule.previous_after_decision)
        found[rule.category] = (table[rule.category], before_change)
    return found


# An investigated case: decided (its outcome), or with a finding recorded before it was closed.
INVESTIGATED = Q(outcome=Outcome.DECIDED) | ~Q(finding="")


def was_investigated(case: Case) -> bool:
    return case.outcome == Outcome.DECIDED or bool(case.finding)


def period_of(case: Case, table: dict[str, Periods] | None = None) -> Duration:
    chosen = (table or periods())[case.category]
    return Duration.parse(chosen.after_decision if was_investigated(case) else chosen.without_investigation)


def delete_after(case: Case, now: datetime) -> datetime | None:
    """When the case's content is deleted, as the rules stand at `now`, once closed; None while it is open."""
    if case.status != Status.CLOSED or case.closed_at is None:
        return None
    closed_at = case.closed_at
    return max(
        period_of(case, {case.category: chosen}).after(closed_at) for chosen in erasing_periods(now)[case.category]
    )


def before(now: datetime, duration: Duration) -> datetime:
    """The latest closing moment whose period has ended by `now` (months back, clamped to month end)."""
    moment = now - duration.exact
    if duration.months:
        index = moment.month - 1 - duration.months
        year = moment.year + index // 12
        month = index % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        moment = moment.replace(year=year, month=month, day=day)
    return moment
