"""Rate limiting of receipt attempts."""

from __future__ import annotations

from django.db import models


class ReceiptThrottle(models.Model):
    """Failed receipt attempts per client and time window.

    `bucket` is a keyed digest of the client address and the window number, so the
    table holds no address, and a bucket cannot be linked to the next window's.
    """

    bucket = models.CharField(max_length=64, unique=True)
    window_ends_at = models.DateTimeField(db_index=True)
    failures = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"throttle bucket until {self.window_ends_at:%Y-%m-%d %H:%M}"
