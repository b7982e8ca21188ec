"""`ombuds seed-synthetic --cases N --people M [--seed S]`: a made-up organisation and case history, in bulk.

For benchmarks and trials, on a freshly migrated database (docs/performance.md says what
the data is and is not). The progress bar goes to standard error; the summary and the
staff logins (also written to var/synthetic-logins.txt) to standard output.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ombuds.core import synthetic
from ombuds.directory.management.commands.directory import ProgressBar


def _cores() -> int:
    # The processors this process may run on, which a container or taskset may limit.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _day(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise CommandError(f"--until: {text!r} is not a date like 2026-12-31") from None


class Command(BaseCommand):
    help = "Fill a freshly migrated database with a made-up organisation and case history, for benchmarks and trials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True, help="how many cases")
        parser.add_argument("--people", type=int, required=True, help="how many people in the directory")
        parser.add_argument("--seed", type=int, default=0, help="the same seed makes the same history (default 0)")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes that make the cases (default: one per processor; 0 makes them in this process)",
        )
        parser.add_argument(
            "--closed-share",
            type=float,
            default=0.6,
            help="the share of cases already closed, from 0 to 1 (default 0.6)",
        )
        parser.add_argument("--until", type=_day, default=None, help="the history ends at the start of this day, UTC")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 <= options["closed_share"] <= 1:
            raise CommandError("--closed-share must be between 0 and 1")
        workers = options["workers"]
        if workers is None:
            # Small runs are quicker without starting processes.
            workers = _cores() if options["cases"] > 4 * synthetic.CHUNK else 0
        bar = ProgressBar(self.stderr, label="cases")
        try:
            result = synthetic.seed(
                synthetic.Options(
                    cases=options["cases"],
                    people=options["people"],
                    seed=options["seed"],
                    workers=workers,
                    closed_share=options["closed_share"],
                    until=options["until"],
                ),
                progress=bar,
            )
        except synthetic.SeedError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        logins_file = settings.VAR_DIR / "synthetic-logins.txt"
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        logins_file.write_text(
            "".join(f"{x.email} {x.password} {x.totp_secret} {','.join(x.roles)}\n" for x in result.logins),
            encoding="utf-8",
        )
        logins_file.chmod(0o600)
        # Then the dashboard's counts and cells (minutes at a million cases; the logins are safe
        # already), so that the first dashboard reads them instead of deciding them.
        started = time.perf_counter()
        synthetic.prepare_dashboard(timezone.now())
        dashboard_seconds = time.perf_counter() - started
        rate = result.cases / result.case_seconds if result.case_seconds else 0.0
        self.stdout.write(
            f"{result.cases} cases, {result.people} people and {result.events} audit events in "
            f"{result.seconds:.1f} s (the cases: {result.case_seconds:.1f} s, {rate:,.0f} cases per second), "
            f"then the dashboard's cells in {dashboard_seconds:.1f} s"
        )
        self.stdout.write("  " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings.items()))
        self.stdout.write(f"Staff logins (e-mail, password, TOTP secret, roles) are in {logins_file}:")
        for login in result.logins:
            self.stdout.write(f"  {login.email:<30} {', '.join(login.roles)}")
