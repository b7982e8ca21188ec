"""The content seam: every piece of report content is sealed on its way in and opened on its way out here.

`CONTENT` lists, per model, every field that holds what a reporter or a handler wrote
(the fields that per-case encryption seals); `METADATA` lists the fields that stay in
clear because routing, deadlines and statistics need them. tests/test_content_seam.py
fails when a text, binary or file field is added to a case model without being listed
in one of them.

Actions call `seal` when they write content; the two read models (`cases.case_view`
for staff, `intake.reporter_view` for the reporter) call `open` when they read it.
Nothing else touches content fields. Both take the case's data key (ombuds.cases.keyring
says who has it): text is encrypted with XChaCha20-Poly1305 bound to the case, the
model and the field; files go encrypted into the file store under a key of their own.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.db import models

from ombuds.cases.models import (
    Appeal,
    Attachment,
    Case,
    CaseKeyGrant,
    ClosureProposal,
    Conflict,
    Escalation,
    InvolvedPerson,
    KeepOutProposal,
    LadderCheck,
    Message,
    Note,
    Notice,
    Organisation,
    PoolMembership,
    Report,
)
from ombuds.crypto import filestore, keys
from ombuds.crypto.errors import DecryptionError
from ombuds.investigations.models import (
    Allegation,
    ConcernedResponse,
    EvidenceItem,
    Informing,
    Interview,
    InvestigationPolicy,
    MinutesAnswer,
    Task,
)
from ombuds.outcomes.models import (
    AccusedOutcome,
    Measure,
    MeasureChange,
    OutcomePolicy,
    RegistryKeyCheck,
    RegistrySubmission,
    RehireCheck,
    RehireEntry,
    RehireIdentifier,
)

CONTENT: dict[type[models.Model], frozenset[str]] = {
    Case: frozenset({"referral", "decision_reasoning"}),
    Report: frozenset({"narrative", "occurred", "location", "reporter_name", "reporter_contact", "answers"}),
    InvolvedPerson: frozenset({"name"}),
    Message: frozenset({"body"}),
    Attachment: frozenset({"filename", "content_type", "file_key", "legacy_data"}),
    Appeal: frozenset({"reason", "resolution_note"}),
    Note: frozenset({"body"}),
    ClosureProposal: frozenset({"reason", "search_done", "decision_note", "referral"}),
    Conflict: frozenset({"note"}),
    KeepOutProposal: frozenset({"note", "decision_note"}),
    # The investigation (ombuds.investigations). The evidence's SHA-256 is content too: in
    # clear it would confirm to anyone holding the database that a file they have was handed in.
    Allegation: frozenset({"conduct", "finding_reasoning"}),
    Task: frozenset({"title"}),
    Interview: frozenset({"interviewee_name", "present", "minutes"}),
    MinutesAnswer: frozenset({"corrections"}),
    EvidenceItem: frozenset({"description", "source", "location", "filename", "content_type", "blob_key", "sha256"}),
    Informing: frozenset({"details", "reason"}),
    ConcernedResponse: frozenset({"response"}),
}

# Fields in clear, and why each may be.
METADATA: dict[type[models.Model], frozenset[str]] = {
    # Routing, deadlines and statistics.
    Case: frozenset({"reference", "category", "status", "outcome", "finding"}),
    # A case's data key, sealed to one holder's public key.
    CaseKeyGrant: frozenset({"holder", "sealed"}),
    # The receipt's keyed digest finds the report; role and language shape the reporter's pages.
    # The receipt's key derivation and the case key sealed to it are keys, not content; so is
    # the random value of her proof of filing, sealed to the same key pair.
    Report: frozenset({"receipt_digest", "role", "language", "receipt_kdf", "key_seal", "proof_seal"}),
    InvolvedPerson: frozenset({"role"}),
    Message: frozenset({"sender"}),
    # Who uploaded it. No digest of a file is kept: a plain hash would let anyone holding
    # the database confirm that a file they already have was reported.
    Attachment: frozenset({"sender", "blob_id"}),
    Appeal: frozenset({"resolution"}),
    Conflict: frozenset({"reason"}),
    KeepOutProposal: frozenset({"action"}),
    ClosureProposal: frozenset({"kind", "grounds", "finding"}),
    Escalation: frozenset({"deadline", "item", "step"}),
    # The ladder's offsets from the settings, when the sweep last read every case.
    LadderCheck: frozenset({"offsets"}),
    Notice: frozenset({"kind", "recipients"}),
    PoolMembership: frozenset({"category"}),
    # Categories, findings and the standard applied feed statistics and the case's finding;
    # the kinds say which fields apply; the integrity of a file is a result, not its content.
    Allegation: frozenset({"category", "finding", "standard"}),
    Interview: frozenset({"interviewee_kind"}),
    EvidenceItem: frozenset({"kind", "blob_id", "integrity"}),
    Informing: frozenset({"kind", "method"}),
    InvestigationPolicy: frozenset({"standard_of_proof"}),
    # The organisation's own configuration, not report content.
    Organisation: frozenset(
        {
            "recovery_public_key",
            "name",
            "oversight_name",
            "fallback_contact",
            "ack_deadline",
            "feedback_deadline",
            "assault_first_action_deadline",
            "oversight_contact",
            "time_zone",
            "languages",
            # The two names above in other languages (administration, `organisation set --name-in`).
            "names_per_language",
        }
    ),
}


# Protective measures, outcomes per accused and the rehire registry (ombuds.outcomes).
CONTENT.update(
    {
        Measure: frozenset({"description"}),
        MeasureChange: frozenset({"reason"}),
        AccusedOutcome: frozenset({"reason", "decision_note"}),
    }
)
METADATA.update(
    {
        # The ladder and the reporter's plain-words list need the kind.
        Measure: frozenset({"kind"}),
        MeasureChange: frozenset({"kind"}),
        # Sanctions and eligibility decide who must approve, what goes into the registry and
        # what the reporter is told; like the finding, they stay in clear.
        AccusedOutcome: frozenset({"sanctions", "rehire", "state"}),
        # Keyed digests (ombuds.outcomes.registry): useless without the key kept outside the database.
        RehireIdentifier: frozenset({"kind", "digest"}),
        RehireEntry: frozenset({"result"}),
        # The reference, the kinds of identifier asked about (never their values) and the answer.
        # The holders are other member organisations and their oversight contact (docs/registry.md).
        RehireCheck: frozenset({"reference", "kinds", "result", "registry_holders"}),
        RegistryKeyCheck: frozenset({"fingerprint"}),
        # A decision's entries in the shared registry (ombuds.outcomes.shared_registry): its state,
        # the registry's entry numbers and a failure reason naming no identifier. The accused's
        # identifiers given with the decision wait sealed under a key derived from the signing key
        # file (outside the database, never the case key) only until they are submitted.
        RegistrySubmission: frozenset({"state", "entry_ids", "last_error", "sealed_identifiers"}),
        # The organisation's own wording for reporters, not report content.
        OutcomePolicy: frozenset({"wording", "phone_region"}),
    }
)


# How a row of a content model reaches its case, for the models without a `case` foreign key
# of their own (keyring.seal_legacy_case finds a case's rows through it).
CASE_PATHS: dict[type[models.Model], str] = {
    InvolvedPerson: "report__case",
    MeasureChange: "measure__case",
}


def case_path(model: type[models.Model]) -> str:
    """The lookup from a row of `model` to its case, e.g. "case" or "report__case"."""
    return CASE_PATHS.get(model, "case")


def register(model: type[models.Model], *, content: Iterable[str], metadata: Iterable[str]) -> None:
    """Classify the fields of another app's model that belongs to a case; called from that app's ready().

    The model needs a `case` foreign key: sealing a case stored before encryption at rest
    (keyring.seal_legacy_case) finds its rows through it. tests/test_content_seam.py
    checks the app's models like those of this one.
    """
    CONTENT[model] = frozenset(content)
    METADATA[model] = frozenset(metadata)


def is_content(model: type[models.Model], field: str) -> bool:
    return field in CONTENT.get(model, frozenset())


class ContentLocked(Exception):
    """The content cannot be opened or written without the case's data key, and it is not at hand."""


# Stored text: "s1:" and the base64 of the field ciphertext (ombuds.crypto.keys.encrypt).
SCHEME = "s1:"


def _context(case: Case, model: type[models.Model], field: str) -> bytes:
    # Bound to the case, the model and the field: a ciphertext moved to another field or
    # another case does not open (each case also has a key of its own).
    return keys.context("content", model._meta.model_name or "", field, case.pk)


def seal(value: str, *, key: keys.DataKey | None, case: Case, model: type[models.Model], field: str) -> str:
    """What is stored for `value` in `model.field` of a case: the text encrypted under the case's key.

    An empty value stays empty. A case stored before encryption at rest (case.sealed is
    False) keeps its content in clear until the sweeper seals it, new writes included.
    """
    assert is_content(model, field), f"{model.__name__}.{field} is not a content field"
    if not case.sealed or value == "":
        return value
    if key is None:
        raise ContentLocked
    ciphertext = keys.encrypt(key, value.encode("utf-8"), _context(case, model, field))
    return SCHEME + base64.b64encode(ciphertext).decode("ascii")


def open(value: str, *, key: keys.DataKey | None, case: Case, model: type[models.Model], field: str) -> str:
    """The readable value of a stored content field; ContentLocked without the key."""
    assert is_content(model, field), f"{model.__name__}.{field} is not a content field"
    if not case.sealed or value == "":
        return value
    if key is None:
        raise ContentLocked
    if not value.startswith(SCHEME):
        raise DecryptionError("a sealed case holds a value that is not sealed")
    ciphertext = base64.b64decode(value[len(SCHEME) :].encode("ascii"))
    return keys.decrypt(key, ciphertext, _context(case, model, field)).decode("utf-8")


# --- Files --------------------------------------------------------------------------------------

# A file's ciphertext is bound to its blob id by the file store itself; the file's own
# key, sealed under the case's key as content of the attachment row, binds it to the case.
FILE_CONTEXT = keys.context("attachment-file")


def store_file(chunks: Iterable[bytes]) -> tuple[str, keys.DataKey]:
    """Encrypt a file into the file store as it streams in, under a fresh key of its own; (blob id, key).

    The key is held only in memory until `seal_file_key` seals it to a case; a file whose
    request fails before that is an orphan no one can open, and the sweeper removes it.
    """
    file_key = keys.DataKey.generate()
    return filestore.FileStore().put(file_key, chunks, FILE_CONTEXT), file_key


def seal_file_key(
    file_key: keys.DataKey,
    *,
    key: keys.DataKey | None,
    case: Case,
    model: type[models.Model] = Attachment,
    field: str = "file_key",
) -> str:
    """The file's key, encrypted under the case's key, as stored in the row that refers to the file."""
    if key is None:
        raise ContentLocked
    encoded = base64.b64encode(file_key.raw).decode("ascii")
    return seal(encoded, key=key, case=case, model=model, field=field)


def seal_file(chunks: Iterable[bytes], *, key: keys.DataKey | None, case: Case) -> tuple[str, str]:
    """Encrypt a file into the file store, streaming; return (blob id, its own key sealed as content)."""
    if key is None:
        raise ContentLocked
    blob_id, file_key = store_file(chunks)
    return blob_id, seal_file_key(file_key, key=key, case=case)


def open_file(attachment: Attachment, *, key: keys.DataKey | None, case: Case) -> Iterator[bytes]:
    """The file's bytes, decrypted chunk by chunk as they are read (constant memory)."""
    if attachment.legacy_data is not None and not attachment.blob_id:
        return iter([bytes(attachment.legacy_data)])
    return open_blob(attachment.blob_id, attachment.file_key, key=key, case=case, model=Attachment, field="file_key")


def open_blob(
    blob_id: str, sealed_file_key: str, *, key: keys.DataKey | None, case: Case, model: type[models.Model], field: str
) -> filestore.BlobReader:
    """A stored file's bytes, chunk by chunk, from its blob id and its key as sealed in `model.field`.

    Raises filestore.BlobNotFound when the blob is gone and DecryptionError (possibly only
    after some chunks) when its bytes were altered.
    """
    raw = open(sealed_file_key, key=key, case=case, model=model, field=field)
    file_key = keys.DataKey(base64.b64decode(raw.encode("ascii")))
    return filestore.FileStore().open(blob_id, file_key, FILE_CONTEXT)


# Files younger than this are left alone: their request may still be storing them.
ORPHAN_AGE = timedelta(hours=1)


def remove_orphan_files(now: datetime) -> int:
    """Delete encrypted files no attachment or evidence item refers to (a request that failed after its upload).

    Nobody can open them (their key died with the request); they only take room. Old
    partial files of interrupted writes go too. Returns how many files were removed.
    """
    store = filestore.FileStore()
    if not store.directory.exists():
        return 0
    cutoff = now - ORPHAN_AGE
    removed = store.remove_partials(older_than=cutoff)
    old = [blob.blob_id for blob in store.iter_blobs() if blob.modified_at < cutoff]
    for start in range(0, len(old), 1000):
        batch = old[start : start + 1000]
        referred = set(Attachment.objects.filter(blob_id__in=batch).values_list("blob_id", flat=True))
        referred |= set(EvidenceItem.objects.filter(blob_id__in=batch).values_list("blob_id", flat=True))
        for blob_id in batch:
            if blob_id not in referred and store.delete(blob_id):
                removed += 1
    return removed
