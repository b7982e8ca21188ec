"""The database keeps every unit's head count as people are written (see ombuds.directory.head_count)."""

from django.db import migrations, models

from ombuds.directory import head_count


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_directory_uploads"),
    ]

    operations = [
        migrations.CreateModel(
            name="HeadCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("unit", models.BigIntegerField(unique=True)),
                ("people", models.IntegerField(default=0)),
            ],
        ),
        migrations.RunPython(
            lambda apps, schema_editor: head_count.TRIGGER_SET.add(schema_editor),
            lambda apps, schema_editor: head_count.TRIGGER_SET.remove(schema_editor),
        ),
    ]
