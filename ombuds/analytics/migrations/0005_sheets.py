from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_month_digests"),
    ]

    operations = [
        migrations.CreateModel(
            name="Sheet",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=64)),
                ("month", models.CharField(max_length=7)),
                ("unit", models.BigIntegerField()),
                ("cells", models.TextField()),
            ],
            options={
                "indexes": [models.Index(fields=["month"], name="analytics_sheet_month")],
                "constraints": [models.UniqueConstraint(fields=("key", "unit"), name="analytics_sheet_once")],
            },
        ),
    ]
