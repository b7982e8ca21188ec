from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_names_per_language"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["received_at"], name="cases_case_received_at_idx"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["closed_at"], name="cases_case_closed_at_idx"),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["case", "submitted_at"], name="cases_report_case_submitted"),
        ),
    ]
