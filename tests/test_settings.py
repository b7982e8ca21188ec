"""Settings refuse bad values at start-up; SQLite is set up for several processes."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from ombuds.core.logging import StripRequest

ROOT = Path(__file__).resolve().parent.parent


def _load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OMBUDS_") and k != "DATABASE_URL"}
    clean.update({"OMBUDS_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", "import ombuds.settings"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_it_starts_in_development_without_configuration(tmp_path: Path) -> None:
    result = _load_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "keys" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    result = _load_settings(tmp_path, OMBUDS_PRODUCTION="true")
    assert result.returncode != 0
    assert "OMBUDS_SECRET_KEY" in result.stderr
    assert not (tmp_path / "keys").exists()


def test_production_refuses_a_missing_receipt_key(tmp_path: Path) -> None:
    result = _load_settings(tmp_path, OMBUDS_PRODUCTION="true", OMBUDS_SECRET_KEY="s" * 50)
    assert result.returncode != 0
    assert "OMBUDS_RECEIPT_KEY" in result.stderr


def test_production_starts_with_secrets_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("k" * 50)
    receipt = tmp_path / "receipt"
    receipt.write_text("r" * 50)
    result = _load_settings(
        tmp_path,
        OMBUDS_PRODUCTION="true",
        OMBUDS_SECRET_KEY_FILE=str(secret),
        OMBUDS_RECEIPT_KEY_FILE=str(receipt),
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OMBUDS_DEBUG", "maybe"),
        ("OMBUDS_EMAIL_PORT", "twenty-five"),
        ("OMBUDS_EMAIL_PORT", "70000"),
        ("OMBUDS_TIME_ZONE", "Mars/Olympus"),
        ("OMBUDS_LANGUAGES", "en,fr"),
        ("OMBUDS_EMAIL_BACKEND", "carrier-pigeon"),
        ("OMBUDS_SECRET_KEY", "short"),
        ("DATABASE_URL", "notadatabase://x"),
        ("OMBUDS_MAX_ATTACHMENTS", "-1"),
        # less than one largest upload (5 files of 10 MiB): such an upload could never pass
        ("OMBUDS_UPLOAD_BYTES_PER_MINUTE", "1048576"),
        ("OMBUDS_NEW_REPORTS_PER_MINUTE", "0"),
        ("OMBUDS_NEW_CASE_DIGEST_AFTER", "0"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path: Path, name: str, value: str) -> None:
    result = _load_settings(tmp_path, **{name: value})
    assert result.returncode != 0
    assert name in result.stderr


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0].lower() == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 1000


def test_logs_lose_the_request_and_exception_values() -> None:
    content = "narrative: he followed me to the " + "car park"
    try:
        raise ValueError(content)
    except ValueError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/report/",), sys.exc_info()
        )
    record.request = object()
    assert StripRequest().filter(record)
    formatted = logging.Formatter().format(record)
    assert getattr(record, "request", None) is None
    assert "car park" not in formatted
    assert "Internal Server Error: /report/" in formatted
    assert "ValueError" in formatted and "test_settings.py" in formatted
