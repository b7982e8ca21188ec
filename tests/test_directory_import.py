"""Importing the directory from CSV: units, people, managers, errors, dry runs, the command."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper
from django.db import connection

from ombuds.directory.importer import COLUMNS, ImportResult, import_directory
from ombuds.directory.management.commands.directory import ProgressBar
from ombuds.directory.models import Person, PersonStatus, Unit

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "directory.csv"


def person(employee_id: str, /, **cells: str) -> dict[str, str]:
    """A row with every column, filled with plausible values unless given."""
    number = employee_id.lstrip("E")
    row = {
        "employee_id": employee_id,
        "name": f"Person {number}",
        "email": f"person{number}@example.org",
        "unit": "Sales/EMEA",
        "manager_id": "",
        "job_title": "Account Executive",
        "country": "DE",
        "status": "active",
    }
    row.update(cells)
    return row


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


# A chain of four levels: E1 leads, E2 reports to E1, E3 to E2, E4 and E5 to E3.
CHAIN = [
    person("E1", unit="Sales", job_title="Chief Sales Officer"),
    person("E2", manager_id="E1", job_title="Head of EMEA"),
    person("E3", manager_id="E2", unit="Sales/EMEA/Berlin", job_title="Team Lead"),
    person("E4", manager_id="E3", unit="Sales/EMEA/Berlin"),
    person("E5", manager_id="E3", unit="Sales/EMEA/Berlin", status="on_leave", country="fr"),
]


def manager_of(employee_id: str) -> str | None:
    manager = Person.objects.get(employee_id=employee_id).manager
    return None if manager is None else manager.employee_id


def snapshot() -> list[tuple[object, ...]]:
    """Everything an import can change, to show that a refused import changed nothing."""
    people = Person.objects.order_by("employee_id").values_list(
        "employee_id", "name", "email", "unit__path", "manager__employee_id", "job_title", "country", "status"
    )
    return [*people, *Unit.objects.order_by("path").values_list("path", "parent__path")]


def imported(tmp_path: Path, rows: list[dict[str, str]], *, dry_run: bool = False) -> ImportResult:
    return import_directory(write(tmp_path / "directory.csv", rows), dry_run=dry_run)


# --- A valid file ------------------------------------------------------------------------


def test_it_creates_units_people_and_managers(tmp_path: Path) -> None:
    result = imported(tmp_path, CHAIN)

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged, result.units_created) == (5, 0, 0, 3)
    assert dict(Unit.objects.values_list("path", "parent__path")) == {
        "Sales": None,
        "Sales/EMEA": "Sales",
        "Sales/EMEA/Berlin": "Sales/EMEA",
    }
    assert Unit.objects.get(path="Sales/EMEA/Berlin").name == "Berlin"
    assert [manager_of(f"E{n}") for n in range(1, 6)] == [None, "E1", "E2", "E3", "E3"]
    e5 = Person.objects.get(employee_id="E5")
    assert (e5.name, e5.email, e5.unit and e5.unit.path, e5.job_title, e5.country, e5.status) == (
        "Person 5",
        "person5@example.org",
        "Sales/EMEA/Berlin",
        "Account Executive",
        "FR",
        PersonStatus.ON_LEAVE,
    )
    assert sorted(result.changed_person_ids) == sorted(Person.objects.values_list("id", flat=True))


def test_it_does_not_care_about_the_order_of_rows(tmp_path: Path) -> None:
    result = imported(tmp_path, list(reversed(CHAIN)))

    assert result.errors == []
    assert [manager_of(f"E{n}") for n in range(1, 6)] == [None, "E1", "E2", "E3", "E3"]


def test_it_fills_in_defaults_and_tidies_cells(tmp_path: Path) -> None:
    result = imported(
        tmp_path,
        [person(" E1 ", name=" Ana Silva ", unit=" Sales / EMEA ", status="", country="", email="", job_title="")],
    )

    assert result.errors == []
    ana = Person.objects.get(employee_id="E1")
    assert (ana.name, ana.unit and ana.unit.path, ana.status, ana.country) == ("Ana Silva", "Sales/EMEA", "active", "")


def test_it_reads_rows_given_as_mappings() -> None:
    result = import_directory(
        [{"employee_id": "E1", "name": "Ana"}, {"employee_id": "E2", "name": "Ben", "manager_id": "E1"}]
    )

    assert result.errors == []
    assert manager_of("E2") == "E1"


def test_it_accepts_a_byte_order_mark_and_windows_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_bytes(
        "\ufeffemployee_id,name,email,unit,manager_id,job_title,country,status\r\nE1,Zoë Müller,,,,,,\r\n".encode()
    )

    assert import_directory(path).errors == []
    assert Person.objects.get(employee_id="E1").name == "Zoë Müller"


def test_it_reports_progress_up_to_the_number_of_rows(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []

    imported_result = import_directory(
        write(tmp_path / "d.csv", CHAIN), progress=lambda done, total: calls.append((done, total))
    )

    assert imported_result.errors == []
    assert calls[0] == (0, 5)
    assert calls[-1] == (5, 5)
    assert [done for done, _total in calls] == sorted(done for done, _total in calls)


# --- Importing again ---------------------------------------------------------------------


def test_it_updates_changed_people_and_leaves_people_absent_from_the_file_alone(tmp_path: Path) -> None:
    imported(tmp_path, [*CHAIN, person("E6", manager_id="E3")])
    (e6_before,) = [entry for entry in snapshot() if entry[0] == "E6"]

    changed = [
        *CHAIN[:3],
        person("E4", manager_id="E3", unit="Sales/EMEA/Berlin", job_title="Senior Account Executive"),
        CHAIN[4],
    ]
    result = imported(tmp_path, changed)

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged, result.units_created) == (0, 1, 4, 0)
    assert Person.objects.get(employee_id="E4").job_title == "Senior Account Executive"
    assert Person.objects.count() == 6
    assert [entry for entry in snapshot() if entry[0] == "E6"] == [e6_before]
    assert result.manager_changes == []
    assert result.changed_person_ids == []  # a new title moves nobody's chain


def test_it_counts_an_unchanged_file_as_unchanged_and_writes_nothing(tmp_path: Path) -> None:
    imported(tmp_path, CHAIN)
    before = snapshot()

    result = imported(tmp_path, CHAIN)

    assert (result.created, result.updated, result.unchanged, result.units_created) == (0, 0, 5, 0)
    assert snapshot() == before


def test_it_reports_whose_manager_or_unit_changed(tmp_path: Path) -> None:
    imported(tmp_path, CHAIN)
    moved = [
        *CHAIN[:3],
        person("E4", manager_id="E2", unit="Sales/EMEA/Berlin"),  # new manager
        person("E5", manager_id="E3", unit="Sales/EMEA/Paris", status="on_leave", country="FR"),  # new unit
    ]

    result = imported(tmp_path, moved)

    assert result.errors == []
    assert result.manager_changes == ["E4"]
    assert manager_of("E4") == "E2"
    ids = dict(Person.objects.values_list("employee_id", "id"))
    assert sorted(result.changed_person_ids) == sorted([ids["E4"], ids["E5"]])
    assert result.units_created == 1


def test_it_clears_a_manager_left_empty(tmp_path: Path) -> None:
    imported(tmp_path, CHAIN)

    result = imported(tmp_path, [person("E2", job_title="Head of EMEA")])

    assert result.manager_changes == ["E2"]
    assert manager_of("E2") is None


def test_it_accepts_a_manager_already_in_the_database(tmp_path: Path) -> None:
    imported(tmp_path, CHAIN)

    result = imported(tmp_path, [person("E10", manager_id="E3"), person("E11", manager_id="E10")])

    assert result.errors == []
    assert result.created == 2
    assert manager_of("E10") == "E3"
    assert manager_of("E11") == "E10"


# --- Errors ------------------------------------------------------------------------------

BAD_ROWS = {
    "empty employee id": ({"employee_id": ""}, "row 3, employee_id: must not be empty"),
    "employee id too long": ({"employee_id": "E" * 65}, "row 3, employee_id: longer than 64 characters"),
    "empty name": ({"name": ""}, "row 3, name: must not be empty"),
    "name too long": ({"name": "n" * 201}, "row 3, name: longer than 200 characters"),
    "not an e-mail address": ({"email": "kim at example.org"}, "row 3, email: not an e-mail address"),
    "e-mail too long": ({"email": "k" * 243 + "@example.org"}, "row 3, email: longer than 254 characters"),
    "unit path too long": ({"unit": "/".join(["u" * 99] * 6)}, "row 3, unit: longer than 500 characters"),
    "unit part too long": ({"unit": "Sales/" + "u" * 201}, "row 3, unit: has a part longer than 200 characters"),
    "unit with an empty part": ({"unit": "Sales//EMEA"}, "row 3, unit: has an empty part"),
    "unknown manager": ({"manager_id": "E999"}, 'row 3, manager_id: no person with employee id "E999"'),
    "own manager": ({"manager_id": "E2"}, "row 3, manager_id: a person cannot be their own manager"),
    "job title too long": ({"job_title": "t" * 201}, "row 3, job_title: longer than 200 characters"),
    "country of three letters": ({"country": "DEU"}, "row 3, country: must be a two-letter country code"),
    "country with a digit": ({"country": "D1"}, "row 3, country: must be a two-letter country code"),
    "unknown status": ({"status": "retired"}, 'row 3, status: unknown status "retired"'),
}


@pytest.mark.parametrize(("cells", "expected"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_it_names_row_and_field_of_a_bad_row_and_changes_nothing(
    tmp_path: Path, cells: dict[str, str], expected: str
) -> None:
    imported(tmp_path, [person("E1")])
    before = snapshot()

    result = imported(tmp_path, [person("E1", job_title="Changed"), person("E2", **cells)])

    assert len(result.errors) == 1
    assert result.errors[0].startswith(expected), result.errors
    assert not result.ok
    assert snapshot() == before


def test_it_refuses_an_employee_id_twice_in_the_file(tmp_path: Path) -> None:
    result = imported(tmp_path, [person("E1"), person("E2"), person("E1", name="Someone else")])

    assert result.errors == ['row 4, employee_id: "E1" already appears in row 2']
    assert Person.objects.count() == 0


def test_it_lists_every_error_in_file_order(tmp_path: Path) -> None:
    result = imported(
        tmp_path,
        [
            person("E1", manager_id="E404"),
            person("E2", email="nope", country="Germany"),
            person("E3", name="", status="gone"),
        ],
    )

    assert result.errors == [
        'row 2, manager_id: no person with employee id "E404"',
        "row 3, email: not an e-mail address",
        "row 3, country: must be a two-letter country code such as DE, or empty",
        "row 4, name: must not be empty",
        'row 4, status: unknown status "gone"; use one of active, on_leave, suspended, left',
    ]
    assert Person.objects.count() == 0
    assert Unit.objects.count() == 0


def test_it_numbers_rows_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    # A blank line is still a row; a quoted line break stays inside one row.
    path = tmp_path / "directory.csv"
    path.write_text(
        ",".join(COLUMNS) + '\nE1,Ana,,,,"Head of\nSales",,\n\nE2,Ben,ben@,,,,,\n',
        encoding="utf-8",
    )

    assert import_directory(path).errors == ["row 4, email: not an e-mail address"]


def test_it_checks_the_header(tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_text("employee_id,name,email,unit,manger_id,job_title,country\nE1,Ana,,,,,\n", encoding="utf-8")

    assert import_directory(path).errors == [
        'row 1: missing column "manager_id"',
        'row 1: missing column "status"',
        'row 1: unknown column "manger_id"',
    ]


def test_it_refuses_a_column_without_a_name(tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_text(",".join(COLUMNS) + ",\nE1,Ana,,,,,,,\n", encoding="utf-8")

    assert import_directory(path).errors == ["row 1: a column has no name; remove empty columns"]


def test_it_refuses_a_row_with_more_values_than_columns(tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_text(",".join(COLUMNS) + "\nE1,Ana,,,,Lead, Sales,DE,active\n", encoding="utf-8")

    assert import_directory(path).errors == ["row 2: 9 values, but the header has 8 columns"]


def test_it_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_bytes((",".join(COLUMNS) + "\nE1,Zoë,,,,,,\n").encode("latin-1"))

    result = import_directory(path)

    assert len(result.errors) == 1
    assert result.errors[0].startswith("the file is not UTF-8 text")
    assert Person.objects.count() == 0


def test_it_refuses_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "directory.csv"
    path.write_text("", encoding="utf-8")

    assert import_directory(path).errors == ["row 1: the file is empty; it needs a header row"]


# --- Management cycles ---------------------------------------------------------------------


def test_it_refuses_a_manager_cycle_within_the_file(tmp_path: Path) -> None:
    result = imported(
        tmp_path,
        [person("E1", manager_id="E2"), person("E2", manager_id="E3"), person("E3", manager_id="E1"), person("E4")],
    )

    assert result.errors == ["manager cycle: E1 → E2 → E3 → E1"]
    assert Person.objects.count() == 0


def test_it_refuses_a_cycle_formed_with_links_already_in_the_database(tmp_path: Path) -> None:
    imported(tmp_path, CHAIN)
    before = snapshot()

    # E1 is at the top; putting them under E4 (who reports to E3 → E2 → E1) closes a loop.
    result = imported(tmp_path, [person("E1", unit="Sales", job_title="Chief Sales Officer", manager_id="E4")])

    assert result.errors == ["manager cycle: E1 → E4 → E3 → E2 → E1"]
    assert snapshot() == before


def test_it_allows_swapping_a_manager_and_a_report_in_one_file(tmp_path: Path) -> None:
    imported(tmp_path, CHAIN)

    result = imported(
        tmp_path,
        [
            person("E3", manager_id="E4", unit="Sales/EMEA/Berlin"),
            person("E4", manager_id="E2", unit="Sales/EMEA/Berlin"),
        ],
    )

    assert result.errors == []
    assert (manager_of("E3"), manager_of("E4"), manager_of("E5")) == ("E4", "E2", "E3")


# --- Dry run -------------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_but_reports_counts_and_manager_changes(tmp_path: Path) -> None:
    imported(tmp_path, CHAIN)
    before = snapshot()
    reorganised = [
        *CHAIN[:3],
        person("E4", manager_id="E2", unit="Sales/EMEA/Berlin"),
        CHAIN[4],
        person("E6", manager_id="E4", unit="Sales/APAC"),
    ]

    result = imported(tmp_path, reorganised, dry_run=True)

    assert result.errors == []
    assert result.dry_run
    assert (result.created, result.updated, result.unchanged, result.units_created) == (1, 1, 4, 1)
    assert result.manager_changes == ["E4"]
    assert [tuple(move) for move in result.manager_moves] == [("E4", "E3", "E2")]
    assert snapshot() == before


def test_a_dry_run_finds_errors_too(tmp_path: Path) -> None:
    result = imported(tmp_path, [person("E1", manager_id="E2"), person("E2", manager_id="E1")], dry_run=True)

    assert result.errors == ["manager cycle: E1 → E2 → E1"]


# --- The example in the documentation ----------------------------------------------------------


def test_it_imports_the_example_file_from_the_docs() -> None:
    result = import_directory(EXAMPLE)

    assert result.errors == []
    assert result.created == Person.objects.count() >= 10
    assert Unit.objects.count() == 3
    # The deepest chain in the example: an account executive, their team lead, the head of sales, the CEO.
    chain = []
    current: Person | None = Person.objects.get(employee_id="E1005")
    while current is not None:
        chain.append(current.employee_id)
        current = current.manager
    assert chain == ["E1005", "E1004", "E1002", "E1001"]


# --- The command ---------------------------------------------------------------------------------


def test_the_command_imports_and_prints_a_summary_and_progress() -> None:
    out, err = StringIO(), StringIO()

    call_command("directory", "import", str(EXAMPLE), stdout=out, stderr=err)

    assert "people: 14 created, 0 updated, 0 unchanged" in out.getvalue()
    assert "units: 3 created" in out.getvalue()
    assert "dry run" not in out.getvalue()
    # Not a terminal: whole lines, the last one complete.
    assert "\r" not in err.getvalue()
    assert err.getvalue().splitlines()[-1] == "importing 100% [####################] 14/14"
    assert Person.objects.count() == 14


def test_the_command_dry_run_says_nothing_was_changed(tmp_path: Path) -> None:
    call_command("directory", "import", str(EXAMPLE), stdout=StringIO(), stderr=StringIO())
    path = tmp_path / "moved.csv"
    path.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("Site Reliability Engineer,IT", "SRE,IT"), encoding="utf-8"
    )
    moved = path.read_text(encoding="utf-8").replace("E1008,Software Engineer,DE", "E1003,Software Engineer,DE")
    path.write_text(moved, encoding="utf-8")
    before = snapshot()
    out = StringIO()

    call_command("directory", "import", str(path), "--dry-run", stdout=out, stderr=StringIO())

    lines = out.getvalue().splitlines()
    assert "people: 0 created, 2 updated, 12 unchanged" in lines
    assert "manager changes: 1" in lines
    assert "  E1009: E1008 → E1003" in lines
    assert lines[-1] == "dry run: nothing was changed"
    assert snapshot() == before


def test_the_command_fails_on_a_bad_file_printing_each_error_and_changing_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", [person("E1", manager_id="E999"), person("E2", email="no")])
    err = StringIO()

    with pytest.raises(CommandError, match=r"2 errors in .*bad.csv; nothing was changed"):
        call_command("directory", "import", str(path), stdout=StringIO(), stderr=err)

    assert 'row 2, manager_id: no person with employee id "E999"' in err.getvalue().splitlines()
    assert "row 3, email: not an e-mail address" in err.getvalue().splitlines()
    assert Person.objects.count() == 0


def test_the_command_fails_on_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("directory", "import", str(tmp_path / "missing.csv"), stdout=StringIO(), stderr=StringIO())


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_redraws_one_line_on_a_terminal() -> None:
    terminal = Terminal()
    bar = ProgressBar(OutputWrapper(terminal))

    for done in (0, 42_000, 100_000):
        bar(done, 100_000)
    bar.close()

    assert terminal.getvalue() == (
        "\rimporting   0% [                    ] 0/100000"
        "\rimporting  42% [########            ] 42000/100000"
        "\rimporting 100% [####################] 100000/100000\n"
    )


def test_the_progress_bar_writes_a_line_per_tenth_in_a_log() -> None:
    log = StringIO()
    bar = ProgressBar(OutputWrapper(log))

    for done in range(0, 1001, 25):
        bar(done, 1000)
    bar.close()

    assert [line.split("]")[0][:14] for line in log.getvalue().splitlines()] == [
        f"importing {percent:3d}%" for percent in range(0, 101, 10)
    ]


# --- A large directory -----------------------------------------------------------------------------


@pytest.mark.slow
def test_it_imports_100000_people(tmp_path: Path) -> None:
    # A tree with eight reports per manager; person n reports to person (n - 1) // 8.
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for n in range(100_000):
            manager = f"E{(n - 1) // 8}" if n else ""
            writer.writerow(
                [f"E{n}", f"Person {n}", f"p{n}@example.org", f"Org/Division {n % 7}", manager, "", "DE", ""]
            )

    result = import_directory(path)

    assert result.errors == []
    assert result.created == Person.objects.count() == 100_000
    assert result.units_created == 8
    assert manager_of("E0") is None
    assert manager_of("E77777") == "E9722"
    assert manager_of("E99999") == "E12499"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's kept plans")
def test_a_large_import_after_a_small_one_checks_managers_through_the_index(tmp_path: Path) -> None:
    """PostgreSQL keeps the plan of each foreign-key check for the connection's life.

    Made while the directory was a page or two, it reads the whole table; kept for an
    import of many people on the same connection (a worker that imported a small
    directory first), every manager check of the large one then read every person: an
    import of 100,000 people took over ten minutes in its checks. The importer drops the
    kept plans before its checks run, so they are planned for the table as it is.
    """
    with connection.cursor() as cursor:
        # What autovacuum leaves on a table that once held people and was emptied (the
        # test database after a test that committed): no ten-page floor in the estimates.
        cursor.execute(f"ANALYZE {Person._meta.db_table}")
    small = [person("E0", unit="Org"), *(person(f"E{n}", unit="Org", manager_id="E0") for n in range(1, 12))]
    assert import_directory(write(tmp_path / "first.csv", small)).ok
    # The manager checks run on a table of one page: past the fifth, PostgreSQL keeps one
    # plan for all that follow on this connection.
    connection.check_constraints()
    rows = [person("E0", unit="Org")]
    rows += [person(f"E{n}", unit="Org", manager_id=f"E{(n - 1) // 8}") for n in range(1, 4000)]
    large = write(tmp_path / "large.csv", rows)
    before = _person_scans()

    assert import_directory(large).ok
    connection.check_constraints()

    # The importer's own reads of the table are a handful; a check kept on the old plan is one a row.
    assert _person_scans() - before < 50, f"{_person_scans() - before} reads of the whole table"


def _person_scans() -> int:
    """Whole-table reads of directory_person in this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = %s", [Person._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row else 0
