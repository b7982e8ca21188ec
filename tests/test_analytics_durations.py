"""A period's duration histograms, kept by their months' digests (stored.durations), equal the sums of the rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ombuds.analytics import figures, stored
from ombuds.analytics.figures import DURATIONS, Period, Units
from ombuds.analytics.models import Month, PeriodDurations
from ombuds.analytics.suppress import ROOT
from ombuds.cases.models import Case
from ombuds.core import synthetic

UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD = Period(date(2026, 6, 1), date(2026, 10, 1))

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path


def _seed() -> None:
    synthetic.seed(synthetic.Options(cases=300, people=120, seed=21, until=UNTIL, history_days=170))
    stored.ensure(PERIOD, figures.zone())


def _scopes() -> list[list[int] | None]:
    units = Units.load(figures.threshold())
    largest = max(units.parents, key=lambda unit: units.head_count[unit])
    return [None, units.within(largest), units.within(ROOT)]


def test_the_kept_sums_are_the_sums_of_the_rows_and_are_read_without_them() -> None:
    _seed()
    for scope in _scopes():
        for key in DURATIONS:
            summed = stored.summed_durations(key, scope, PERIOD)
            assert summed, "the seeded months must have durations"
            assert stored.durations(key, scope, PERIOD) == summed  # made and kept
            with CaptureQueriesContext(connection) as queries:
                again = stored.durations(key, scope, PERIOD)
            assert again == summed
            assert not [q for q in queries.captured_queries if "analytics_monthlyduration" in q["sql"]], (
                "a kept sum read the months' rows again"
            )
    assert PeriodDurations.objects.count() == 3 * len(DURATIONS)


def test_a_month_counted_again_with_other_durations_gives_another_sum() -> None:
    _seed()
    before = {key: stored.durations(key, None, PERIOD) for key in DURATIONS}
    case = (
        Case.objects.filter(received_at__month=8, received_at__year=2026, held_in_escrow=False)
        .exclude(acknowledged_at=None)
        .first()
    )
    assert case is not None and case.acknowledged_at is not None
    # Acknowledged ten days later: a change no count of the month shows, only its durations.
    Case.objects.filter(pk=case.pk).update(acknowledged_at=case.acknowledged_at + timedelta(days=10))
    stored.ensure(PERIOD, figures.zone())
    after = stored.durations("acknowledge", None, PERIOD)
    assert after == stored.summed_durations("acknowledge", None, PERIOD)
    assert after != before["acknowledge"]
    assert stored.durations("close", None, PERIOD) == before["close"]  # kept: the same months' sums


def test_months_without_digests_of_their_durations_are_summed_each_time() -> None:
    _seed()
    Month.objects.update(digests={})
    for key in DURATIONS:
        assert stored.durations(key, None, PERIOD) == stored.summed_durations(key, None, PERIOD)
    assert PeriodDurations.objects.count() == 0
    # The sweeper counts such months again, and their sums are then kept.
    stored.refresh(UNTIL, budget=3600)
    assert all("duration:close" in digests for digests in Month.objects.values_list("digests", flat=True))
    stored.durations("close", None, PERIOD)
    assert PeriodDurations.objects.count() == 1


def test_the_sweeper_forgets_sums_not_made_for_two_days() -> None:
    _seed()
    stored.durations("close", None, PERIOD)
    made = PeriodDurations.objects.get().made_at
    assert stored.forget_kept_durations(made + timedelta(days=1)) == 0
    assert stored.forget_kept_durations(made + timedelta(days=2, seconds=1)) == 1
    assert stored.durations("close", None, PERIOD) == stored.summed_durations("close", None, PERIOD)
