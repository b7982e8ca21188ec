from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0006_overdue_counts"),
    ]

    operations = [
        migrations.CreateModel(
            name="PeriodDurations",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=64, unique=True)),
                ("histogram", models.TextField()),
                ("made_at", models.DateTimeField()),
            ],
        ),
    ]
