"""No log line says when someone used the reporter pages.

Django logs refused requests with their path: a CSRF failure, a 404, a 405, a body that
is too large, a disallowed Host. With the second each line carries, that would time a
reporter. The real server is provoked into each of these on reporter paths, and its logs
are searched for the paths; a CSRF failure on a staff path, which is still logged, proves
the search reads the right files. The filter itself is tested in the process as well.
"""

from __future__ import annotations

import http.client
import importlib
import io
import logging
import re
import secrets
import socket
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils.log import log_response

from ombuds.core.logging import Formatter, HideClientLines, HideReporterRequests, StripRequest, is_staff_path
from tests.realserver import HOST, RealServer, running_server

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
EXACT_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
DAY_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2} ERROR ")


# --- the filter, in the process ---------------------------------------------------------


@contextmanager
def django_log() -> Iterator[io.StringIO]:
    """What the configured stderr handler would write, captured: the same filters and format."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(HideReporterRequests())
    handler.addFilter(StripRequest())
    handler.setFormatter(Formatter(FORMAT))
    # In place of the configured handler (on the two loggers that have one), so that one
    # does not change the records first.
    loggers = [logging.getLogger("django"), logging.getLogger("django.request")]
    saved = [logger.handlers for logger in loggers]
    for logger in loggers:
        logger.handlers = [handler]
    try:
        yield stream
    finally:
        for logger, handlers in zip(loggers, saved, strict=True):
            logger.handlers = handlers


def test_it_tells_staff_paths_from_reporter_paths() -> None:
    assert is_staff_path("/staff/cases/C-1/")
    assert is_staff_path("/api/v1/cases")
    assert is_staff_path("/api/v1/cases/C-1/notes")
    assert is_staff_path("/api/v1/staff/cases/C-1/investigation")
    assert not is_staff_path("/report/")
    assert not is_staff_path("/api/v1/reports")
    assert not is_staff_path("/api/v1/reporter/session")
    assert not is_staff_path("/api/v1/casesx")
    assert not is_staff_path("/staffroom/")


@pytest.mark.django_db
def test_it_drops_a_csrf_failure_on_a_reporter_page_and_keeps_one_on_a_staff_page() -> None:
    client = Client(enforce_csrf_checks=True)
    with django_log() as log:
        assert client.post("/report/", {"narrative": "x"}, follow=True).status_code == 403
        assert client.post("/return/", {"receipt": "1"}).status_code == 403
        assert client.post("/staff/accounts/login/", {"login": "x"}).status_code == 403
    written = log.getvalue()
    assert "/report/" not in written
    assert "/return/" not in written
    assert "Forbidden (CSRF cookie not set.): /staff/accounts/login/" in written
    assert EXACT_TIME.search(written), "a staff line keeps its time"


@pytest.mark.django_db
def test_it_drops_a_disallowed_host_on_a_reporter_page() -> None:
    with django_log() as log:
        assert Client().get("/report/", HTTP_HOST="elsewhere.example").status_code == 400
        assert Client().get("/staff/", HTTP_HOST="staff-elsewhere.example").status_code == 400
    written = log.getvalue()
    assert "'elsewhere.example'" not in written
    assert "staff-elsewhere.example" in written


def test_it_drops_client_errors_at_every_level_for_reporter_paths() -> None:
    factory = RequestFactory()
    with django_log() as log:
        for status, level in [(404, None), (405, None), (400, "error"), (413, "error")]:
            log_response(
                "Refused: %s",
                "/api/v1/reporter/session",
                response=HttpResponse(status=status),
                request=factory.post("/api/v1/reporter/session"),
                logger=logging.getLogger("django.security.Probe"),
                level=level,
            )
    assert log.getvalue() == ""


def test_it_keeps_a_server_error_on_a_reporter_page_without_its_path_and_with_only_the_day() -> None:
    factory = RequestFactory()
    private = "the narrative was: something private"
    try:
        raise RuntimeError(private)
    except RuntimeError:
        exc_info = sys.exc_info()
    with django_log() as log:
        logging.getLogger("django.request").error(
            "Internal Server Error: %s",
            "/status/message/",
            exc_info=exc_info,
            extra={"status_code": 500, "request": factory.post("/status/message/")},
        )
        logging.getLogger("django.request").error(
            "Internal Server Error: %s",
            "/staff/cases/C-1/",
            extra={"status_code": 500, "request": factory.get("/staff/cases/C-1/")},
        )
    reporter_line, staff_line = log.getvalue().split("\n")[0], log.getvalue().strip().split("\n")[-1]
    assert DAY_ONLY.match(reporter_line), reporter_line
    assert "server error on a reporter page" in reporter_line
    assert "/status/message/" not in log.getvalue()
    assert "something private" not in log.getvalue()
    assert "RuntimeError" in log.getvalue()  # still locatable
    assert EXACT_TIME.match(staff_line)
    assert "/staff/cases/C-1/" in staff_line


@pytest.mark.django_db
def test_a_report_that_could_not_be_stored_is_logged_with_its_day_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page asks her to try again in a minute: a line to the second would time her filing."""
    from django.db import DatabaseError

    private = secrets.token_hex(8)

    def refuse(**_kwargs: object) -> None:
        raise DatabaseError(private)

    monkeypatch.setattr("ombuds.intake.views.actions.file_report", refuse)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(HideReporterRequests())
    handler.addFilter(StripRequest())
    handler.setFormatter(Formatter(FORMAT))
    logger = logging.getLogger("ombuds.intake.views")
    monkeypatch.setattr(logger, "handlers", [handler])
    monkeypatch.setattr(logger, "propagate", False)
    form = {"category": "other", "role": "witness", "narrative": "Something private.", "anonymous": "true"}
    response = Client().post("/report/", form)
    assert response.status_code in (400, 503) and "nothing was saved" in response.content.decode()
    line = stream.getvalue().split("\n")[0]
    assert DAY_ONLY.match(line), line
    assert private not in stream.getvalue()
    assert "DatabaseError" in stream.getvalue()  # still locatable


def _gunicorn_record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1, message, args, None)


def test_it_drops_gunicorns_line_that_names_a_client_it_could_not_parse() -> None:
    hide = HideClientLines()
    assert not hide.filter(_gunicorn_record("Invalid request from ip=198.51.100.7: Invalid HTTP Version"))


def test_it_withholds_the_path_of_a_reporter_request_gunicorn_failed_to_handle() -> None:
    hide = HideClientLines()
    reporter = _gunicorn_record("Error handling request %s %s", "POST", "/status/message/?x=1")
    staff = _gunicorn_record("Error handling request %s %s", "GET", "/staff/cases/C-1/")
    assert hide.filter(reporter)
    assert hide.filter(staff)
    assert reporter.getMessage() == "Error handling request (path withheld)"
    assert staff.getMessage() == "Error handling request GET /staff/cases/C-1/"
    assert hide.filter(_gunicorn_record("Booting worker with pid: %s", 42))


def test_gunicorn_runs_with_the_private_logger() -> None:
    assert importlib.import_module("ombuds.gunicorn_conf").logger_class == "ombuds.core.logging.GunicornLogger"


def test_the_settings_put_the_reporter_filter_before_the_one_that_removes_the_request(settings) -> None:
    handler = settings.LOGGING["handlers"]["stderr"]
    assert handler["filters"] == ["hide_reporter_requests", "strip_request"]
    assert settings.LOGGING["formatters"]["plain"]["class"] == "ombuds.core.logging.Formatter"


# --- the real server --------------------------------------------------------------------


class Probe:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            cookies = response.headers.get_all("Set-Cookie") or []
            csrf = next((c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("csrftoken=")), "")
            return response.status, text if not csrf else f"{text}\ncsrftoken={csrf}"
        finally:
            conn.close()

    def raw(self, head: bytes) -> int:
        """Send only a request head (the body it announces never comes) and read the status."""
        with closing(socket.create_connection((HOST, self.port), timeout=30)) as sock:
            sock.sendall(head)
            status_line = sock.makefile("rb").readline().decode()
        return int(status_line.split()[1])


def _form_token(probe: Probe) -> tuple[str, str]:
    status, page = probe.request("GET", "/report/")
    assert status == 200
    token = CSRF_RE.search(page)
    cookie = re.search(r"csrftoken=(\S+)$", page)
    assert token and cookie
    return cookie.group(1), token.group(1)


REPORTER_PATHS = ["/report/", "/return/", "/status/", "/leave/", "/api/v1/report"]
REFUSAL_WORDS = [
    "Forbidden",
    "Not Found",
    "Method Not Allowed",
    "Bad Request",
    "Invalid HTTP_HOST",
    "RequestDataTooBig",
    "TooManyFields",
    "Invalid request",
    "Error handling request",
]


@pytest.mark.server
def test_the_real_server_logs_no_refused_reporter_request(tmp_path: Path) -> None:
    marker = secrets.token_hex(6)
    # DEBUG: whatever level an operator picks, no reporter's request is written.
    with running_server(tmp_path, {"OMBUDS_LOG_LEVEL": "DEBUG"}) as server:
        _provoke(Probe(server.port), marker)
        server.stop()
        logs = _logs(server)

    # The control: a staff CSRF failure is still written, so these are the right files.
    assert "Forbidden (CSRF cookie not set.): /staff/accounts/login/" in logs
    for path in [*REPORTER_PATHS, f"/{marker}"]:
        found = path in logs
        assert not found, f"the logs mention {path}"
    assert f"host-{marker}" not in logs
    refusals = [line for line in logs.splitlines() if any(word in line for word in REFUSAL_WORDS)]
    assert [line for line in refusals if "/staff/" not in line] == []


def _provoke(probe: Probe, marker: str) -> None:
    cookie, token = _form_token(probe)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with_cookie = {**form, "Cookie": f"csrftoken={cookie}"}
    with_token = {**with_cookie, "X-CSRFToken": token}
    answers = {
        # CSRF: no cookie, then a cookie with a wrong token
        "csrf report": probe.request("POST", "/report/", body=b"narrative=x", headers=form)[0],
        "csrf return": probe.request("POST", "/return/", body=b"receipt=1", headers=form)[0],
        "csrf message": probe.request("POST", "/status/message/", body=b"body=x", headers=form)[0],
        "csrf leave": probe.request("POST", "/leave/", body=b"csrfmiddlewaretoken=wrong", headers=with_cookie)[0],
        # 404
        "404 page": probe.request("GET", f"/report/{marker}/")[0],
        "404 root": probe.request("GET", f"/{marker}/")[0],
        "404 api": probe.request("GET", f"/api/v1/reporter/{marker}")[0],
        # 405
        "405 page": probe.request("PUT", "/report/", headers=with_token)[0],
        "405 return": probe.request("DELETE", "/return/", headers=with_token)[0],
        "405 api": probe.request("GET", "/api/v1/reports")[0],
        # 400: a form with errors, malformed JSON, too many fields, a body over the text limit
        "400 form": probe.request(
            "POST", "/report/", body=f"csrfmiddlewaretoken={token}&narrative=".encode(), headers=with_cookie
        )[0],
        "400 json": probe.request(
            "POST", "/api/v1/reports", body=b"{not json", headers={"Content-Type": "application/json"}
        )[0],
        "400 fields": probe.request(
            "POST", "/return/", body="&".join(f"f{i}=1" for i in range(1100)).encode(), headers=with_cookie
        )[0],
        "400 too big": probe.request("POST", "/report/", body=b"narrative=" + b"x" * (300 * 1024), headers=with_cookie)[
            0
        ],
        # 413: refused before the body is read
        "413": probe.raw(
            b"POST /report/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 999999999\r\nConnection: close\r\n\r\n"
        ),
        # a request gunicorn itself cannot parse (a header field over its limit): its line would name the address
        "unparsable": probe.raw(
            b"GET /report/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"x" * 9000 + b"\r\nConnection: close\r\n\r\n"
        ),
        # a Host header that is not allowed
        "disallowed host": probe.request("GET", "/report/", headers={"Host": f"host-{marker}.example"})[0],
        # the control, on a staff path
        "staff csrf": probe.request("POST", "/staff/accounts/login/", body=b"login=x", headers=form)[0],
    }
    expected = {
        "csrf report": 403,
        "csrf return": 403,
        "csrf message": 403,
        "csrf leave": 403,
        "404 page": 404,
        "404 root": 404,
        "404 api": 404,
        "405 page": 405,
        "405 return": 405,
        "405 api": 405,
        "400 form": 400,
        "400 json": 400,
        "400 fields": 400,
        "400 too big": 400,
        "413": 413,
        "unparsable": 431,
        "disallowed host": 400,
        "staff csrf": 403,
    }
    assert answers == expected


def _logs(server: RealServer) -> str:
    files = sorted(server.log_dir.glob("*.log"))
    assert any(path.name == "gunicorn.stderr.log" for path in files)
    return "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in files)
