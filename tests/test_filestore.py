"""The encrypted file store (ombuds.crypto.filestore): durable puts, safe ids, sweeping."""

from __future__ import annotations

import os
import re
import shutil
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ombuds.crypto import filestore, stream
from ombuds.crypto.errors import DecryptionError
from ombuds.crypto.filestore import BlobNotFound, FileStore, InvalidBlobId
from ombuds.crypto.keys import DataKey, context

AD = context("case", 12, "attachment")
PHOTO = os.urandom(200_000)
BLOB_NAME = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "files")


@pytest.fixture
def key() -> DataKey:
    return DataKey.generate()


def _read(store: FileStore, blob_id: str, key: DataKey, ad: bytes = AD) -> bytes:
    return b"".join(store.open(blob_id, key, ad))


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_it_gives_back_what_was_put(store: FileStore, key: DataKey) -> None:
    blob_id = store.put(key, [PHOTO[:1000], PHOTO[1000:]], AD)
    assert BLOB_NAME.fullmatch(blob_id)
    assert _read(store, blob_id, key) == PHOTO


def test_it_keeps_only_ciphertext_on_disk_readable_by_ombuds_alone(store: FileStore, key: DataKey) -> None:
    blob_id = store.put(key, [PHOTO], AD)
    path = store.path(blob_id)
    assert PHOTO[:64] not in path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700


def test_it_finds_a_blob_after_put_returns_from_a_fresh_store(store: FileStore, key: DataKey) -> None:
    blob_id = store.put(key, [PHOTO], AD)
    again = FileStore(store.directory)
    assert [info.blob_id for info in again.iter_blobs()] == [blob_id]
    assert _read(again, blob_id, key) == PHOTO


def test_it_never_shows_a_partial_blob_under_a_blob_id(store: FileStore, key: DataKey) -> None:
    seen_while_writing: list[list[str]] = []

    def slow_upload() -> Iterator[bytes]:
        for start in range(0, len(PHOTO), 50_000):
            seen_while_writing.append(sorted(os.listdir(store.directory)))
            yield PHOTO[start : start + 50_000]

    blob_id = store.put(key, slow_upload(), AD)

    assert len(seen_while_writing) == 4
    for names in seen_while_writing:
        assert [name for name in names if BLOB_NAME.fullmatch(name)] == []
        assert len(names) == 1
        assert names[0].startswith(filestore.PARTIAL_PREFIX)
    assert os.listdir(store.directory) == [blob_id]


def test_it_leaves_nothing_behind_when_the_upload_fails(store: FileStore, key: DataKey) -> None:
    def broken_upload() -> Iterator[bytes]:
        yield PHOTO[:70_000]
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.put(key, broken_upload(), AD)
    assert os.listdir(store.directory) == []


def test_it_flushes_the_file_before_renaming_it_and_the_directory_after(
    store: FileStore, key: DataKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.directory.mkdir(parents=True)
    events: list[tuple[str, str]] = []
    real_fsync, real_rename = os.fsync, os.rename

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def rename(source: Any, target: Any) -> None:
        events.append(("rename", os.fspath(target)))
        real_rename(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "rename", rename)
    blob_id = store.put(key, [PHOTO], AD)

    directory, final = str(store.directory.resolve()), str(store.path(blob_id))
    assert len(events) == 3
    assert events[0][0] == "fsync"
    assert Path(events[0][1]).name.startswith(filestore.PARTIAL_PREFIX)
    assert events[1:] == [("rename", final), ("fsync", directory)]


def test_it_flushes_the_parent_when_it_creates_the_directory(
    store: FileStore, key: DataKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushed: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        flushed.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    store.put(key, [b"first"], AD)
    assert str(store.directory.parent.resolve()) in flushed


def test_it_binds_a_blob_to_its_id(store: FileStore, key: DataKey) -> None:
    first = store.put(key, [b"the first attachment"], AD)
    second = store.put(key, [b"the second attachment"], AD)
    # Someone with access to the disk swaps the two files.
    shutil.copyfile(store.path(first), store.path(second))
    with pytest.raises(DecryptionError):
        _read(store, second, key)


def test_it_refuses_the_wrong_key_or_another_cases_associated_data(store: FileStore, key: DataKey) -> None:
    blob_id = store.put(key, [PHOTO], AD)
    with pytest.raises(DecryptionError):
        _read(store, blob_id, DataKey.generate())
    with pytest.raises(DecryptionError):
        _read(store, blob_id, key, context("case", 13, "attachment"))


def test_it_refuses_a_blob_cut_short_on_disk(store: FileStore, key: DataKey) -> None:
    blob_id = store.put(key, [PHOTO], AD)
    path = store.path(blob_id)
    with path.open("r+b") as handle:
        handle.truncate(stream.HEADER_BYTES + 2 * (stream.CHUNK_BYTES + stream.CHUNK_OVERHEAD))
    with pytest.raises(DecryptionError):
        _read(store, blob_id, key)


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        "..",
        "../victim",
        "../" + "0" * 32,
        "/etc/passwd",
        "0" * 31,
        "0" * 33,
        "A" * 32,
        "0" * 31 + "/",
        "0" * 30 + "/.",
        "%2e%2e%2fvictim",
        filestore.PARTIAL_PREFIX + "abc",
        "0" * 31 + "\x00",
    ],
)
def test_it_refuses_anything_but_a_blob_id(store: FileStore, key: DataKey, tmp_path: Path, bad_id: str) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"outside the store")
    with pytest.raises(InvalidBlobId):
        store.open(bad_id, key, AD)
    with pytest.raises(InvalidBlobId):
        store.delete(bad_id)
    with pytest.raises(InvalidBlobId):
        store.size(bad_id)
    assert victim.read_bytes() == b"outside the store"


def test_it_says_when_a_blob_is_missing(store: FileStore, key: DataKey) -> None:
    missing = "0" * 32
    with pytest.raises(BlobNotFound):
        store.open(missing, key, AD)
    with pytest.raises(BlobNotFound):
        store.size(missing)
    assert store.delete(missing) is False


def test_it_deletes_a_blob(store: FileStore, key: DataKey) -> None:
    blob_id = store.put(key, [PHOTO], AD)
    assert store.delete(blob_id) is True
    assert list(store.iter_blobs()) == []
    with pytest.raises(BlobNotFound):
        store.open(blob_id, key, AD)


def test_it_tells_the_stored_size_of_a_blob(store: FileStore, key: DataKey) -> None:
    blob_id = store.put(key, [PHOTO], AD)
    chunks = len(PHOTO) // stream.CHUNK_BYTES + 1
    assert store.size(blob_id) == stream.HEADER_BYTES + len(PHOTO) + chunks * stream.CHUNK_OVERHEAD


def test_it_lists_blobs_with_their_age_for_the_orphan_sweep(store: FileStore, key: DataKey) -> None:
    old = store.put(key, [b"old"], AD)
    new = store.put(key, [b"new"], AD)
    last_year = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    os.utime(store.path(old), (last_year.timestamp(), last_year.timestamp()))
    (store.directory / "notes.txt").write_text("not a blob")
    (store.directory / (filestore.PARTIAL_PREFIX + "x")).write_bytes(b"half")

    listed = {info.blob_id: info for info in store.iter_blobs()}

    assert set(listed) == {old, new}
    assert listed[old].modified_at == last_year
    assert listed[new].modified_at > datetime.now(tz=UTC) - timedelta(minutes=5)
    assert listed[new].size == store.size(new)


def test_it_lists_nothing_before_the_first_blob(store: FileStore) -> None:
    assert list(store.iter_blobs()) == []
    assert not store.directory.exists()


def test_it_removes_only_partial_files_older_than_asked(store: FileStore, key: DataKey) -> None:
    blob_id = store.put(key, [b"kept"], AD)
    stale = store.directory / (filestore.PARTIAL_PREFIX + "stale")
    fresh = store.directory / (filestore.PARTIAL_PREFIX + "fresh")
    stale.write_bytes(b"from a crash")
    fresh.write_bytes(b"being written")
    two_hours_ago = (datetime.now(tz=UTC) - timedelta(hours=2)).timestamp()
    os.utime(stale, (two_hours_ago, two_hours_ago))
    os.utime(store.path(blob_id), (two_hours_ago, two_hours_ago))

    removed = store.remove_partials(older_than=datetime.now(tz=UTC) - timedelta(hours=1))

    assert removed == 1
    assert sorted(os.listdir(store.directory)) == sorted([blob_id, fresh.name])


def test_it_closes_the_file_once_read_or_closed(store: FileStore, key: DataKey) -> None:
    blob_id = store.put(key, [PHOTO], AD)
    before = _open_descriptors()

    reader = store.open(blob_id, key, AD)
    assert _open_descriptors() == before + 1
    assert b"".join(reader) == PHOTO
    assert _open_descriptors() == before

    reader = store.open(blob_id, key, AD)
    next(reader)
    reader.close()
    assert _open_descriptors() == before

    with store.open(blob_id, DataKey.generate(), AD) as failing, pytest.raises(DecryptionError):
        next(failing)
    assert _open_descriptors() == before


def test_it_uses_the_configured_directory_by_default(settings: Any, tmp_path: Path, key: DataKey) -> None:
    settings.OMBUDS_FILE_STORE_DIR = tmp_path / "configured"
    blob_id = FileStore().put(key, [b"x"], AD)
    assert (tmp_path / "configured" / blob_id).is_file()


def test_a_blob_and_the_store_show_the_next_batch_boundary_not_the_second_it_came(
    store: FileStore, key: DataKey, settings
) -> None:
    """A file's modification time, kept by tar and rsync, would tell when an anonymous reporter uploaded it."""
    settings.OMBUDS_ANONYMOUS_NOTICE_BATCH_SECONDS = 3600
    before = time.time()
    blob_id = store.put(key, [b"a photo"], b"ctx")
    after = time.time()
    for path in (store.path(blob_id), store.directory):
        stamp = path.stat().st_mtime
        assert stamp % 3600 == 0, path
        assert before <= stamp <= after + 3600, path
    assert b"".join(store.open(blob_id, key, b"ctx")) == b"a photo"


def test_a_store_directory_owned_by_another_account_still_takes_the_upload(
    store: FileStore, key: DataKey, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    """Only a directory's owner may set its times; a store shared by group must not refuse her photo."""
    settings.OMBUDS_ANONYMOUS_NOTICE_BATCH_SECONDS = 3600
    real_utime = os.utime

    def utime(path: Any, *args: Any, **kwargs: Any) -> None:
        if not isinstance(path, int) and Path(path) == store.directory:
            raise PermissionError(1, "Operation not permitted")
        real_utime(path, *args, **kwargs)

    monkeypatch.setattr(os, "utime", utime)
    blob_id = store.put(key, [b"a photo"], b"ctx")
    assert b"".join(store.open(blob_id, key, b"ctx")) == b"a photo"
    assert store.path(blob_id).stat().st_mtime % 3600 == 0  # the blob itself still shows the boundary
    assert "not owned by this account" in caplog.text
