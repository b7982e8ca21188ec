"""Wrong receipts are counted in process memory now (intake/throttle.py).

The table held a keyed digest of each guessing client's address; with the receipt key,
an address could be found again by trying every IPv4 address. Dropping it removes that.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0002_reporter_sessions"),
    ]

    operations = [
        migrations.DeleteModel(name="ReceiptThrottle"),
    ]
