"""Every sweep writes, so the SQLite files' modification times never show when a reporter last wrote."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from ombuds.core.models import Heartbeat
from ombuds.core.sweep import run as sweep

AN_HOUR_AGO = time.time() - 3600


def _database_files() -> tuple[Path, Path]:
    if connection.vendor != "sqlite":
        pytest.skip("the write-ahead log is SQLite's")
    connection.ensure_connection()
    database = Path(str(connection.settings_dict["NAME"]))
    wal = Path(f"{database}-wal")
    assert wal.exists(), "the test database does not run in WAL mode"
    return database, wal


# serialized_rollback: the rows the migrations made are put back afterwards, and the flush
# makes no fresh content types that the next transactional test's restore would collide with.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_idle_sweep_moves_the_write_ahead_logs_modification_time_to_now() -> None:
    database, wal = _database_files()
    for path in (database, wal):
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))  # as if the last write were an hour ago

    result = sweep(timezone.now())

    assert (result.steps, result.notices) == (0, 0)  # nothing to do, and still a write
    assert wal.stat().st_mtime > AN_HOUR_AGO + 3000
    assert database.stat().st_mtime > AN_HOUR_AGO + 3000  # the checkpoint reached the database file too


# serialized_rollback: the rows the migrations made are put back afterwards, and the flush
# makes no fresh content types that the next transactional test's restore would collide with.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_heartbeat_is_one_row_that_counts_and_holds_no_time() -> None:
    sweep(timezone.now())
    sweep(timezone.now())
    assert list(Heartbeat.objects.values_list("pk", "beats")) == [(1, 2)]
    assert [field.name for field in Heartbeat._meta.get_fields()] == ["id", "beats"]
