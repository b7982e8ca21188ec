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


def changed(columns: tuple[str, ...], *, postgres: bool) -> str:
    """SQL (a trigger's condition): one of these columns differs between OLD and NEW, NULLs compared as values."""
    if postgres:
        old = ", ".join(f"OLD.{column}" for column in columns)
        new = ", ".join(f"NEW.{column}" for column in columns)
        return f"ROW({old}) IS DISTINCT FROM ROW({new})"
    # SQLite compares row values with IS NOT only one by one.
    return " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in columns)


@dataclass(frozen=True, kw_only=True)
class KeptCount:
    """The rows of one table (`table`) counted by a key, the counts kept by the database in another (`into`).

    Triggers on `table` add one to the key's count when a counted row is inserted, take one
    away when one is deleted, and on an update for which `sqlite_changed`/`postgres_changed`
    holds take one from OLD's key (when OLD was counted) and add one to NEW's (when NEW is);
    a key's row is made when it is first counted (an upsert). Every writer is seen, and the
    counts are written in its transaction.
    """

    name: str  # of the triggers, "{name}_inserted", ..., and of PostgreSQL's function, "{name}_changed"
    table: str
    into: str
    key: tuple[str, ...]  # the key's columns in `into`
    count: str  # the count's column in `into`
    key_of: Callable[[str], str]  # SQL: the key's values of the row OLD or NEW
    counted: Callable[[str], str]  # SQL: the row OLD or NEW is counted
    sqlite_changed: str  # SQL: an update that can change what is counted where
    postgres_changed: str

    def trigger_set(
        self,
        *,
        after_add: Callable[[BaseDatabaseSchemaEditor], None],
        lacking: str,
        migrate_back_to: tuple[str, str],
    ) -> TriggerSet:
        """Its triggers as a set: `add` makes them, then runs `after_add` (which counts afresh)."""
        names = [f"{self.name}_{event}" for event in ("inserted", "updated", "deleted")]
        return TriggerSet(
            triggers=frozenset((self.table, name) for name in names),
            sqlite_add=self._sqlite_add(),
            sqlite_remove=tuple(f"DROP TRIGGER IF EXISTS {name}" for name in names),
            postgres_add=self._postgres_add(),
            postgres_remove=(
                *(f"DROP TRIGGER IF EXISTS {name} ON {self.table}" for name in names),
                f"DROP FUNCTION IF EXISTS {self.name}_changed()",
            ),
            after_add=after_add,
            lacking=lacking,
            migrate_back_to=migrate_back_to,
        )

    def _sqlite(self, alias: str, n: int) -> str:
        """SQL (in a trigger's body) that adds n to the count of the alias's key when the alias is counted.

        The SELECT has a WHERE clause, as SQLite's upsert after a SELECT needs.
        """
        key, count = ", ".join(self.key), self.count
        return (
            f"INSERT INTO {self.into} ({key}, {count}) SELECT {self.key_of(alias)}, {n} WHERE {self.counted(alias)}"
            f" ON CONFLICT ({key}) DO UPDATE SET {count} = {count} + excluded.{count};"
        )

    def _sqlite_add(self) -> tuple[str, ...]:
        on = f"ON {self.table} FOR EACH ROW"
        return (
            f"CREATE TRIGGER {self.name}_inserted AFTER INSERT {on} BEGIN {self._sqlite('NEW', 1)} END",
            f"CREATE TRIGGER {self.name}_updated AFTER UPDATE {on} WHEN {self.sqlite_changed}"
            f" BEGIN {self._sqlite('OLD', -1)} {self._sqlite('NEW', 1)} END",
            f"CREATE TRIGGER {self.name}_deleted AFTER DELETE {on} BEGIN {self._sqlite('OLD', -1)} END",
        )

    def _postgres_add(self) -> tuple[str, ...]:
        key, stored = ", ".join(self.key), f"{self.into}.{self.count}"
        function = f"""CREATE OR REPLACE FUNCTION {self.name}_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND {self.counted("OLD")} THEN
        INSERT INTO {self.into} ({key}, {self.count}) VALUES ({self.key_of("OLD")}, -1)
        ON CONFLICT ({key}) DO UPDATE SET {self.count} = {stored} - 1;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND {self.counted("NEW")} THEN
        INSERT INTO {self.into} ({key}, {self.count}) VALUES ({self.key_of("NEW")}, 1)
        ON CONFLICT ({key}) DO UPDATE SET {self.count} = {stored} + 1;
    END IF;
    RETURN NULL;
END
$$"""  # noqa: S608 - fixed SQL, nothing from outside
        on, execute = f"ON {self.table} FOR EACH ROW", f"EXECUTE FUNCTION {self.name}_changed()"
        return (
            function,
            f"CREATE TRIGGER {self.name}_inserted AFTER INSERT {on} {execute}",
            f"CREATE TRIGGER {self.name}_updated AFTER UPDATE {on} WHEN ({self.postgres_changed}) {execute}",
            f"CREATE TRIGGER {self.name}_deleted AFTER DELETE {on} {execute}",
        )
