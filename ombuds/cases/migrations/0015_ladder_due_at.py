"""Each case stores when the escalation pass must next look at it (ombuds.cases.ladder_due).

The backfill computes it exactly from the escalations already taken, as the pass would
after looking, so the first pass after the upgrade reads only the cases with a step due.
"""

from django.db import migrations, models
from django.utils import timezone

from ombuds.cases import ladder_due

CHUNK = 2000


def backfill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Escalation = apps.get_model("cases", "Escalation")
    LadderCheck = apps.get_model("cases", "LadderCheck")
    steps = ladder_due.offsets()
    now = timezone.now()
    open_cases = Case.objects.exclude(status=ladder_due.CLOSED).filter(held_in_escrow=False).order_by("id")
    last = None
    while True:
        chunk = open_cases if last is None else open_cases.filter(id__gt=last)
        rows = list(chunk.values("id", *ladder_due.WATCHED)[:CHUNK])
        if not rows:
            break
        last = rows[-1]["id"]
        taken: dict[int, list[tuple[str, object, str]]] = {}
        for case_id, deadline, due_at, step in Escalation.objects.filter(
            case_id__in=[row["id"] for row in rows], item=""
        ).values_list("case_id", "deadline", "due_at", "step"):
            taken.setdefault(case_id, []).append((deadline, due_at, step))
        moments = [
            Case(id=row["id"], ladder_due_at=ladder_due.look(row, taken.get(row["id"], []), steps, now).ladder_due_at)
            for row in rows
        ]
        Case.objects.bulk_update([case for case in moments if case.ladder_due_at is not None], ["ladder_due_at"])
    LadderCheck.objects.update_or_create(pk=1, defaults={"full_at": now, "offsets": ladder_due.fingerprint(steps)})


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_reporting_unit"),
        ("analytics", "0002_change_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="ladder_due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="LadderCheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("full_at", models.DateTimeField(blank=True, null=True)),
                ("offsets", models.CharField(blank=True, default="", max_length=200)),
            ],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["ladder_due_at", "id"], name="cases_case_ladder_due_idx"),
        ),
        migrations.RunPython(
            lambda apps, schema_editor: ladder_due.TRIGGER_SET.add(schema_editor),
            lambda apps, schema_editor: ladder_due.TRIGGER_SET.remove(schema_editor),
        ),
    ]
