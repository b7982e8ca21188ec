"""A copy of the database and of the files reveals no report: searched byte by byte on the real server.

Reports are filed with known unique strings (her account, her name and contact, a
person she names, an answer to the questionnaire, her message, a file), a handler
writes to her and adds a note through the API, and then the raw SQLite files (or a pg_dump on PostgreSQL) and every
file the server wrote are searched for each string, and for the SHA-256 of each string
and of the file. None may be found. The test also proves it searches the right bytes:
the reporter reads her case back through the API.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import urllib.request
from typing import Any

import pytest

from tests.realserver import PROJECT_ROOT, RealServer, real_server

__all__ = ["real_server"]

pytestmark = pytest.mark.server

PASSWORD = "correct horse battery staple 9"

_CREATE = """
import django, sys
django.setup()
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from ombuds.accounts.actions import create_staff
from ombuds.accounts.roles import Role
user = create_staff(email=sys.argv[1], name="", roles=[Role.HANDLER, Role.LEAD_HANDLER], password=sys.argv[2])
TOTP.activate(user, generate_totp_secret())
"""


def _ombuds(server: RealServer, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ombuds", *args],
        cwd=PROJECT_ROOT,
        env={**server.environment(), **(env or {})},
        capture_output=True,
        timeout=120,
        check=True,
    )
    return result.stdout.decode()


def _call(server: RealServer, method: str, path: str, body: Any = None, token: str = "", **extra: Any) -> Any:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else extra.get("data")
    if "content_type" in extra:
        headers["Content-Type"] = extra["content_type"]
    request = urllib.request.Request(server.base_url + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=60) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def _multipart(name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "ombuds" + secrets.token_hex(8)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_copy_of_the_database_and_files_reveals_no_report(real_server: RealServer) -> None:
    server = real_server
    probe = secrets.token_hex(6)
    texts = {
        "account": f"Account {probe}: he followed me into the hotel lift after the client dinner.",
        "name": f"Mei {probe} Chen",
        "contact": f"mei.{probe}@example.net",
        "person": f"Regional director {probe}",
        "her message": f"Follow-up {probe}: it happened again on Tuesday.",
        "staff message": f"Handler {probe}: thank you, can you tell us who else was there?",
        "note": f"Note {probe}: check the travel bookings.",
        "file name": f"diary-{probe}.txt",
        # An answer to the questionnaire is report content too.
        "answer": f"Safety {probe}: never call me before 9, he reads my phone.",
    }
    file_data = f"Diary {probe}: 3 March, 5 March, 9 March.".encode() * 50

    email = f"handler-{secrets.token_hex(4)}@example.org"
    subprocess.run(
        [sys.executable, "-c", _CREATE, email, PASSWORD],
        cwd=PROJECT_ROOT,
        env=server.environment(),
        check=True,
        capture_output=True,
        timeout=120,
    )
    staff_token = _ombuds(
        server, "token", "create", email, "--with-key", env={"OMBUDS_OWNER_PASSWORD": PASSWORD}
    ).strip()

    filed = _call(
        server,
        "POST",
        "/api/v1/reports",
        {
            "category": "sexual_assault",
            "role": "affected",
            "narrative": texts["account"],
            "anonymous": False,
            "name": texts["name"],
            "contact": texts["contact"],
            "people": [{"name": texts["person"], "role": "accused"}],
            "answers": {"safety_needs": texts["answer"], "safe_now": "not_sure"},
        },
    )
    token = _call(server, "POST", "/api/v1/reporter/session", {"receipt": filed["receipt"]})["token"]
    _call(server, "POST", "/api/v1/reporter/messages", {"body": texts["her message"]}, token=token)
    body, content_type = _multipart("files", texts["file name"], file_data)
    _call(server, "POST", "/api/v1/reporter/attachments", token=token, data=body, content_type=content_type)
    reference = _call(server, "GET", "/api/v1/reporter/case", token=token)["reference"]
    _call(server, "POST", f"/api/v1/cases/{reference}/messages", {"body": texts["staff message"]}, token=staff_token)
    _call(server, "POST", f"/api/v1/cases/{reference}/notes", {"body": texts["note"]}, token=staff_token)

    # The searched bytes are the right ones: both sides read everything back.
    staff_view = _call(server, "GET", f"/api/v1/cases/{reference}", token=staff_token)
    assert staff_view["reports"][0]["narrative"] == texts["account"]
    answers = {a["key"]: a["answer"] for a in staff_view["reports"][0]["answers"]}
    assert answers["safety_needs"] == texts["answer"]
    assert [n["body"] for n in staff_view["notes"]] == [texts["note"]]
    her_view = _call(server, "GET", "/api/v1/reporter/case", token=token)
    assert [m["body"] for m in her_view["messages"]] == [texts["her message"], texts["staff message"]]
    assert her_view["attachments"] == [texts["file name"]]
    assert texts["answer"] in [a["answer_text"] for a in her_view["answers"]]

    needles: dict[str, bytes] = {}
    for label, text in texts.items():
        needles[label] = text.encode()
        needles[f"SHA-256 of {label}"] = hashlib.sha256(text.encode()).hexdigest().encode()
    needles["file"] = file_data[:64]
    needles["SHA-256 of the file"] = hashlib.sha256(file_data).hexdigest().encode()
    needles["SHA-256 of the file (raw)"] = hashlib.sha256(file_data).digest()

    database = server.database_bytes()
    for label, needle in needles.items():
        assert needle not in database, f"the database holds the {label}"
    files = server.files()
    stored = [path for path in files if path.parent.name == "files"]
    assert stored, "the encrypted file store was not found"
    for path in files:
        content = path.read_bytes()
        for label, needle in needles.items():
            assert needle not in content, f"{path.relative_to(server.root)} holds the {label}"
    # A control: the probe is findable where it is meant to be, so the search is not blind.
    assert probe.encode() not in database and reference.encode() in database
    assert os.environ.get("DATABASE_URL") is None or server.is_postgres
