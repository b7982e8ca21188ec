"""Uploads that never reach the disk in clear, and never sit whole in memory when large.

Django writes a large upload to a temporary file in clear before the view runs. Here a
file is kept in memory while it is small (photos and documents, whose hidden metadata
is then removed: intake/forms.py), and once it grows past OMBUDS_UPLOAD_MEMORY_BYTES it
is encrypted into the file store as it arrives, under a fresh key held only in memory,
in constant memory whatever its size. The action that stores the attachment seals that
key to the case (ombuds.cases.content.seal_file_key); if the request fails first, the
file is an orphan nobody can open, and the sweeper deletes it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from ombuds.cases import content
from ombuds.crypto import keys

_END = object()
# How many chunks may wait between the request and the encrypting thread: memory stays
# bounded by this many of Django's upload chunks (64 KiB each).
_QUEUE_CHUNKS = 8


class SealedUpload(UploadedFile[bytes]):
    """A large upload already encrypted in the file store: its blob id, its key (memory only) and size."""

    def __init__(self, *, name: str, content_type: str, size: int, blob_id: str, file_key: keys.DataKey) -> None:
        super().__init__(file=BytesIO(b""), name=name, content_type=content_type, size=size)
        self.blob_id = blob_id
        self.file_key = file_key

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        raise TypeError("a sealed upload is read from the file store, never into memory")


class _Encryptor:
    """Feeds chunks to the file store's streaming encryption in a thread of its own."""

    def __init__(self) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_CHUNKS)
        self._result: tuple[str, keys.DataKey] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _chunks(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item

    def _run(self) -> None:
        try:
            self._result = content.store_file(self._chunks())
        except BaseException as exc:  # noqa: BLE001 - not swallowed: finish() raises it in the request's thread
            self._error = exc

    def feed(self, data: bytes) -> None:
        self._queue.put(data)

    def finish(self) -> tuple[str, keys.DataKey]:
        self._queue.put(_END)
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def abort(self) -> None:
        # The file store removes the partial file when its input raises.
        self._queue.put(ConnectionAbortedError("the upload was cut off"))
        self._thread.join()


class EncryptingUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._buffer = bytearray()
        self._encryptor: _Encryptor | None = None
        self._size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._size += len(raw_data)
        if self._encryptor is not None:
            self._encryptor.feed(bytes(raw_data))
            return None
        self._buffer += raw_data
        if len(self._buffer) > settings.OMBUDS_UPLOAD_MEMORY_BYTES:
            self._encryptor = _Encryptor()
            self._encryptor.feed(bytes(self._buffer))
            self._buffer = bytearray()
        return None

    def file_complete(self, file_size: int) -> UploadedFile[bytes]:
        if self._encryptor is None:
            return InMemoryUploadedFile(
                file=BytesIO(bytes(self._buffer)),
                field_name=self.field_name,
                name=self.file_name,
                content_type=self.content_type,
                size=file_size,
                charset=self.charset,
                content_type_extra=self.content_type_extra,
            )
        blob_id, file_key = self._encryptor.finish()
        self._encryptor = None
        return SealedUpload(
            name=self.file_name or "file",
            content_type=self.content_type or "application/octet-stream",
            size=file_size,
            blob_id=blob_id,
            file_key=file_key,
        )

    def upload_interrupted(self) -> None:
        if self._encryptor is not None:
            self._encryptor.abort()
            self._encryptor = None
