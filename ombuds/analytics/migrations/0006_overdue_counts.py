"""The cases overdue before a boundary, counted by the database (see ombuds.analytics.overdue)."""

from django.db import migrations, models

from ombuds.analytics import overdue


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0005_sheets"),
        ("cases", "0016_overdue_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="OverdueBoundary",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("boundary_at", models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name="OverdueCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("unit", models.BigIntegerField()),
                ("assignee", models.BigIntegerField()),
                ("cases", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("unit", "assignee"), name="analytics_overdue_once")],
            },
        ),
        migrations.RunPython(
            lambda apps, schema_editor: overdue.TRIGGER_SET.add(schema_editor),
            lambda apps, schema_editor: overdue.TRIGGER_SET.remove(schema_editor),
        ),
    ]
