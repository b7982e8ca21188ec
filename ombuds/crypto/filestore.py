"""Encrypted files (blobs) in one directory, each durable before its id is handed out.

A blob is written to a temporary file in the store's directory, flushed to disk,
renamed to its final name in one step and the directory flushed too: when put()
returns, the blob survives a power cut, and no reader ever sees a half-written blob
under a blob's name. A crash mid-write leaves only a temporary file (".partial-…"),
which remove_partials() clears.

Blob ids are 128 random bits in lower-case hex. An id is checked before it is made
into a path, so no id can reach outside the directory. The blob's id is part of its
associated data (see blob_context()), so a file renamed to another blob's id no
longer opens.

Rows that refer to blobs live elsewhere; iter_blobs() lists every blob with its
modification time for the sweep that removes blobs no row refers to. That sweep must
spare young blobs: a blob is written before the row that refers to it is committed.
"""

from __future__ import annotations

import logging
import math
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from ombuds.crypto.errors import CryptoError
from ombuds.crypto.keys import DataKey
from ombuds.crypto.stream import decrypt_stream, encrypt_stream

logger = logging.getLogger(__name__)

BLOB_ID_BYTES = 16
_BLOB_ID = re.compile(r"[0-9a-f]{32}")
PARTIAL_PREFIX = ".partial-"


class InvalidBlobId(CryptoError, ValueError):
    """The text is not a blob id (and so never made into a path)."""


class BlobNotFound(CryptoError, LookupError):
    """No blob with this id is in the store."""


@dataclass(frozen=True)
class BlobInfo:
    blob_id: str
    modified_at: datetime
    size: int


def check_blob_id(blob_id: str) -> str:
    """Return blob_id if it is 32 lower-case hex digits; InvalidBlobId otherwise."""
    if not isinstance(blob_id, str) or not _BLOB_ID.fullmatch(blob_id):
        raise InvalidBlobId("not a blob id")
    return blob_id


def blob_context(associated_data: bytes, blob_id: str) -> bytes:
    """The associated data a blob is encrypted with: the caller's, then ":blob:" and the id."""
    return associated_data + b":blob:" + check_blob_id(blob_id).encode("ascii")


def _stamp() -> int:
    """The times a new blob (and the store's directory) are given: the next batch boundary, not the second.

    A file's modification time would tell when an anonymous reporter uploaded it, to
    whoever reads the store or a backup of it (tar and rsync keep it); the boundary tells
    no more than her batched notices do (OMBUDS_ANONYMOUS_NOTICE_BATCH_SECONDS). Later,
    not earlier: the orphan sweep spares young files, and this one's row may not be
    committed yet. The inode's change time cannot be set by a program (docs/security.md).
    """
    batch = settings.OMBUDS_ANONYMOUS_NOTICE_BATCH_SECONDS
    return math.ceil(time.time() / batch) * batch


class FileStore:
    """Encrypted blobs in directory (OMBUDS_FILE_STORE_DIR unless given), created on first write."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory if directory is not None else settings.OMBUDS_FILE_STORE_DIR)

    def _ensure_directory(self) -> None:
        if self.directory.is_dir():
            return
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # The new directory's own entry must reach the disk too, or a first blob could vanish with it.
        _fsync_directory(self.directory.parent)

    def path(self, blob_id: str) -> Path:
        return self.directory / check_blob_id(blob_id)

    def put(self, key: DataKey, chunks: Iterable[bytes], associated_data: bytes) -> str:
        """Encrypt chunks into a new blob and return its id once the blob is on disk."""
        if not associated_data:
            raise ValueError("associated data is required")
        self._ensure_directory()
        blob_id = secrets.token_hex(BLOB_ID_BYTES)
        # mkstemp creates the file with mode 0600 and a name nobody else can take.
        fd, partial_name = tempfile.mkstemp(dir=self.directory, prefix=PARTIAL_PREFIX)
        partial = Path(partial_name)
        try:
            with os.fdopen(fd, "wb") as out:
                encrypt_stream(key, chunks, out, blob_context(associated_data, blob_id))
                out.flush()
                stamp = _stamp()
                os.utime(out.fileno(), (stamp, stamp))
                os.fsync(out.fileno())
            # 128 random bits: an existing blob of the same name is not a case to handle.
            os.rename(partial, self.path(blob_id))
        except BaseException:
            # The failure is raised on; only the partial file goes, so nothing is left behind.
            partial.unlink(missing_ok=True)
            raise
        try:
            os.utime(self.directory, (stamp, stamp))
        except PermissionError:
            # Only the directory's owner may set its times: a store made by another account
            # (shared by group) keeps the upload, with the directory's time of this second.
            logger.warning("the file store's directory is not owned by this account; its time tells when a file came")
        _fsync_directory(self.directory)
        return blob_id

    def open(self, blob_id: str, key: DataKey, associated_data: bytes) -> BlobReader:
        """The plaintext of a blob, chunk by chunk (see stream.decrypt_stream for its errors).

        The file is opened and its header checked now, so a missing blob raises
        BlobNotFound here. The reader closes the file when it is exhausted, fails or is
        closed (Django's streaming responses call close()).
        """
        context = blob_context(associated_data, blob_id)
        try:
            handle = self.path(blob_id).open("rb")
        except FileNotFoundError:
            raise BlobNotFound("no such blob") from None
        try:
            chunks = decrypt_stream(key, handle, context)
        except BaseException:
            handle.close()
            raise
        return BlobReader(chunks, handle)

    def delete(self, blob_id: str) -> bool:
        """Remove a blob; False if there was none. The removal is flushed to disk."""
        try:
            self.path(blob_id).unlink()
        except FileNotFoundError:
            return False
        _fsync_directory(self.directory)
        return True

    def size(self, blob_id: str) -> int:
        """The blob's size on disk in bytes (header and tags included)."""
        try:
            return self.path(blob_id).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound("no such blob") from None

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """Every blob in the store, with its modification time (UTC) and size; partial files are skipped."""
        if not self.directory.exists():
            return
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if not _BLOB_ID.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
                    continue
                stat = entry.stat(follow_symlinks=False)
                yield BlobInfo(entry.name, datetime.fromtimestamp(stat.st_mtime, tz=UTC), stat.st_size)

    def remove_partials(self, *, older_than: datetime) -> int:
        """Remove temporary files last written before older_than (left by writes that crashed); return how many.

        Pass a moment well in the past (an hour ago): a younger partial file may belong
        to a write still in progress.
        """
        if not self.directory.exists():
            return 0
        removed = 0
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if not entry.name.startswith(PARTIAL_PREFIX) or not entry.is_file(follow_symlinks=False):
                    continue
                modified = datetime.fromtimestamp(entry.stat(follow_symlinks=False).st_mtime, tz=UTC)
                if modified < older_than:
                    Path(entry.path).unlink(missing_ok=True)
                    removed += 1
        if removed:
            _fsync_directory(self.directory)
        return removed


class BlobReader(Iterator[bytes]):
    """A blob's plaintext chunks; the file is closed once they are read, on an error, or on close()."""

    def __init__(self, chunks: Iterator[bytes], handle: BinaryIO) -> None:
        self._chunks = chunks
        self._handle = handle

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            # StopIteration included: the end of the blob closes the file as well.
            self.close()
            raise

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _fsync_directory(directory: Path) -> None:
    """Flush a directory's entries, so a rename or removal in it survives a power cut."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
