"""Make the sequence number and the leaf required, and put the append-only triggers back."""

from django.db import migrations, models

from ombuds.audit.migrations import _append_only


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_sequence_and_leaf")]

    operations = [
        migrations.AlterField(model_name="auditevent", name="seq", field=models.PositiveBigIntegerField(unique=True)),
        migrations.AlterField(model_name="auditevent", name="leaf", field=models.TextField()),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["seq"]}),
        migrations.RunPython(
            lambda apps, schema_editor: _append_only.add(schema_editor),
            lambda apps, schema_editor: _append_only.remove(schema_editor),
        ),
    ]
