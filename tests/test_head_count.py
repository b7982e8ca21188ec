"""Every unit's head count, kept by the database's triggers, always equals the directory counted afresh.

ombuds.directory.head_count: the dashboard reads the kept counts instead of grouping the
directory's people on every page. These tests write people by every kind of writer (a
save, a bulk insert, a queryset update, a delete, raw SQL, a rolled-back transaction) and
compare the kept counts with a count made here from the people themselves.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ombuds.analytics.figures import Units
from ombuds.analytics.suppress import ROOT
from ombuds.directory import head_count
from ombuds.directory.models import HeadCount, Person, PersonStatus, Unit

pytestmark = pytest.mark.django_db

STATUSES = [PersonStatus.ACTIVE, PersonStatus.ON_LEAVE, PersonStatus.SUSPENDED, PersonStatus.LEFT]


def _counted_afresh() -> dict[int | None, int]:
    """The head counts from the people themselves, in Python: everyone not marked as having left."""
    found: Counter[int | None] = Counter(
        unit for unit, status in Person.objects.values_list("unit_id", "status") if status != "left"
    )
    return dict(found)


def _units(n: int) -> list[Unit]:
    return [Unit.objects.create(path=f"Org/Unit {i}") for i in range(n)]


def _person(number: int, unit: Unit | None, status: str = PersonStatus.ACTIVE) -> Person:
    return Person(employee_id=f"E{number:06d}", name=f"Person {number}", unit=unit, status=status)


def test_a_migrated_database_has_the_head_count_triggers() -> None:
    assert head_count.TRIGGER_SET.missing(connection) == set()


def test_serve_refuses_to_start_without_the_head_count_triggers() -> None:
    head_count.TRIGGER_SET.remove(connection.schema_editor())
    with pytest.raises(CommandError, match="directory_head_count_updated"):
        call_command("serve", "--no-worker")
    head_count.TRIGGER_SET.add(connection.schema_editor())
    assert head_count.TRIGGER_SET.missing(connection) == set()


def test_every_kind_of_writer_keeps_the_counts() -> None:
    sales, legal, hr = _units(3)
    ada = _person(1, sales)
    ada.save()
    Person.objects.bulk_create([_person(n, legal if n % 2 else hr) for n in range(2, 12)])
    Person.objects.bulk_create([_person(n, None) for n in range(12, 15)])
    assert head_count.counts() == _counted_afresh() == {sales.pk: 1, legal.pk: 5, hr.pk: 5, None: 3}

    ada.unit = legal  # a save that moves her
    ada.save()
    assert head_count.counts() == _counted_afresh()
    Person.objects.filter(unit=hr).update(status=PersonStatus.LEFT)  # a queryset update: they left
    assert head_count.counts() == _counted_afresh()
    assert hr.pk not in head_count.counts()
    back = Person.objects.filter(unit=hr).first()
    assert back is not None
    back.status = PersonStatus.ON_LEAVE  # one came back, on leave
    back.save()
    assert head_count.counts()[hr.pk] == 1
    Person.objects.filter(unit=legal).update(unit=None)  # a reorganisation moves them out of any unit
    assert head_count.counts() == _counted_afresh()
    Person.objects.filter(employee_id="E000012").update(name="Renamed")  # nothing counted changed
    assert head_count.counts() == _counted_afresh()
    Person.objects.filter(pk__in=Person.objects.filter(unit__isnull=True).values_list("pk", flat=True)[:2]).delete()
    assert head_count.counts() == _counted_afresh()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO directory_person (employee_id, name, email, unit_id, manager_id, job_title, country, status,"
            " user_id) VALUES ('RAW1', 'Raw', '', %s, NULL, '', '', 'suspended', NULL)",
            [sales.pk],
        )
    assert head_count.counts() == _counted_afresh()
    assert head_count.counts()[sales.pk] == 1


def _failed_import(unit: Unit) -> None:
    with transaction.atomic():
        Person.objects.bulk_create([_person(n, unit) for n in range(5, 9)])
        Person.objects.filter(employee_id="E000000").update(status=PersonStatus.LEFT)
        assert head_count.counts()[unit.pk] == 8
        raise RuntimeError("the import failed")


def test_a_rolled_back_change_takes_its_counts_with_it() -> None:
    (sales,) = _units(1)
    Person.objects.bulk_create([_person(n, sales) for n in range(5)])
    with pytest.raises(RuntimeError):
        _failed_import(sales)
    assert head_count.counts() == _counted_afresh() == {sales.pk: 5}


def test_adding_the_triggers_again_counts_everyone_afresh() -> None:
    """What a migration that rebuilt the table on SQLite does: people written without the triggers are counted."""
    (sales,) = _units(1)
    head_count.TRIGGER_SET.remove(connection.schema_editor())
    Person.objects.bulk_create([_person(n, sales) for n in range(7)])
    assert head_count.counts() == {}  # nobody kept them
    head_count.TRIGGER_SET.add(connection.schema_editor())
    assert head_count.counts() == _counted_afresh() == {sales.pk: 7}


# (what, a unit, another unit, a status, which person): units and people by their place in a list.
Change = tuple[str, int, int, int, int]
CHANGES = st.tuples(
    st.sampled_from(["add", "move", "status", "delete", "move_all", "leave_all"]),
    st.integers(min_value=0, max_value=3),
    st.integers(min_value=0, max_value=3),
    st.integers(min_value=0, max_value=len(STATUSES) - 1),
    st.integers(min_value=0, max_value=1_000),
)


def _apply(changes: list[Change]) -> None:
    """Make the changes in a transaction, checking the counts after each, and undo them all."""
    with transaction.atomic():
        units: list[Unit | None] = [None, *_units(3)]
        for made, (change, unit, other, status, which) in enumerate(changes):
            people = list(Person.objects.order_by("pk").values_list("pk", flat=True))
            if change == "add" or not people:
                Person.objects.bulk_create(
                    [
                        _person(made * 10 + i, units[(unit + i) % 4], STATUSES[(status + i) % 4])
                        for i in range(1 + which % 4)
                    ]
                )
            elif change == "move":
                Person.objects.filter(pk=people[which % len(people)]).update(unit=units[other])
            elif change == "status":
                Person.objects.filter(pk=people[which % len(people)]).update(status=STATUSES[status])
            elif change == "delete":
                Person.objects.filter(pk=people[which % len(people)]).delete()
            elif change == "move_all":
                Person.objects.filter(unit=units[unit]).update(unit=units[other])
            else:
                Person.objects.filter(unit=units[unit]).update(status=PersonStatus.LEFT)
            assert head_count.counts() == _counted_afresh(), change
        assert HeadCount.objects.filter(people__lt=0).count() == 0
        raise _Undo


class _Undo(Exception):
    pass


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(CHANGES, min_size=1, max_size=25))
def test_any_sequence_of_changes_keeps_the_counts(changes: list[Change]) -> None:
    with pytest.raises(_Undo):  # each example starts from nothing
        _apply(changes)
    assert head_count.counts() == {}


def test_the_dashboard_s_units_take_their_head_counts_from_the_kept_counts() -> None:
    units = _units(2)
    Person.objects.bulk_create([_person(n, units[n % 2]) for n in range(13)])
    Person.objects.bulk_create([_person(n, units[0], PersonStatus.LEFT) for n in range(13, 20)])
    found = Units.load(5)
    assert found.head_count == {ROOT: 13, units[0].pk: 7, units[1].pk: 6}
    HeadCount.objects.filter(unit=units[1].pk).update(people=2)  # what the dashboard reads is the kept count
    found = Units.load(5)
    assert found.head_count[ROOT] == 9
    assert units[1].pk not in found.head_count  # now too small: merged into the organisation
