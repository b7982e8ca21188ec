"""Training records: who attended which session or course, and when, imported from CSV.

The file has a header row naming three columns, in any order:

    employee_id,course,date

one row per person and session; `date` is the day of the session (YYYY-MM-DD). A
session is the course's name and its day; it is created the first time it appears.
A row already recorded is counted and skipped, so the same file can be imported again.
Everything is checked first: one error anywhere and nothing is written, and every error
names its line. docs/policies.md describes the file for the people who prepare it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.directory.models import Person
from ombuds.policies.models import TrainingAttendance, TrainingImport, TrainingSession

COLUMNS = ("employee_id", "course", "date")
MAX_COURSE = 200
MAX_ROWS = 100_000
# (line, message), sorted by line before they are shown.
Errors = list[tuple[int, str]]


@dataclass
class TrainingResult:
    """What an import did, or in a dry run would do. With errors, nothing was written."""

    dry_run: bool
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    sessions_created: int = 0
    attendances_created: int = 0
    already_recorded: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Row:
    line: int
    employee_id: str
    course: str
    held_on: date


def import_training(data: bytes, *, dry_run: bool = False, actor: User | None = None) -> TrainingResult:
    """Check a training file and, unless `dry_run`, record it (audited)."""
    result = TrainingResult(dry_run=dry_run)
    found: Errors = []
    rows = _read(data, found)
    result.rows = len(rows)
    people = dict(
        Person.objects.filter(employee_id__in={row.employee_id for row in rows}).values_list("employee_id", "pk")
    )
    for row in rows:
        if row.employee_id not in people:
            found.append(
                (
                    row.line,
                    _("Line %(line)d: no one with the employee id “%(id)s” is in the directory")
                    % {"line": row.line, "id": row.employee_id},
                )
            )
    # In file order, as the person fixing the file works through it.
    result.errors = [message for _line, message in sorted(found, key=lambda error: error[0])]
    if result.errors:
        return result
    with transaction.atomic(durable=True):
        sessions = {
            (session.course, session.held_on): session.pk
            for session in TrainingSession.objects.filter(course__in={row.course for row in rows})
        }
        recorded = set(
            TrainingAttendance.objects.filter(session_id__in=list(sessions.values())).values_list(
                "session_id", "person_id"
            )
        )
        now = timezone.now()
        for row in rows:
            key = (row.course, row.held_on)
            if key not in sessions:
                result.sessions_created += 1
                sessions[key] = -result.sessions_created  # stands in for the id in a dry run
                if not dry_run:
                    sessions[key] = TrainingSession.objects.create(course=row.course, held_on=row.held_on).pk
            pair = (sessions[key], people[row.employee_id])
            if pair in recorded:
                result.already_recorded += 1
                continue
            recorded.add(pair)
            result.attendances_created += 1
            if not dry_run:
                TrainingAttendance.objects.create(session_id=pair[0], person_id=pair[1], recorded_at=now)
        if not dry_run:
            TrainingImport.objects.create(
                imported_at=now,
                imported_by=actor,
                rows=result.rows,
                sessions_created=result.sessions_created,
                attendances_created=result.attendances_created,
                already_recorded=result.already_recorded,
            )
            log.record_system(
                EventType.TRAINING_IMPORTED,
                actor_id=actor.pk if actor is not None else None,
                rows=result.rows,
                sessions_created=result.sessions_created,
                attendances_created=result.attendances_created,
                already_recorded=result.already_recorded,
            )
    return result


def _read(data: bytes, errors: Errors) -> list[_Row]:
    try:
        text = data.decode("utf-8-sig")  # the byte-order mark spreadsheet programs write is fine
    except UnicodeDecodeError as exc:
        errors.append(
            (
                0,
                _("The file is not UTF-8 text (byte %(byte)d cannot be read). Save it as “CSV UTF-8” and try again.")
                % {"byte": exc.start + 1},
            )
        )
        return []
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        errors.append((1, _("Line 1: the file is empty; it needs a header row: employee_id,course,date")))
        return []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[_Row] = []
    try:
        for record in reader:
            line = reader.line_num
            if header is None:
                header = [name.strip().lower() for name in record]
                if not _header_ok(header, lines[0], errors):
                    return []
                continue
            if len(rows) >= MAX_ROWS:
                errors.append(
                    (line, _("Line %(line)d: a file may hold at most %(max)d rows") % {"line": line, "max": MAX_ROWS})
                )
                return rows
            row = _row(line, dict(zip(header, record, strict=False)), len(record) > len(header), errors)
            if row is not None:
                rows.append(row)
    except csv.Error:
        errors.append(
            (
                reader.line_num,
                _("Line %(line)d: the file cannot be read as CSV from here on") % {"line": reader.line_num},
            )
        )
    return rows


def _header_ok(header: list[str], first_line: str, errors: Errors) -> bool:
    before = len(errors)
    if len(header) == 1 and ";" in first_line:
        errors.append(
            (
                1,
                _(
                    "Line 1: the columns are separated by “;”. Save the file as CSV with commas (“CSV UTF-8”), "
                    "or replace the semicolons."
                ),
            )
        )
        return False
    for name in COLUMNS:
        if name not in header:
            errors.append((1, _("Line 1: the column “%(name)s” is missing") % {"name": name}))
    for name in sorted(set(header) - set(COLUMNS)):
        errors.append((1, _("Line 1: unknown column “%(name)s”") % {"name": name}))
    return len(errors) == before


def _row(line: int, cells: dict[str, str], too_long: bool, errors: Errors) -> _Row | None:
    values = {name: (cells.get(name) or "").strip() for name in COLUMNS}
    if not any(values.values()) and not too_long:
        return None  # a blank line, or one of only commas
    before = len(errors)
    if too_long:
        errors.append((line, _("Line %(line)d: more values than the header has columns") % {"line": line}))
    if not values["employee_id"]:
        errors.append((line, _("Line %(line)d: employee_id must not be empty") % {"line": line}))
    course = " ".join(values["course"].split())
    if not course:
        errors.append((line, _("Line %(line)d: course must not be empty") % {"line": line}))
    elif len(course) > MAX_COURSE:
        errors.append(
            (line, _("Line %(line)d: course is longer than %(max)d characters") % {"line": line, "max": MAX_COURSE})
        )
    held_on: date | None = None
    try:
        held_on = date.fromisoformat(values["date"])
    except ValueError:
        errors.append(
            (
                line,
                _("Line %(line)d: “%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2026-03-04")
                % {"line": line, "value": values["date"][:40]},
            )
        )
    if "\x00" in "".join(values.values()):
        errors.append((line, _("Line %(line)d: contains a character that cannot be stored") % {"line": line}))
    if len(errors) > before or held_on is None:
        return None
    return _Row(line=line, employee_id=values["employee_id"], course=course, held_on=held_on)
