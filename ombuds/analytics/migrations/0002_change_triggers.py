"""The database records the days whose stored totals must be counted again (see _change_triggers)."""

from django.db import migrations, models

from ombuds.analytics.migrations import _change_triggers


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_monthly_totals"),
        ("audit", "0007_merkle_tree"),
        ("cases", "0014_reporting_unit"),
        ("watch", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChangedDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("writer", models.BigIntegerField(default=0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("day", "writer"), name="analytics_changed_day_once")],
            },
        ),
        migrations.RunPython(
            lambda apps, schema_editor: _change_triggers.TRIGGER_SET.add(schema_editor),
            lambda apps, schema_editor: _change_triggers.TRIGGER_SET.remove(schema_editor),
        ),
    ]
