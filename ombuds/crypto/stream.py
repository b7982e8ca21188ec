"""Files encrypted chunk by chunk, in constant memory, with libsodium's secretstream.

secretstream (XChaCha20-Poly1305) authenticates every chunk and chains them with an
internal counter, so a chunk that was altered, dropped, repeated or moved fails to
open, and the last chunk carries TAG_FINAL, so a file cut short at a chunk boundary
is detected too. Memory use is one chunk at a time, whatever the file's size.

Format (docs/security.md has the same table):

    magic          4 bytes  b"OMBS"
    version        1 byte   1
    chunk size     4 bytes  plaintext bytes per chunk, big-endian (65,536 by default)
    stream header 24 bytes  secretstream's header (its random nonce)
    chunks                  each chunk-size bytes of plaintext + 17 bytes (tag byte and MAC);
                            the last is shorter or equal, may be empty, and is tagged FINAL

The first nine bytes and the caller's associated data are the associated data of every
chunk, so the stream is bound to its row (docs/security.md, "Associated data").
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import Protocol

import nacl.exceptions
from nacl.bindings import (
    crypto_secretstream_xchacha20poly1305_ABYTES,
    crypto_secretstream_xchacha20poly1305_HEADERBYTES,
    crypto_secretstream_xchacha20poly1305_init_pull,
    crypto_secretstream_xchacha20poly1305_init_push,
    crypto_secretstream_xchacha20poly1305_pull,
    crypto_secretstream_xchacha20poly1305_push,
    crypto_secretstream_xchacha20poly1305_state,
    crypto_secretstream_xchacha20poly1305_TAG_FINAL,
    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
)

from ombuds.crypto.errors import DecryptionError, FormatError, TruncatedError
from ombuds.crypto.keys import DataKey

MAGIC = b"OMBS"
VERSION = 1
CHUNK_BYTES = 64 * 1024
# Bounds for the chunk size read from a header, checked before anything is
# authenticated: a forged header must not make a reader allocate without limit.
MIN_CHUNK_BYTES = 1024
MAX_CHUNK_BYTES = 4 * 1024 * 1024

_PREFIX = struct.Struct(">4sBI")
PREFIX_BYTES = _PREFIX.size  # 9
HEADER_BYTES = PREFIX_BYTES + crypto_secretstream_xchacha20poly1305_HEADERBYTES  # 33
CHUNK_OVERHEAD = crypto_secretstream_xchacha20poly1305_ABYTES  # 17

_FINAL = crypto_secretstream_xchacha20poly1305_TAG_FINAL
_MESSAGE = crypto_secretstream_xchacha20poly1305_TAG_MESSAGE


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def encrypt_stream(
    key: DataKey,
    chunks: Iterable[bytes],
    out: Writable,
    associated_data: bytes,
    *,
    chunk_size: int = CHUNK_BYTES,
) -> int:
    """Encrypt the bytes of chunks, in any sizes, to out; return the number of plaintext bytes.

    The input is cut into chunks of chunk_size bytes. One chunk is held back until the
    next arrives, because the last one must be tagged FINAL and only the end of the
    input tells which one that is.
    """
    if not associated_data:
        raise ValueError("associated data is required")
    if not MIN_CHUNK_BYTES <= chunk_size <= MAX_CHUNK_BYTES:
        raise ValueError(f"chunk size must be between {MIN_CHUNK_BYTES} and {MAX_CHUNK_BYTES} bytes")
    prefix = _PREFIX.pack(MAGIC, VERSION, chunk_size)
    ad = prefix + associated_data
    state = crypto_secretstream_xchacha20poly1305_state()
    header = crypto_secretstream_xchacha20poly1305_init_push(state, key.raw)
    out.write(prefix + header)

    total = 0
    pending: bytes | None = None  # a full chunk, held back until more input shows it is not the last
    buffer = bytearray()
    for piece in chunks:
        # A view, so that one large piece is cut up without being copied over and over.
        view = memoryview(piece)
        total += len(view)
        while view:
            room = chunk_size - len(buffer)
            buffer += view[:room]
            view = view[room:]
            if len(buffer) == chunk_size:
                if pending is not None:
                    out.write(crypto_secretstream_xchacha20poly1305_push(state, pending, ad, _MESSAGE))
                pending = bytes(buffer)
                buffer.clear()
    if pending is not None and buffer:
        out.write(crypto_secretstream_xchacha20poly1305_push(state, pending, ad, _MESSAGE))
        pending = None
    last = pending if pending is not None else bytes(buffer)
    out.write(crypto_secretstream_xchacha20poly1305_push(state, last, ad, _FINAL))
    return total


def decrypt_stream(key: DataKey, inp: Readable, associated_data: bytes) -> Iterator[bytes]:
    """The plaintext of an encrypted stream, chunk by chunk.

    The header is read and checked at once (FormatError); the chunks are then read
    and opened one at a time as the iterator is consumed. Each chunk is authenticated
    before it is yielded, but a stream cut short is only known at its end: the
    iterator then raises TruncatedError after yielding the chunks before the cut.
    Whoever passes chunks on (a download) must treat that error as a failed transfer.
    """
    if not associated_data:
        raise ValueError("associated data is required")
    header = _read_up_to(inp, HEADER_BYTES)
    if len(header) < HEADER_BYTES:
        raise FormatError("encrypted stream header is too short")
    magic, version, chunk_size = _PREFIX.unpack_from(header)
    if magic != MAGIC:
        raise FormatError("not an encrypted stream")
    if version != VERSION:
        raise FormatError(f"unknown encrypted stream version {version}")
    if not MIN_CHUNK_BYTES <= chunk_size <= MAX_CHUNK_BYTES:
        raise FormatError("encrypted stream header holds an impossible chunk size")
    state = crypto_secretstream_xchacha20poly1305_state()
    crypto_secretstream_xchacha20poly1305_init_pull(state, header[PREFIX_BYTES:], key.raw)
    return _pull_chunks(state, inp, header[:PREFIX_BYTES] + associated_data, chunk_size + CHUNK_OVERHEAD)


def _pull_chunks(
    state: crypto_secretstream_xchacha20poly1305_state, inp: Readable, ad: bytes, block_size: int
) -> Iterator[bytes]:
    while True:
        block = _read_up_to(inp, block_size)
        if len(block) < CHUNK_OVERHEAD:
            # Nothing (or a scrap) after a chunk that was not the final one.
            raise TruncatedError("the encrypted stream ends before its final chunk")
        try:
            plaintext, tag = crypto_secretstream_xchacha20poly1305_pull(state, block, ad)
        except nacl.exceptions.CryptoError:
            raise DecryptionError("a chunk does not open with this key and associated data") from None
        if tag == _FINAL:
            if _read_up_to(inp, 1):
                raise DecryptionError("the encrypted stream continues after its final chunk")
            if plaintext:
                yield plaintext
            return
        if tag != _MESSAGE:
            # Authentic but never written by encrypt_stream (PUSH or REKEY).
            raise FormatError(f"unexpected chunk tag {tag}")
        yield plaintext


def _read_up_to(inp: Readable, size: int) -> bytes:
    """Read size bytes, fewer only at the end of the input (a raw file or pipe may return short reads)."""
    data = inp.read(size)
    if len(data) == size or not data:
        return data
    parts = [data]
    remaining = size - len(data)
    while remaining:
        more = inp.read(remaining)
        if not more:
            break
        parts.append(more)
        remaining -= len(more)
    return b"".join(parts)
