"""The shared rehire registry as a real process on 127.0.0.1, with members that sign and verify.

The registry runs as `ombuds registry serve` (gunicorn, its own SQLite file). The first
organisation is this test's database, where a dismissal is approved by two people and its
entries are submitted by the background task; the second organisation is another
installation with a database of its own, served by gunicorn, whose hr asks through
`POST /api/v1/staff/rehire-checks` (and `ombuds rehire check`), and knows nothing of the case.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import CommandError, call_command
from nacl.signing import SigningKey

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import InvolvedPerson
from ombuds.crypto import match_keys
from ombuds.outcomes import actions as outcomes
from ombuds.outcomes import registry_sync, shared_registry
from ombuds.outcomes.models import RegistrySubmission, SubmissionState
from ombuds.registry_service import protocol
from tests.realserver import _NO_CONTROL_SOCKET, HOST, PROJECT_ROOT, free_port, stop_group
from tests.support import api_client_for, find_every_allegation, investigate_the_accused

pytestmark = pytest.mark.django_db

MEMBER_A = "Acme Robotics"
MEMBER_B = "Borealis Logistics"
CONTACT_A = "oversight@acme.example, +44 20 7946 0000"
PRIVATE_EMAIL = "alex.private@mailbox.example"


def _dismissed(staff: Any, file_report: Any, *, registry_on: bool = True) -> None:
    """The story's manager: dismissed, not eligible for rehire, approved by a second person."""
    filed = file_report(people=staff.name_the_accused())
    case = filed.case
    for step in (actions.acknowledge_case, actions.begin_assessment):
        step(case=case, actor=staff.lead)
    investigate_the_accused(case, staff.lead, staff.investigator)
    find_every_allegation(case, staff.investigator, "substantiated")
    actions.record_finding(case=case, actor=staff.lead, finding="", reasoning="Substantiated.")
    case.refresh_from_db()
    outcome = outcomes.propose_outcome(
        case=case,
        actor=staff.lead,
        person=InvolvedPerson.objects.get(report__case=case),
        sanctions=["dismissal"],
        rehire="not_eligible",
        reason="Assault on a business trip.",
        identifiers={"email": PRIVATE_EMAIL, "phone": "+86 138 0013 8000"},
    )
    if registry_on:
        assert RegistrySubmission.objects.get(outcome=outcome).state == SubmissionState.AWAITING_APPROVAL
    outcomes.approve_outcome(outcome=outcome, actor=staff.oversight)


@dataclass
class Registry:
    root: Path
    url: str
    public_key: str
    keys: dict[str, Path]
    process: subprocess.Popen[bytes]

    @property
    def database(self) -> Path:
        return self.root / "registry" / "registry.sqlite3"

    def raw_database(self) -> bytes:
        parts = []
        for suffix in ("", "-wal", "-shm"):
            path = Path(str(self.database) + suffix)
            with suppress(FileNotFoundError):
                parts.append(path.read_bytes())
        return b"\n".join(parts)

    def rows(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.database.as_uri() + "?mode=ro", uri=True)) as conn:
            return list(conn.execute(statement, params).fetchall())


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMBUDS_") and k != "DATABASE_URL"}
    env["OMBUDS_REGISTRY_SERVICE_VAR_DIR"] = str(root / "registry")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _registry_command(root: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ombuds", "registry", *args],
        cwd=PROJECT_ROOT,
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _signing_key(path: Path) -> str:
    key = SigningKey.generate()
    protocol.write_new_key_file(path, bytes(key))
    return protocol.b64(bytes(key.verify_key))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    root = tmp_path_factory.mktemp("shared-registry")
    out = _registry_command(root, "keygen")
    public_key = out.split("public key: ")[1].strip()
    _registry_command(root, "migrate")
    keys = {name: root / f"{name}.key" for name in ("a", "b", "outsider")}
    _registry_command(
        root,
        "add-member",
        "--name",
        MEMBER_A,
        "--public-key",
        _signing_key(keys["a"]),
        "--oversight-contact",
        CONTACT_A,
    )
    _registry_command(
        root, "add-member", "--name", MEMBER_B, "--public-key", _signing_key(keys["b"]),
        "--oversight-contact", "audit-committee@borealis.example",
    )  # fmt: skip
    _signing_key(keys["outsider"])
    port = free_port()
    with (root / "serve.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ombuds", "registry", "serve", "--bind", f"{HOST}:{port}", "--workers", "2"],
            cwd=PROJECT_ROOT,
            env=_env(root),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    registry = Registry(root, f"http://{HOST}:{port}", public_key, keys, process)
    try:
        _wait_ready(registry)
        yield registry
    finally:
        stop_group(process)


def _wait_ready(registry: Registry) -> None:
    deadline = time.monotonic() + 60
    port = int(registry.url.rsplit(":", 1)[1])
    while time.monotonic() < deadline:
        assert registry.process.poll() is None, (registry.root / "serve.log").read_text()[-2000:]
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/v1/public-key")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("the registry did not start")


def _as_member(settings: Any, registry: Registry, name: str, *, public_key: str | None = None) -> None:
    settings.OMBUDS_REGISTRY_URL = registry.url
    settings.OMBUDS_REGISTRY_PUBLIC_KEY = public_key or registry.public_key
    settings.OMBUDS_REGISTRY_SIGNING_KEY_FILE = registry.keys[name]


class Organisation:
    """One ombuds installation as processes of its own: its SQLite file, its keys, its commands and worker."""

    def __init__(self, registry: Registry, root: Path, member: str) -> None:
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OMBUDS_") and k != "DATABASE_URL"}
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "ombuds.settings",
                "OMBUDS_VAR_DIR": str(root),
                "OMBUDS_KDF_OPSLIMIT": "1",
                "OMBUDS_KDF_MEMLIMIT_MIB": "8",
                "OMBUDS_REGISTRY_URL": registry.url,
                "OMBUDS_REGISTRY_PUBLIC_KEY": registry.public_key,
                "OMBUDS_REGISTRY_SIGNING_KEY_FILE": str(registry.keys[member]),
            }
        )
        self.run("migrate", "--no-input")

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "ombuds", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def shell(self, code: str) -> str:
        return self.run("shell", "-c", code)

    def work(self) -> None:
        """Run the background worker until no task is left (what `ombuds serve` keeps running)."""
        self.run("db_worker", "--batch", "--no-startup-delay")

    def check(self, email: str) -> dict[str, Any]:
        return dict(json.loads(self.run("rehire", "check", "--email", email, "--as", "hr@example.org")))

    def serve(self) -> str:
        """Start this organisation's web server (gunicorn, the production settings) on 127.0.0.1; its address."""
        port = free_port()
        with (self.root / "web.log").open("ab") as log:
            self.server = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "ombuds.wsgi:application",
                    "--config", "python:ombuds.gunicorn_conf", "--bind", f"{HOST}:{port}", "--workers", "1",
                    *_NO_CONTROL_SOCKET,
                ],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        url = f"http://{HOST}:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.server.poll() is None, (self.root / "web.log").read_text()[-2000:]
            with suppress(requests.RequestException):
                if requests.get(f"{url}/api/v1/openapi.json", timeout=2).status_code == 200:
                    return url
            time.sleep(0.2)
        raise AssertionError("the organisation's web server did not start")

    def stop(self) -> None:
        server = getattr(self, "server", None)
        if server is not None:
            stop_group(server)

    def submissions(self) -> list[dict[str, Any]]:
        lines = self.run("registry-member", "status").splitlines()[1:]
        return [json.loads(line) for line in lines]


# Run by the first organisation's own process: a dismissal, approved by a second person.
DISMISS = f"""
from ombuds.cases import actions
from ombuds.cases.models import InvolvedPerson
from ombuds.outcomes import actions as outcomes
from tests.support import Personas, find_every_allegation, investigate_the_accused, release_audit_batch
staff = Personas()
filed = actions.file_report(category="sexual_harassment", role="affected", anonymous=True,
    narrative="My manager assaulted me on a business trip.", people=staff.name_the_accused())
release_audit_batch()
case = filed.case
actions.acknowledge_case(case=case, actor=staff.lead)
actions.begin_assessment(case=case, actor=staff.lead)
investigate_the_accused(case, staff.lead, staff.investigator)
find_every_allegation(case, staff.investigator, "substantiated")
actions.record_finding(case=case, actor=staff.lead, finding="", reasoning="Substantiated.")
case.refresh_from_db()
outcome = outcomes.propose_outcome(case=case, actor=staff.lead, person=InvolvedPerson.objects.get(report__case=case),
    sanctions=["dismissal"], rehire="not_eligible", reason="Assault on a business trip.",
    identifiers={{"email": "{PRIVATE_EMAIL}", "phone": "+86 138 0013 8000"}})
outcomes.approve_outcome(outcome=outcome, actor=staff.oversight)
"""


def test_a_dismissal_in_one_organisation_makes_the_others_check_answer_review_needed_until_withdrawn(
    registry: Registry, tmp_path: Path
) -> None:
    first = Organisation(registry, tmp_path / "acme", "a")
    second = Organisation(registry, tmp_path / "borealis", "b")
    # hr of the second organisation asks through its server's API, with a token made as `ombuds` makes one.
    token = second.shell(
        "from tests.support import make_staff; from ombuds.accounts.tokens import create_token; "
        "print(create_token(user=make_staff('hr@example.org', 'hr'), name='hiring')[1])"
    ).split()[-1]
    web = second.serve()

    def ask(email: str) -> dict[str, Any]:
        answer = requests.post(
            f"{web}/api/v1/staff/rehire-checks",
            json={"email": email},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert answer.status_code == 201, answer.status_code
        return dict(answer.json())

    try:
        _dismiss_check_and_withdraw(registry, tmp_path, first, second, ask)
    finally:
        second.stop()


def _dismiss_check_and_withdraw(
    registry: Registry, tmp_path: Path, first: Organisation, second: Organisation, ask: Any
) -> None:

    first.shell(DISMISS)
    assert [s["state"] for s in first.submissions()] == ["pending"]  # approved; the worker sends it
    first.work()
    [submitted] = first.submissions()
    # The e-mail and phone given with the decision, and the directory's e-mail address.
    assert submitted["state"] == "submitted" and len(submitted["entries"]) == 3

    found = ask("  Alex.PRIVATE@mailbox.example ")
    assert found["result"] == "review_needed"
    assert found["registry_hits"] == [{"member": MEMBER_A, "oversight_contact": CONTACT_A}]
    other = ask("someone.else@mailbox.example")
    assert other["result"] == "eligible" and other["registry_hits"] == []
    # The command-line check (`ombuds rehire check`) gives the same answer.
    assert second.check(PRIVATE_EMAIL)["result"] == "review_needed"

    # The registry's file holds no identifier, in any form a guess could be tested against without its key.
    raw = registry.raw_database()
    normal = PRIVATE_EMAIL.lower()
    member_key = match_keys.read_key_file(tmp_path / "acme" / "keys" / "match_key").evaluate(
        match_keys.email(normal).oprf_input()
    )
    for form in (
        PRIVATE_EMAIL.encode(),
        normal.encode(),
        hashlib.sha256(normal.encode()).hexdigest().encode(),
        hashlib.sha256(normal.encode()).digest(),
        member_key,
        member_key.hex().encode(),
        protocol.b64(member_key).encode(),
        protocol.entry_key(member_key).encode(),
    ):
        assert form not in raw
    # Both sides logged the hit, and the first organisation sees who asked.
    assert registry.rows("SELECT count(*) FROM registry_service_hit")[0][0] == 2  # the API's and the command's
    hits = [json.loads(line) for line in first.run("registry-member", "hits").splitlines()]
    assert [hit["asked_by"] for hit in hits] == [MEMBER_B, MEMBER_B]

    # Oversight withdraws it (a revised decision does the same: test_a_revised_decision_withdraws_its_entries).
    first.run("registry-member", "withdraw", str(submitted["outcome"]), "--as", "oversight@example.org")
    assert [s["state"] for s in first.submissions()] == ["withdrawing"]
    first.work()
    assert [s["state"] for s in first.submissions()] == ["withdrawn"]
    for entry_id in submitted["entries"]:
        assert registry.rows(
            "SELECT key, withdrawn_at IS NOT NULL FROM registry_service_entry WHERE id = ?", (entry_id,)
        ) == [("", 1)]
    assert ask(PRIVATE_EMAIL)["result"] == "eligible"


def test_the_member_refuses_an_answer_not_proven_under_the_registrys_published_key(
    registry: Registry, staff: Any, settings: Any
) -> None:
    other = protocol.b64(protocol.voprf_server(b"\x07" * 32).public_key.to_bytes())
    _as_member(settings, registry, "b", public_key=other)
    with pytest.raises(outcomes.ActionError, match="could not be asked"):
        outcomes.check_rehire(actor=staff.hr, identifiers={"email": PRIVATE_EMAIL})
    with pytest.raises(shared_registry.RegistryUnavailable, match="not proven"):
        shared_registry.lookup([match_keys.email(PRIVATE_EMAIL)])


def _post(registry: Registry, path: str, payload: dict[str, Any], key: SigningKey | None) -> requests.Response:
    body = json.dumps(payload).encode()
    headers = protocol.sign_headers(key, "POST", path, body, time.time()) if key is not None else {}
    return requests.post(registry.url + path, data=body, headers=headers, timeout=10)


def test_unsigned_wrongly_signed_and_non_member_requests_are_refused(registry: Registry) -> None:
    payload = {"keys": ["0" * 64]}
    member = protocol.signing_key_from_file(registry.keys["b"])
    assert _post(registry, "/v1/lookup", payload, member).status_code == 200
    assert _post(registry, "/v1/lookup", payload, None).status_code == 403
    assert (
        _post(registry, "/v1/lookup", payload, protocol.signing_key_from_file(registry.keys["outsider"])).status_code
        == 403
    )
    # A member's signature over another body does not carry over.
    headers = protocol.sign_headers(member, "POST", "/v1/lookup", b'{"keys": []}', time.time())
    answer = requests.post(registry.url + "/v1/lookup", data=json.dumps(payload), headers=headers, timeout=10)
    assert answer.status_code == 403
    # Nor does an old one.
    body = json.dumps(payload).encode()
    stale = protocol.sign_headers(member, "POST", "/v1/lookup", body, time.time() - 3600)
    assert requests.post(registry.url + "/v1/lookup", data=body, headers=stale, timeout=10).status_code == 403
    assert requests.get(registry.url + "/v1/hits", timeout=10).status_code == 403
    assert requests.get(registry.url + "/v1/nothing", timeout=10).status_code == 404


def test_expired_entries_do_not_hit_and_are_purged(registry: Registry, settings: Any) -> None:
    _as_member(settings, registry, "a")
    found = [match_keys.email("expiring@mailbox.example")]
    key = shared_registry.entry_keys(found)[0]
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    ids = shared_registry.submit(found, expires_on=tomorrow)
    assert [h.member for h in shared_registry.lookup(found)] == [MEMBER_A]
    with closing(sqlite3.connect(registry.database)) as conn, conn:
        conn.execute(
            "UPDATE registry_service_entry SET expires_on = ? WHERE id = ?",
            (datetime.now(UTC).date().isoformat(), ids[0]),
        )
    assert shared_registry.lookup(found) == []
    # The lookup that hit, moved to just over two years ago (OMBUDS_REGISTRY_SERVICE_LOG_DAYS is 730),
    # and one moved to just inside them.
    # (The registry is shared by this module's tests: earlier ones left lines and hits of their own.)
    lines = "SELECT id FROM registry_service_logentry WHERE kind = 'lookup' ORDER BY id DESC LIMIT 2"
    empty_line, hit_line = (row[0] for row in registry.rows(lines))
    assert registry.rows("SELECT count(*) FROM registry_service_hit WHERE log_id = ?", (hit_line,)) == [(1,)]
    hits_before = registry.rows("SELECT count(*) FROM registry_service_hit")[0][0]
    now = datetime.now(UTC)
    with closing(sqlite3.connect(registry.database)) as conn, conn:
        for line, days in ((hit_line, 731), (empty_line, 729)):
            at = (now - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S.%f")
            conn.execute("UPDATE registry_service_logentry SET at = ? WHERE id = ?", (at, line))
    said = _registry_command(registry.root, "purge")
    assert "1 expired entries emptied, 1 log lines older than 730 days erased" in said
    assert key not in [row[0] for row in registry.rows("SELECT key FROM registry_service_entry")]
    kept = [row[0] for row in registry.rows("SELECT id FROM registry_service_logentry")]
    assert hit_line not in kept and empty_line in kept
    assert registry.rows("SELECT count(*) FROM registry_service_hit WHERE log_id = ?", (hit_line,)) == [(0,)]
    assert registry.rows("SELECT count(*) FROM registry_service_hit") == [(hits_before - 1,)]
    # The entry's row stays: only its key was emptied.
    assert registry.rows("SELECT count(*) FROM registry_service_entry WHERE id = ?", (ids[0],)) == [(1,)]


def test_only_hr_asks_the_shared_registry_and_sees_the_holder_on_the_page(
    registry: Registry, staff: Any, settings: Any
) -> None:
    _as_member(settings, registry, "a")
    shared_registry.submit([match_keys.email("page.candidate@mailbox.example")], expires_on=_in_a_year())
    _as_member(settings, registry, "b")
    lookups = registry.rows("SELECT count(*) FROM registry_service_logentry WHERE kind = 'lookup'")[0][0]
    for persona in ["handler", "lead", "oversight", "admin", "auditor", "outsider"]:
        web = staff.client_for(getattr(staff, persona))
        answer = web.post("/staff/rehire/", {"check-email": "page.candidate@mailbox.example"})
        assert answer.status_code == 404, persona
        if persona in ("admin", "outsider"):
            continue  # no second factor, so no token
        api = api_client_for(getattr(staff, persona))
        asked = api.post(
            "/api/v1/staff/rehire-checks", {"email": "page.candidate@mailbox.example"}, content_type="application/json"
        )
        assert asked.status_code == 404, persona
    # Nobody but hr made the registry look anything up.
    assert registry.rows("SELECT count(*) FROM registry_service_logentry WHERE kind = 'lookup'")[0][0] == lookups

    page = staff.client_for(staff.hr).post("/staff/rehire/", {"check-email": "Page.Candidate@mailbox.example"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "review_needed" in html and MEMBER_A in html and CONTACT_A in html
    answer = api_client_for(staff.hr).post(
        "/api/v1/staff/rehire-checks", {"email": "page.candidate@mailbox.example"}, content_type="application/json"
    )
    assert answer.json()["result"] == "review_needed"
    assert answer.json()["registry_hits"] == [{"member": MEMBER_A, "oversight_contact": CONTACT_A}]
    hit = AuditEvent.objects.filter(event_type=EventType.REGISTRY_HIT).last()
    assert hit is not None and hit.detail["members"] == [MEMBER_A] and "page.candidate" not in hit.leaf


def test_an_unreachable_registry_never_breaks_the_approval_and_the_failure_is_kept(
    staff: Any, file_report: Any, settings: Any, tmp_path: Path
) -> None:
    key = tmp_path / "member.key"
    _signing_key(key)
    settings.OMBUDS_REGISTRY_URL = f"http://{HOST}:{free_port()}"  # nothing listens there
    settings.OMBUDS_REGISTRY_PUBLIC_KEY = protocol.b64(protocol.voprf_server(b"\x05" * 32).public_key.to_bytes())
    settings.OMBUDS_REGISTRY_SIGNING_KEY_FILE = key
    _dismissed(staff, file_report)
    submission = RegistrySubmission.objects.get()
    assert submission.outcome.state == "final"
    # Waiting, the identifiers are sealed: neither the address nor its normal form is in the row.
    assert submission.sealed_identifiers and PRIVATE_EMAIL not in submission.sealed_identifiers
    assert registry_sync.submit_entries.call(submission_id=submission.pk) == SubmissionState.FAILED
    submission.refresh_from_db()
    assert submission.attempts == 1 and "did not answer" in submission.last_error
    assert submission.sealed_identifiers  # kept for the next attempt
    failed = AuditEvent.objects.get(event_type=EventType.REGISTRY_SUBMISSION_FAILED)
    assert PRIVATE_EMAIL not in failed.leaf
    # A check while the registry cannot be asked gives no answer, never "eligible".
    with pytest.raises(outcomes.ActionError, match="could not be asked"):
        outcomes.check_rehire(actor=staff.hr, identifiers={"email": "anyone@mailbox.example"})
    assert AuditEvent.objects.filter(event_type=EventType.REGISTRY_QUERY_FAILED).count() == 1
    # Oversight, and only oversight, takes the decision out of the registry by hand; nothing is then sent.
    with pytest.raises(CommandError, match="Only oversight"):
        call_command("registry-member", "withdraw", str(submission.outcome_id), "--as", staff.lead.email)
    out = StringIO()
    call_command("registry-member", "withdraw", str(submission.outcome_id), "--as", staff.oversight.email, stdout=out)
    assert "withdrawal queued" in out.getvalue()
    withdrawn = AuditEvent.objects.get(event_type=EventType.REGISTRY_ENTRY_WITHDRAWN)
    assert withdrawn.actor_id == staff.oversight.pk
    assert registry_sync.withdraw_entries.call(submission_id=submission.pk) == SubmissionState.WITHDRAWN
    assert registry_sync.submit_entries.call(submission_id=submission.pk) == SubmissionState.WITHDRAWN
    submission.refresh_from_db()
    assert submission.sealed_identifiers == ""


def test_a_rejected_decision_sends_nothing_and_forgets_the_identifiers(
    staff: Any, file_report: Any, settings: Any, tmp_path: Path
) -> None:
    key = tmp_path / "member.key"
    _signing_key(key)
    settings.OMBUDS_REGISTRY_URL = f"http://{HOST}:{free_port()}"
    settings.OMBUDS_REGISTRY_PUBLIC_KEY = protocol.b64(protocol.voprf_server(b"\x05" * 32).public_key.to_bytes())
    settings.OMBUDS_REGISTRY_SIGNING_KEY_FILE = key
    filed = file_report(people=staff.name_the_accused())
    case = filed.case
    for step in (actions.acknowledge_case, actions.begin_assessment):
        step(case=case, actor=staff.lead)
    investigate_the_accused(case, staff.lead, staff.investigator)
    find_every_allegation(case, staff.investigator, "substantiated")
    actions.record_finding(case=case, actor=staff.lead, finding="", reasoning="Substantiated.")
    case.refresh_from_db()
    outcome = outcomes.propose_outcome(
        case=case,
        actor=staff.lead,
        person=InvolvedPerson.objects.get(report__case=case),
        sanctions=["dismissal"],
        rehire="not_eligible",
        reason="Assault on a business trip.",
        identifiers={"email": PRIVATE_EMAIL},
    )
    outcomes.reject_outcome(outcome=outcome, actor=staff.oversight, note="The finding does not support dismissal.")
    submission = RegistrySubmission.objects.get(outcome=outcome)
    assert submission.state == SubmissionState.CANCELLED and submission.sealed_identifiers == ""
    assert not AuditEvent.objects.filter(event_type=EventType.REGISTRY_ENTRY_QUEUED).exists()


def test_a_revised_decision_withdraws_its_entries(staff: Any, file_report: Any, settings: Any, tmp_path: Path) -> None:
    key = tmp_path / "member.key"
    _signing_key(key)
    settings.OMBUDS_REGISTRY_URL = f"http://{HOST}:{free_port()}"
    settings.OMBUDS_REGISTRY_PUBLIC_KEY = protocol.b64(protocol.voprf_server(b"\x05" * 32).public_key.to_bytes())
    settings.OMBUDS_REGISTRY_SIGNING_KEY_FILE = key
    _dismissed(staff, file_report)
    submission = RegistrySubmission.objects.get()
    # The entries were submitted (numbers the registry gave); then, on appeal, the decision is revised by two people.
    RegistrySubmission.objects.filter(pk=submission.pk).update(
        state=SubmissionState.SUBMITTED, entry_ids=[11, 12], sealed_identifiers=""
    )
    revised = outcomes.propose_outcome(
        case=submission.outcome.case,
        actor=staff.lead,
        person=submission.outcome.person,
        sanctions=["written_warning"],
        rehire="eligible",
        reason="The appeal panel found the dismissal disproportionate.",
    )
    submission.refresh_from_db()
    assert submission.state == SubmissionState.SUBMITTED  # not before the second approval
    outcomes.approve_outcome(outcome=revised, actor=staff.oversight)
    submission.refresh_from_db()
    assert submission.state == SubmissionState.WITHDRAWING
    event = AuditEvent.objects.get(event_type=EventType.REGISTRY_ENTRY_WITHDRAWN)
    assert event.detail["entries"] == 2 and event.actor_id == staff.oversight.pk
    assert not RegistrySubmission.objects.filter(outcome=revised).exists()  # "eligible" makes no entry


def test_the_registry_is_off_until_turned_on(staff: Any, file_report: Any, settings: Any) -> None:
    assert settings.OMBUDS_REGISTRY_URL == "" and not shared_registry.is_on()
    _dismissed(staff, file_report, registry_on=False)
    assert not RegistrySubmission.objects.exists()  # nothing held, nothing queued, nothing sent
    assert outcomes.check_rehire(actor=staff.hr, identifiers={"email": "x@mailbox.example"}).registry_holders == []


def _in_a_year() -> str:
    return (datetime.now(UTC).date() + timedelta(days=365)).isoformat()
