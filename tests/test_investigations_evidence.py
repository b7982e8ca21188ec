"""The evidence register: E-numbers, the SHA-256 at intake sealed as content, tampering flagged, chain of custody."""

import base64
import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ombuds.accounts import keys as staff_keys
from ombuds.accounts import tokens
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions, content, keyring
from ombuds.cases.models import Case, CaseKeyGrant
from ombuds.crypto import filestore, keys, stream
from ombuds.investigations import actions as investigation
from ombuds.investigations import view
from ombuds.investigations.casefile import casefile_context
from ombuds.investigations.models import EvidenceItem, Integrity
from tests.support import case_key, client_for, investigate, opened, rewrite_detail_column

pytestmark = pytest.mark.django_db

CHAT = b"18:02 he wrote: come to my room, we will go through the figures. 18:40 I said no." * 20


@pytest.fixture
def case(file_report, staff) -> Case:
    filed = file_report(anonymous=False, reporter_name="Mei")
    actions.acknowledge_case(case=filed.case, actor=staff.handler)
    actions.begin_assessment(case=filed.case, actor=staff.handler)
    opened_case: Case = investigate(filed.case, staff.handler, staff.investigator)
    return opened_case


def _add_file(case: Case, actor: Any, data: bytes = CHAT, name: str = "chat-export.txt") -> EvidenceItem:
    return investigation.add_evidence(
        case=case,
        actor=actor,
        kind="file",
        description="Export of the chat with the manager.",
        source="Handed in by Mei on a USB stick, 4 March.",
        file=actions.NewAttachment(filename=name, content_type="text/plain", data=data),
    )


def _file_key(item: EvidenceItem) -> keys.DataKey:
    raw = content.open(item.blob_key, key=case_key(item.case), case=item.case, model=EvidenceItem, field="blob_key")
    return keys.DataKey(base64.b64decode(raw))


def _custody(item: EvidenceItem, staff: Any) -> list[str]:
    found = view.custody(item, staff.investigator)
    assert found is not None
    return [entry.action for entry in found.entries]


def test_each_item_gets_an_identifier_its_sha256_at_intake_and_where_it_came_from(case, staff) -> None:
    item = _add_file(case, staff.investigator)
    elsewhere = investigation.add_evidence(
        case=case,
        actor=staff.handler,
        kind="held_elsewhere",
        description="The hotel's lift camera footage, 3 March, 23:00 to 23:30.",
        source="Requested from the hotel's security office.",
        location="Hotel security office; IT holds a copy on the legal-hold share.",
        sha256="AB" * 32,
    )
    assert (item.label, elsewhere.label) == ("E-1", "E-2")
    assert item.added_by == staff.investigator and item.size == len(CHAT)
    # The digest is content: sealed in the row, never in clear; readers of the case see it.
    digest = hashlib.sha256(CHAT).hexdigest()
    assert digest not in item.sha256 and opened(item, "sha256") == digest
    assert opened(elsewhere, "sha256") == "ab" * 32 and elsewhere.blob_id == ""
    assert opened(item, "source") == "Handed in by Mei on a USB stick, 4 March."
    row = view.evidence_for_staff(item, staff.lead)
    assert row is not None and row.sha256 == digest and row.filename == "chat-export.txt"
    # The file is in the file store encrypted, and kept exactly as it was handed in.
    stored = filestore.FileStore().path(item.blob_id).read_bytes()
    assert CHAT[:40] not in stored
    with view_reader(item) as reader:
        assert b"".join(reader) == CHAT
    added = AuditEvent.objects.get(event_type=EventType.EVIDENCE_ADDED, detail__evidence=item.pk)
    assert added.detail == {"evidence": item.pk, "kind": "file", "size": len(CHAT)}


def view_reader(item: EvidenceItem) -> filestore.BlobReader:
    return content.open_blob(
        item.blob_id, item.blob_key, key=case_key(item.case), case=item.case, model=EvidenceItem, field="blob_key"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "file"}, "Choose the file"),
        ({"kind": "held_elsewhere"}, "must not be empty"),  # where it is held
        ({"kind": "held_elsewhere", "location": "IT", "sha256": "not a digest"}, "64 hexadecimal"),
        ({"kind": "box"}, "what kind of item"),
    ],
)
def test_an_item_without_what_it_needs_is_refused(case, staff, kwargs, message) -> None:
    with pytest.raises(actions.ActionError, match=message):
        investigation.add_evidence(case=case, actor=staff.investigator, description="x", source="y", **kwargs)
    assert not EvidenceItem.objects.exists()


def test_an_empty_file_is_refused(case, staff) -> None:
    with pytest.raises(actions.ActionError, match="empty"):
        _add_file(case, staff.investigator, data=b"")


def test_a_check_finds_the_stored_file_intact(case, staff) -> None:
    item = _add_file(case, staff.investigator)
    assert investigation.check_evidence(item=item, actor=staff.investigator) == Integrity.INTACT
    item.refresh_from_db()
    assert item.integrity == "intact" and item.checked_at is not None and not item.flagged


def test_a_blob_replaced_by_another_validly_encrypted_file_is_flagged_as_altered(case, staff) -> None:
    """Someone with the file's key swaps the stored bytes: the encryption opens, the SHA-256 does not match."""
    item = _add_file(case, staff.investigator)
    store = filestore.FileStore()
    with store.path(item.blob_id).open("wb") as out:
        stream.encrypt_stream(
            _file_key(item),
            [CHAT.replace(b"I said no", b"I said OK")],
            out,
            filestore.blob_context(content.FILE_CONTEXT, item.blob_id),
        )
    with view_reader(item) as reader:
        assert b"I said OK" in b"".join(reader)  # the replacement opens without complaint...
    assert investigation.check_evidence(item=item, actor=staff.investigator) == Integrity.MISMATCH
    item.refresh_from_db()
    assert item.flagged and item.integrity == "mismatch"  # ...and is caught by its digest
    checked = AuditEvent.objects.filter(event_type=EventType.EVIDENCE_VERIFIED, detail__evidence=item.pk).last()
    assert checked is not None and checked.detail == {"evidence": item.pk, "result": "mismatch", "via": "web"}


def test_altered_ciphertext_is_flagged_as_unreadable(case, staff) -> None:
    item = _add_file(case, staff.investigator)
    path = filestore.FileStore().path(item.blob_id)
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))
    assert investigation.check_evidence(item=item, actor=staff.investigator) == Integrity.UNREADABLE
    item.refresh_from_db()
    assert item.flagged


def test_a_removed_file_is_flagged_as_missing(case, staff) -> None:
    item = _add_file(case, staff.investigator)
    filestore.FileStore().delete(item.blob_id)
    assert investigation.check_evidence(item=item, actor=staff.investigator) == Integrity.MISSING


def test_every_download_is_checked_first_and_a_flagged_file_is_not_handed_out(case, staff) -> None:
    item = _add_file(case, staff.investigator)
    web = client_for(staff.investigator)
    url = f"/staff/cases/{case.reference}/investigation/evidence/{item.pk}/download/"
    response = web.get(url)
    assert response.status_code == 200 and response.getvalue() == CHAT
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    path = filestore.FileStore().path(item.blob_id)
    path.write_bytes(path.read_bytes()[:-5])  # cut short
    refused = web.get(url)
    assert refused.status_code == 302 and refused["Location"].endswith(f"/evidence/{item.pk}/")
    page = web.get(refused["Location"]).content.decode()
    assert "E-1 is flagged" in page and "cannot be decrypted" in page
    _record, token = tokens.create_token(
        user=staff.investigator, name="t", key_pair=staff_keys.attached(staff.investigator)
    )
    api = Client(headers={"Authorization": f"Bearer {token}"})
    answer = api.get(f"/api/v1/staff/cases/{case.reference}/investigation/evidence/{item.pk}/download")
    assert answer.status_code == 409 and "E-1 is flagged" in answer.json()["detail"]
    assert _custody(item, staff).count("downloaded") == 1  # only the intact one left


def test_the_chain_of_custody_lists_the_intake_and_every_access(case, staff) -> None:
    item = _add_file(case, staff.investigator)
    web = client_for(staff.lead)
    base = f"/staff/cases/{case.reference}/investigation/evidence"
    assert web.get(f"{base}/{item.pk}/").status_code == 200
    assert web.get(f"{base}/{item.pk}/download/").status_code == 200
    assert web.post(f"{base}/{item.pk}/verify/").status_code == 302
    exported = web.get(f"{base}/export/")
    assert exported.status_code == 200 and hashlib.sha256(CHAT).hexdigest() in exported.content.decode()
    casefile_context(case, staff.oversight)
    _record, token = tokens.create_token(
        user=staff.investigator, name="t", key_pair=staff_keys.attached(staff.investigator)
    )
    api = Client(headers={"Authorization": f"Bearer {token}"})
    assert api.get(f"/api/v1/staff/cases/{case.reference}/investigation/evidence/{item.pk}").json()["label"] == "E-1"
    printed = web.get(f"{base}/{item.pk}/custody/")
    assert printed.status_code == 200
    assert _custody(item, staff) == [
        "added",
        "viewed",
        "verified",
        "downloaded",
        "verified",
        "exported",
        "exported",
        "viewed",
        "viewed",
    ]
    entries = view.custody(item, staff.investigator)
    assert entries is not None
    assert [(e.by, e.via) for e in entries.entries][1:] == [
        (staff.lead.email, "web"),
        (staff.lead.email, "web"),
        (staff.lead.email, "web"),
        (staff.lead.email, "web"),
        (staff.lead.email, "web"),
        (staff.oversight.email, "casefile"),
        (staff.investigator.email, "api"),
        (staff.lead.email, "web"),
    ]
    page = printed.content.decode()
    assert hashlib.sha256(CHAT).hexdigest() in page and "taken in" in page and "the case file" in page
    from_api = api.get(f"/api/v1/staff/cases/{case.reference}/investigation/evidence/{item.pk}/custody").json()
    assert [e["action"] for e in from_api["entries"]][-2:] == ["viewed", "viewed"]
    assert from_api["item"]["sha256"] == hashlib.sha256(CHAT).hexdigest()
    # The events name the item, who and how: never its content.
    for event in AuditEvent.objects.filter(detail__evidence=item.pk):
        assert set(event.detail) <= {"evidence", "via", "result", "kind", "size"}


def test_the_case_file_reads_every_items_chain_at_once_each_with_its_own_events(case, staff) -> None:
    first = _add_file(case, staff.investigator)
    second = _add_file(case, staff.investigator, b"a second export", "second.txt")
    web = client_for(staff.lead)
    assert web.get(f"/staff/cases/{case.reference}/investigation/evidence/{second.pk}/download/").status_code == 200
    together = view.custodies([first, second], staff.investigator)
    alone = [view.custody(first, staff.investigator), view.custody(second, staff.investigator)]
    assert together == alone
    assert [[e.action for e in chain.entries] for chain in together] == [["added"], ["added", "verified", "downloaded"]]
    # The file made for oversight lists the two chains, the export of each in its own.
    chains = casefile_context(case, staff.oversight)["custody"]
    assert [[e.action for e in chain.entries] for chain in chains] == [
        ["added", "exported"],
        ["added", "verified", "downloaded", "exported"],
    ]


def test_the_chain_of_custody_is_read_from_the_signed_log_not_from_the_copy_beside_it(case, staff) -> None:
    item = _add_file(case, staff.investigator)
    other = _add_file(case, staff.investigator, data=b"the other file", name="other.txt")
    web = client_for(staff.lead)
    base = f"/staff/cases/{case.reference}/investigation/evidence"
    assert web.get(f"{base}/{item.pk}/download/").status_code == 200
    assert web.post(f"{base}/{item.pk}/verify/").status_code == 302

    def entries(of: EvidenceItem) -> list[tuple[str, str, str, str]]:
        found = view.custody(of, staff.investigator)
        assert found is not None
        return [(entry.action, entry.by, entry.via, entry.result) for entry in found.entries]

    before = entries(item)
    assert [row[0] for row in before] == ["added", "verified", "downloaded", "verified"]
    assert before[-1][3] == "intact"
    # Someone with the database's keys moves the item's events to the other item in the
    # detail column, and rewrites how and with what result: the signed leaves stay.
    moved = rewrite_detail_column(
        AuditEvent.objects.filter(case_id=case.pk, detail__evidence=item.pk),
        lambda detail: {**detail, "evidence": other.pk, "via": "nowhere", "result": "mismatch"},
    )
    assert moved == len(before)
    assert entries(item) == before
    assert [row[0] for row in entries(other)] == ["added"]


def test_a_large_upload_encrypted_as_it_arrived_gets_the_digest_of_its_bytes(case, staff, settings) -> None:
    settings.OMBUDS_UPLOAD_MEMORY_BYTES = 64 * 1024
    data = bytes(range(256)) * 1200  # 300 KiB: encrypted into the store as it arrives
    web = client_for(staff.investigator)
    response = web.post(
        f"/staff/cases/{case.reference}/investigation/evidence/",
        {
            "evidence-kind": "file",
            "evidence-description": "The recording of the call.",
            "evidence-source": "Sent by the witness.",
            "evidence-file": SimpleUploadedFile("call.m4a", data, content_type="audio/mp4"),
        },
    )
    assert response.status_code == 302
    item = EvidenceItem.objects.get()
    assert item.size == len(data) and opened(item, "sha256") == hashlib.sha256(data).hexdigest()
    assert opened(item, "filename") == "call.m4a"


def test_the_orphan_sweep_spares_the_files_of_the_register(case, staff) -> None:
    item = _add_file(case, staff.investigator)
    orphan, _key = content.store_file([b"a request that failed"])
    removed = content.remove_orphan_files(timezone.now() + timedelta(hours=2))
    assert removed == 1
    store = filestore.FileStore()
    assert store.path(item.blob_id).exists() and not store.path(orphan).exists()


def test_a_file_added_to_a_case_stored_before_encryption_is_kept_and_sealed_with_it(case, staff) -> None:
    # A case stored before encryption at rest holds its content in clear, and no keys, until it is sealed.
    Case.objects.filter(pk=case.pk).update(sealed=False)
    CaseKeyGrant.objects.filter(case=case).delete()
    case.refresh_from_db()
    item = _add_file(case, staff.investigator)
    assert not item.blob_key.startswith(content.SCHEME)
    assert CHAT[:40] not in filestore.FileStore().path(item.blob_id).read_bytes()
    assert investigation.check_evidence(item=item, actor=staff.investigator) == Integrity.INTACT
    keyring.seal_legacy_case(case)
    item.refresh_from_db()
    assert item.blob_key.startswith(content.SCHEME) and item.sha256.startswith(content.SCHEME)
    assert opened(item, "sha256") == hashlib.sha256(CHAT).hexdigest()
    assert investigation.check_evidence(item=item, actor=staff.investigator) == Integrity.INTACT
    download = f"/staff/cases/{case.reference}/investigation/evidence/{item.pk}/download/"
    assert client_for(staff.investigator).get(download).getvalue() == CHAT


def test_an_item_held_elsewhere_has_its_chain_of_custody_too_and_no_file_to_hand_out(case, staff) -> None:
    item = investigation.add_evidence(
        case=case,
        actor=staff.investigator,
        kind="held_elsewhere",
        description="The hotel's lift camera footage.",
        source="Requested from the hotel's security office.",
        location="Hotel security office.",
    )
    web = client_for(staff.handler)
    base = f"/staff/cases/{case.reference}/investigation/evidence/{item.pk}"
    assert web.get(f"{base}/").status_code == 200
    refused = web.get(f"{base}/download/")
    assert refused.status_code == 302 and refused["Location"] == f"{base}/"
    assert "Only a file kept here can be checked." in web.get(refused["Location"]).content.decode()
    printed = web.get(f"{base}/custody/")
    assert printed.status_code == 200 and "Hotel security office." in printed.content.decode()
    # Its pages were opened three times and nothing was handed out.
    assert _custody(item, staff) == ["added", "viewed", "viewed", "viewed"]
