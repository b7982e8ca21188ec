from django.db import migrations, models

import ombuds.lib.ids


def renumber(apps, schema_editor):
    """Give the grants already stored random numbers too: their order would still tell when each was made."""
    for name in ("CaseKeyGrant", "PendingGrant"):
        model = apps.get_model("cases", name)
        for pk in list(model.objects.values_list("pk", flat=True)):
            model.objects.filter(id=pk).update(id=ombuds.lib.ids.random_id())


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0017_inbox_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="casekeygrant",
            name="id",
            field=models.BigIntegerField(
                default=ombuds.lib.ids.random_id, editable=False, primary_key=True, serialize=False
            ),
        ),
        migrations.AlterField(
            model_name="pendinggrant",
            name="id",
            field=models.BigIntegerField(
                default=ombuds.lib.ids.random_id, editable=False, primary_key=True, serialize=False
            ),
        ),
        migrations.RunPython(renumber, migrations.RunPython.noop),
    ]
