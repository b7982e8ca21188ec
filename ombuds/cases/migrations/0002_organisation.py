from django.conf import settings
from django.db import migrations


def create_organisation(apps, schema_editor):
    Organisation = apps.get_model("cases", "Organisation")
    Organisation.objects.get_or_create(
        pk=1,
        defaults={
            "ack_deadline": settings.OMBUDS_ACK_DEADLINE,
            "feedback_deadline": settings.OMBUDS_FEEDBACK_DEADLINE,
            "assault_first_action_deadline": settings.OMBUDS_ASSAULT_FIRST_ACTION_DEADLINE,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(create_organisation, migrations.RunPython.noop)]
