"""A start-up check that the audit table is still append-only in the database itself.

A migration that rebuilds the table on SQLite, or an operator's hand, can drop the
triggers silently; `ombuds serve` runs this check and refuses to start without them,
and the test suite runs it on a freshly migrated database.
"""

from __future__ import annotations

from django.db import connection

SQLITE_TRIGGERS = {"audit_event_no_update", "audit_event_no_delete"}
POSTGRES_TRIGGERS = {"audit_event_append_only"}


def missing_triggers() -> set[str] | None:
    """The append-only triggers the database lacks, or None before the audit table exists."""
    tables = connection.introspection.table_names()
    if "audit_auditevent" not in tables:
        return None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal"
            )
            wanted = POSTGRES_TRIGGERS
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'")
            wanted = SQLITE_TRIGGERS
        present = {row[0] for row in cursor.fetchall()}
    return wanted - present
