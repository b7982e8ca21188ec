"""Log filtering that keeps client details and report content out of every log."""

from __future__ import annotations

import logging
import traceback


class StripRequest(logging.Filter):
    """Remove the request and exception messages from log records.

    Django attaches the request (with the client address and user agent) to records
    of failed requests; exception messages can quote submitted values (a PostgreSQL
    integrity error lists the failing row). The traceback's frames are kept, so a
    failure can still be located, but no value reaches the log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _exc, tb = record.exc_info
            frames = "".join(traceback.format_tb(tb))
            record.msg = f"{record.getMessage()}\nTraceback (values withheld):\n{frames}{exc_type.__name__}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True
