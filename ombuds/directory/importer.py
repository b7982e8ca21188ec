"""Import the organisation's directory from a CSV file.

The file states, for each person in it, their full record: name, e-mail, unit, manager,
job title, country and status. People are matched by employee id; people missing from
the file are left as they are, so a file may hold the whole organisation or one part
of it. docs/directory.md describes the format for the people who prepare the file.

Everything is checked before anything is written, and one error anywhere means nothing
is written: a half-imported directory would give wrong management chains, and those
decide who must be kept out of a case. Conflict recomputation reads
`ImportResult.changed_person_ids` and `ImportResult.manager_changes` to know whose
chains moved.

Written for large files: the database is read in two queries, new people are written
with bulk_create and changes with batched UPDATEs, 2,000 rows at a time, and managers
are linked in a second pass once every person has a database id.

Observers registered in ombuds.directory.observers (the retaliation watch) are told, in
the import's transaction, of the changes to the people they watch; only those people's
old and new values are put together. Import listeners (the oversight body's notice,
ombuds.administration.import_notice) are given each written import's result there too.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.utils import timezone

from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.directory import observers
from ombuds.directory.models import Person, PersonStatus, Unit

COLUMNS = ("employee_id", "name", "email", "unit", "manager_id", "job_title", "country", "status")
REQUIRED = ("employee_id", "name")
STATUSES = tuple(str(status) for status in PersonStatus.values)


def _max_length(model: type[models.Model], name: str) -> int:
    # Taken from the models so the checks here and the columns cannot drift apart.
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.CharField)
    assert model_field.max_length is not None
    return model_field.max_length


MAX_LENGTHS = {
    "employee_id": _max_length(Person, "employee_id"),
    "name": _max_length(Person, "name"),
    "email": _max_length(Person, "email"),
    "unit": _max_length(Unit, "path"),
    "manager_id": _max_length(Person, "employee_id"),
    "job_title": _max_length(Person, "job_title"),
}
UNIT_NAME_MAX_LENGTH = _max_length(Unit, "name")

BATCH_SIZE = 2000
# Fields a row sets on a person, apart from the manager (linked in a second pass).
PERSON_FIELDS = ("name", "email", "unit_id", "job_title", "country", "status")

Progress = Callable[[int, int], None]
Value = str | int | None
# (row number, message): kept with the row so that they can be listed in file order.
Errors = list[tuple[int, str]]


class ManagerChange(NamedTuple):
    """An existing person whose manager the file changes; "" means no manager."""

    employee_id: str
    old_manager_id: str
    new_manager_id: str


@dataclass
class ImportResult:
    """What an import did, or in a dry run what it would do.

    When `errors` is not empty nothing was written and the counts are those the file
    would have produced had it been valid (they may be incomplete).
    """

    dry_run: bool
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: int = 0
    # Employee ids of people already in the directory whose manager the file changes,
    # in file order; manager_moves has the old and new manager of each.
    manager_changes: list[str] = field(default_factory=list)
    manager_moves: list[ManagerChange] = field(default_factory=list)
    # Database ids of people created, or whose manager or unit changed. In a dry run
    # only those of existing people, since people not yet created have no id.
    changed_person_ids: list[int] = field(default_factory=list)
    # The sequence number of the import's audit event (DIRECTORY_IMPORTED); None in a dry
    # run or when nothing was written. Observers are told it as the import's id.
    import_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(slots=True)
class _Row:
    """One data row, cleaned: surrounding spaces removed, country upper case, status filled in."""

    number: int
    employee_id: str
    name: str
    email: str
    unit: str
    manager_id: str
    job_title: str
    country: str
    status: str


class _Existing(NamedTuple):
    id: int
    name: str
    email: str
    unit_id: int | None
    manager_id: int | None
    job_title: str
    country: str
    status: str


def import_directory(
    rows: Iterable[Mapping[str, str]] | str | os.PathLike[str] | bytes,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    actor_id: int | None = None,
    detail: Mapping[str, str | int] | None = None,
) -> ImportResult:
    """Check and apply a directory file, or only check it when dry_run is set.

    rows is the path of a CSV file, the bytes of one, or rows already read (mappings
    from column name to value, numbered from 2 as if a header row came first; a missing
    key counts as an empty cell). progress(done, total) is called from time to time:
    total is the number of rows, and done grows to it as rows are checked, saved and
    linked to managers. The audit event of a real import names `actor_id` (the
    administrator, or None on the server) and carries `detail` (identifiers only).
    """
    result = ImportResult(dry_run=dry_run)
    errors: Errors = []
    parsed = _read(rows, errors)
    result.rows = len(parsed)
    tracker = _Tracker(progress, rows=len(parsed))

    write = not dry_run and not errors
    # Reading the database and writing happen in one transaction, so another import
    # cannot slip in between and make the checks stale.
    with transaction.atomic() if write else contextlib.nullcontext():
        _apply(parsed, result, errors, tracker, write=write, actor_id=actor_id, detail=detail or {})
        if write:
            _forget_kept_plans()
    # In file order, as the person fixing the file will work through them.
    result.errors = [message for _row, message in sorted(errors, key=lambda error: error[0])]
    if result.ok:
        tracker.finish()
    return result


def _forget_kept_plans() -> None:
    """On PostgreSQL, drop the query plans this connection keeps, before the manager checks run at commit.

    PostgreSQL plans each foreign-key check once per connection and keeps the plan. Made
    while the directory was a page or two (a small import earlier on the same worker),
    it reads the whole table for every check: an import of 100,000 people then spent
    minutes checking managers. Dropped here, the checks are planned for the table as it
    is now, through its primary key. (ANALYZE would do it too, but needs the table's
    owner, which the application must not be.)
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DISCARD PLANS")


# --- Reading ----------------------------------------------------------------------------


def _read(rows: Iterable[Mapping[str, str]] | str | os.PathLike[str] | bytes, errors: Errors) -> list[_Row]:
    if isinstance(rows, bytes):
        return _read_bytes(rows, errors)
    if isinstance(rows, str | os.PathLike):
        # The whole file is read at once so that a bad byte is reported before any row is looked at.
        return _read_bytes(Path(rows).read_bytes(), errors)
    return _read_mappings(rows, errors)


def _read_bytes(data: bytes, errors: Errors) -> list[_Row]:
    # "utf-8-sig" drops the byte-order mark spreadsheet programs put first.
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        errors.append((0, f"the file is not UTF-8 text (byte {exc.start + 1} cannot be read); save it as “CSV UTF-8”"))
        return []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    header: list[str] | None = None
    parsed: list[_Row] = []
    seen: dict[str, int] = {}
    try:
        for record in reader:
            number += 1
            if header is None:
                header = [name.strip().lower() for name in record]
                if not _check_header(header, errors):
                    return []
                continue
            if len(record) > len(header):
                errors.append((number, f"row {number}: {len(record)} values, but the header has {len(header)} columns"))
                continue
            values = dict(zip(header, record, strict=False))
            row = _clean(number, values, seen, errors)
            if row is not None:
                parsed.append(row)
    except csv.Error as exc:
        errors.append((number + 1, f"row {number + 1}: the file cannot be read as CSV from here on ({exc})"))
    if header is None:
        errors.append((1, "row 1: the file is empty; it needs a header row"))
    return parsed


def _check_header(header: Sequence[str], errors: Errors) -> bool:
    before = len(errors)
    for name in COLUMNS:
        if name not in header:
            errors.append((1, f'row 1: missing column "{name}"'))
    for name in sorted(set(header)):
        if not name:
            errors.append((1, "row 1: a column has no name; remove empty columns"))
        elif name not in COLUMNS:
            errors.append((1, f'row 1: unknown column "{name}"'))
        elif header.count(name) > 1:
            errors.append((1, f'row 1: column "{name}" appears more than once'))
    return len(errors) == before


def _read_mappings(rows: Iterable[Mapping[str, str]], errors: Errors) -> list[_Row]:
    parsed: list[_Row] = []
    seen: dict[str, int] = {}
    for number, mapping in enumerate(rows, start=2):
        values: dict[str, str] = {}
        for key, value in mapping.items():
            if key not in COLUMNS:
                errors.append((number, f'row {number}: unknown column "{key}"'))
            else:
                values[key] = value
        row = _clean(number, values, seen, errors)
        if row is not None:
            parsed.append(row)
    return parsed


def _clean(number: int, values: Mapping[str, str | None], seen: dict[str, int], errors: Errors) -> _Row | None:
    """Check one row on its own; return it cleaned, or None when it is blank."""
    cells = {name: (values.get(name) or "").strip() for name in COLUMNS}
    if not any(cells.values()):
        return None  # a blank line, or one of only commas, as spreadsheets write them
    # "Sales / EMEA" and "Sales/EMEA" are the same unit.
    cells["unit"] = "/".join(part.strip() for part in cells["unit"].split("/")) if cells["unit"] else ""

    def error(column: str, message: str) -> None:
        errors.append((number, f"row {number}, {column}: {message}"))

    for name in REQUIRED:
        if not cells[name]:
            error(name, "must not be empty")
    for name, limit in MAX_LENGTHS.items():
        if len(cells[name]) > limit:
            error(name, f"longer than {limit} characters")

    employee_id = cells["employee_id"]
    if employee_id:
        if employee_id in seen:
            error("employee_id", f'"{employee_id}" already appears in row {seen[employee_id]}')
        else:
            seen[employee_id] = number
    if cells["manager_id"] and cells["manager_id"] == employee_id:
        error("manager_id", "a person cannot be their own manager")

    if cells["email"] and len(cells["email"]) <= MAX_LENGTHS["email"]:
        try:
            validate_email(cells["email"])
        except ValidationError:
            error("email", "not an e-mail address")

    unit = cells["unit"]
    if unit and not all(unit.split("/")):
        error("unit", "has an empty part; write units like “Sales/EMEA/Berlin”")
        unit = ""
    elif any(len(part) > UNIT_NAME_MAX_LENGTH for part in unit.split("/")):
        error("unit", f"has a part longer than {UNIT_NAME_MAX_LENGTH} characters")
        unit = ""

    country = cells["country"].upper()
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        error("country", "must be a two-letter country code such as DE, or empty")

    status = cells["status"].lower() or PersonStatus.ACTIVE.value
    if status not in STATUSES:
        error("status", f'unknown status "{cells["status"]}"; use one of {", ".join(STATUSES)}')

    return _Row(
        number=number,
        employee_id=employee_id,
        name=cells["name"],
        email=cells["email"],
        unit=unit,
        manager_id=cells["manager_id"],
        job_title=cells["job_title"],
        country=country,
        status=status,
    )


# --- Checking against the database and writing -------------------------------------------


@dataclass
class _Directory:
    """The directory as stored, read in two queries, keyed for lookups by employee id."""

    people: dict[str, _Existing]
    employee_id_of: dict[int, str]
    unit_ids: dict[str, int]

    @classmethod
    def load(cls) -> _Directory:
        people: dict[str, _Existing] = {}
        employee_id_of: dict[int, str] = {}
        for pk, employee_id, *values in Person.objects.values_list("id", "employee_id", *_Existing._fields[1:]):
            people[employee_id] = _Existing(pk, *values)
            employee_id_of[pk] = employee_id
        return cls(people, employee_id_of, dict(Unit.objects.values_list("path", "id")))


@dataclass
class _Plan:
    create: list[_Row] = field(default_factory=list)
    update: list[_Row] = field(default_factory=list)
    update_fields: list[str] = field(default_factory=list)
    link: list[_Row] = field(default_factory=list)  # people whose manager is set in the second pass
    # Rows of people already in the directory that change anything, by database id (for observers).
    changed: dict[int, _Row] = field(default_factory=dict)
    units: list[str] = field(default_factory=list)  # paths, parents before children


def _apply(
    rows: list[_Row],
    result: ImportResult,
    errors: Errors,
    tracker: _Tracker,
    *,
    write: bool,
    actor_id: int | None,
    detail: Mapping[str, str | int],
) -> None:
    directory = _Directory.load()
    in_file = {row.employee_id: row for row in rows if row.employee_id}
    for row in rows:
        if row.manager_id and row.manager_id not in in_file and row.manager_id not in directory.people:
            errors.append((row.number, f'row {row.number}, manager_id: no person with employee id "{row.manager_id}"'))
    # Cycles span rows, so they come after the errors of single rows.
    errors.extend((sys.maxsize, cycle) for cycle in _find_cycles(in_file, directory))
    plan = _plan(rows, directory, result)
    tracker.checked()
    if write and not errors:
        at = timezone.now()
        changed = plan.changed
        # Asked before writing; `directory` keeps everyone's old values in memory.
        watched = [(observer, observer.watched(changed.keys(), at=at)) for observer in observers.registered()]
        _write(plan, directory, result, tracker)
        # In the same transaction as the rows: an import is in the trail exactly when it happened.
        event = log.record_system(
            EventType.DIRECTORY_IMPORTED,
            actor_id=actor_id,
            **detail,
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            manager_changes=len(result.manager_changes),
        )
        assert event is not None  # only an anonymous reporter's events are deferred
        result.import_id = event.seq
        for listener in observers.listeners():
            listener.imported(result, actor_id=actor_id)
        unit_path_of = {pk: path for path, pk in directory.unit_ids.items()}
        for observer, person_ids in watched:
            records = [
                _record_change(pk, changed[pk], directory, unit_path_of) for pk in sorted(person_ids) if pk in changed
            ]
            if records:
                observer.changed(records, import_id=event.seq, at=at)


def _plan(rows: list[_Row], directory: _Directory, result: ImportResult) -> _Plan:
    """Compare the rows with the directory; count what changes into result."""
    plan = _Plan()
    unit_path_of = {pk: path for path, pk in directory.unit_ids.items()}
    changed_fields: set[str] = set()
    for row in rows:
        person = directory.people.get(row.employee_id)
        if person is None:
            plan.create.append(row)
            if row.manager_id:
                plan.link.append(row)
            continue
        old_manager = directory.employee_id_of[person.manager_id] if person.manager_id else ""
        old_unit = unit_path_of[person.unit_id] if person.unit_id else ""
        differs = [
            name
            for name, changed in (
                ("name", person.name != row.name),
                ("email", person.email != row.email),
                ("unit_id", old_unit != row.unit),
                ("job_title", person.job_title != row.job_title),
                ("country", person.country != row.country),
                ("status", person.status != row.status),
            )
            if changed
        ]
        if differs:
            plan.update.append(row)
            changed_fields.update(differs)
        if old_manager != row.manager_id:
            plan.link.append(row)
            result.manager_changes.append(row.employee_id)
            result.manager_moves.append(ManagerChange(row.employee_id, old_manager, row.manager_id))
        if old_manager != row.manager_id or "unit_id" in differs:
            result.changed_person_ids.append(person.id)
        if differs or old_manager != row.manager_id:
            result.updated += 1
            plan.changed[person.id] = row
        else:
            result.unchanged += 1
    plan.update_fields = [name for name in PERSON_FIELDS if name in changed_fields]
    plan.units = sorted(
        {prefix for row in rows if row.unit for prefix in _prefixes(row.unit)} - directory.unit_ids.keys(),
        key=lambda path: (path.count("/"), path),
    )
    result.created = len(plan.create)
    result.units_created = len(plan.units)
    return plan


def _old_values(person: _Existing, directory: _Directory, unit_path_of: Mapping[int, str]) -> dict[str, str]:
    return {
        "name": person.name,
        "email": person.email,
        "manager": directory.employee_id_of[person.manager_id] if person.manager_id else "",
        "unit": unit_path_of[person.unit_id] if person.unit_id else "",
        "job_title": person.job_title,
        "country": person.country,
        "status": person.status,
    }


def _new_values(row: _Row) -> dict[str, str]:
    return {
        "name": row.name,
        "email": row.email,
        "manager": row.manager_id,
        "unit": row.unit,
        "job_title": row.job_title,
        "country": row.country,
        "status": row.status,
    }


def _record_change(
    person_id: int, row: _Row, directory: _Directory, unit_path_of: Mapping[int, str]
) -> observers.RecordChange:
    """The old and new values of one watched person, as observers read them."""
    old = _old_values(directory.people[row.employee_id], directory, unit_path_of)
    new = _new_values(row)
    return observers.RecordChange(
        person_id=person_id,
        employee_id=row.employee_id,
        name=row.name,
        changes=tuple(
            observers.FieldChange(name, old[name], new[name]) for name in observers.FIELDS if old[name] != new[name]
        ),
    )


def _write(plan: _Plan, directory: _Directory, result: ImportResult, tracker: _Tracker) -> None:
    unit_ids = directory.unit_ids
    for depth in sorted({path.count("/") for path in plan.units}):
        level = [_unit(path, unit_ids) for path in plan.units if path.count("/") == depth]
        Unit.objects.bulk_create(level, batch_size=BATCH_SIZE)
        # Read back rather than trusting bulk_create to fill in ids, which not every
        # database does; units are few.
        unit_ids = dict(Unit.objects.values_list("path", "id"))

    tracker.start_saving(len(plan.create) + len(plan.update))
    for batch in _batches(plan.create):
        Person.objects.bulk_create([Person(employee_id=row.employee_id, **_values(row, unit_ids)) for row in batch])
        tracker.advance(len(batch))
    for batch in _batches(plan.update):
        changes = [(directory.people[row.employee_id].id, _values(row, unit_ids)) for row in batch]
        _update_people(plan.update_fields, changes)
        tracker.advance(len(batch))

    person_ids: dict[str, int] = dict(Person.objects.values_list("employee_id", "id"))
    result.changed_person_ids = [person_ids[row.employee_id] for row in plan.create] + result.changed_person_ids

    tracker.start_linking(len(plan.link))
    for batch in _batches(plan.link):
        links = [
            (person_ids[row.employee_id], {"manager_id": person_ids[row.manager_id] if row.manager_id else None})
            for row in batch
        ]
        _update_people(["manager_id"], links)
        tracker.advance(len(batch))


def _update_people(fields: Sequence[str], changes: Sequence[tuple[int, Mapping[str, Value]]]) -> None:
    """Set fields on people by database id: one UPDATE per person, sent in one executemany.

    Not bulk_update(): it builds a CASE expression per person in Python, which took 22 s
    for the 100,000 manager links of a first import on SQLite; this takes a few seconds.
    Inserts stay with bulk_create, which knows every column and its default; an UPDATE
    names its columns, so a column added to Person later cannot break it.
    """
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(_column(name))} = %s" for name in fields)
    # Only column names from the model are formatted in; every value is a parameter.
    sql = f"UPDATE {quote(Person._meta.db_table)} SET {assignments} WHERE {quote(_column('id'))} = %s"  # noqa: S608
    params: list[list[Value]] = [[*(values[name] for name in fields), pk] for pk, values in changes]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _column(name: str) -> str:
    model_field = Person._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    return str(model_field.column)


def _find_cycles(in_file: dict[str, _Row], directory: _Directory) -> list[str]:
    """Find management loops formed by the file's links laid over those in the directory.

    Only a loop through someone in the file can be new, so the walks start there. Each
    person is walked once: a walk stops at anyone already seen.
    """

    def manager_of(employee_id: str) -> str | None:
        row = in_file.get(employee_id)
        if row is not None:
            # A link that failed its own check (unknown or self) was reported already.
            known = row.manager_id in in_file or row.manager_id in directory.people
            return row.manager_id if known and row.manager_id != employee_id else None
        person = directory.people.get(employee_id)
        if person is None or person.manager_id is None:
            return None
        return directory.employee_id_of[person.manager_id]

    done: set[str] = set()
    cycles: list[str] = []
    for start in in_file:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = manager_of(node)
        if node is not None and node in on_path:
            loop = path[path.index(node) :]
            cycles.append("manager cycle: " + " → ".join([*loop, node]))
        done.update(path)
    return cycles


def _prefixes(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]


def _unit(path: str, unit_ids: Mapping[str, int]) -> Unit:
    parent, _, name = path.rpartition("/")
    return Unit(path=path, name=name, parent_id=unit_ids[parent] if parent else None)


def _values(row: _Row, unit_ids: Mapping[str, int]) -> dict[str, Value]:
    """The row's values for PERSON_FIELDS, as stored."""
    return {
        "name": row.name,
        "email": row.email,
        "unit_id": unit_ids[row.unit] if row.unit else None,
        "job_title": row.job_title,
        "country": row.country,
        "status": row.status,
    }


def _batches[T](items: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


class _Tracker:
    """Turns the three stages (check, save, link) into one count of rows for progress()."""

    # Shares of the bar per stage, from timing a 100,000-row import on SQLite.
    CHECK, SAVE, LINK = 0.2, 0.5, 0.3

    def __init__(self, progress: Progress | None, *, rows: int) -> None:
        self.progress = progress
        self.rows = rows
        self.before = 0.0  # share of the bar filled by finished stages
        self.share = 0.0
        self.total = 0
        self.done = 0
        self.last = -1
        self._report(0)

    def checked(self) -> None:
        self.before = self.CHECK
        self._report(int(self.rows * self.before))

    def start_saving(self, total: int) -> None:
        self._stage(self.SAVE, total)

    def start_linking(self, total: int) -> None:
        self._stage(self.LINK, total)

    def advance(self, count: int) -> None:
        self.done += count
        self._report(int(self.rows * (self.before + self.share * self.done / self.total)))

    def finish(self) -> None:
        self._report(self.rows)

    def _stage(self, share: float, total: int) -> None:
        self.before += self.share
        self.share, self.total, self.done = share, total, 0
        self._report(int(self.rows * self.before))

    def _report(self, done: int) -> None:
        if self.progress is not None and done != self.last:
            self.last = done
            self.progress(min(done, self.rows), self.rows)
