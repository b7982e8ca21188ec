"""Importing a 100,000-person directory: first import, a dry run and a reorganisation."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks import Measurement, timed

if TYPE_CHECKING:
    from ombuds.directory.importer import ImportResult

PEOPLE = 100_000
FAN_OUT = 8


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
    return rows


def _check(expected: bool, result: ImportResult) -> None:
    # Not assert: a benchmark that silently measured a failed import would mislead.
    if not expected:
        counts = f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
        raise RuntimeError(f"the import did not do what the benchmark expects: {counts}; {result.errors[:5]}")
