"""The roots of the log's perfect subtrees of 1,024 events and more, kept so that proofs stay quick.

Existing logs get theirs from the stored leaf hashes, read in order once.
"""

from django.db import migrations, models

_BATCH = 20_000


def backfill(apps, schema_editor):
    from ombuds.audit.merkle import CompactRange

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditNode = apps.get_model("audit", "AuditNode")
    tree = CompactRange()
    nodes = tree.keep_nodes()
    hashes = AuditEvent.objects.order_by("seq").values_list("leaf_hash", flat=True)
    tree.extend(bytes(h) for h in hashes.iterator(chunk_size=_BATCH))
    AuditNode.objects.bulk_create(
        [AuditNode(height=height, index=index, hash=root) for height, index, root in nodes], batch_size=_BATCH
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_merkle_tree")]

    operations = [
        migrations.CreateModel(
            name="AuditNode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("height", models.PositiveSmallIntegerField()),
                ("index", models.PositiveBigIntegerField()),
                ("hash", models.BinaryField(max_length=32)),
            ],
            options={"constraints": [models.UniqueConstraint(fields=("height", "index"), name="audit_node_position")]},
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
