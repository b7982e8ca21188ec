"""Each month's kept cells (ombuds.analytics.sheets) give exactly the figures of the whole period decided at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from ombuds.analytics import figures, sheets, stored
from ombuds.analytics.figures import SOURCES, Period, Units
from ombuds.analytics.models import Month, MonthlyCount, Sheet
from ombuds.analytics.suppress import ROOT, TOTAL, Grid, State, share_totals
from ombuds.cases.models import Case, Category
from ombuds.core import synthetic
from ombuds.directory.models import Person, PersonStatus
from tests.support import Personas, api_client_for

UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD = Period(date(2026, 6, 1), date(2026, 10, 1))


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path


def _seed(seed: int) -> None:
    synthetic.seed(synthetic.Options(cases=300, people=120, seed=seed, until=UNTIL, history_days=170))


def _whole_period_grids(units: Units) -> dict[str, Grid]:
    """The dated grids of the whole period decided at once, with no kept decision: what the dashboard used to do."""
    tz = figures.zone()
    monthly = stored.counts(PERIOD, tz)
    grids = {}
    for key in stored.DATED:
        source = SOURCES[key]
        grids[key] = figures.grid(
            source, units, PERIOD, tz, figures.own_counts(monthly.get(key, {}), units, source.organisation_only)
        )
    share_totals([grids[key] for key in figures.SHARED_TOTALS])
    return grids


def _every_cell_agrees(units: Units) -> int:
    """Compare every unit's every cell, month by month and over the period; how many cells were hidden."""
    tz = figures.zone()
    reference = _whole_period_grids(units)
    months: list[Hashable] = list(PERIOD.months())
    spans = [[month] for month in months] + [months, months[1:3]]
    hidden = 0
    for scope in [ROOT, *units.parents]:
        kept, values = sheets.cells(PERIOD, scope, units, tz)
        for key, grid in reference.items():
            assert values[key] == grid.values
            for value in [*grid.values, TOTAL]:
                for span in spans:
                    expected = grid.cell(scope, span, value)
                    assert kept.cell(key, scope, span, value) == expected, (key, scope, span, value)
                    hidden += expected.state is not State.SHOWN
    return hidden


@pytest.mark.django_db
@pytest.mark.parametrize(("seed", "limit"), [(3, 5), (8, 3), (21, 7)])
def test_kept_month_sheets_give_every_cell_the_whole_period_gives(settings: Any, seed: int, limit: int) -> None:
    settings.OMBUDS_ANALYTICS_THRESHOLD = limit
    _seed(seed)
    units = Units.load(limit)
    assert len(units.parents) >= 3  # sub-units to hide cells across
    # Decided and kept on the first reading of each scope, read back for the others.
    hidden = _every_cell_agrees(units)
    assert hidden > 0  # the comparison met small and suppressed cells, not only shown ones
    assert Sheet.objects.filter(unit=ROOT).count() == len(PERIOD.months())
    # Read again from the kept rows alone: the same.
    before = Sheet.objects.count()
    assert _every_cell_agrees(units) == hidden
    assert Sheet.objects.count() == before


def _categories(scope: int = ROOT) -> dict[str, int]:
    board = figures.build(period=PERIOD, scope=scope, reduced=False)
    return {row.key: row.cell.count for row in board.figure("category").rows}


@pytest.mark.django_db
def test_a_changed_month_gets_a_new_sheet_and_the_others_are_kept() -> None:
    _seed(5)
    before = _categories()
    kept = dict(Sheet.objects.filter(unit=ROOT).values_list("month", "key"))
    case = Case.objects.filter(received_at__month=8, received_at__year=2026, held_in_escrow=False).first()
    assert case is not None
    other = next(category for category in Category.values if category != case.category)
    Case.objects.filter(pk=case.pk).update(category=other)
    after = _categories()
    assert after[case.category] == before[case.category] - 1
    assert after[other] == before[other] + 1
    now = dict(Sheet.objects.filter(unit=ROOT).values_list("month", "key"))
    changed = {month for month in kept if kept[month] != now[month]}
    assert changed == {"2026-08"}
    # The sheet of the changed month replaced the old one.
    assert Sheet.objects.filter(month="2026-08").values("key").distinct().count() == 1


@pytest.mark.django_db
def test_a_directory_change_or_another_threshold_is_decided_again(settings: Any) -> None:
    _seed(9)
    units = Units.load(figures.threshold())
    _every_cell_agrees(units)
    first = set(Sheet.objects.filter(unit=ROOT).values_list("key", flat=True))
    # Everyone of the largest sub-unit leaves: it is merged into its parent, and so are its cases.
    largest = max(units.parents, key=lambda unit: units.head_count[unit])
    Person.objects.filter(unit_id__in=units.within(largest)).update(status=PersonStatus.LEFT)
    moved = Units.load(figures.threshold())
    assert largest not in moved.parents
    _every_cell_agrees(moved)
    second = set(Sheet.objects.filter(unit=ROOT).values_list("key", flat=True))
    assert not first & second
    settings.OMBUDS_ANALYTICS_THRESHOLD = 3
    lower = Units.load(3)
    _every_cell_agrees(lower)
    assert not second & set(Sheet.objects.filter(unit=ROOT).values_list("key", flat=True))


@pytest.mark.django_db
def test_the_sweeper_decides_the_last_twelve_months_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(13)
    stored.build_all()
    now = datetime(2026, 10, 20, tzinfo=UTC)
    assert sheets.prepare(now) == len(Month.objects.filter(month__gte="2025-11", month__lte="2026-10"))
    assert sheets.prepare(now) == 0  # nothing left to decide

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the dashboard decided a month the sweeper had decided")

    monkeypatch.setattr(sheets, "decide", refuse)
    board = figures.build(period=PERIOD, scope=ROOT, reduced=False)
    assert board.figure("category").total is not None


@pytest.mark.django_db
def test_a_month_without_digests_is_decided_but_not_kept() -> None:
    _seed(17)
    _categories()
    Month.objects.filter(month="2026-09").update(digests={})
    Sheet.objects.filter(month="2026-09").delete()
    rows = MonthlyCount.objects.filter(month="2026-09", dimension="category")
    expected = dict.fromkeys(Category.values, 0)
    for value, n in rows.values_list("value", "count"):
        expected[value.strip('"')] += n
    board = figures.build(period=Period(date(2026, 9, 1), date(2026, 9, 1)), scope=ROOT, reduced=False)
    shown = {row.key: row.cell.count for row in board.figure("category").rows}
    assert shown == expected
    assert not Sheet.objects.filter(month="2026-09").exists()


# --- The present's sheet -------------------------------------------------------------


def _present_grids(units: Units) -> dict[str, Grid]:
    """The present's grids counted from the cases themselves and decided at once: what the dashboard used to do."""
    tz = figures.zone()
    grids = {key: figures.grid(SOURCES[key], units, PERIOD, tz) for key in sheets.PRESENT}
    share_totals([grids[key] for key in figures.OVERDUE])
    return grids


def _present_agrees(units: Units) -> int:
    """Every unit's cells of the present, and its sub-units' totals, as read from the kept sheet; how many hidden."""
    tz = figures.zone()
    reference = _present_grids(units)
    hidden = 0
    for scope in [ROOT, *units.parents]:
        kept, values = sheets.present(scope, units, tz)
        for key, grid in reference.items():
            assert values[key] == grid.values, key
            for value in [*grid.values, TOTAL]:
                expected = grid.cell(scope, [figures.NOW], value)
                assert kept.cell(key, scope, [figures.NOW], value) == expected, (key, scope, value)
                hidden += expected.state is not State.SHOWN
            for child in units.children(scope):
                assert kept.cell(key, child, [figures.NOW], TOTAL) == grid.cell(child, [figures.NOW], TOTAL)
    return hidden


def _late() -> Any:
    return Case.objects.filter(held_in_escrow=False, next_deadline_at__lt=datetime.now(UTC)).exclude(status="closed")


@pytest.mark.django_db
@pytest.mark.parametrize(("seed", "limit"), [(3, 5), (21, 3)])
def test_the_kept_present_gives_every_cell_the_present_decided_at_once(
    settings: Any, monkeypatch: pytest.MonkeyPatch, seed: int, limit: int
) -> None:
    settings.OMBUDS_ANALYTICS_THRESHOLD = limit
    _seed(seed)
    late = _late()
    Case.objects.filter(pk__in=list(late.order_by("pk").values_list("pk", flat=True)[::3])).update(assignee=None)
    assert late.count() >= 20, "the seeded data must have cases overdue now"
    units = Units.load(limit)
    hidden = _present_agrees(units)
    assert hidden > 0  # the comparison met small and suppressed cells, not only shown ones
    assert Sheet.objects.filter(month=figures.NOW, unit=ROOT).count() == 1

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the present was decided again for the same counts")

    # Read again from the kept rows alone: the same.
    monkeypatch.setattr(sheets, "decide_present", refuse)
    assert _present_agrees(units) == hidden


@pytest.mark.django_db
def test_a_changed_present_gets_a_new_sheet_in_place_of_the_old() -> None:
    _seed(5)
    units = Units.load(figures.threshold())
    tz = figures.zone()
    sheets.present(ROOT, units, tz)
    first = set(Sheet.objects.filter(month=figures.NOW).values_list("key", flat=True))
    before = _late().count()
    closed = _late().order_by("pk").first()
    assert closed is not None
    Case.objects.filter(pk=closed.pk).update(status="closed")
    kept, _values = sheets.present(ROOT, units, tz)
    assert kept.cell("overdue", ROOT, [figures.NOW], TOTAL).count == before - 1
    second = set(Sheet.objects.filter(month=figures.NOW).values_list("key", flat=True))
    assert len(first) == len(second) == 1 and first != second
    _present_agrees(units)
    # A directory change alone gives another key too.
    largest = max(units.parents, key=lambda unit: units.head_count[unit])
    Person.objects.filter(unit_id__in=units.within(largest)).update(status=PersonStatus.LEFT)
    moved = Units.load(figures.threshold())
    _present_agrees(moved)
    third = set(Sheet.objects.filter(month=figures.NOW).values_list("key", flat=True))
    assert len(third) == 1 and third.isdisjoint(first | second)


@pytest.mark.django_db
def test_the_sweeper_keeps_the_present_for_the_next_dashboard(monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(13)
    assert sheets.prepare_present() is True
    assert sheets.prepare_present() is False  # the same counts: nothing to decide

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the dashboard decided the present the sweeper had kept")

    monkeypatch.setattr(sheets, "decide_present", refuse)
    # Through the API, as the organisation's day and zone are in a request: oversight's
    # dashboard and a lead handler's reduced one, of the organisation and of a sub-unit.
    staff = Personas()
    units = Units.load(figures.threshold())
    scope = max(units.parents, key=lambda unit: units.head_count[unit])
    for member in (staff.oversight, staff.lead):
        for unit in (ROOT, scope):
            answer = api_client_for(member).get("/api/v1/analytics", {"unit": str(unit)})
            assert answer.status_code == 200, answer.content
            keys = {figure["key"] for figure in answer.json()["figures"]}
            assert "overdue_unit" in keys


@pytest.mark.django_db
def test_a_lead_handlers_dashboard_neither_reads_nor_decides_the_present_it_does_not_show(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reduced dashboard shows the cases overdue now and no other figure of the present: its work on the
    present must not depend on the others (a report held in escrow, measures), so it reads only their sheet."""
    _seed(13)
    counted: list[str] = []
    real = sheets.Present.count

    def count(tz: Any, part: str = figures.NOW) -> sheets.Present:
        counted.append(part)
        return real(tz, part)

    monkeypatch.setattr(sheets.Present, "count", staticmethod(count))
    staff = Personas()
    units = Units.load(figures.threshold())
    scope = max(units.parents, key=lambda unit: units.head_count[unit])
    for member, parts in ((staff.lead, {figures.NOW}), (staff.oversight, {figures.NOW, sheets.REST})):
        for unit in (ROOT, scope):
            counted.clear()
            answer = api_client_for(member).get("/api/v1/analytics", {"unit": str(unit)})
            assert answer.status_code == 200, answer.content
            assert set(counted) == parts, (member, unit)
    # Each part is kept in a sheet of its own, under its own key.
    assert set(Sheet.objects.filter(unit=ROOT).values_list("month", flat=True)) >= {figures.NOW, sheets.REST}


# serialized_rollback as every transactional test (see tests/test_analytics_stored.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's writers take turns")
def test_on_postgresql_the_writers_of_a_months_sheets_take_turns() -> None:
    """A writer keeping a sheet waits while another holds the month: no sheet is left with only some of its rows."""
    _seed(5)
    units = Units.load(figures.threshold())
    counted = sheets.Present.count(figures.zone())
    key = counted.key(sheets.shape(units)[0])
    found = sheets.decide_present(counted, units)
    assert len(found) > 3  # a sheet of several units' rows
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        other = connections.create_connection("default")
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [sheets._SHEET_LOCKS, figures.NOW])
            holding.set()
            release.wait(10)
            cursor.execute("COMMIT")
        other.close()

    done: list[bool] = []

    def write() -> None:
        sheets.keep(found, {figures.NOW: key})
        done.append(True)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.5)
    assert done == [], "the sheet was written while another writer held the month"
    release.set()
    holder.join(10)
    writer.join(10)
    assert done == [True]
    assert Sheet.objects.filter(key=key).count() == len(found)
