import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    """Each case's unit, as the analytics found it until now: its first accused person linked to the directory."""
    Case = apps.get_model("cases", "Case")
    InvolvedPerson = apps.get_model("cases", "InvolvedPerson")
    first_accused = Subquery(
        InvolvedPerson.objects.filter(report__case=OuterRef("pk"), role="accused", person__isnull=False)
        .order_by("report__submitted_at", "position", "pk")
        .values("person__unit")[:1]
    )
    named = InvolvedPerson.objects.filter(role="accused", person__isnull=False).values("report__case")
    Case.objects.filter(pk__in=named).update(reporting_unit=first_accused)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_analytics_indexes"),
        ("directory", "0002_directory_uploads"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="reporting_unit",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="directory.unit",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
