"""One throw-away ombuds installation for `make bench`: a database, a var directory and gunicorn on 127.0.0.1.

SQLite under its own var directory by default; with DATABASE_URL (a PostgreSQL server
that lets this user create databases) a new database is made there for each
installation and dropped afterwards. The server is started as production starts it
(gunicorn with ombuds.gunicorn_conf) and every command runs in a process of its own
with the installation's environment, so nothing here touches var/ or another database.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT = 120.0


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and shows the end of its log."""


class Installation:
    def __init__(self, root: Path, name: str, admin_url: str | None, workers: int) -> None:
        self.root = root / name
        self.var_dir = self.root / "var"
        self.log_dir = self.root / "logs"
        self.var_dir.mkdir(parents=True)
        self.log_dir.mkdir(parents=True)
        self.name = name
        self.admin_url = admin_url
        self.workers = workers
        self.database_name: str | None = None
        self.database_url: str | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"

    # --- database

    def create(self) -> None:
        if self.admin_url is not None:
            import psycopg
            from psycopg import sql

            self.database_name = f"ombuds_bench_{self.name}_{secrets.token_hex(4)}"
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database_name)))
            self.database_url = urlunsplit(urlsplit(self.admin_url)._replace(path="/" + self.database_name))
        self.command("migrate", "--no-input", log="migrate")

    def drop(self) -> None:
        if self.admin_url is None or self.database_name is None:
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.database_name)))
        self.database_name = None

    # --- processes

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMBUDS_") and k != "DATABASE_URL"}
        # The KDF cost is the operator's to try (docs/security.md), so it is passed on.
        env.update({k: v for k, v in os.environ.items() if k.startswith("OMBUDS_KDF_")})
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "ombuds.settings",
                "OMBUDS_VAR_DIR": str(self.var_dir),
                "OMBUDS_EMAIL_BACKEND": "console",
                # The flood limit protects a real server from a burst of new reports; here the burst is the point.
                "OMBUDS_NEW_REPORTS_PER_MINUTE": "1000000",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.database_url is not None:
            env["DATABASE_URL"] = self.database_url
        return env

    def command(self, *args: str, log: str, timeout: float = 3600) -> str:
        """Run `ombuds ARGS` for this installation; its standard output."""
        return self._run([sys.executable, "-m", "ombuds", *args], log, timeout)

    def probe(self, *args: str, timeout: float = 3600) -> dict[str, Any]:
        """Run `python -m benchmarks.probe ARGS` for this installation; the JSON it prints."""
        out = self._run([sys.executable, "-m", "benchmarks.probe", *args], f"probe-{args[0]}", timeout)
        answer: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return answer

    def _run(self, argv: list[str], log: str, timeout: float) -> str:
        with (self.log_dir / f"{log}.log").open("ab") as err:
            result = subprocess.run(
                argv,
                cwd=PROJECT_ROOT,
                env=self.environment(),
                stdout=subprocess.PIPE,
                stderr=err,
                timeout=timeout,
                check=False,
            )
        if result.returncode != 0:
            raise BenchError(f"{' '.join(argv[2:4])} failed ({result.returncode}):\n{self.log_tail(f'{log}.log')}")
        return result.stdout.decode()

    def start(self) -> float:
        """Start gunicorn; the seconds from starting it to the first page answered with 200."""
        started = time.perf_counter()
        with (self.log_dir / "gunicorn.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "ombuds.wsgi:application",
                    "--config", "python:ombuds.gunicorn_conf",
                    "--bind", f"{HOST}:{self.port}",
                    "--workers", str(self.workers),
                    "--no-control-socket",
                ],
                cwd=PROJECT_ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )  # fmt: skip
        deadline = started + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail('gunicorn.log')}")
            with suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
                try:
                    conn.request("GET", "/")
                    if conn.getresponse().status == 200:
                        return time.perf_counter() - started
                finally:
                    conn.close()
            if time.perf_counter() > deadline:
                raise BenchError(f"no first page within {START_TIMEOUT:.0f} s:\n{self.log_tail('gunicorn.log')}")
            time.sleep(0.02)

    def worker_rss_mb(self) -> float:
        """The largest resident size among the server's worker processes, in MiB (from /proc)."""
        assert self.process is not None
        sizes = []
        for status in Path("/proc").glob("[0-9]*/status"):
            with suppress(OSError):
                fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
                if fields.get("PPid", "").strip() == str(self.process.pid) and "VmRSS" in fields:
                    sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
        if not sizes:
            raise BenchError("no gunicorn worker process found")
        return max(sizes)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with suppress(ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(timeout=15)
        self.process = None

    def log_tail(self, name: str, size: int = 3000) -> str:
        path = self.log_dir / name
        return path.read_bytes()[-size:].decode(errors="replace") if path.exists() else ""
