from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_change_triggers"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="monthlycount",
            name="analytics_count_month",
        ),
        migrations.AddIndex(
            model_name="monthlycount",
            index=models.Index(fields=["month", "dimension", "unit", "value", "count"], name="analytics_count_cells"),
        ),
    ]
