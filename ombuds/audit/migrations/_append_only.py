"""The append-only triggers, shared by the migrations that must lift them briefly.

SQLite drops a table's triggers when a migration rebuilds the table, so every
migration that alters the audit table puts them back with `add`.
"""

SQLITE_ADD = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events cannot be changed'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events cannot be deleted'); END""",
]
SQLITE_REMOVE = ["DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"]

POSTGRES_ADD = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events cannot be changed or deleted'; END $$ LANGUAGE plpgsql""",
    # Row-level: TRUNCATE (which needs table ownership) stays possible for test-database
    # resets; the application's database role must not own this table in production.
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]
POSTGRES_REMOVE = ["DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent"]


def add(schema_editor):
    remove(schema_editor)
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRES_ADD if postgres else SQLITE_ADD:
        schema_editor.execute(statement)


def remove(schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRES_REMOVE if postgres else SQLITE_REMOVE:
        schema_editor.execute(statement)
