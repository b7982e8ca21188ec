"""An anonymous reporter leaves no address, no browser and no exact time behind.

The reporter uses the real server from a distinctive loopback address with a
distinctive User-Agent, through the web form and the API, returns with her
receipt and writes a message. Afterwards the whole database and every file the
server wrote are searched for the address and the User-Agent, and the stored times
of her case must be the start of the day.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, time
from http.cookies import SimpleCookie
from zoneinfo import ZoneInfo

import pytest

from tests.realserver import HOST, RealServer, real_server
from tests.support import receipt_from

__all__ = ["real_server"]

PROBE_ADDRESS = "127.0.0.23"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def shows(self, text: str) -> bool:
        """Whether the page contains the text (a bool, so a failure does not print the page)."""
        return text in self.text

    def csrf_token(self) -> str:
        match = CSRF_RE.search(self.text)
        assert match, "the page has no CSRF token"
        return match.group(1)


class ProbeClient:
    """An HTTP client bound to one source address, with one User-Agent and a cookie jar."""

    def __init__(self, port: int, source: str, user_agent: str) -> None:
        self.port = port
        self.source = source
        self.user_agent = user_agent
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30, source_address=(self.source, 0))
        try:
            conn.connect()
            assert conn.sock is not None
            assert conn.sock.getsockname()[0] == self.source, "the connection does not come from the probe address"
            sent = {"User-Agent": self.user_agent, "Accept-Language": "en"}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            sent.update(headers or {})
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    if morsel.value == "" or morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return Answer(response.status, response.getheader("Location") or "", data)
        finally:
            conn.close()

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> Answer:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST", path, body=b"".join(parts), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )

    def post_json(self, path: str, payload: object, token: str | None = None) -> Answer:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("POST", path, body=json.dumps(payload).encode(), headers=headers)


def _file_through_the_form(client: ProbeClient, narrative: str, message: str) -> str:
    form = client.get("/report/")
    assert form.status == 200
    assert "csrftoken" in client.cookies
    filed = client.post_form(
        "/report/",
        {
            "csrfmiddlewaretoken": form.csrf_token(),
            "category": "sexual_harassment",
            "role": "affected",
            "narrative": narrative,
            "anonymous": "true",
            "language": "en",
        },
    )
    # Post/redirect/get: the receipt is shown by the GET the form redirects to.
    assert filed.status == 302, f"the form answered {filed.status}"
    assert filed.location.endswith("/report/")
    shown = client.get("/report/")
    assert shown.status == 200
    receipt = receipt_from(shown.text.encode())

    # She comes back later: only the receipt, no cookie of the earlier visit.
    client.cookies.pop("ombuds_reporter", None)
    page = client.get("/return/")
    assert page.status == 200
    opened = client.post_form("/return/", {"csrfmiddlewaretoken": page.csrf_token(), "receipt": receipt})
    assert opened.status == 302, f"the receipt did not open the report ({opened.status})"
    assert opened.location.endswith("/status/")
    status = client.get("/status/")
    assert status.status == 200
    assert status.shows("Received"), "the status page does not say Received"

    sent = client.post_form("/status/message/", {"csrfmiddlewaretoken": status.csrf_token(), "body": message})
    assert sent.status == 302, f"the message was not accepted ({sent.status})"
    thread = client.get("/status/")
    assert thread.status == 200
    assert thread.shows(message), "the message is not in the thread"
    # Her case's reference, which the search below uses to find her rows: through the API.
    token = json.loads(client.post_json("/api/v1/reporter/session", {"receipt": receipt}).body)["token"]
    case = client.request("GET", "/api/v1/reporter/case", headers={"Authorization": f"Bearer {token}"})
    return str(json.loads(case.body)["reference"])


def _file_through_the_api(client: ProbeClient, narrative: str, message: str) -> str:
    filed = client.post_json(
        "/api/v1/reports",
        {"category": "sexual_harassment", "role": "affected", "narrative": narrative, "anonymous": True},
    )
    assert filed.status == 201, f"the API answered {filed.status}"
    receipt = json.loads(filed.body)["receipt"]
    assert isinstance(receipt, str)
    # A mistyped receipt goes through the rate limiter, which must not keep the address either.
    wrong = client.post_json("/api/v1/reporter/session", {"receipt": "0000-0000-0000-0000-0000-0000-0000"})
    assert wrong.status == 401
    session = client.post_json("/api/v1/reporter/session", {"receipt": receipt})
    assert session.status == 200
    token = json.loads(session.body)["token"]
    sent = client.post_json("/api/v1/reporter/messages", {"body": message}, token=token)
    assert sent.status == 201, f"the message was not accepted ({sent.status})"
    case = client.request("GET", "/api/v1/reporter/case", headers={"Authorization": f"Bearer {token}"})
    assert case.status == 200
    assert json.loads(case.body)["status"] == "received"
    return str(json.loads(case.body)["reference"])


STORED_TIMES = {
    "cases_case.received_at": "SELECT received_at FROM cases_case WHERE id = %s",
    "cases_report.submitted_at": "SELECT submitted_at FROM cases_report WHERE case_id = %s",
    "cases_message.sent_at": "SELECT sent_at FROM cases_message WHERE case_id = %s",
    # Her events wait, written with her report, for the next batch boundary before they
    # are numbered into the log (ombuds.audit.log.deferred).
    "audit_pendingevent.at": "SELECT at FROM audit_pendingevent WHERE case_id = %s",
}


def _stored_times(server: RealServer, case_ids: list[int]) -> dict[str, list[datetime]]:
    return {
        column: [server.stored_time(row[0]) for case_id in case_ids for row in server.query(statement, [case_id])]
        for column, statement in STORED_TIMES.items()
    }


def _is_midnight(moment: datetime, zone: ZoneInfo) -> bool:
    return moment.astimezone(zone).time() == time.min


@pytest.mark.server
def test_an_anonymous_report_keeps_no_address_user_agent_or_exact_time(real_server: RealServer) -> None:
    server = real_server
    probe = secrets.token_hex(8)
    user_agent = f"ombuds-anonymity-probe/{probe}"
    web_narrative = f"Anonymity check {probe}: remarks about my body at the web desk."
    api_narrative = f"Anonymity check {probe}: remarks about my body through the app."
    web_message = f"Anonymity follow-up {probe} from the status page."
    api_message = f"Anonymity follow-up {probe} through the app."

    references = [
        _file_through_the_form(ProbeClient(server.port, PROBE_ADDRESS, user_agent), web_narrative, web_message),
        _file_through_the_api(ProbeClient(server.port, PROBE_ADDRESS, user_agent), api_narrative, api_message),
    ]

    # A confidential report from an ordinary client: its exact time is kept, which
    # proves the time check below reads the columns that change.
    named = ProbeClient(server.port, HOST, "ombuds-test-client").post_json(
        "/api/v1/reports",
        {
            "category": "bullying",
            "role": "witness",
            "narrative": f"Confidential check {probe}.",
            "anonymous": False,
            "name": "Named Reporter",
        },
    )
    assert named.status == 201
    named_client = ProbeClient(server.port, HOST, "ombuds-test-client")
    named_token = json.loads(
        named_client.post_json("/api/v1/reporter/session", {"receipt": json.loads(named.body)["receipt"]}).body
    )["token"]
    named_case = named_client.request(
        "GET", "/api/v1/reporter/case", headers={"Authorization": f"Bearer {named_token}"}
    )
    named_reference = json.loads(named_case.body)["reference"]

    server.stop()

    database = server.database_bytes()
    # The search looks at the right bytes: the case references (kept in clear) are found.
    for reference in references:
        stored = reference.encode() in database  # not asserted inline: a failure must not print the database
        assert stored, "the database copy does not contain the case reference"
    # What she wrote is there only encrypted (tests/test_encryption_at_rest.py searches for more).
    for text in (web_narrative, api_narrative, web_message, api_message):
        kept = text.encode() in database
        assert not kept, "the database copy holds what she wrote in clear"
    needles = {"address": PROBE_ADDRESS.encode(), "user agent": user_agent.encode()}
    for label, needle in needles.items():
        kept = needle in database
        assert not kept, f"the database keeps the reporter's {label}"

    files = server.file_contents()
    assert any(path.name.startswith("gunicorn") for path in files), "the server logs were not found"
    assert any(path.parent.name == "keys" for path in files), "the var directory was not found"
    for path, content in files.items():
        for label, needle in needles.items():
            kept = needle in content
            assert not kept, f"{path.name} contains the reporter's {label}"

    case_ids = [row[0] for row in server.query("SELECT id FROM cases_case WHERE reference IN (%s, %s)", references)]
    assert len(case_ids) == 2
    zone = ZoneInfo(server.time_zone)
    times = _stored_times(server, case_ids)
    for column, moments in times.items():
        assert moments, f"no {column} stored for the anonymous cases"
        exact = [m.isoformat() for m in moments if not _is_midnight(m, zone)]
        assert exact == [], f"{column} keeps an exact time for an anonymous reporter: {exact}"
    assert len(times["cases_message.sent_at"]) == 2
    for case_id in case_ids:
        assert server.query("SELECT count(*) FROM audit_auditevent WHERE case_id = %s", [case_id]) == [(0,)]
        for (release_after,) in server.query(
            "SELECT release_after FROM audit_pendingevent WHERE case_id = %s", [case_id]
        ):
            moment = server.stored_time(release_after)
            assert moment.minute == moment.second == moment.microsecond == 0, "her events wait for the hour"

    named_ids = [row[0] for row in server.query("SELECT id FROM cases_case WHERE reference = %s", [named_reference])]
    named_times = _stored_times(server, named_ids)
    assert not _is_midnight(named_times["cases_case.received_at"][0], zone), "the time check cannot tell times apart"
