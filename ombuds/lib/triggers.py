"""Which triggers the database holds: what `ombuds serve` checks before it starts.

Several promises rest on triggers in the database itself (the audit table stays
append-only, the analytics' stored totals learn of every change, no escalation moment
is ever left late). A migration that rebuilds a table on SQLite, or an operator's hand,
can drop them silently, so the code that relies on them asks here whether they are there.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper


def present(connection: BaseDatabaseWrapper) -> set[tuple[str, str]]:
    """The (table, trigger) pairs of the triggers the database holds, its own internal ones left out."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal"
            )
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        return {(table, name) for table, name in cursor.fetchall()}
