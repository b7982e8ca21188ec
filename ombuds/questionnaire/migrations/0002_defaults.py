"""Publish the default questions (defaults.json) as version 1 of every category.

Reads the file as it is when the migration runs: a new installation gets the newest
defaults, and an installation that migrated before keeps the versions it has.
"""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

DEFAULTS = Path(__file__).resolve().parent.parent / "defaults.json"


def publish_defaults(apps, schema_editor):
    Version = apps.get_model("questionnaire", "Version")
    Question = apps.get_model("questionnaire", "Question")
    now = timezone.now()
    document = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    for entry in document["categories"]:
        if Version.objects.filter(category=entry["category"]).exists():
            continue
        version = Version.objects.create(
            category=entry["category"],
            number=1,
            created_at=now,
            published_at=now,
        )
        Question.objects.bulk_create(
            [
                Question(
                    version=version,
                    key=item["key"],
                    position=position,
                    kind=item["kind"],
                    required=item.get("required", False),
                    text=item["text"],
                    help=item.get("help", {}),
                    choices=item.get("choices", []),
                )
                for position, item in enumerate(entry["questions"], start=1)
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("questionnaire", "0001_initial")]

    operations = [migrations.RunPython(publish_defaults, migrations.RunPython.noop)]
