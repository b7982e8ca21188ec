"""`ombuds analytics evidence-pack --from DATE --to DATE OUT`: the evidence pack's PDF and ZIP of CSVs, into OUT."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.analytics import evidence
from ombuds.analytics.figures import Period


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--{name} must be a date as YYYY-MM-DD, not {text!r}") from None


class Command(BaseCommand):
    help = "Oversight analytics on the server: produce the prevention-duty evidence pack for a period."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        pack = sub.add_parser("evidence-pack", help="Write evidence-pack-FROM-TO.pdf and -csv.zip into OUT.")
        pack.add_argument("--from", dest="start", required=True, help="First day (YYYY-MM-DD), widened to its month")
        pack.add_argument("--to", dest="end", required=True, help="Last day (YYYY-MM-DD), widened to its month")
        pack.add_argument("out", help="A directory (created if missing)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = Period.covering(_day(options["start"], "from"), _day(options["end"], "to"))
        except ValueError as error:
            raise CommandError(str(error)) from None
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        pack = evidence.produce(period=period, actor=None, via="command")
        stem = f"evidence-pack-{period.first:%Y-%m}-{period.end:%Y-%m}"
        (out / f"{stem}.pdf").write_bytes(pack.pdf)
        (out / f"{stem}-csv.zip").write_bytes(pack.csv_zip)
        self.stdout.write(f"Wrote {out / stem}.pdf and {out / stem}-csv.zip")
