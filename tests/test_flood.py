"""A flood against the real server is slowed, and stores no more than the limits allow.

The server runs with small limits (three gunicorn workers, each with its own counts);
a few threads on 127.0.0.1 send a bounded number of requests as fast as it answers.
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.realserver import HOST, WORKERS, RealServer, running_server

REPORTS_PER_MINUTE = 5
FILE_BYTES = 64 * 1024
UPLOAD_BYTES_PER_MINUTE = 4 * FILE_BYTES
CASE_BYTES = 8 * FILE_BYTES
LIMITS = {
    "OMBUDS_NEW_REPORTS_PER_MINUTE": str(REPORTS_PER_MINUTE),
    "OMBUDS_MAX_ATTACHMENT_BYTES": str(FILE_BYTES),
    "OMBUDS_MAX_ATTACHMENTS": "1",
    "OMBUDS_UPLOAD_BYTES_PER_MINUTE": str(UPLOAD_BYTES_PER_MINUTE),
    "OMBUDS_CASE_ATTACHMENT_BYTES": str(CASE_BYTES),
}
REPORT = {"category": "bullying", "role": "witness", "narrative": "Flood check.", "anonymous": True}


def _post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("Retry-After") or "", response.read()
    finally:
        conn.close()


Answer = tuple[int, str, bytes]


def _flood(count: int, send: Callable[[int], Answer]) -> tuple[list[Answer], float]:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, range(count)))
    return answers, time.monotonic() - started


def _refusals_are_calm(answers: list[tuple[int, str, bytes]], what: str) -> None:
    for status, retry_after, body in answers:
        if status == 429:
            assert int(retry_after) >= 1
            assert json.loads(body)["detail"].startswith(f"Many {what} are arriving right now. Nothing was saved")


@pytest.mark.server
def test_a_flood_of_reports_and_files_is_slowed_and_bounded(tmp_path: Path) -> None:
    with running_server(tmp_path, LIMITS) as server:
        token = _token_for_a_new_report(server)  # before the flood empties the report buckets
        _reports(server, already=1)
        _uploads(server, token)


def _token_for_a_new_report(server: RealServer) -> str:
    json_headers = {"Content-Type": "application/json"}
    created = _post(server.port, "/api/v1/reports", json.dumps(REPORT).encode(), json_headers)
    assert created[0] == 201
    receipt = json.loads(created[2])["receipt"]
    session = _post(server.port, "/api/v1/reporter/session", json.dumps({"receipt": receipt}).encode(), json_headers)
    assert session[0] == 200
    token = json.loads(session[2])["token"]
    assert isinstance(token, str)
    return token


def _reports(server: RealServer, *, already: int) -> None:
    body = json.dumps(REPORT).encode()

    def send(_: int) -> tuple[int, str, bytes]:
        return _post(server.port, "/api/v1/reports", body, {"Content-Type": "application/json"})

    answers, elapsed = _flood(40, send)
    statuses = Counter(status for status, _, _ in answers)
    assert set(statuses) <= {201, 429}, statuses
    # Each worker lets a burst of one minute's worth through, then the rate.
    bound = WORKERS * (REPORTS_PER_MINUTE + REPORTS_PER_MINUTE * elapsed / 60 + 1)
    assert REPORTS_PER_MINUTE <= statuses[201] <= bound, (statuses, elapsed)
    assert statuses[429] >= 40 - bound
    _refusals_are_calm(answers, "reports")
    stored = server.query("SELECT COUNT(*) FROM cases_case")[0][0]
    assert stored == already + statuses[201]  # nothing of a refused report was kept


def _uploads(server: RealServer, token: str) -> None:
    boundary = uuid.uuid4().hex
    upload = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="f.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"\x00" * FILE_BYTES
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {token}"}

    def send(_: int) -> tuple[int, str, bytes]:
        return _post(server.port, "/api/v1/reporter/attachments", upload, headers)

    answers, _elapsed = _flood(24, send)
    statuses = Counter(status for status, _, _ in answers)
    assert set(statuses) <= {201, 422, 429}, statuses
    _refusals_are_calm(answers, "files")
    for status, _, body in answers:
        if status == 422:
            assert "no room for these files" in json.loads(body)["detail"][0]["msg"]
    stored = server.query("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM cases_attachment")[0]
    assert stored[0] == statuses[201]
    assert stored[1] <= CASE_BYTES  # the quota held however the requests were spread over the workers
    assert statuses[201] < 24
