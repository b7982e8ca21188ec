"""The ristretto255 group (RFC 9496) through libsodium, and hashing into it (RFC 9380).

- Element: a group element, held as its canonical 32-byte encoding. Every Element is
  a valid encoding; the identity is one of them (a sum may be the identity), and
  Element.from_bytes(), the deserialisation of received bytes, refuses it as RFC 9497
  §4.1 requires.
- Scalar: an integer modulo the group order L, held as its canonical 32-byte
  little-endian encoding. Scalar.from_bytes() refuses an encoding of L or more.
- expand_message_xmd with SHA-512 (RFC 9380 §5.3.1), hash_to_group, which is
  hash_to_ristretto255 (RFC 9380 Appendix B), and hash_to_scalar (RFC 9497 §4.1).

Every operation on secret values (scalar multiplication, scalar arithmetic, the
comparisons) is libsodium's constant-time one, reached through rbcl, whose wheels
bundle a libsodium that exposes ristretto255 (PyNaCl's binding does not). Only the
byte-level glue of the RFCs is Python here. Equality compares encodings in constant
time; neither type is hashable, and neither shows its bytes in a repr.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from pathlib import Path
from typing import overload

import rbcl

from ombuds.crypto.errors import DeserializeError


def _remove_rbcl_library_file() -> None:
    """Delete the copy of libsodium that rbcl writes to a new temporary file on every import.

    rbcl loads that file and never removes it, so each process that imported it would
    leave about 3 MB in the temporary directory. Once loaded, the library stays mapped
    without its file (ombuds runs on Unix only: gunicorn does), so the file can go now.
    """
    module = sys.modules.get("rbcl._sodium")
    path = getattr(module, "lib_path", None)
    if isinstance(path, str):
        Path(path).unlink(missing_ok=True)


_remove_rbcl_library_file()

# The order of the group: 2^252 + 27742317777372353535851937790883648493 (RFC 9496 §4).
ORDER = 2**252 + 27742317777372353535851937790883648493
ELEMENT_BYTES = 32  # Ne in RFC 9497
SCALAR_BYTES = 32  # Ns in RFC 9497
UNIFORM_BYTES = 64  # what the one-way map and the wide reduction take

_IDENTITY_BYTES = bytes(ELEMENT_BYTES)
_ZERO_BYTES = bytes(SCALAR_BYTES)


class Scalar:
    """An integer modulo the group order, in its canonical little-endian encoding."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        """Wrap an encoding that is known to be canonical; use from_bytes() for bytes from elsewhere."""
        if not _is_canonical_scalar(raw):
            raise DeserializeError("not the canonical encoding of a ristretto255 scalar")
        self._raw = bytes(raw)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Scalar:
        """DeserializeScalar of RFC 9497 §4.1: refuses a wrong length and any value of L or more."""
        return cls(raw)

    @classmethod
    def from_int(cls, value: int) -> Scalar:
        """A public number as a scalar (not constant time: never for a secret)."""
        if not 0 <= value < ORDER:
            raise ValueError("a scalar is at least 0 and less than the group order")
        return cls(value.to_bytes(SCALAR_BYTES, "little"))

    @classmethod
    def from_uniform(cls, uniform: bytes) -> Scalar:
        """The 64 bytes read as a little-endian integer and reduced modulo the order."""
        if len(uniform) != UNIFORM_BYTES:
            raise ValueError(f"a wide reduction takes {UNIFORM_BYTES} bytes, not {len(uniform)}")
        return cls(bytes(rbcl.crypto_core_ristretto255_scalar_reduce(uniform)))

    @classmethod
    def random(cls) -> Scalar:
        """A uniformly random non-zero scalar (RandomScalar of RFC 9497 §2.1)."""
        return cls(bytes(rbcl.crypto_core_ristretto255_scalar_random()))

    def to_bytes(self) -> bytes:
        """SerializeScalar of RFC 9497 §4.1: 32 bytes, little-endian."""
        return self._raw

    def is_zero(self) -> bool:
        return hmac.compare_digest(self._raw, _ZERO_BYTES)

    def invert(self) -> Scalar:
        """The multiplicative inverse modulo the order; ZeroDivisionError for zero."""
        if self.is_zero():
            raise ZeroDivisionError("zero has no inverse")
        return Scalar(bytes(rbcl.crypto_core_ristretto255_scalar_invert(self._raw)))

    def __add__(self, other: Scalar) -> Scalar:
        return Scalar(bytes(rbcl.crypto_core_ristretto255_scalar_add(self._raw, other._raw)))

    def __sub__(self, other: Scalar) -> Scalar:
        return Scalar(bytes(rbcl.crypto_core_ristretto255_scalar_sub(self._raw, other._raw)))

    def __neg__(self) -> Scalar:
        return Scalar(bytes(rbcl.crypto_core_ristretto255_scalar_negate(self._raw)))

    @overload
    def __mul__(self, other: Scalar) -> Scalar: ...
    @overload
    def __mul__(self, other: Element) -> Element: ...
    def __mul__(self, other: Scalar | Element) -> Scalar | Element:
        if isinstance(other, Element):
            # The variant that allows a zero scalar returns the identity for it (the
            # identity is a value here; callers check for it where the RFC says to).
            # rbcl drops its own check of the point in this variant: every Element is valid.
            return Element(bytes(rbcl.crypto_scalarmult_ristretto255_allow_scalar_zero(self._raw, other.to_bytes())))
        return Scalar(bytes(rbcl.crypto_core_ristretto255_scalar_mul(self._raw, other._raw)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scalar):
            return NotImplemented
        return hmac.compare_digest(self._raw, other._raw)

    def __repr__(self) -> str:
        return "Scalar(<hidden>)"


class Element:
    """A ristretto255 group element, in its canonical 32-byte encoding (possibly the identity)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        """Wrap a valid encoding; use from_bytes() for bytes from elsewhere, which also refuses the identity."""
        # The libsodium that rbcl bundles (1.0.18) reads s with its top bit masked off, so
        # it takes s + 2^255 for s: one element, two encodings. RFC 9496 §4.3.1 refuses
        # any s of p or more, so a set top bit is refused here (tests/test_oprf.py finds it).
        if len(raw) != ELEMENT_BYTES or raw[-1] & 0x80 or not rbcl.crypto_core_ristretto255_is_valid_point(bytes(raw)):
            raise DeserializeError("not the canonical encoding of a ristretto255 element")
        self._raw = bytes(raw)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Element:
        """DeserializeElement of RFC 9497 §4.1: RFC 9496's Decode, and the identity refused.

        Decode refuses a non-canonical or negative field element and every encoding that
        is not of a point of the group, so nothing else needs checking.
        """
        element = cls(raw)
        if element.is_identity():
            raise DeserializeError("the identity element is not accepted")
        return element

    @classmethod
    def from_uniform(cls, uniform: bytes) -> Element:
        """RFC 9496's element derivation from 64 uniform bytes (libsodium's crypto_core_ristretto255_from_hash)."""
        if len(uniform) != UNIFORM_BYTES:
            raise ValueError(f"element derivation takes {UNIFORM_BYTES} bytes, not {len(uniform)}")
        return cls(bytes(rbcl.crypto_core_ristretto255_from_hash(uniform)))

    @classmethod
    def identity(cls) -> Element:
        return cls(_IDENTITY_BYTES)

    @classmethod
    def generator(cls) -> Element:
        return mul_generator(Scalar.from_int(1))

    def to_bytes(self) -> bytes:
        """SerializeElement of RFC 9497 §4.1: RFC 9496's Encode."""
        return self._raw

    def is_identity(self) -> bool:
        return hmac.compare_digest(self._raw, _IDENTITY_BYTES)

    def __add__(self, other: Element) -> Element:
        return Element(bytes(rbcl.crypto_core_ristretto255_add(self._raw, other._raw)))

    def __sub__(self, other: Element) -> Element:
        return Element(bytes(rbcl.crypto_core_ristretto255_sub(self._raw, other._raw)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Element):
            return NotImplemented
        return hmac.compare_digest(self._raw, other._raw)

    def __repr__(self) -> str:
        return "Element(<hidden>)"


def mul_generator(scalar: Scalar) -> Element:
    """scalar times the generator (ScalarMultGen), with libsodium's precomputed table."""
    return Element(bytes(rbcl.crypto_scalarmult_ristretto255_base_allow_scalar_zero(scalar.to_bytes())))


def _is_canonical_scalar(raw: bytes) -> bool:
    # A value below the order is its own reduction; comparing in constant time keeps a
    # secret scalar (a key read from its file) from leaking through timing.
    if len(raw) != SCALAR_BYTES:
        return False
    reduced = bytes(rbcl.crypto_core_ristretto255_scalar_reduce(bytes(raw) + _ZERO_BYTES))
    return hmac.compare_digest(reduced, bytes(raw))


# --- Hashing into the group (RFC 9380) -------------------------------------------------------

_SHA512_OUTPUT_BYTES = 64  # b_in_bytes
_SHA512_BLOCK_BYTES = 128  # s_in_bytes
MAX_DST_BYTES = 255


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """expand_message_xmd of RFC 9380 §5.3.1 with SHA-512: len_in_bytes uniform bytes from msg under dst.

    A domain separation tag longer than 255 bytes would have to be hashed first
    (§5.3.3); no tag in ombuds is, so it is refused instead, as is an empty one (§3.1).
    """
    if not dst:
        raise ValueError("a domain separation tag must not be empty")
    if len(dst) > MAX_DST_BYTES:
        raise ValueError(f"a domain separation tag is at most {MAX_DST_BYTES} bytes")
    ell = -(-len_in_bytes // _SHA512_OUTPUT_BYTES)
    if not 0 < len_in_bytes <= 65535 or ell > 255:
        raise ValueError("expand_message_xmd makes 1 to 255 blocks of 64 bytes, and at most 65535 bytes")
    dst_prime = dst + i2osp(len(dst), 1)
    z_pad = bytes(_SHA512_BLOCK_BYTES)
    msg_prime = z_pad + msg + i2osp(len_in_bytes, 2) + i2osp(0, 1) + dst_prime
    b_0 = hashlib.sha512(msg_prime).digest()
    blocks = [hashlib.sha512(b_0 + i2osp(1, 1) + dst_prime).digest()]
    for i in range(2, ell + 1):
        mixed = bytes(x ^ y for x, y in zip(b_0, blocks[-1], strict=True))
        blocks.append(hashlib.sha512(mixed + i2osp(i, 1) + dst_prime).digest())
    return b"".join(blocks)[:len_in_bytes]


def hash_to_group(msg: bytes, dst: bytes) -> Element:
    """hash_to_ristretto255 of RFC 9380 Appendix B: 64 bytes of expand_message_xmd, then element derivation."""
    return Element.from_uniform(expand_message_xmd(msg, dst, UNIFORM_BYTES))


def hash_to_scalar(msg: bytes, dst: bytes) -> Scalar:
    """HashToScalar of RFC 9497 §4.1: 64 bytes of expand_message_xmd, read little-endian, reduced modulo the order."""
    return Scalar.from_uniform(expand_message_xmd(msg, dst, UNIFORM_BYTES))


def i2osp(value: int, length: int) -> bytes:
    """I2OSP: a non-negative integer as `length` big-endian bytes (OverflowError if it does not fit)."""
    return value.to_bytes(length, "big")
