"""Argon2id: keys from something a person knows (a staff password) or holds (a receipt).

Argon2id is slow and memory-hard on purpose, so that guessing passwords from a copy of
the database costs an attacker as much per guess as a login costs us. The cost comes
from settings (OMBUDS_KDF_OPSLIMIT, OMBUDS_KDF_MEMLIMIT_MIB). Every value derived here
is stored behind a small header recording the algorithm, the cost and the salt it was
made with, so the cost can be raised later and older wraps still open.

Header layout (26 bytes, big-endian):

    version      1 byte   1
    algorithm    1 byte   1 = Argon2id v1.3 (libsodium's crypto_pwhash_ALG_ARGON2ID13)
    opslimit     4 bytes  passes over memory
    memlimit     4 bytes  memory, in KiB
    salt        16 bytes  random, one per derived key
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import nacl.utils
from django.conf import settings
from nacl.pwhash import argon2id

from ombuds.crypto.errors import FormatError

HEADER_VERSION = 1
ARGON2ID13 = 1
SALT_BYTES = argon2id.SALTBYTES  # 16
KEY_BYTES = 32

_HEADER = struct.Struct(">BBII16s")
HEADER_BYTES = _HEADER.size

# Ceilings for parameters read back from a stored header, equal to the settings'
# maxima: a damaged or forged header must not make a login hold gigabytes of memory
# or run for minutes before it fails.
MAX_OPSLIMIT = 32
MAX_MEMLIMIT_KIB = 1024 * 1024  # 1 GiB
# libsodium's floors for Argon2id.
MIN_OPSLIMIT = argon2id.OPSLIMIT_MIN  # 1
MIN_MEMLIMIT_KIB = argon2id.MEMLIMIT_MIN // 1024  # 8 KiB


@dataclass(frozen=True)
class KdfParams:
    """The cost and salt of one derivation; what the header stores."""

    opslimit: int
    memlimit_kib: int
    salt: bytes = field(repr=False)
    algorithm: int = ARGON2ID13

    def __post_init__(self) -> None:
        if self.algorithm != ARGON2ID13:
            raise ValueError(f"unknown key derivation algorithm {self.algorithm}")
        if not MIN_OPSLIMIT <= self.opslimit <= MAX_OPSLIMIT:
            raise ValueError(f"opslimit must be between {MIN_OPSLIMIT} and {MAX_OPSLIMIT}, not {self.opslimit}")
        if not MIN_MEMLIMIT_KIB <= self.memlimit_kib <= MAX_MEMLIMIT_KIB:
            raise ValueError(
                f"memlimit must be between {MIN_MEMLIMIT_KIB} and {MAX_MEMLIMIT_KIB} KiB, not {self.memlimit_kib}"
            )
        if len(self.salt) != SALT_BYTES:
            raise ValueError(f"salt must be {SALT_BYTES} bytes, not {len(self.salt)}")

    @classmethod
    def current(cls) -> KdfParams:
        """The cost configured in settings, with a fresh random salt."""
        return cls(
            opslimit=settings.OMBUDS_KDF_OPSLIMIT,
            memlimit_kib=settings.OMBUDS_KDF_MEMLIMIT_MIB * 1024,
            salt=nacl.utils.random(SALT_BYTES),
        )

    def is_current(self) -> bool:
        """Whether this cost is the one configured now (if not, re-wrap at the next chance)."""
        return (
            self.algorithm == ARGON2ID13
            and self.opslimit == settings.OMBUDS_KDF_OPSLIMIT
            and self.memlimit_kib == settings.OMBUDS_KDF_MEMLIMIT_MIB * 1024
        )

    def header(self) -> bytes:
        return _HEADER.pack(HEADER_VERSION, self.algorithm, self.opslimit, self.memlimit_kib, self.salt)

    @classmethod
    def from_header(cls, data: bytes) -> KdfParams:
        """Read the parameters from the first HEADER_BYTES of data; FormatError if they are not usable."""
        if len(data) < HEADER_BYTES:
            raise FormatError("key derivation header is too short")
        version, algorithm, opslimit, memlimit_kib, salt = _HEADER.unpack_from(data)
        if version != HEADER_VERSION:
            raise FormatError(f"unknown key derivation header version {version}")
        try:
            return cls(opslimit=opslimit, memlimit_kib=memlimit_kib, salt=salt, algorithm=algorithm)
        except ValueError as exc:
            raise FormatError(f"unusable key derivation header: {exc}") from None


def derive_key(secret: str | bytes, params: KdfParams) -> bytes:
    """A 32-byte key from a password or a receipt's digits, with the cost and salt of params.

    A text secret is encoded as UTF-8 exactly as given; callers pass a receipt through
    ombuds.lib.receipts.normalise first, so that the same receipt typed with spaces or
    full-width digits gives the same key.
    """
    data = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not data:
        raise ValueError("cannot derive a key from an empty secret")
    return argon2id.kdf(
        KEY_BYTES,
        data,
        params.salt,
        opslimit=params.opslimit,
        memlimit=params.memlimit_kib * 1024,
    )
