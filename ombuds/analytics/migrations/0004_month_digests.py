from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_covering_count_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="month",
            name="digests",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
