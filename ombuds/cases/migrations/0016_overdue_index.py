from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0015_ladder_due_at"),
        ("directory", "0002_directory_uploads"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("held_in_escrow", False), models.Q(("status", "closed"), _negated=True)),
                fields=["next_deadline_at", "reporting_unit", "assignee", "held_in_escrow", "status"],
                name="cases_case_overdue_idx",
            ),
        ),
    ]
