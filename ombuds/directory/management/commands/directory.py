"""`ombuds directory import FILE [--dry-run]` loads the organisation's directory from CSV.

The format and the rules are in docs/directory.md. The progress bar goes to standard
error, the summary to standard output; on any error nothing is changed and the command
exits with a non-zero status, with a hint when the file looks like one saved with ";"
between columns or in another encoding than UTF-8 (ombuds.directory.hints). Imports are
recorded with those made on the administration pages (ombuds.directory.uploads).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from ombuds.cases.actions import directory_changed
from ombuds.directory import hints, uploads
from ombuds.directory.importer import ImportResult, import_directory
from ombuds.directory.linking import link_staff_by_email


class Command(BaseCommand):
    help = "Import the organisation's directory (people, units, managers) from a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="add and update people from a CSV file (see docs/directory.md)")
        importing.add_argument("file", type=Path, help="the CSV file, UTF-8, with a header row")
        importing.add_argument("--dry-run", action="store_true", help="check the file and report, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        dry_run: bool = options["dry_run"]
        bar = ProgressBar(self.stderr)
        upload = None
        try:
            if dry_run:
                result = import_directory(path, dry_run=True, progress=bar)
            else:
                # Recorded with the imports listed on the administration pages.
                upload, result = uploads.import_file(path, progress=bar)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
        finally:
            bar.close()
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            for hint in hints.detect(path.read_bytes()):
                self.stderr.write(f"hint: {hint.message}")
            count = len(result.errors)
            raise CommandError(f"{count} error{'s' if count != 1 else ''} in {path}; nothing was changed")
        self.stdout.write(summary(result))
        if upload is not None:
            linked = link_staff_by_email()
            # A newly linked staff account may be conflicted on a case it is assigned to.
            changed = directory_changed() if result.changed_person_ids or linked else 0
            uploads.record_linked(upload, linked=linked, conflicts_changed=changed)
            self.stdout.write(f"staff accounts linked: {linked}")
            self.stdout.write(f"cases whose conflict set changed: {changed}")


def summary(result: ImportResult) -> str:
    lines = [
        f"rows: {result.rows}",
        f"people: {result.created} created, {result.updated} updated, {result.unchanged} unchanged",
        f"units: {result.units_created} created",
        f"manager changes: {len(result.manager_moves)}",
    ]
    lines += [
        f"  {move.employee_id}: {move.old_manager_id or '(none)'} → {move.new_manager_id or '(none)'}"
        for move in result.manager_moves
    ]
    if result.dry_run:
        lines.append("dry run: nothing was changed")
    return "\n".join(lines)


class ProgressBar:
    """`importing  42% [########            ] 42000/100000` on standard error.

    On a terminal the line is redrawn in place; in a log (not a terminal) one line is
    written per tenth of the way, so the log stays short.
    """

    WIDTH = 20

    def __init__(self, out: OutputWrapper, label: str = "importing") -> None:
        self.out = out
        self.label = label
        self.redraw = out.isatty()
        self.tenths_written = -1
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        percent = done * 100 // total if total else 100
        filled = "#" * (percent * self.WIDTH // 100)
        line = f"{self.label} {percent:3d}% [{filled:<{self.WIDTH}}] {done}/{total}"
        if self.redraw:
            self.out.write(f"\r{line}", ending="", style_func=_plain)
            self.out.flush()
            self.drawn = True
        elif percent // 10 > self.tenths_written:
            self.tenths_written = percent // 10
            self.out.write(line, style_func=_plain)

    def close(self) -> None:
        if self.drawn:
            self.out.write("", style_func=_plain)  # end the redrawn line
            self.drawn = False


def _plain(text: str) -> str:
    # Standard error is styled as errors on a terminal; progress is not an error.
    return text
