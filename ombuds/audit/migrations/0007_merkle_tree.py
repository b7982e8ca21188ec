"""The Merkle tree kept with the log: each event's leaf hash, the head's compact range, signed tree heads.

Existing events get their leaf hash from their stored leaf, in order, and the head its
compact range; the append-only triggers are lifted for the backfill and put back at
once, in the same migration (SQLite may also have dropped them if a column was added
by rebuilding the table).
"""

import hashlib

from django.db import migrations, models

from ombuds.audit.migrations import _append_only

_BATCH = 2000


def backfill(apps, schema_editor):
    from ombuds.audit.merkle import CompactRange

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditHead = apps.get_model("audit", "AuditHead")
    _append_only.remove(schema_editor)
    tree = CompactRange()
    batch = []
    for event in AuditEvent.objects.order_by("seq").only("pk", "leaf").iterator(chunk_size=_BATCH):
        event.leaf_hash = hashlib.sha256(b"\x00" + event.leaf.encode("utf-8")).digest()
        tree.append(event.leaf_hash)
        batch.append(event)
        if len(batch) == _BATCH:
            AuditEvent.objects.bulk_update(batch, ["leaf_hash"])
            batch = []
    if batch:
        AuditEvent.objects.bulk_update(batch, ["leaf_hash"])
    AuditHead.objects.update_or_create(pk=1, defaults={"size": tree.size, "frontier": b"".join(tree.subtree_roots)})
    _append_only.add(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_append_only_again")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="leaf_hash",
            field=models.BinaryField(default=b"", max_length=32),
            preserve_default=False,
        ),
        migrations.AddField(model_name="audithead", name="frontier", field=models.BinaryField(default=b"")),
        migrations.CreateModel(
            name="SignedTreeHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("tree_size", models.PositiveBigIntegerField(unique=True)),
                ("root_hash", models.CharField(max_length=64)),
                ("timestamp", models.DateTimeField()),
                ("signature", models.CharField(max_length=88)),
            ],
            options={"ordering": ["tree_size"]},
        ),
        migrations.CreateModel(
            name="WitnessMailing",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slot", models.BigIntegerField(unique=True)),
                ("tree_size", models.PositiveBigIntegerField()),
                ("sent_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(
            lambda apps, schema_editor: _append_only.add(schema_editor),
            lambda apps, schema_editor: _append_only.remove(schema_editor),
        ),
    ]
