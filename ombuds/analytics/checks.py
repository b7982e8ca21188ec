"""A start-up check that the database still records what changes the stored monthly totals.

Without its triggers (dropped by hand, or by a migration that rebuilds a table on
SQLite) the dashboard would keep showing months it believes current. `ombuds serve`
runs this check and refuses to start without them; the test suite runs it on a freshly
migrated database.
"""

from __future__ import annotations

from django.db import connection

from ombuds.analytics.migrations._change_triggers import TRIGGERS


def missing_triggers() -> set[str] | None:
    """The change triggers the database lacks, or None before the stored totals' tables exist."""
    if "analytics_changedday" not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal AND t.tgname LIKE 'analytics%%'"
            )
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'analytics%'")
        present = {(table, name) for table, name in cursor.fetchall()}
    return {name for table, name in TRIGGERS - present}
