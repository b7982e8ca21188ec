"""The reporter's proof of filing: downloaded from her pages, checked offline, and telling nothing by itself."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from ombuds.audit import receipt_proof, sth
from ombuds.audit.models import AuditEvent, EventType
from ombuds.audit.signing_key import signing_key
from ombuds.core import sweep
from ombuds.intake import access
from tests.support import receipt_from, rewrite_detail_column

pytestmark = pytest.mark.django_db

NARRATIVE = "My manager Tobias Brandt cornered me in the stairwell after the offsite."
NAME = "Mei Chen"
FORM = {
    "category": "sexual_harassment",
    "role": "affected",
    "narrative": NARRATIVE,
    "occurred": "last Friday",
    "location": "stairwell",
    "language": "en",
    "person_1_name": "Tobias Brandt",
    "person_1_role": "accused",
}


@pytest.fixture(autouse=True)
def _own_signing_key(settings, tmp_path: Path) -> None:
    settings.OMBUDS_AUDIT_SIGNING_KEY_FILE = tmp_path / "keys" / "audit_signing_key"


def _file(client: Client, *, anonymous: bool) -> bytes:
    form = dict(FORM)
    if anonymous:
        form["anonymous"] = "true"
    else:
        form.update(anonymous="false", reporter_name=NAME, reporter_contact="mei@example.org")
    response = client.post("/report/", form, follow=True)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content


def _download(client: Client) -> str:
    response = client.get("/status/proof/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="proof-of-filing.txt"'
    return response.content.decode("utf-8")


def _random_value(client: Client) -> str:
    page = client.get("/status/proof/").content.decode()
    match = re.search(r'id="random-value">([0-9a-f ]+)<', page)
    assert match, "the printable page shows no random value"
    return match.group(1)


def _verify_receipt(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("audit", "verify-receipt", str(path), *args, stdout=out)
    return out.getvalue()


def test_a_named_reporter_downloads_a_proof_that_verifies_offline(tmp_path: Path) -> None:
    client = Client()
    receipt_page = _file(client, anonymous=False).decode()
    assert "/status/proof/download/" in receipt_page  # ready on the receipt page
    text = _download(client)
    proof = receipt_proof.parse(text)
    event = AuditEvent.objects.get(event_type=EventType.REPORT_FILED)
    assert proof["leaf_index"] == event.seq and proof["leaf"] == event.leaf
    assert event.detail["commitment"] == proof["commitment"]
    assert proof["public_key"] == sth.public_key_text(signing_key().verify_key)
    assert "█" in text or "▀" in text  # the QR code, drawn in text

    path = tmp_path / "proof.txt"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "narrative.txt").write_text(NARRATIVE + "\n", encoding="utf-8")
    out = _verify_receipt(
        path,
        "--public-key",
        sth.public_key_text(signing_key().verify_key),
        "--text",
        str(tmp_path / "narrative.txt"),
        "--random",
        _random_value(client),
    )
    assert "FAIL" not in out
    assert "ok   the report text and random value give this commitment" in out
    assert out.strip().endswith("OK: the proof of filing holds.")


def test_her_proof_takes_its_commitment_from_the_signed_log_not_from_the_copy_beside_it(tmp_path: Path) -> None:
    client = Client()
    _file(client, anonymous=False)
    event = AuditEvent.objects.get(event_type=EventType.REPORT_FILED)
    signed = event.details()["commitment"]
    # Someone with the database's keys changes the commitment and the report's number in
    # the detail column: the signed leaf stays.
    changed = rewrite_detail_column(
        AuditEvent.objects.filter(pk=event.pk), lambda detail: {**detail, "commitment": "0" * 64, "report": 0}
    )
    assert changed == 1 and AuditEvent.objects.get(pk=event.pk).detail["commitment"] == "0" * 64
    text = _download(client)
    proof = receipt_proof.parse(text)
    assert proof["commitment"] == signed != "0" * 64
    path = tmp_path / "proof.txt"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "narrative.txt").write_text(NARRATIVE + "\n", encoding="utf-8")
    out = _verify_receipt(
        path,
        "--public-key",
        sth.public_key_text(signing_key().verify_key),
        "--text",
        str(tmp_path / "narrative.txt"),
        "--random",
        _random_value(client),
    )
    assert out.strip().endswith("OK: the proof of filing holds.")


def test_the_proof_file_holds_neither_the_narrative_nor_any_name_nor_the_random_value() -> None:
    client = Client()
    _file(client, anonymous=False)
    text = _download(client)
    random_value = _random_value(client).replace(" ", "")
    for secret in [NARRATIVE, "Tobias", "Brandt", "Mei", "Chen", "mei@example.org", "stairwell", random_value]:
        assert secret not in text
    assert random_value not in json.dumps(client.get("/status/proof/").content.decode().split("<pre")[1][:5000])


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        (lambda p: p["inclusion_proof"].__setitem__(0, "00" * 32), "is included in the signed tree head"),
        (lambda p: p.__setitem__("commitment", "ab" * 32), "the event is a report filed with this commitment"),
        (lambda p: p["tree_head"].__setitem__("timestamp", "2030-01-01T00:00:00Z"), "signed by the public key"),
        (lambda p: p.__setitem__("leaf_index", p["leaf_index"] + 1), "is included in the signed tree head"),
        (lambda p: p.__setitem__("leaf", p["leaf"].replace("report_filed", "case_viewed")), "is included"),
    ],
)
def test_a_tampered_proof_fails(tmp_path: Path, change, failing: str) -> None:
    client = Client()
    _file(client, anonymous=False)
    proof = receipt_proof.parse(_download(client))
    change(proof)
    path = tmp_path / "proof.txt"
    path.write_text(receipt_proof.to_text(proof), encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError, match="does not hold"):
        call_command("audit", "verify-receipt", str(path), stdout=out)
    assert re.search(rf"FAIL .*{re.escape(failing)}", out.getvalue()), out.getvalue()


def test_another_text_or_another_random_value_does_not_match_the_commitment(tmp_path: Path) -> None:
    client = Client()
    _file(client, anonymous=False)
    path = tmp_path / "proof.txt"
    path.write_text(_download(client), encoding="utf-8")
    (tmp_path / "other.txt").write_text(NARRATIVE.replace("stairwell", "lift"), encoding="utf-8")
    with pytest.raises(CommandError, match="does not hold"):
        _verify_receipt(path, "--text", str(tmp_path / "other.txt"), "--random", _random_value(client))
    (tmp_path / "mine.txt").write_text(NARRATIVE, encoding="utf-8")
    with pytest.raises(CommandError, match="does not hold"):
        _verify_receipt(path, "--text", str(tmp_path / "mine.txt"), "--random", "0" * 64)


def test_a_proof_signed_by_another_key_fails_against_the_published_key(tmp_path: Path) -> None:
    client = Client()
    _file(client, anonymous=False)
    path = tmp_path / "proof.txt"
    path.write_text(_download(client), encoding="utf-8")
    elsewhere = "/0DeyZSqS5FtPhPxeyNsCpyvPnRZIsHlve2b7Jetxcs="
    with pytest.raises(CommandError, match="does not hold"):
        _verify_receipt(path, "--public-key", elsewhere)


def test_an_anonymous_reporters_proof_is_ready_only_after_her_batch_enters_the_log(settings, tmp_path: Path) -> None:
    settings.OMBUDS_ANONYMOUS_NOTICE_BATCH_SECONDS = 600
    client = Client()
    with time_machine.travel(datetime(2026, 11, 2, 10, 21, tzinfo=UTC), tick=False):
        receipt_page = _file(client, anonymous=True).decode()
        receipt = receipt_from(receipt_page.encode())
        assert 'will be ready after <span class="nowrap">2 November 2026, 10:30</span>' in receipt_page
        assert "/status/proof/download/" not in receipt_page
        assert client.get("/status/proof/download/").status_code == 404
        assert "will be ready after" in client.get("/status/").content.decode()
        api = Client().post("/api/v1/reporter/session", {"receipt": receipt}, content_type="application/json")
        token = api.json()["token"]
        waiting = Client().get("/api/v1/reporter/proof", HTTP_AUTHORIZATION=f"Bearer {token}").json()
        assert waiting["ready"] is False and waiting["proof"] is None
        assert waiting["ready_after"].startswith("2026-11-02T10:30:00")
        assert not AuditEvent.objects.filter(event_type=EventType.REPORT_FILED).exists()
    with time_machine.travel(datetime(2026, 11, 2, 10, 30, 5, tzinfo=UTC), tick=False):
        sweep.run(datetime(2026, 11, 2, 10, 30, 5, tzinfo=UTC))
        assert "/status/proof/download/" in client.get("/status/").content.decode()
        path = tmp_path / "proof.txt"
        path.write_text(_download(client), encoding="utf-8")
        assert _verify_receipt(path).strip().endswith("OK: the proof of filing holds.")
        ready = Client().get("/api/v1/reporter/proof", HTTP_AUTHORIZATION=f"Bearer {token}").json()
        assert ready["random_value"] == _random_value(client).replace(" ", "")
    assert ready["ready"] is True
    assert receipt_proof.parse(ready["text"]) == ready["proof"]
    assert NARRATIVE not in json.dumps(ready["proof"])


def test_her_random_value_is_opened_again_with_her_receipt_and_only_with_it() -> None:
    client = Client()
    receipt = receipt_from(_file(client, anonymous=False))
    shown = _random_value(client)
    report = access.open_with_receipt(receipt)
    assert report is not None
    from ombuds.cases import filing_proof

    assert filing_proof.attached_random(report) == bytes.fromhex(shown.replace(" ", ""))
    returning = Client()
    assert returning.post("/return/", {"receipt": receipt}).status_code == 302
    assert _random_value(returning) == shown
    # The stored value is sealed: it is not the random value, nor does it contain it.
    assert bytes.fromhex(shown.replace(" ", "")) not in bytes(report.proof_seal)  # type: ignore[arg-type]
