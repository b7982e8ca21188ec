"""Put the append-only triggers back after cases.0005.

On SQLite, changing the type of the cases' primary keys rebuilds every table that
refers to them, the audit table included, and a rebuilt table loses its triggers.
"""

from django.db import migrations

from ombuds.audit.migrations import _append_only


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_pending_events"), ("cases", "0005_random_ids_and_positions")]

    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: _append_only.add(schema_editor),
            lambda apps, schema_editor: _append_only.remove(schema_editor),
        ),
    ]
