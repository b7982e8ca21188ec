from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_overdue_index"),
        ("directory", "0002_directory_uploads"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["assignee", "next_deadline_at", "id"], name="cases_case_inbox_idx"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["next_deadline_at", "id"], name="cases_case_deadline_idx"),
        ),
        migrations.RemoveIndex(
            model_name="case",
            name="cases_case_assigne_ae1ad6_idx",
        ),
    ]
