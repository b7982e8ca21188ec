"""Streaming file encryption (ombuds.crypto.stream): round trips, every kind of damage, constant memory."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ombuds.crypto import stream
from ombuds.crypto.errors import DecryptionError, FormatError, TruncatedError
from ombuds.crypto.keys import DataKey, context

AD = context("case", 12, "attachment", 3)
SMALL = 1024  # the smallest chunk size, so that a few KiB make several chunks
BLOCK = SMALL + stream.CHUNK_OVERHEAD


def _encrypt(key: DataKey, data: bytes, *, chunk_size: int = SMALL, ad: bytes = AD) -> bytes:
    out = io.BytesIO()
    stream.encrypt_stream(key, [data], out, ad, chunk_size=chunk_size)
    return out.getvalue()


def _decrypt(key: DataKey, ciphertext: bytes, ad: bytes = AD) -> bytes:
    return b"".join(stream.decrypt_stream(key, io.BytesIO(ciphertext), ad))


def _blocks(ciphertext: bytes) -> tuple[bytes, list[bytes]]:
    """The header and the encrypted chunks of a stream made with chunk size SMALL."""
    body = ciphertext[stream.HEADER_BYTES :]
    return ciphertext[: stream.HEADER_BYTES], [body[i : i + BLOCK] for i in range(0, len(body), BLOCK)]


@pytest.fixture
def key() -> DataKey:
    return DataKey.generate()


@pytest.mark.parametrize("size", [0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL, 3 * SMALL + 5])
def test_it_opens_what_it_encrypted(key: DataKey, size: int) -> None:
    data = os.urandom(size)
    ciphertext = _encrypt(key, data)
    assert _decrypt(key, ciphertext) == data


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=5 * SMALL), cuts=st.lists(st.integers(min_value=0, max_value=5 * SMALL), max_size=8))
def test_it_gives_the_same_plaintext_however_the_input_is_cut_up(data: bytes, cuts: list[int]) -> None:
    key = DataKey.generate()
    points = sorted({0, len(data), *(cut for cut in cuts if cut <= len(data))})
    pieces = [data[start:end] for start, end in itertools.pairwise(points)]
    out = io.BytesIO()
    assert stream.encrypt_stream(key, pieces, out, AD, chunk_size=SMALL) == len(data)
    assert _decrypt(key, out.getvalue()) == data


def test_it_writes_fixed_size_chunks_and_a_final_one(key: DataKey) -> None:
    data = os.urandom(3 * SMALL + 100)
    ciphertext = _encrypt(key, data)
    header, blocks = _blocks(ciphertext)
    assert header[:4] == stream.MAGIC
    assert [len(block) for block in blocks] == [BLOCK, BLOCK, BLOCK, 100 + stream.CHUNK_OVERHEAD]
    assert data[:SMALL] not in ciphertext


def test_it_uses_64_kib_chunks_by_default(key: DataKey) -> None:
    out = io.BytesIO()
    stream.encrypt_stream(key, [b"x" * (stream.CHUNK_BYTES + 1)], out, AD)
    assert len(out.getvalue()) == stream.HEADER_BYTES + stream.CHUNK_BYTES + 1 + 2 * stream.CHUNK_OVERHEAD
    assert _decrypt(key, out.getvalue()) == b"x" * (stream.CHUNK_BYTES + 1)


def test_it_refuses_the_wrong_key(key: DataKey) -> None:
    ciphertext = _encrypt(key, os.urandom(2 * SMALL))
    with pytest.raises(DecryptionError):
        _decrypt(DataKey.generate(), ciphertext)


def test_it_refuses_a_stream_moved_to_another_attachment(key: DataKey) -> None:
    ciphertext = _encrypt(key, os.urandom(2 * SMALL))
    with pytest.raises(DecryptionError):
        _decrypt(key, ciphertext, context("case", 12, "attachment", 4))


def test_it_refuses_a_stream_with_a_bit_flipped_anywhere(key: DataKey) -> None:
    ciphertext = _encrypt(key, os.urandom(2 * SMALL + 10))
    # The header's fields, the stream header, and the start, middle and tag of each chunk.
    places = [0, 4, 5, 8, 9, 20, 32, *(stream.HEADER_BYTES + offset for offset in (0, 1, 500, BLOCK - 1, BLOCK))]
    places += [len(ciphertext) - 1]
    for index in places:
        changed = bytearray(ciphertext)
        changed[index] ^= 0x01
        with pytest.raises(DecryptionError):
            _decrypt(key, bytes(changed))


def test_it_detects_a_stream_cut_at_a_chunk_boundary(key: DataKey) -> None:
    header, blocks = _blocks(_encrypt(key, os.urandom(3 * SMALL + 10)))
    for kept in range(len(blocks)):
        with pytest.raises(TruncatedError):
            _decrypt(key, header + b"".join(blocks[:kept]))


def test_it_detects_a_stream_cut_inside_a_chunk(key: DataKey) -> None:
    ciphertext = _encrypt(key, os.urandom(3 * SMALL + 10))
    for length in (stream.HEADER_BYTES + 5, stream.HEADER_BYTES + BLOCK + 100, len(ciphertext) - 1):
        with pytest.raises(DecryptionError):
            _decrypt(key, ciphertext[:length])


def test_it_still_yields_the_chunks_before_a_cut_then_raises(key: DataKey) -> None:
    data = os.urandom(3 * SMALL)
    header, blocks = _blocks(_encrypt(key, data))
    chunks = stream.decrypt_stream(key, io.BytesIO(header + blocks[0]), AD)
    assert next(chunks) == data[:SMALL]
    with pytest.raises(TruncatedError):
        next(chunks)


def test_it_detects_reordered_or_repeated_chunks(key: DataKey) -> None:
    header, blocks = _blocks(_encrypt(key, os.urandom(3 * SMALL + 10)))
    a, b, c, final = blocks
    for arrangement in ([b, a, c, final], [a, c, b, final], [a, a, b, c, final], [a, b, final, c]):
        with pytest.raises(DecryptionError):
            _decrypt(key, header + b"".join(arrangement))


def test_it_refuses_a_chunk_from_another_stream_under_the_same_key(key: DataKey) -> None:
    header, blocks = _blocks(_encrypt(key, os.urandom(2 * SMALL + 10)))
    _, other_blocks = _blocks(_encrypt(key, os.urandom(2 * SMALL + 10)))
    with pytest.raises(DecryptionError):
        _decrypt(key, header + blocks[0] + other_blocks[1] + blocks[2])


def test_it_refuses_data_after_the_final_chunk(key: DataKey) -> None:
    # A full-size final chunk is read whole, so what follows it is read on its own.
    ciphertext = _encrypt(key, os.urandom(2 * SMALL))
    with pytest.raises(DecryptionError, match="after its final chunk"):
        _decrypt(key, ciphertext + b"\x00")
    # After a short final chunk, extra bytes become part of it and break its tag.
    ciphertext = _encrypt(key, os.urandom(SMALL + 10))
    with pytest.raises(DecryptionError):
        _decrypt(key, ciphertext + b"\x00")


def test_it_refuses_something_that_is_not_an_encrypted_stream(key: DataKey) -> None:
    with pytest.raises(FormatError):
        stream.decrypt_stream(key, io.BytesIO(b"%PDF-1.7 " + b"x" * 100), AD)
    with pytest.raises(FormatError):
        stream.decrypt_stream(key, io.BytesIO(b"OMBS"), AD)


def test_it_refuses_a_header_with_an_impossible_chunk_size_before_reading_on(key: DataKey) -> None:
    ciphertext = bytearray(_encrypt(key, b"hello"))
    ciphertext[5:9] = (2**31).to_bytes(4, "big")
    with pytest.raises(FormatError, match="chunk size"):
        stream.decrypt_stream(key, io.BytesIO(bytes(ciphertext)), AD)


def test_it_reads_a_file_that_returns_short_reads(key: DataKey) -> None:
    data = os.urandom(3 * SMALL + 7)
    ciphertext = _encrypt(key, data)

    class Trickle(io.RawIOBase):
        """A reader that hands out at most 100 bytes at a time, like a pipe."""

        def __init__(self, content: bytes) -> None:
            self._inner = io.BytesIO(content)

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self._inner.read(min(size, 100) if size >= 0 else 100)

    assert b"".join(stream.decrypt_stream(key, Trickle(ciphertext), AD)) == data


def test_it_refuses_to_work_without_associated_data(key: DataKey) -> None:
    with pytest.raises(ValueError, match="associated data"):
        stream.encrypt_stream(key, [b"x"], io.BytesIO(), b"")
    with pytest.raises(ValueError, match="associated data"):
        stream.decrypt_stream(key, io.BytesIO(_encrypt(key, b"x")), b"")


# --- Constant memory --------------------------------------------------------------------------

BIG = 64 * 1024 * 1024
PIECE = 100_000  # not a multiple of the chunk size, so every chunk is put together from two pieces


def _generated(digest: hashlib._Hash) -> Iterator[bytes]:
    """64 MiB of data made as it is read, never held whole."""
    produced = 0
    while produced < BIG:
        piece = os.urandom(min(PIECE, BIG - produced))
        digest.update(piece)
        produced += len(piece)
        yield piece


def test_it_encrypts_and_decrypts_64_mib_in_constant_memory(key: DataKey, tmp_path: Path) -> None:
    sent, received = hashlib.sha256(), hashlib.sha256()
    path = tmp_path / "big.bin"

    tracemalloc.start()
    try:
        with path.open("wb") as out:
            written = stream.encrypt_stream(key, _generated(sent), out, AD)
        _, encrypt_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        size = 0
        with path.open("rb") as inp:
            for chunk in stream.decrypt_stream(key, inp, AD):
                received.update(chunk)
                size += len(chunk)
        _, decrypt_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert written == size == BIG
    assert received.digest() == sent.digest()
    assert path.stat().st_size == stream.HEADER_BYTES + BIG + (BIG // stream.CHUNK_BYTES) * stream.CHUNK_OVERHEAD
    # A few chunks of 64 KiB at most, against 64 MiB of data.
    assert encrypt_peak < 1024 * 1024, f"encrypting held {encrypt_peak} bytes"
    assert decrypt_peak < 1024 * 1024, f"decrypting held {decrypt_peak} bytes"
