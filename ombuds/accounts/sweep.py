"""What the sweeper removes from the staff side: old login records.

django-axes keeps every staff login, failed attempt and lock with the client's address
and browser (AccessLog, AccessFailureLog, AccessAttempt). They are kept for
OMBUDS_LOGIN_RECORD_RETENTION_DAYS and then deleted, whatever axes itself would keep.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings


def purge_login_records(now: datetime) -> int:
    """Delete login records older than the retention period; return how many rows went."""
    cutoff = now - timedelta(days=settings.OMBUDS_LOGIN_RECORD_RETENTION_DAYS)
    deleted = 0
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        count, _by_model = model.objects.filter(attempt_time__lt=cutoff).delete()
        deleted += count
    return deleted
