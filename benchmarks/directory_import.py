"""Importing a 100,000-person directory: first import, a dry run and a reorganisation, then one with people watched.

The last import moves the reorganised people back while 2,000 named reporters and
2,000 witnesses are watched by the retaliation watch (ombuds.watch), so the cost of
asking the watch, and of the flags it raises, shows next to the same import without it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks import Measurement, timed

if TYPE_CHECKING:
    from ombuds.directory.importer import ImportResult

PEOPLE = 100_000
FAN_OUT = 8
WATCHED_CASES = 2_000


def write_directory(path: Path, *, people: int = PEOPLE, reorganised: bool = False) -> None:
    """Write a directory CSV: a management tree with FAN_OUT reports per manager.

    A reorganised file moves every tenth person under the next manager along, which
    changes their manager and unit, as a real reorganisation would.
    """
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["employee_id", "name", "email", "unit", "manager_id", "job_title", "country", "status"])
        for number in range(people):
            manager = (number - 1) // FAN_OUT if number else None
            if reorganised and manager is not None and number % 10 == 0 and manager + 1 < number:
                manager += 1
            division = manager % FAN_OUT if manager is not None else 0
            team = manager % 97 if manager is not None else 0
            writer.writerow(
                [
                    f"E{number:06d}",
                    f"Person {number}",
                    f"person{number}@example.org",
                    f"Division {division}/Team {team}",
                    "" if manager is None else f"E{manager:06d}",
                    "Manager" if number * FAN_OUT + 1 < people else "Specialist",
                    ("DE", "FR", "US", "CN", "IN")[number % 5],
                    "active",
                ]
            )


def import_100k(workdir: Path) -> list[Measurement]:
    from ombuds.directory.importer import import_directory
    from ombuds.directory.models import Person

    first, second = workdir / "directory.csv", workdir / "reorganised.csv"
    write_directory(first)
    write_directory(second, reorganised=True)
    rows: list[Measurement] = []

    with timed() as timing:
        result = import_directory(first)
    _check(result.ok and result.created == Person.objects.count() == PEOPLE, result)
    rows.append(timing.measurement("import 100,000 people (empty database)"))

    with timed() as timing:
        result = import_directory(first)
    _check(result.ok and result.unchanged == PEOPLE, result)
    rows.append(timing.measurement("re-import the same file", "nothing written"))

    with timed() as timing:
        result = import_directory(second, dry_run=True)
    _check(result.ok, result)
    moves = len(result.manager_changes)
    rows.append(timing.measurement("dry run of a reorganisation", f"{moves:,} manager changes"))

    with timed() as timing:
        result = import_directory(second)
    _check(result.ok and len(result.manager_changes) == moves, result)
    rows.append(timing.measurement("import the reorganisation", f"{moves:,} manager changes"))

    _watch(WATCHED_CASES)
    with timed() as timing:
        result = import_directory(first)
    _check(result.ok and len(result.manager_changes) == moves, result)
    rows.append(
        timing.measurement(
            "import it back, 4,000 people watched",
            f"{moves:,} manager changes, {_flags():,} retaliation flags",
        )
    )
    return rows


def _watch(cases: int) -> None:
    """Cases filed today, each with a named reporter linked to the directory and a witness.

    Rows are inserted in bulk, as in the inbox benchmark: filing thousands of reports
    through the actions would measure the filing. Every fifth reporter and witness is
    among the people the import moves.
    """
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.utils import timezone

    from ombuds.cases.models import Case, InvolvedPerson, PersonRole, Report, ReporterRole
    from ombuds.directory.models import Person
    from ombuds.watch.models import ReporterLink
    from ombuds.watch.secrecy import person_digest

    staff = User.objects.create_user(username="handler@bench.example", email="handler@bench.example")
    person_ids = dict(Person.objects.values_list("employee_id", "id"))
    now = timezone.now()
    due = now + timedelta(days=7)
    made = Case.objects.bulk_create(
        Case(
            reference=f"W-{n:08d}",
            category="sexual_harassment",
            anonymous=False,
            received_at=now,
            ack_due_at=due,
            feedback_due_at=due + timedelta(days=90),
            next_deadline_at=due,
            sealed=False,
        )
        for n in range(cases)
    )
    reports = Report.objects.bulk_create(
        Report(
            case=case,
            receipt_digest=f"bench-{n}",
            role=ReporterRole.AFFECTED,
            anonymous=False,
            submitted_at=now,
            narrative="-",
        )
        for n, case in enumerate(made)
    )

    def employee(n: int, offset: int) -> str:
        # Multiples of ten are the people the reorganisation moved; every fifth case names one.
        number = 10 * (n + offset) if n % 5 == 0 else 10 * (n + offset) + 3
        return f"E{number:06d}"

    ReporterLink.objects.bulk_create(
        ReporterLink(
            case=report.case,
            report=report,
            person_digest=person_digest(person_ids[employee(n, 1)]),
            employee_id=employee(n, 1),
            linked_by=staff,
            linked_at=now,
        )
        for n, report in enumerate(reports)
    )
    InvolvedPerson.objects.bulk_create(
        InvolvedPerson(report=report, role=PersonRole.WITNESS, name="-", person_id=person_ids[employee(n, 3000)])
        for n, report in enumerate(reports)
    )


def _flags() -> int:
    from ombuds.watch.models import RetaliationFlag

    return RetaliationFlag.objects.count()


def _check(expected: bool, result: ImportResult) -> None:
    # Not assert: a benchmark that silently measured a failed import would mislead.
    if not expected:
        counts = f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
        raise RuntimeError(f"the import did not do what the benchmark expects: {counts}; {result.errors[:5]}")
