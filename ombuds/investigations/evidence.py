"""The files of the evidence register: their SHA-256 at intake, and the check of the stored bytes against it.

A file is kept exactly as it was handed in (no metadata is removed: that would change
what is evidence), encrypted in the file store under a key of its own like a reporter's
attachment (ombuds.cases.content). Its SHA-256 is computed from the bytes as they were
received, before anything is written to the register.

A later check reads the stored file back and compares: the file store's authenticated
encryption refuses altered bytes outright (unreadable), a blob replaced by another
validly encrypted one shows as a different SHA-256 (altered), and a removed blob as
missing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from ombuds.cases import content
from ombuds.cases.actions import NewAttachment
from ombuds.cases.models import Case
from ombuds.crypto import filestore, keys
from ombuds.crypto.errors import DecryptionError
from ombuds.investigations.models import EvidenceItem, Integrity


def sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def take_in(file: NewAttachment) -> tuple[str, keys.DataKey, str]:
    """Store a handed-in file in the file store; (blob id, its key, the SHA-256 of its bytes).

    A large upload was encrypted into the store as it arrived: its digest is taken by
    reading it back once, which also proves it can be read.
    """
    if file.sealed is not None:
        reader = filestore.FileStore().open(file.sealed.blob_id, file.sealed.file_key, content.FILE_CONTEXT)
        with reader:
            return file.sealed.blob_id, file.sealed.file_key, sha256_of(reader)
    blob_id, file_key = content.store_file([file.data])
    return blob_id, file_key, hashlib.sha256(file.data).hexdigest()


def open_file(item: EvidenceItem, *, key: keys.DataKey | None, case: Case) -> filestore.BlobReader:
    """The stored bytes of an item, chunk by chunk (BlobNotFound, DecryptionError as content.open_blob)."""
    return content.open_blob(item.blob_id, item.blob_key, key=key, case=case, model=EvidenceItem, field="blob_key")


def verify(item: EvidenceItem, *, key: keys.DataKey | None, case: Case) -> Integrity:
    """Read the stored file through and compare its SHA-256 with the one recorded at intake."""
    try:
        expected = content.open(item.sha256, key=key, case=case, model=EvidenceItem, field="sha256")
        with open_file(item, key=key, case=case) as reader:
            found = sha256_of(reader)
    except filestore.BlobNotFound:
        return Integrity.MISSING
    except DecryptionError:
        # The authenticated encryption refused the bytes (or the sealed key or digest): altered or damaged.
        return Integrity.UNREADABLE
    return Integrity.INTACT if hmac.compare_digest(found, expected) else Integrity.MISMATCH
