"""Number every audit event without gaps and fix its canonical bytes.

Existing events are numbered in the order they were written (their id) and encoded
as `ombuds.audit.log` encodes new ones. The append-only triggers are lifted for the
backfill and put back at once, in the same migration.
"""

import json
from datetime import UTC

from django.db import migrations, models

from ombuds.audit.migrations import _append_only


def _leaf(event, event_names):
    actor = {"kind": event.actor_kind}
    if event.actor_id is not None:
        actor["id"] = event.actor_id
    document = {
        "index": event.seq,
        "time": event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor,
        "action": event_names.get(event.event_type, str(event.event_type)),
        "object": {"case": event.case_id} if event.case_id is not None else None,
        "details": event.detail,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def backfill(apps, schema_editor):
    from ombuds.audit.models import EventType

    names = {int(member): member.name.lower() for member in EventType}
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditHead = apps.get_model("audit", "AuditHead")
    # The triggers may already be gone: SQLite drops them when AddField rebuilds the table.
    _append_only.remove(schema_editor)
    size = 0
    for event in AuditEvent.objects.order_by("id").iterator():
        event.seq = size
        event.leaf = _leaf(event, names)
        event.save(update_fields=["seq", "leaf"])
        size += 1
    AuditHead.objects.create(pk=1, size=size)
    _append_only.add(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("size", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(model_name="auditevent", name="seq", field=models.PositiveBigIntegerField(null=True)),
        migrations.AddField(model_name="auditevent", name="leaf", field=models.TextField(default="")),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
