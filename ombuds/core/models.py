"""Installation-wide rows that belong to no app in particular."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """One row the sweeper rewrites on every pass, so the database files always look just written.

    See core/heartbeat.py. It holds a counter only: no time, nothing about anyone.
    """

    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"heartbeat {self.beats}"
