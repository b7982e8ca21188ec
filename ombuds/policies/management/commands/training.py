"""`ombuds training import FILE [--dry-run]`: record who attended which training, from CSV.

The file's format is in docs/policies.md. Errors name their line; with any error nothing
is recorded and the command exits with a non-zero status.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.policies.training import import_training


class Command(BaseCommand):
    help = "Import training records (employee_id, course, date) from a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="record attendances from a CSV file (see docs/policies.md)")
        importing.add_argument("file", type=Path, help="the CSV file, UTF-8, with a header row")
        importing.add_argument("--dry-run", action="store_true", help="check the file and report, record nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
        result = import_training(data, dry_run=options["dry_run"], actor=None)
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            count = len(result.errors)
            raise CommandError(f"{count} error{'s' if count != 1 else ''} in {path}; nothing was recorded")
        self.stdout.write(f"rows: {result.rows}")
        self.stdout.write(f"sessions created: {result.sessions_created}")
        self.stdout.write(f"attendances recorded: {result.attendances_created}")
        self.stdout.write(f"already recorded: {result.already_recorded}")
        if result.dry_run:
            self.stdout.write("dry run: nothing was recorded")
