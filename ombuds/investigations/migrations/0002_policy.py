from django.db import migrations


def create_policy(apps, schema_editor):
    # The one row of the organisation's investigation rules, with the default standard of proof.
    InvestigationPolicy = apps.get_model("investigations", "InvestigationPolicy")
    InvestigationPolicy.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("investigations", "0001_initial")]

    operations = [migrations.RunPython(create_policy, migrations.RunPython.noop)]
