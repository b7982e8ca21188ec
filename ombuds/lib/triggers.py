"""Which triggers the database holds, and the sets of them the code relies on.

Several promises rest on triggers in the database itself (the audit table stays
append-only, the analytics' stored totals learn of every change, no escalation moment
is ever left late). A migration that rebuilds a table on SQLite, or an operator's hand,
can drop them silently, so the code that relies on them asks here whether they are there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


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


@dataclass(frozen=True, kw_only=True)
class TriggerSet:
    """Triggers some code relies on: the statements that make and drop them on either database, and a check.

    A migration makes them with `add` and drops them with `remove`; SQLite drops a table's
    triggers when a migration rebuilds the table, so such a migration calls `add` again.
    `ombuds serve` refuses to start while `missing` names any of them, saying what lacks
    them and how to make them again.
    """

    triggers: frozenset[tuple[str, str]]  # (table, trigger) of every trigger `add` makes, on either database
    sqlite_add: tuple[str, ...]
    sqlite_remove: tuple[str, ...]
    postgres_add: tuple[str, ...]
    postgres_remove: tuple[str, ...]
    # What `add` does once they are made, in the same transaction: what they keep, counted afresh.
    after_add: Callable[[BaseDatabaseSchemaEditor], None] | None = None
    # A table without which they are not expected yet (its migrations have not run): `missing` answers None.
    needs_table: str = ""
    # What `ombuds serve` says lacks them, e.g. "the directory lacks the triggers that keep each unit's head count".
    lacking: str
    # (app, migration) just before the migration that makes them: migrating back there and forward makes them again.
    migrate_back_to: tuple[str, str]

    def statements(self, vendor: str, *, adding: bool) -> tuple[str, ...]:
        """The statements that make (or drop) every trigger of the set on this database."""
        if vendor == "postgresql":
            return self.postgres_add if adding else self.postgres_remove
        return self.sqlite_add if adding else self.sqlite_remove

    def add(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        """Make the triggers (again): whatever is left of them dropped first, then `after_add`."""
        self.remove(schema_editor)
        for statement in self.statements(schema_editor.connection.vendor, adding=True):
            schema_editor.execute(statement)
        if self.after_add is not None:
            self.after_add(schema_editor)

    def remove(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for statement in self.statements(schema_editor.connection.vendor, adding=False):
            schema_editor.execute(statement)

    def missing(self, connection: BaseDatabaseWrapper) -> set[str] | None:
        """The triggers the database lacks (None while `needs_table` does not exist)."""
        if self.needs_table and self.needs_table not in connection.introspection.table_names():
            return None
        return {name for _table, name in self.triggers - present(connection)}

    @property
    def remedy(self) -> str:
        """The command that makes them again."""
        app, migration = self.migrate_back_to
        return f"ombuds migrate {app} {migration} && ombuds migrate {app}"
