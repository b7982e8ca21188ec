"""A copy of the database and of the files reveals no report: searched byte by byte on the real server.

Reports are filed with known unique strings (her account, her name and contact, a
person she names, an answer to the questionnaire, her message, a file), a handler
writes to her and adds a note through the API, investigates (allegations, a task, her
interview's minutes and her corrections, an evidence file and its SHA-256, a deferral, a
response, findings), and then the raw SQLite files (or a pg_dump on PostgreSQL) and every
file the server wrote are searched for each string, and for the SHA-256 of each string
and of the files. None may be found. The test also proves it searches the right bytes:
the reporter and the handler read everything back through the API.
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
roles = [Role(name) for name in sys.argv[3].split(",")] if len(sys.argv) > 3 else [Role.HANDLER, Role.LEAD_HANDLER]
user = create_staff(email=sys.argv[1], name="", roles=roles, password=sys.argv[2])
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


def _form(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body with text fields and files."""
    boundary = "ombuds" + secrets.token_hex(8)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for name, (filename, data) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _investigate(server: RealServer, reference: str, token: str, staff_token: str, texts: dict[str, str]) -> bytes:
    """Open an investigation through the API and write into every part of it; returns the evidence file's bytes."""
    investigator = f"investigator-{secrets.token_hex(4)}@example.org"
    subprocess.run(
        [sys.executable, "-c", _CREATE, investigator, PASSWORD, "investigator"],
        cwd=PROJECT_ROOT,
        env=server.environment(),
        check=True,
        capture_output=True,
        timeout=120,
    )
    case = f"/api/v1/cases/{reference}/transitions"
    _call(server, "POST", case, {"transition": "acknowledge"}, token=staff_token)
    _call(server, "POST", case, {"transition": "begin_assessment"}, token=staff_token)
    base = f"/api/v1/staff/cases/{reference}/investigation"
    accused = _call(server, "GET", base, token=staff_token)["accused"][0]["id"]
    _call(
        server,
        "POST",
        base,
        {
            "investigators": [investigator],
            "allegations": [
                {"person": accused, "conduct": texts["conduct alleged"]},
                {"new_person": {"name": texts["person added"]}, "conduct": texts["conduct alleged"] + " (2)"},
            ],
        },
        token=staff_token,
    )
    _call(
        server,
        "POST",
        base + "/tasks",
        {"title": texts["task"], "owner": investigator, "due_on": "2099-01-01"},
        token=staff_token,
    )
    interview = {"interviewee": "reporter", "held_at": "2026-01-05T10:00:00Z"}
    interview |= {"present": texts["present"], "minutes": texts["minutes"]}
    minutes_id = _call(server, "POST", base + "/interviews", interview, token=staff_token)["id"]
    answer = {"answer": "correct", "corrections": texts["her corrections"]}
    _call(server, "POST", f"/api/v1/reporter/interviews/{minutes_id}/answer", answer, token=token)
    evidence = f"Evidence {texts['probe']}: the key-card log, 23:10 room 1408.".encode() * 40
    fields = {"kind": "file", "description": texts["evidence description"], "source": texts["evidence source"]}
    body, content_type = _form(fields, {"file": (texts["evidence file name"], evidence)})
    _call(server, "POST", base + "/evidence", token=staff_token, data=body, content_type=content_type)
    held = {"kind": "held_elsewhere", "description": "Footage", "source": "Hotel", "location": texts["held at"]}
    body, content_type = _form(held, {})
    _call(server, "POST", base + "/evidence", token=staff_token, data=body, content_type=content_type)
    deferred = {"person": accused, "kind": "deferred", "reason": texts["deferral reason"], "review_on": "2099-01-01"}
    _call(server, "POST", base + "/people-concerned", deferred, token=staff_token)
    heard = {"person": accused, "received_on": "2026-01-06", "response": texts["response"]}
    _call(server, "POST", base + "/people-concerned/responses", heard, token=staff_token)
    for allegation in _call(server, "GET", base + "/allegations", token=staff_token):
        finding = {"allegation": allegation["id"], "finding": "substantiated", "reasoning": texts["reasoning"]}
        _call(server, "POST", base + "/findings", finding, token=staff_token)
    return evidence


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
        # The investigation (ombuds.investigations).
        "conduct alleged": f"Conduct {probe}: pressed her to drink at the client dinner.",
        "person added": f"Client sales head {probe}",
        "task": f"Task {probe}: interview the night manager.",
        "present": f"Present {probe}: Mei and the investigator.",
        "minutes": f"Minutes {probe}: she described the evening in order.",
        "her corrections": f"Correction {probe}: it was the corridor, not the lift.",
        "evidence description": f"Evidence {probe}: the hotel key-card log.",
        "evidence source": f"Source {probe}: requested from the hotel.",
        "evidence file name": f"keycards-{probe}.csv",
        "held at": f"Held {probe}: hotel security office.",
        "deferral reason": f"Deferral {probe}: the witnesses are heard first.",
        "response": f"Response {probe}: he denies it.",
        "reasoning": f"Reasoning {probe}: three consistent accounts.",
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
    evidence = _investigate(server, reference, token, staff_token, {**texts, "probe": probe})

    # The searched bytes are the right ones: both sides read everything back.
    staff_view = _call(server, "GET", f"/api/v1/cases/{reference}", token=staff_token)
    assert staff_view["reports"][0]["narrative"] == texts["account"]
    answers = {a["key"]: a["answer"] for a in staff_view["reports"][0]["answers"]}
    assert answers["safety_needs"] == texts["answer"]
    assert [n["body"] for n in staff_view["notes"]] == [texts["note"]]
    her_view = _call(server, "GET", "/api/v1/reporter/case", token=token)
    # Her message, the handler's, then the acknowledgement sent when the investigation began.
    assert [m["body"] for m in her_view["messages"]][:2] == [texts["her message"], texts["staff message"]]
    assert her_view["attachments"] == [texts["file name"]]
    assert [i["minutes"] for i in her_view["interviews"]] == [texts["minutes"]]
    assert her_view["interviews"][0]["answers"][0]["corrections"] == texts["her corrections"]
    investigation = _call(server, "GET", f"/api/v1/staff/cases/{reference}/investigation", token=staff_token)
    assert [a["reasoning"] for a in investigation["allegations"]] == [texts["reasoning"]] * 2
    assert investigation["evidence"][0]["sha256"] == hashlib.sha256(evidence).hexdigest()
    assert investigation["people_concerned"][0]["responses"][0]["response"] == texts["response"]
    assert texts["answer"] in [a["answer_text"] for a in her_view["answers"]]

    needles: dict[str, bytes] = {}
    for label, text in texts.items():
        needles[label] = text.encode()
        needles[f"SHA-256 of {label}"] = hashlib.sha256(text.encode()).hexdigest().encode()
    needles["file"] = file_data[:64]
    needles["SHA-256 of the file"] = hashlib.sha256(file_data).hexdigest().encode()
    needles["SHA-256 of the file (raw)"] = hashlib.sha256(file_data).digest()
    needles["evidence file"] = evidence[:64]
    needles["SHA-256 of the evidence file"] = hashlib.sha256(evidence).hexdigest().encode()
    needles["SHA-256 of the evidence file (raw)"] = hashlib.sha256(evidence).digest()

    database = server.database_bytes()
    for label, needle in needles.items():
        assert needle not in database, f"the database holds the {label}"
    files = server.file_contents()
    stored = [path for path in files if path.parent.name == "files"]
    assert stored, "the encrypted file store was not found"
    for path, content in files.items():
        for label, needle in needles.items():
            assert needle not in content, f"{path.relative_to(server.root)} holds the {label}"
    # A control: the probe is findable where it is meant to be, so the search is not blind.
    assert probe.encode() not in database and reference.encode() in database
    assert os.environ.get("DATABASE_URL") is None or server.is_postgres
