"""The stored monthly totals and reporting units stay current, and a kept suppression is the one decided afresh."""

from __future__ import annotations

import importlib
import random
import zoneinfo
from collections import Counter
from collections.abc import Hashable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection

from ombuds.analytics import figures, stored
from ombuds.analytics.figures import Period
from ombuds.analytics.models import Month
from ombuds.analytics.suppress import ROOT, TOTAL, Grid, Key
from ombuds.cases import units
from ombuds.cases.models import Case, Category, InvolvedPerson, Organisation, PersonRole
from ombuds.core import synthetic
from ombuds.directory.models import Person
from tests.support import FileReport, Personas

UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD = Period(date(2026, 7, 1), date(2026, 10, 1))


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path


@pytest.fixture
def seeded(db: None) -> None:
    synthetic.seed(synthetic.Options(cases=240, people=90, seed=11, until=UNTIL, history_days=150))


def _first_accused_units() -> dict[int, int | None]:
    """Each case's unit the plain way: the first accused person linked to the directory."""
    found: dict[int, int | None] = {}
    for case_id, unit_id in (
        InvolvedPerson.objects.filter(role=PersonRole.ACCUSED, person__isnull=False)
        .order_by("report__submitted_at", "position", "pk")
        .values_list("report__case_id", "person__unit_id")
    ):
        found.setdefault(case_id, unit_id)
    return found


def _stored_units() -> dict[int, int | None]:
    return dict(Case.objects.values_list("pk", "reporting_unit_id"))


def _by_category(period: Period) -> Counter[str]:
    tz = zoneinfo.ZoneInfo(Organisation.objects.get(pk=1).zone_name())
    start = datetime.combine(period.first, time(), tz)
    end = datetime.combine(period.end + timedelta(days=1), time(), tz)
    return Counter(
        Case.objects.filter(held_in_escrow=False, received_at__gte=start, received_at__lt=end).values_list(
            "category", flat=True
        )
    )


def _shown_categories(board: figures.Dashboard) -> dict[str, int]:
    return {row.key: row.cell.count for row in board.figure("category").rows}


@pytest.mark.usefixtures("seeded")
def test_seeding_stores_each_case_unit_as_the_first_accused_gives_it() -> None:
    expected = _first_accused_units()
    found = _stored_units()
    assert any(unit is not None for unit in found.values())
    assert found == {pk: expected.get(pk) for pk in found}


@pytest.mark.usefixtures("seeded")
def test_the_migration_fills_the_unit_of_cases_stored_before_it() -> None:
    expected = _stored_units()
    Case.objects.update(reporting_unit=None)
    migration = importlib.import_module("ombuds.cases.migrations.0014_reporting_unit")
    migration.backfill(django_apps, connection.schema_editor())
    assert _stored_units() == expected


@pytest.mark.usefixtures("seeded")
def test_linking_another_accused_moves_the_case_and_its_counts() -> None:
    tz = figures.zone()
    figures.build(period=PERIOD, scope=ROOT, reduced=False)
    start = datetime.combine(PERIOD.first, time(), tz)
    mention = (
        InvolvedPerson.objects.filter(
            role=PersonRole.ACCUSED, person__isnull=False, report__case__received_at__gte=start
        )
        .select_related("report__case", "person")
        .first()
    )
    assert mention is not None
    case = mention.report.case
    assert mention.person is not None
    month = case.received_at.astimezone(tz).strftime("%Y-%m")
    other = Person.objects.exclude(unit=mention.person.unit).exclude(unit=None).first()
    assert other is not None and Month.objects.filter(pk=month, stale=False).exists()
    mention.person = other
    mention.save(update_fields=["person"])
    units.refresh(case.pk)
    assert Case.objects.get(pk=case.pk).reporting_unit_id == other.unit_id
    assert Month.objects.get(pk=month).stale
    day = case.received_at.astimezone(tz).date()
    counted = stored.counts(Period.covering(day, day), tz)
    assert (other.unit_id, month, case.category) in counted["category"]
    assert not Month.objects.get(pk=month).stale


@pytest.mark.usefixtures("seeded")
def test_a_changed_case_is_counted_again_in_its_month() -> None:
    before = _shown_categories(figures.build(period=PERIOD, scope=ROOT, reduced=False))
    assert before == {key: _by_category(PERIOD)[key] for key in Category.values}
    start = datetime.combine(PERIOD.first, time(), figures.zone())
    moved = list(Case.objects.filter(received_at__gte=start, category=Category.SEXUAL_HARASSMENT)[:3])
    assert moved
    for case in moved:
        case.category = Category.OTHER
        case.save(update_fields=["category"])
    after = _shown_categories(figures.build(period=PERIOD, scope=ROOT, reduced=False))
    assert after == {key: _by_category(PERIOD)[key] for key in Category.values}
    assert after[Category.OTHER] == before[Category.OTHER] + len(moved)
    assert after[Category.SEXUAL_HARASSMENT] == before[Category.SEXUAL_HARASSMENT] - len(moved)


@pytest.mark.usefixtures("seeded")
def test_a_month_counted_in_another_time_zone_is_counted_again() -> None:
    figures.build(period=PERIOD, scope=ROOT, reduced=False)
    Month.objects.update(zone="Pacific/Kiritimati")
    assert stored.ensure(PERIOD, figures.zone()) == len(PERIOD.months())


class _Memo:
    def __init__(self) -> None:
        self.kept: dict[str, list[tuple[int, Hashable]]] = {}
        self.hits = 0

    def load(self, digests: Sequence[str]) -> dict[str, list[tuple[int, Hashable]]]:
        found = {digest: self.kept[digest] for digest in digests if digest in self.kept}
        self.hits += len(found)
        return found

    def save(self, decided: Any) -> None:
        self.kept.update(decided)


def _grid(own: dict[Key, int], memo: _Memo | None) -> Grid:
    parents = {1: ROOT, 2: ROOT, 3: 1, 4: 1, 5: 2, 6: 5}
    months: list[Hashable] = ["2026-01", "2026-02"]
    return Grid(threshold=5, parents=parents, months=months, values=["a", "b", "c"], own=own, memo=memo)


@pytest.mark.parametrize("seed", range(8))
def test_a_kept_decision_is_the_one_made_afresh_and_a_changed_count_is_decided_again(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - test data, not a secret
    own: dict[Key, int] = {
        (unit, month, value): rng.choice([0, 0, 1, 2, 4, 5, 7, 12, 30])
        for unit in range(7)
        for month in ("2026-01", "2026-02")
        for value in "abc"
    }
    memo = _Memo()
    first = _grid(own, memo)
    assert memo.hits == 0 and len(memo.kept) == 2
    again = _grid(own, memo)
    assert memo.hits == 2
    plain = _grid(own, None)
    cells = [(unit, month, value) for unit in range(7) for month in ("2026-01", "2026-02") for value in [*"abc", TOTAL]]
    for unit, month, value in cells:
        assert again.cell(unit, [month], value) == plain.cell(unit, [month], value) == first.cell(unit, [month], value)
    changed = dict(own)
    changed[(3, "2026-02", "a")] += 1
    hits = memo.hits
    _grid(changed, memo)
    assert memo.hits == hits + 1  # January kept, February decided again


def test_the_actions_keep_each_case_unit(file_report: FileReport, staff: Personas) -> None:
    from ombuds.cases import actions
    from ombuds.cases.actions.conflicts import directory_changed
    from ombuds.directory.models import Unit

    sales = Unit.objects.create(path="Sales", name="Sales")
    legal = Unit.objects.create(path="Legal", name="Legal")
    staff.name_the_accused()
    Person.objects.filter(employee_id=Personas.ACCUSED_ID).update(unit=sales)
    picked = file_report(people=staff.name_the_accused())
    assert Case.objects.get(pk=picked.case.pk).reporting_unit_id == sales.pk
    typed = file_report(people=[actions.NewPerson(name="Robin Roe", role="accused")])
    assert Case.objects.get(pk=typed.case.pk).reporting_unit_id is None
    robin = Person.objects.create(employee_id="P-ROBIN", name="Robin Roe", unit=legal)
    mention = InvolvedPerson.objects.get(report__case=typed.case, role=PersonRole.ACCUSED)
    actions.link_person(mention=mention, actor=staff.handler, person=robin)
    assert Case.objects.get(pk=typed.case.pk).reporting_unit_id == legal.pk
    # A directory import moves the accused: his case follows him.
    Person.objects.filter(employee_id=Personas.ACCUSED_ID).update(unit=legal)
    directory_changed()
    assert Case.objects.get(pk=picked.case.pk).reporting_unit_id == legal.pk
