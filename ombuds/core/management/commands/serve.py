"""Run the web server and the background worker together; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.audit import checks


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
        processes = [subprocess.Popen(cmd, env=os.environ.copy()) for cmd in commands]
        self.stdout.write(f"ombuds is serving on http://{options['bind']}/ (Ctrl-C stops it)")

        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        failed = [p.args for p in processes if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed:
            raise SystemExit(1)
