"""`ombuds sweep`: escalate missed deadlines and send due notices, once or in a loop."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from ombuds.core.sweep import run as sweep


class Command(BaseCommand):
    help = "Run the deadline and notice sweep; with --loop, every OMBUDS_SWEEP_SECONDS until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep sweeping until SIGINT or SIGTERM")
        parser.add_argument("--until-idle", action="store_true", help="sweep until nothing is left to do, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["until_idle"]:
            total_steps = total_notices = total_skipped = 0
            while True:
                result = sweep(timezone.now())
                total_steps += result.steps
                total_notices += result.notices
                total_skipped += result.skipped
                if not result.steps and not result.notices:
                    break
            self.stdout.write(f"{total_steps} escalation steps, {total_notices} notices, {total_skipped} already taken")
            return
        if not options["loop"]:
            result = sweep(timezone.now())
            self.stdout.write(f"{result.steps} escalation steps, {result.notices} notices")
            return
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            close_old_connections()
            result = sweep(timezone.now())
            if result.steps or result.notices:
                self.stdout.write(f"{result.steps} escalation steps, {result.notices} notices")
            deadline = time.monotonic() + settings.OMBUDS_SWEEP_SECONDS
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.2)
