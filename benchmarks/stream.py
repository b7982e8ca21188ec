"""Encrypted files: secretstream throughput alone, and through the file store to disk and back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from benchmarks import Measurement, timed

MIB = 1024 * 1024
SIZE = 256 * MIB
PIECE = MIB


def _pieces() -> Iterator[bytes]:
    # One random MiB over and over: the cipher's speed does not depend on the bytes.
    piece = os.urandom(PIECE)
    for _ in range(SIZE // PIECE):
        yield piece


class _Discard:
    def write(self, data: bytes, /) -> int:
        return len(data)


def throughput(scratch: Path) -> list[Measurement]:
    from ombuds.crypto.filestore import FileStore
    from ombuds.crypto.keys import DataKey, context
    from ombuds.crypto.stream import encrypt_stream

    key = DataKey.generate()
    ad = context("case", 1, "attachment")
    size = f"{SIZE // MIB} MiB"

    with timed() as timing:
        encrypt_stream(key, _pieces(), _Discard(), ad)
    rows = [timing.measurement(f"stream: encrypt {size}, in memory", _rate(timing.seconds))]

    store = FileStore(scratch / "files")
    with timed() as timing:
        blob_id = store.put(key, _pieces(), ad)
    rows.append(timing.measurement(f"stream: put {size} into the file store", f"{_rate(timing.seconds)}, fsync'ed"))

    read = 0
    with timed() as timing:
        for chunk in store.open(blob_id, key, ad):
            read += len(chunk)
    if read != SIZE:
        # Not assert: a benchmark that silently measured a failed read would mislead.
        raise RuntimeError(f"read back {read} bytes, not {SIZE}")
    rows.append(timing.measurement(f"stream: read {size} back from the file store", _rate(timing.seconds)))
    return rows


def _rate(seconds: float) -> str:
    return f"{SIZE / MIB / seconds:.0f} MiB/s"
