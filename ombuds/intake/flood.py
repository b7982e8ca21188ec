"""Slow a flood of reports and uploads, without keeping anything about who sends them.

One client once filed 77 reports a second and stored 300 MiB on one report in six
seconds. Each web process therefore lets through at most OMBUDS_NEW_REPORTS_PER_MINUTE
new reports and OMBUDS_UPLOAD_BYTES_PER_MINUTE of uploaded files, for everyone together
(token buckets, so a burst of one minute's worth passes at once). Over that, the request
is refused with 429 before anything is stored, and the reporter is asked to try again
in a few minutes; her text stays in the form.

The counts are in this process's memory and concern all clients at once: no address,
no browser, nothing that could tell one sender from another is kept. With N gunicorn
workers the installation accepts up to N times these rates.
"""

from __future__ import annotations

import math
import threading

from django.conf import settings

from ombuds.lib.ratelimit import TokenBucket

_lock = threading.Lock()
_reports = TokenBucket()
_bytes = TokenBucket()


class Busy(Exception):
    """Too much is arriving right now; nothing was stored. Try again after `retry_after` seconds.

    `what` says which limit was reached: "reports" or "files".
    """

    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(f"too many {what}; retry after {retry_after} s")
        self.what = what
        self.retry_after = retry_after


def admit(*, reports: int = 0, upload_bytes: int = 0) -> None:
    """Count a new report and/or uploaded bytes, or raise Busy (and count nothing).

    Both limits are checked before either is taken, under one lock, so a refused request
    uses up nothing and concurrent requests cannot pass together over the limit.
    """
    report_rate = settings.OMBUDS_NEW_REPORTS_PER_MINUTE
    byte_rate = settings.OMBUDS_UPLOAD_BYTES_PER_MINUTE
    with _lock:
        report_wait = _reports.wait(reports, per_minute=report_rate, capacity=report_rate) if reports else 0.0
        byte_wait = _bytes.wait(upload_bytes, per_minute=byte_rate, capacity=byte_rate) if upload_bytes else 0.0
        if report_wait > 0 or byte_wait > 0:
            raise Busy(
                "reports" if report_wait >= byte_wait else "files", max(1, math.ceil(max(report_wait, byte_wait)))
            )
        if reports:
            _reports.take(reports, per_minute=report_rate, capacity=report_rate)
        if upload_bytes:
            _bytes.take(upload_bytes, per_minute=byte_rate, capacity=byte_rate)


def reset() -> None:
    """Start with full buckets again (tests; a restart does the same)."""
    global _reports, _bytes
    with _lock:
        _reports, _bytes = TokenBucket(), TokenBucket()
