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
from ombuds.analytics.models import ChangedDay, Decision, Month, MonthlyCount, MonthlyDuration
from ombuds.analytics.suppress import ROOT, TOTAL, Grid, Key, State
from ombuds.cases import units
from ombuds.cases.models import Case, Category, Finding, InvolvedPerson, Organisation, PersonRole
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
    stored.absorb_changes()
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


# --- Kept current by the database's own triggers -------------------------------------------------


def _independent(period: Period) -> Counter[tuple[int | None, str, str]]:
    """(directory unit, month, category) of every visible case received in the period, counted in Python."""
    tz = figures.zone()
    months = set(period.months())
    counted: Counter[tuple[int | None, str, str]] = Counter()
    for received, unit, category in Case.objects.filter(held_in_escrow=False).values_list(
        "received_at", "reporting_unit_id", "category"
    ):
        month = received.astimezone(tz).strftime("%Y-%m")
        if month in months:
            counted[(unit, month, category)] += 1
    return counted


def _stored_categories(period: Period) -> Counter[tuple[int | None, str, str]]:
    raw = stored.counts(period, figures.zone())["category"]
    return Counter({key: n for key, n in raw.items() if n})  # type: ignore[misc]


def _rows_of_other_months(month: str) -> tuple[set[int], dict[str, datetime]]:
    """The stored rows (ids) and counting moments of every month but this one: a month counted again has new ones."""
    rows = set(MonthlyCount.objects.exclude(month=month).values_list("pk", flat=True))
    rows |= {-pk for pk in MonthlyDuration.objects.exclude(month=month).values_list("pk", flat=True)}
    return rows, dict(Month.objects.exclude(month=month).values_list("month", "built_at"))


def _cases_of(month: str, category: str, n: int) -> list[Case]:
    tz = figures.zone()
    first = date(int(month[:4]), int(month[5:]), 1)
    start = datetime.combine(first, time(), tz)
    end = datetime.combine((first + timedelta(days=32)).replace(day=1), time(), tz)
    found = list(
        Case.objects.filter(held_in_escrow=False, received_at__gte=start, received_at__lt=end, category=category)[:n]
    )
    assert len(found) == n
    return found


@pytest.mark.usefixtures("seeded")
def test_a_queryset_update_is_counted_again_and_only_its_month() -> None:
    figures.build(period=PERIOD, scope=ROOT, reduced=False)
    assert _stored_categories(PERIOD) == _independent(PERIOD)
    others = _rows_of_other_months("2026-08")
    moved = [case.pk for case in _cases_of("2026-08", Category.SEXUAL_HARASSMENT, 3)]
    Case.objects.filter(pk__in=moved).update(category=Category.OTHER)
    board = figures.build(period=PERIOD, scope=ROOT, reduced=False)
    assert _stored_categories(PERIOD) == _independent(PERIOD)
    assert _shown_categories(board) == {key: _by_category(PERIOD)[key] for key in Category.values}
    assert _rows_of_other_months("2026-08") == others  # July, September and October were not counted again


@pytest.mark.usefixtures("seeded")
def test_raw_sql_is_counted_again_in_the_api_figures(staff: Personas) -> None:
    from tests.support import api_client_for

    params = {"from": PERIOD.first.isoformat(), "to": PERIOD.end.isoformat()}
    api = api_client_for(staff.oversight)

    def shown() -> dict[str, int]:
        """The category counts the API shows (suppressed ones left out), each checked against a plain count."""
        answer = api.get("/api/v1/analytics", params)
        assert answer.status_code == 200, answer.content
        category = next(f for f in answer.json()["figures"] if f["key"] == "category")
        found = {row["key"]: row["count"] for row in category["rows"] if row["state"] == State.SHOWN}
        plain = _by_category(PERIOD)
        assert found == {key: plain[key] for key in found}
        return found

    before = shown()
    moved = _cases_of("2026-09", Category.SEXUAL_HARASSMENT, 2)
    with connection.cursor() as cursor:
        for case in moved:
            cursor.execute("UPDATE cases_case SET category = %s WHERE id = %s", [Category.OTHER, case.pk])
    after = shown()
    assert after[Category.SEXUAL_HARASSMENT] == before[Category.SEXUAL_HARASSMENT] - 2
    assert _stored_categories(PERIOD) == _independent(PERIOD)


@pytest.mark.usefixtures("seeded")
def test_cases_made_with_bulk_create_are_counted() -> None:
    figures.build(period=PERIOD, scope=ROOT, reduced=False)
    others = _rows_of_other_months("2026-10")
    tz = figures.zone()
    received = datetime(2026, 10, 14, 9, tzinfo=tz)
    Case.objects.bulk_create(
        [
            Case(
                reference=f"BULK-{index}",
                category=Category.SEXUAL_ASSAULT,
                anonymous=True,
                received_at=received,
                ack_due_at=received + timedelta(days=7),
                feedback_due_at=received + timedelta(days=90),
            )
            for index in range(6)
        ]
    )
    board = figures.build(period=PERIOD, scope=ROOT, reduced=False)
    assert _stored_categories(PERIOD) == _independent(PERIOD)
    assert _shown_categories(board)[Category.SEXUAL_ASSAULT] == _by_category(PERIOD)[Category.SEXUAL_ASSAULT]
    assert _rows_of_other_months("2026-10") == others


@pytest.mark.usefixtures("seeded")
def test_a_repeat_offender_alert_appended_to_the_log_is_counted() -> None:
    from django.db import transaction

    from ombuds.audit import log
    from ombuds.audit.models import ActorKind, AuditEvent, EventType

    tz = figures.zone()

    def alerts_of_july() -> int:
        start, end = datetime(2026, 7, 1, tzinfo=tz), datetime(2026, 8, 1, tzinfo=tz)
        return AuditEvent.objects.filter(
            event_type=int(EventType.REPEAT_OFFENDER_ALERT), at__gte=start, at__lt=end
        ).count()

    def stored_alerts() -> int:
        raw = stored.counts(PERIOD, tz)["alerts"]
        return sum(n for (_unit, month, _value), n in raw.items() if month == "2026-07")

    figures.build(period=PERIOD, scope=ROOT, reduced=False)
    before = stored_alerts()
    assert before == alerts_of_july()
    others = _rows_of_other_months("2026-07")
    with transaction.atomic():
        for day in range(3, 9):
            log.record(
                EventType.REPEAT_OFFENDER_ALERT,
                at=datetime(2026, 7, day, 12, tzinfo=tz),
                case_id=None,
                actor_kind=ActorKind.SYSTEM,
                detail={"links": 2},
            )
    board = figures.build(period=PERIOD, scope=ROOT, reduced=False)
    assert stored_alerts() == alerts_of_july() == before + 6
    total = board.figure("alerts").total
    shown = sum(row.cell.count for row in board.figure("alerts").rows if row.cell.shown)
    assert (total.count if total is not None else shown) == AuditEvent.objects.filter(
        event_type=int(EventType.REPEAT_OFFENDER_ALERT),
        at__gte=datetime(2026, 7, 1, tzinfo=tz),
        at__lt=datetime(2026, 11, 1, tzinfo=tz),
    ).count()
    assert _rows_of_other_months("2026-07") == others


@pytest.mark.usefixtures("seeded")
def test_a_case_taken_into_escrow_leaves_the_escalation_counts_of_its_month() -> None:
    from ombuds.cases.models import Escalation

    tz = figures.zone()
    figures.build(period=PERIOD, scope=ROOT, reduced=False)
    start = datetime.combine(PERIOD.first, time(), tz)
    escalation = Escalation.objects.filter(at__gte=start, case__held_in_escrow=False).select_related("case").first()
    assert escalation is not None
    month = escalation.at.astimezone(tz).strftime("%Y-%m")

    def escalations() -> tuple[int, int]:
        raw = stored.counts(PERIOD, tz)["escalation"]
        counted = sum(n for (_unit, m, _step), n in raw.items() if m == month)
        first = datetime.combine(date(int(month[:4]), int(month[5:]), 1), time(), tz)
        end = datetime.combine((first.date() + timedelta(days=32)).replace(day=1), time(), tz)
        plain = Escalation.objects.filter(case__held_in_escrow=False, at__gte=first, at__lt=end).count()
        return counted, plain

    counted, plain = escalations()
    assert counted == plain
    Case.objects.filter(pk=escalation.case_id).update(held_in_escrow=True)
    counted, plain_after = escalations()
    assert counted == plain_after < plain


@pytest.mark.usefixtures("seeded")
def test_a_directory_import_moves_the_counts_of_the_cases_it_moves() -> None:
    from ombuds.cases.actions.conflicts import directory_changed
    from ombuds.directory.models import Unit

    figures.build(period=PERIOD, scope=ROOT, reduced=False)
    moved_unit = (
        Case.objects.exclude(reporting_unit=None).values_list("reporting_unit_id", flat=True).order_by("pk").first()
    )
    assert moved_unit is not None
    target = Unit.objects.exclude(pk=moved_unit).first()
    assert target is not None
    Person.objects.filter(unit_id=moved_unit).update(unit=target)
    directory_changed()
    assert not Case.objects.filter(reporting_unit_id=moved_unit).exists()
    assert _stored_categories(PERIOD) == _independent(PERIOD)


@pytest.mark.usefixtures("seeded")
def test_a_utc_day_across_two_local_months_marks_both(settings: Any) -> None:
    Organisation.objects.filter(pk=1).update(time_zone="Asia/Shanghai")  # UTC+8
    tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    assert stored.months_touched([date(2026, 7, 31)], tz) == {"2026-07", "2026-08"}
    assert stored.months_touched([date(2026, 7, 30)], tz) == {"2026-07"}
    assert stored.months_touched([date(2026, 7, 31)], zoneinfo.ZoneInfo("America/New_York")) == {"2026-07"}
    assert stored.months_touched([date(2026, 8, 1)], zoneinfo.ZoneInfo("America/New_York")) == {"2026-07", "2026-08"}
    stored.ensure(PERIOD, tz)
    assert not Month.objects.filter(stale=True).exists()
    case = Case.objects.filter(held_in_escrow=False).first()
    assert case is not None
    # 03:00 on 1 August in Shanghai is still 31 July in UTC.
    Case.objects.filter(pk=case.pk).update(received_at=datetime(2026, 8, 1, 3, tzinfo=tz))
    stored.absorb_changes()
    assert set(Month.objects.filter(stale=True).values_list("month", flat=True)) >= {"2026-07", "2026-08"}
    assert _stored_categories(PERIOD) == _independent(PERIOD)


@pytest.mark.usefixtures("seeded")
def test_a_change_that_counts_nothing_records_no_day() -> None:
    stored.absorb_changes()
    case = Case.objects.filter(held_in_escrow=False, closed_at__isnull=False).first()
    assert case is not None
    Case.objects.filter(pk=case.pk).update(next_deadline_at=None, referral="x")
    assert not ChangedDay.objects.exists()
    finding = next(value for value in Finding.values if value != case.finding)
    Case.objects.filter(pk=case.pk).update(finding=finding)
    assert case.closed_at is not None
    assert list(ChangedDay.objects.values_list("day", flat=True)) == [case.closed_at.astimezone(UTC).date()]


def test_a_case_save_costs_no_query_for_the_analytics(file_report: FileReport) -> None:
    from django.db.models.signals import post_delete, post_save, pre_save
    from django.test.utils import CaptureQueriesContext

    case = file_report().case
    for signal in (pre_save, post_save, post_delete):
        assert not signal.has_listeners(Case)
    with CaptureQueriesContext(connection) as queries:
        case.category = Category.OTHER
        case.save()
    assert len(queries) == 1, [query["sql"] for query in queries]
    # ... yet the database has recorded the day.
    assert ChangedDay.objects.filter(day=case.received_at.astimezone(UTC).date()).exists()


def test_the_migrated_database_has_every_change_trigger(db: None) -> None:
    """Migrations that rebuild a table on SQLite drop its triggers; the last one must put them back."""
    from ombuds.analytics.migrations import _change_triggers
    from ombuds.audit.models import EventType

    assert _change_triggers.TRIGGER_SET.missing(connection) == set()
    assert len(_change_triggers.TRIGGERS) == 18
    assert int(EventType.REPEAT_OFFENDER_ALERT) == _change_triggers.REPEAT_OFFENDER_ALERT
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER analytics_case_updated" + (" ON cases_case" if connection.vendor == "postgresql" else "")
        )
    assert _change_triggers.TRIGGER_SET.missing(connection) == {"analytics_case_updated"}


# serialized_rollback as every transactional test here: without it the flush afterwards
# makes the content types again, and the next test that restores the serialized rows
# finds them there already.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writers take turns")
def test_a_day_recorded_by_a_writer_still_running_is_left_for_the_next_time() -> None:
    """The same day recorded by a committed writer and by one still running: taking the first leaves the second's."""
    from django.db import connections

    moment = datetime(2026, 8, 3, 10, tzinfo=UTC)
    writer = connections.create_connection("default")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT analytics_record_days(%s)", [moment])  # committed at once (autocommit)
        writer.set_autocommit(False)
        with writer.cursor() as cursor:  # the same day, while the committed row is there
            cursor.execute("SELECT analytics_record_days(%s)", [moment])
        assert stored.absorb_changes() == 1
        writer.commit()
        assert stored.absorb_changes() == 1  # the running writer's day was not lost
        assert stored.absorb_changes() == 0
    finally:
        writer.close()


def test_serve_refuses_to_start_without_the_change_triggers(db: None) -> None:
    from django.core.management import CommandError, call_command

    from ombuds.analytics.migrations import _change_triggers

    with connection.cursor() as cursor:
        for statement in _change_triggers.TRIGGER_SET.statements(connection.vendor, adding=False):
            cursor.execute(statement)
    with pytest.raises(CommandError, match="analytics_case_inserted"):
        call_command("serve", "--no-worker")
    _change_triggers.TRIGGER_SET.add(connection.schema_editor())
    assert _change_triggers.TRIGGER_SET.missing(connection) == set()


@pytest.mark.usefixtures("seeded")
def test_the_sweeper_counts_stale_months_so_the_dashboard_finds_them_fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    from ombuds.core import sweep

    figures.build(period=PERIOD, scope=ROOT, reduced=False)
    moved = [case.pk for month in ("2026-07", "2026-08", "2026-09") for case in _cases_of(month, Category.OTHER, 1)]
    Case.objects.filter(pk__in=moved).update(category=Category.BULLYING)
    now = datetime(2026, 9, 15, 12, tzinfo=UTC)  # in the newest of the months changed
    # With no time to spare, one month a pass, the newest first.
    assert stored.refresh(now, budget=0) == 1
    assert set(Month.objects.filter(stale=True).values_list("month", flat=True)) == {"2026-07", "2026-08"}
    sweep.run(now)
    assert not Month.objects.filter(stale=True).exists()
    assert _stored_categories(PERIOD) == _independent(PERIOD)
    # The dashboard counts nothing again: every month it needs is fresh.
    built = []
    monkeypatch.setattr(stored, "build_month", lambda month, tz: built.append(month))
    figures.build(period=PERIOD, scope=ROOT, reduced=False)
    assert built == []


@pytest.mark.usefixtures("seeded")
def test_the_sweeper_counts_a_new_month_before_anyone_asks() -> None:
    assert not Month.objects.filter(month="2026-12").exists()
    assert stored.refresh(datetime(2026, 12, 5, 12, tzinfo=UTC)) >= 1
    assert Month.objects.filter(month="2026-12", stale=False).exists()


def _every_cell(board: figures.Dashboard) -> list[tuple[str, str, int, str]]:
    return [
        (figure.key, row.key, row.cell.count, str(row.cell.state))
        for figure in board.figures
        for row in [*figure.rows, *([figures.Row("total", "", figure.total)] if figure.total else [])]
    ]


@pytest.mark.usefixtures("seeded")
def test_a_months_digest_follows_its_stored_rows_and_names_the_same_decision_as_hashing_them() -> None:
    tz = figures.zone()
    with_digests = _every_cell(figures.build(period=PERIOD, scope=ROOT, reduced=False))
    kept = dict(Month.objects.values_list("month", "digests"))
    assert set(kept["2026-08"]) == set(stored.DATED) | {f"duration:{key}" for key in figures.DURATIONS}
    # Counted again unchanged: the same digests.
    Month.objects.update(stale=True)
    stored.ensure(PERIOD, tz)
    assert dict(Month.objects.values_list("month", "digests")) == kept
    # A queryset update of August: August's category digest changes, no other month's.
    moved = [case.pk for case in _cases_of("2026-08", Category.SEXUAL_HARASSMENT, 2)]
    Case.objects.filter(pk__in=moved).update(category=Category.OTHER)
    stored.ensure(PERIOD, tz)
    now = dict(Month.objects.values_list("month", "digests"))
    assert now["2026-08"]["category"] != kept["2026-08"]["category"]
    assert {month: d for month, d in now.items() if month != "2026-08"} == {
        month: d for month, d in kept.items() if month != "2026-08"
    }
    Case.objects.filter(pk__in=moved).update(category=Category.SEXUAL_HARASSMENT)
    stored.ensure(PERIOD, tz)
    assert dict(Month.objects.values_list("month", "digests")) == kept
    # Months without digests (counted before they existed) are hashed from their counts,
    # and every decision made afresh: the same figures, cell for cell.
    Month.objects.update(digests={})
    Decision.objects.all().delete()
    assert _every_cell(figures.build(period=PERIOD, scope=ROOT, reduced=False)) == with_digests
    assert Decision.objects.exists()
