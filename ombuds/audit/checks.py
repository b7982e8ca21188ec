"""A start-up check that the audit table is still append-only in the database itself.

A migration that rebuilds the table on SQLite, or an operator's hand, can drop the
triggers silently; `ombuds serve` runs this check and refuses to start without them,
and the test suite runs it on a freshly migrated database.
"""

from __future__ import annotations

from django.db import connection

from ombuds.lib import triggers

SQLITE_TRIGGERS = {"audit_event_no_update", "audit_event_no_delete"}
POSTGRES_TRIGGERS = {"audit_event_append_only"}


def missing_triggers() -> set[str] | None:
    """The append-only triggers the database lacks, or None before the audit table exists."""
    tables = connection.introspection.table_names()
    if "audit_auditevent" not in tables:
        return None
    wanted = POSTGRES_TRIGGERS if connection.vendor == "postgresql" else SQLITE_TRIGGERS
    return wanted - {name for table, name in triggers.present(connection) if table == "audit_auditevent"}
