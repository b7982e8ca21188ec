"""Log filtering that keeps client details, report content and reporters' visits out of every log."""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest
from gunicorn import glogging

# The staff side: everything else (the reporter pages, /api/v1/reports, /api/v1/reporter/...,
# the language switch, static files) counts as a reporter's request.
STAFF_PREFIXES = ("/staff/", "/api/v1/cases/", "/api/v1/staff/")
STAFF_PATHS = {"/staff", "/api/v1/cases"}


def is_staff_path(path: str) -> bool:
    return path in STAFF_PATHS or path.startswith(STAFF_PREFIXES)


class HideReporterRequests(logging.Filter):
    """Keep reporters' requests out of the log.

    Django logs refused requests with their path (a CSRF failure, a 404, a 405, a body
    that is too large, a disallowed Host header), and every log line carries the exact
    second, often twice: once from our format and once from the journal that collects
    standard error. Together they would say when someone used the reporter pages.

    A record about a reporter's request (one that carries a request whose path is not a
    staff path) is therefore dropped, unless it is a server error, which an operator
    must see. A server error is kept without its path and marked, so that `Formatter`
    writes only its day.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if not isinstance(request, HttpRequest) or is_staff_path(request.path):
            return True
        status = getattr(record, "status_code", None)
        if record.levelno < logging.ERROR or (status is not None and status < 500):
            return False
        record.msg = "server error on a reporter page (path withheld)"
        record.args = None
        record.reporter_request = True
        return True


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


class Formatter(logging.Formatter):
    """The plain formatter, writing only the day for a record about a reporter's request."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if getattr(record, "reporter_request", False):
            return time.strftime("%Y-%m-%d", self.converter(record.created))
        return super().formatTime(record, datefmt)


class HideClientLines(logging.Filter):
    """gunicorn's own error log, without the lines that would place a reporter.

    gunicorn writes "Invalid request from ip=ADDRESS: ..." when it cannot parse a request
    (a header too large, a bad request line): a client error whose line names the
    client's address. It is dropped, like Django's client errors. "Error handling request
    PATH" is a server error: it is kept, without the path when that is a reporter's.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if message.startswith("Invalid request from ip="):
            return False
        args = record.args if isinstance(record.args, tuple) else ()
        if message.startswith("Error handling request") and args and not is_staff_path(urlsplit(str(args[-1])).path):
            record.msg = "Error handling request (path withheld)"
            record.args = None
        return True


class GunicornLogger(glogging.Logger):
    """gunicorn's logger with `HideClientLines` on its error log (ombuds/gunicorn_conf.py names it)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # setup runs again when gunicorn reloads its configuration; one filter is enough.
        if not any(isinstance(f, HideClientLines) for f in self.error_log.filters):
            self.error_log.addFilter(HideClientLines())
