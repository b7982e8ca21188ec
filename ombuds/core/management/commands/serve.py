"""Run the web server and the background worker together; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from ombuds.analytics import overdue
from ombuds.analytics.migrations import _change_triggers
from ombuds.audit import checks
from ombuds.cases import ladder_due
from ombuds.directory import head_count

BIND_TIMEOUT_S = 60.0
# How long the children have, together, to finish what they are doing after Ctrl-C or
# SIGTERM before they are killed (gunicorn's own graceful_timeout is 10 s).
STOP_SECONDS = 15
# The triggers the code relies on besides the audit table's, checked in this order before starting.
TRIGGER_SETS = (
    _change_triggers.TRIGGER_SET,
    ladder_due.TRIGGER_SET,
    overdue.TRIGGER_SET,
    head_count.TRIGGER_SET,
)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to every child still running, then SIGKILL to those not gone within STOP_SECONDS."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    # One allowance for all of them, not one each: a stop takes at most STOP_SECONDS.
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(bind: str, server: subprocess.Popen[bytes]) -> bool:
    """Wait until `bind` (HOST:PORT) accepts connections; False when the server stopped first or never bound."""
    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    deadline = time.monotonic() + BIND_TIMEOUT_S
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class Command(BaseCommand):
    help = "Serve the reporter and staff sites with gunicorn and run the background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=3)
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")

    def handle(self, *args: Any, **options: Any) -> None:
        missing = checks.missing_triggers()
        if missing:
            raise CommandError(
                f"the audit table lacks its append-only triggers ({', '.join(sorted(missing))}); "
                "run `ombuds migrate` and start again"
            )
        for trigger_set in TRIGGER_SETS:
            lacking = trigger_set.missing(connection)
            if lacking:
                raise CommandError(
                    f"{trigger_set.lacking} ({', '.join(sorted(lacking))}); run `{trigger_set.remedy}` and start again"
                )
        python = sys.executable
        commands = [
            [
                python,
                "-m",
                "gunicorn",
                "ombuds.wsgi:application",
                "--config",
                "python:ombuds.gunicorn_conf",
                "--bind",
                options["bind"],
                "--workers",
                str(options["workers"]),
            ],
        ]
        if not options["no_worker"]:
            commands.append([python, "-m", "ombuds", "db_worker", "--no-reload"])
            commands.append([python, "-m", "ombuds", "sweep", "--loop"])

        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        # Both signals handled here, whatever this process inherited: started in the
        # background of a script, a process is given SIGINT ignored, and Python then
        # leaves Ctrl-C ignored too. Set before the children start, so that a stop while
        # the server is still starting stops them as well.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        processes: list[subprocess.Popen[bytes]] = []
        try:
            for cmd in commands:
                processes.append(subprocess.Popen(cmd, env=os.environ.copy()))
            # Say "serving" only once the port answers: before that a visitor would be refused.
            if _wait_for_port(options["bind"], processes[0]):
                self.stdout.write(f"ombuds is serving on http://{options['bind']}/ (Ctrl-C stops it)")
                self.stdout.flush()
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            _stop(processes)
        failed = [p.args for p in processes if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed:
            raise SystemExit(1)
