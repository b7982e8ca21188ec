"""Batch boundaries that hide when an anonymous reporter acted.

Staff e-mail and audit-log entries caused by an anonymous reporter wait for the next
boundary of OMBUDS_ANONYMOUS_NOTICE_BATCH_SECONDS (one hour by default): whoever reads
them learns that she acted within that window, never the minute.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from django.conf import settings


def next_boundary(now: datetime) -> datetime:
    batch = settings.OMBUDS_ANONYMOUS_NOTICE_BATCH_SECONDS
    return datetime.fromtimestamp(math.ceil(now.timestamp() / batch) * batch, tz=UTC)
