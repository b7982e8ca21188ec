"""What the reporter side keeps on the server: her signed-in sessions, and nothing else."""

from __future__ import annotations

from django.db import models


class ReporterSession(models.Model):
    """A reporter's signed-in visit, opened with her receipt and ended by "leave" or by time.

    The token she holds names the row and carries a secret; the row keeps only what the
    secret decrypts (which report, and later the keys her visit needs), so the table
    says neither whose session it is nor which case it opens. A token is for the web
    pages or for the API, never both.
    """

    id = models.CharField(primary_key=True, max_length=32)
    kind = models.CharField(max_length=8)
    sealed = models.BinaryField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} reporter session"
