"""The real server process for end-to-end tests: gunicorn in its own process group.

A test gets a freshly migrated database of its own. With DATABASE_URL set (a
PostgreSQL server), a new database with a random name is created on that server
and dropped afterwards; otherwise the server uses a SQLite file under its own
OMBUDS_VAR_DIR. The development keys live in that directory too, so a receipt
issued before a restart still opens its report after it.

Import the `real_server` fixture into a test module to use it.
"""

from __future__ import annotations

import http.client
import importlib
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WORKERS = 3
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
PG_DUMP = Path("/usr/bin/pg_dump")

# Variables the server must not inherit from whoever runs the tests: each test sets
# its own database, directory and keys. The time zone is kept so the suite can be
# run under another organisation time zone.
_INHERITED_OMBUDS = {"OMBUDS_TIME_ZONE"}


def _control_socket_option() -> list[str]:
    """gunicorn >= 25.1 opens a control socket shared by every server of the user; these need none."""
    known = importlib.import_module("gunicorn.config").KNOWN_SETTINGS
    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in known) else []


_NO_CONTROL_SOCKET = _control_socket_option()


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started in a session of its own: SIGTERM, then SIGKILL whatever is left of its group."""
    if process.poll() is None:
        with suppress(ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=STOP_TIMEOUT)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout=STOP_TIMEOUT)


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class ServerError(RuntimeError):
    """The server could not be started, migrated or stopped."""


class RealServer:
    """One ombuds installation: a database, a var directory, log files and gunicorn."""

    def __init__(self, root: Path, admin_url: str | None, extra_env: dict[str, str] | None = None) -> None:
        self.root = root
        # Settings a test gives this server, e.g. low limits (OMBUDS_* from the caller are not inherited).
        self.extra_env = dict(extra_env or {})
        self.var_dir = root / "var"
        self.log_dir = root / "logs"
        self.var_dir.mkdir(parents=True)
        self.log_dir.mkdir(parents=True)
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.admin_url = admin_url
        self.database_name: str | None = None
        self.database_url: str | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.time_zone = os.environ.get("OMBUDS_TIME_ZONE", "UTC")

    # --- database -----------------------------------------------------------------

    @property
    def is_postgres(self) -> bool:
        return self.admin_url is not None

    @property
    def sqlite_path(self) -> Path:
        return self.var_dir / "ombuds.sqlite3"

    def create_database(self) -> None:
        if self.admin_url is None:
            return
        name = "ombuds_rt_" + secrets.token_hex(6)
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.database_name = name
        self.database_url = urlunsplit(urlsplit(self.admin_url)._replace(path="/" + name))

    def drop_database(self) -> None:
        if self.admin_url is None or self.database_name is None:
            return
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.database_name,),
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.database_name)))
        self.database_name = None

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one read on the server's database; write placeholders as %s."""
        if self.database_url is not None:
            with psycopg.connect(self.database_url) as conn:
                return list(conn.execute(statement.encode(), params).fetchall())
        uri = self.sqlite_path.as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            return list(conn.execute(statement.replace("%s", "?"), tuple(params)).fetchall())

    def stored_time(self, value: Any) -> datetime:
        """A DateTimeField value as read by `query`, as an aware datetime."""
        if isinstance(value, datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        assert isinstance(value, str), f"unexpected stored time {value!r}"
        parsed = datetime.fromisoformat(value)
        # Django keeps naive UTC in SQLite when USE_TZ is on.
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)

    def database_bytes(self) -> bytes:
        """Everything the database holds, as bytes to search.

        SQLite: the database file and its -wal and -shm files, read raw. PostgreSQL:
        a pg_dump of the test database, or, without pg_dump, every text and JSON
        column of every table.
        """
        if self.database_url is None:
            parts = []
            for suffix in ("", "-wal", "-shm", "-journal"):
                content = _read_if_present(Path(str(self.sqlite_path) + suffix))
                if content is not None:
                    parts.append(content)
            assert parts, "the SQLite database file does not exist"
            return b"\n".join(parts)
        if PG_DUMP.exists():
            result = subprocess.run(
                [str(PG_DUMP), "--no-owner", "--dbname", self.database_url],
                capture_output=True,
                timeout=120,
                check=False,
            )
            if result.returncode != 0:
                raise ServerError(f"pg_dump failed with exit code {result.returncode}")
            return result.stdout
        return self._postgres_text_columns()

    def _postgres_text_columns(self) -> bytes:
        assert self.database_url is not None
        chunks: list[bytes] = []
        with psycopg.connect(self.database_url) as conn:
            columns = conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type IN "
                "('text', 'character varying', 'character', 'json', 'jsonb')"
            ).fetchall()
            for table, column in columns:
                statement = sql.SQL("SELECT {}::text FROM {}").format(sql.Identifier(column), sql.Identifier(table))
                for (value,) in conn.execute(statement):
                    if value is not None:
                        chunks.append(value.encode())
        return b"\n".join(chunks)

    # --- process ------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not (key.startswith("OMBUDS_") and key not in _INHERITED_OMBUDS) and key != "DATABASE_URL"
        }
        env["DJANGO_SETTINGS_MODULE"] = "ombuds.settings"
        env["OMBUDS_VAR_DIR"] = str(self.var_dir)
        env["OMBUDS_EMAIL_BACKEND"] = "console"
        # Argon2id at its cheapest: a test files hundreds of reports, each with one derivation.
        # Production's cost is measured by the benchmarks (docs/security.md), not here.
        env["OMBUDS_KDF_OPSLIMIT"] = "1"
        env["OMBUDS_KDF_MEMLIMIT_MIB"] = "8"
        env["PYTHONUNBUFFERED"] = "1"
        if self.database_url is not None:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def migrate(self) -> None:
        with (self.log_dir / "migrate.log").open("ab") as log:
            result = subprocess.run(
                [sys.executable, "-m", "ombuds", "migrate", "--no-input"],
                cwd=PROJECT_ROOT,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=180,
                check=False,
            )
        if result.returncode != 0:
            raise ServerError(f"migrate failed with exit code {result.returncode}:\n{self.log_tail('migrate.log')}")

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            raise ServerError("the server is already running")
        self.starts += 1
        with (
            (self.log_dir / "gunicorn.stdout.log").open("ab") as out,
            (self.log_dir / "gunicorn.stderr.log").open("ab") as err,
        ):
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "ombuds.wsgi:application",
                    # The production settings: what the tests exercise is what is deployed.
                    "--config", "python:ombuds.gunicorn_conf",
                    "--bind", f"{HOST}:{self.port}",
                    "--workers", str(WORKERS),
                    *_NO_CONTROL_SOCKET,
                ],
                cwd=PROJECT_ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )  # fmt: skip
        self.wait_ready()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Poll the start page until the server answers 200."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        last = "no answer"
        while True:
            if self.process.poll() is not None:
                raise ServerError(
                    f"gunicorn exited with code {self.process.returncode}:\n{self.log_tail('gunicorn.stderr.log')}"
                )
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                try:
                    conn.request("GET", "/")
                    status = conn.getresponse().status
                    if status == 200:
                        return
                    last = f"status {status}"
                finally:
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                last = type(exc).__name__
            if time.monotonic() > deadline:
                raise ServerError(f"the start page did not answer 200 within {timeout:.0f}s (last: {last})")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the whole process group: master and workers die mid-request."""
        assert self.process is not None
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), then kill whatever is left of the group."""
        if self.process is not None:
            stop_group(self.process)

    def log_tail(self, name: str, size: int = 3000) -> str:
        path = self.log_dir / name
        if not path.exists():
            return ""
        return path.read_bytes()[-size:].decode(errors="replace")

    def files(self) -> list[Path]:
        """Every file the server wrote outside the database server: logs and var directory."""
        return sorted(p for base in (self.log_dir, self.var_dir) for p in base.rglob("*") if p.is_file())

    def file_contents(self) -> dict[Path, bytes]:
        """What each of those files holds, leaving out any that vanished while being listed."""
        contents = {}
        for path in self.files():
            content = _read_if_present(path)
            if content is not None:
                contents[path] = content
        return contents


def _read_if_present(path: Path) -> bytes | None:
    # SQLite removes its -wal and -shm files when the server's last connection closes, which
    # can happen between listing a directory and reading the file.
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


@contextmanager
def running_server(root: Path, extra_env: dict[str, str] | None = None) -> Iterator[RealServer]:
    """A migrated, started server that is stopped and whose database is dropped afterwards."""
    admin_url = os.environ.get("DATABASE_URL") or None
    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("gunicorn is not installed in the test environment")
    server = RealServer(root, admin_url, extra_env)
    try:
        server.create_database()
        server.migrate()
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            server.drop_database()


@pytest.fixture
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with running_server(tmp_path_factory.mktemp("real-server")) as server:
        yield server
