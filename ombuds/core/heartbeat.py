"""The sweeper's heartbeat: a write on every pass that hides when the last real write happened.

On an idle SQLite installation the modification time of the database's write-ahead log
(`ombuds.sqlite3-wal`) is the moment of the last write, and that may be an anonymous
reporter's report or message: anyone who can list the directory would learn when she
acted, to the second. The sweeper runs every OMBUDS_SWEEP_SECONDS (30 by default) and
rewrites one row each time, so the log's modification time is always within one sweep
of now. A passive checkpoint then copies the log into the database file, so the
database file's modification time tells no more. See docs/security.md for what this
does not hide.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F

from ombuds.core.models import Heartbeat

ROW = 1


def beat() -> None:
    with transaction.atomic():
        if not Heartbeat.objects.filter(pk=ROW).update(beats=F("beats") + 1):
            Heartbeat.objects.get_or_create(pk=ROW, defaults={"beats": 1})
    # PASSIVE never waits for readers or blocks writers; whatever it cannot copy now, a later
    # pass will. SQLite refuses a checkpoint inside a transaction (a caller's, or a test's).
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
