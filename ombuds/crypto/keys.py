"""Key types, sealed boxes, field encryption and the wrapping of private keys.

- DataKey: a random 32-byte symmetric key. Each case has one; the same type holds
  every other symmetric key (a key derived from a password, a session's wrapping key).
- KeyPair: an X25519 key pair. Each staff member, the oversight members, the
  organisation's recovery key and each reporter have one.
- seal_to / unseal: libsodium sealed boxes, which give a case's data key to a key
  pair's owner without the sender holding any secret.
- encrypt / decrypt: XChaCha20-Poly1305 (IETF) with a random 24-byte nonce, for one
  field at a time, bound to the row and field it belongs to by its associated data.
- wrap_private_key / unwrap_private_key: a private key encrypted under a key derived
  from a password with Argon2id (kdf.py), with the derivation's parameters in front.

docs/security.md describes how these fit together and the formats byte by byte.
"""

from __future__ import annotations

import re

import nacl.exceptions
import nacl.utils
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_ABYTES,
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
    crypto_box_SEALBYTES,
)
from nacl.encoding import RawEncoder
from nacl.hash import blake2b
from nacl.public import PrivateKey, PublicKey, SealedBox

from ombuds.crypto import kdf
from ombuds.crypto.errors import DecryptionError, FormatError
from ombuds.lib import receipts

KEY_BYTES = 32
PUBLIC_KEY_BYTES = PublicKey.SIZE  # 32
SEAL_OVERHEAD = crypto_box_SEALBYTES  # 48: an ephemeral public key and a tag

# Field ciphertexts: version (1 byte) | nonce (24 bytes) | ciphertext and tag (16 bytes).
FIELD_VERSION = 1
NONCE_BYTES = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
FIELD_OVERHEAD = 1 + NONCE_BYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES

_CONTEXT_PART = re.compile(r"[a-z0-9_-]+")
# BLAKE2b's personalisation is at most 16 bytes.
_TOKEN_PERSON = b"ombuds-tokenwrap"
_TOKEN_MIN_CHARS = 32


class DataKey:
    """A 32-byte symmetric key. Its repr never shows the key."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        if len(raw) != KEY_BYTES:
            raise ValueError(f"a data key is {KEY_BYTES} bytes, not {len(raw)}")
        self._raw = bytes(raw)

    @classmethod
    def generate(cls) -> DataKey:
        return cls(nacl.utils.random(KEY_BYTES))

    @property
    def raw(self) -> bytes:
        """The key's bytes, to seal to someone or to hand to a cookie; never to a log."""
        return self._raw

    def __repr__(self) -> str:
        return "DataKey(<hidden>)"


class KeyPair:
    """An X25519 key pair. Its repr shows the start of the public key only."""

    __slots__ = ("_private",)

    def __init__(self, private: PrivateKey) -> None:
        self._private = private

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> KeyPair:
        if len(raw) != PrivateKey.SIZE:
            raise ValueError(f"a private key is {PrivateKey.SIZE} bytes, not {len(raw)}")
        return cls(PrivateKey(raw))

    @classmethod
    def from_seed(cls, seed: bytes) -> KeyPair:
        """The key pair libsodium derives from a 32-byte seed (crypto_box_seed_keypair)."""
        if len(seed) != PrivateKey.SEED_SIZE:
            raise ValueError(f"a seed is {PrivateKey.SEED_SIZE} bytes, not {len(seed)}")
        return cls(PrivateKey.from_seed(seed))

    @property
    def public_key(self) -> bytes:
        return bytes(self._private.public_key)

    def private_bytes(self) -> bytes:
        """The private key's bytes, to wrap; never to store or log as they are."""
        return bytes(self._private)

    def __repr__(self) -> str:
        return f"KeyPair(public={self.public_key.hex()[:16]}…)"


# --- Associated data ----------------------------------------------------------------


def context(*parts: str | int) -> bytes:
    """The associated data naming what a ciphertext is and where it belongs.

    context("case", 123, "narrative") == b"case:123:narrative". Parts are lower-case
    words (letters, digits, "-" and "_") or whole numbers, so the joined form can be
    read back in one way only: no two different lists give the same bytes.
    """
    if not parts:
        raise ValueError("a context needs at least one part")
    words: list[str] = []
    for part in parts:
        if isinstance(part, bool):
            raise TypeError("a context part is a word or a whole number, not a boolean")
        if isinstance(part, int):
            if part < 0:
                raise ValueError("a context number must not be negative")
            words.append(str(part))
        elif _CONTEXT_PART.fullmatch(part):
            words.append(part)
        else:
            raise ValueError(f"a context word may only hold a-z, 0-9, '-' and '_', not {part!r}")
    return ":".join(words).encode("ascii")


# --- Sealed boxes ---------------------------------------------------------------------


def seal_to(public_key: bytes, data: bytes) -> bytes:
    """Encrypt data so that only the holder of public_key's private key can read it."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise ValueError(f"a public key is {PUBLIC_KEY_BYTES} bytes, not {len(public_key)}")
    return bytes(SealedBox(PublicKey(public_key)).encrypt(data))


def unseal(private_key: KeyPair, sealed: bytes) -> bytes:
    """Open a sealed box; DecryptionError if it was not sealed to this key pair or was altered."""
    try:
        return SealedBox(private_key._private).decrypt(sealed)
    except nacl.exceptions.CryptoError:
        raise DecryptionError("the sealed box does not open with this key") from None


def seal_data_key(public_key: bytes, key: DataKey) -> bytes:
    return seal_to(public_key, key.raw)


def unseal_data_key(private_key: KeyPair, sealed: bytes) -> DataKey:
    raw = unseal(private_key, sealed)
    if len(raw) != KEY_BYTES:
        raise FormatError("the sealed box does not hold a data key")
    return DataKey(raw)


# --- Fields -------------------------------------------------------------------------


def encrypt(key: DataKey, plaintext: bytes, associated_data: bytes) -> bytes:
    """Encrypt one value, bound to associated_data (see context()).

    The result is version, nonce and ciphertext with its tag. The version byte is
    authenticated too, so a ciphertext cannot be passed off under another version.
    """
    if not associated_data:
        # Unbound ciphertexts could be moved between fields and cases unnoticed.
        raise ValueError("associated data is required")
    prefix = bytes([FIELD_VERSION])
    nonce = nacl.utils.random(NONCE_BYTES)
    sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, prefix + associated_data, nonce, key.raw)
    return prefix + nonce + sealed


def decrypt(key: DataKey, ciphertext: bytes, associated_data: bytes) -> bytes:
    """Open what encrypt() made; DecryptionError for a wrong key, wrong associated data or any altered byte."""
    if not associated_data:
        raise ValueError("associated data is required")
    if len(ciphertext) < FIELD_OVERHEAD:
        raise FormatError("ciphertext is too short")
    if ciphertext[0] != FIELD_VERSION:
        raise FormatError(f"unknown ciphertext version {ciphertext[0]}")
    prefix, nonce, sealed = ciphertext[:1], ciphertext[1 : 1 + NONCE_BYTES], ciphertext[1 + NONCE_BYTES :]
    try:
        return crypto_aead_xchacha20poly1305_ietf_decrypt(sealed, prefix + associated_data, nonce, key.raw)
    except nacl.exceptions.CryptoError:
        raise DecryptionError("the ciphertext does not open with this key and associated data") from None


# --- Private keys under a password -------------------------------------------------------


def wrap_private_key(
    private_key: KeyPair,
    password: str | bytes,
    *,
    associated_data: bytes,
    params: kdf.KdfParams | None = None,
) -> bytes:
    """Encrypt a private key under a key derived from password; the result starts with the KDF header.

    params defaults to the cost in settings with a fresh salt. The header is part of
    the associated data, so its parameters cannot be changed without detection.
    """
    params = params or kdf.KdfParams.current()
    header = params.header()
    wrapping_key = DataKey(kdf.derive_key(password, params))
    return header + encrypt(wrapping_key, private_key.private_bytes(), header + associated_data)


def unwrap_private_key(wrapped: bytes, password: str | bytes, *, associated_data: bytes) -> KeyPair:
    """The key pair wrap_private_key() wrapped, with the cost recorded in its header.

    A wrong password gives DecryptionError, as does a wrap made for other associated data.
    """
    params = kdf.KdfParams.from_header(wrapped)
    header, body = wrapped[: kdf.HEADER_BYTES], wrapped[kdf.HEADER_BYTES :]
    wrapping_key = DataKey(kdf.derive_key(password, params))
    raw = decrypt(wrapping_key, body, header + associated_data)
    if len(raw) != PrivateKey.SIZE:
        raise FormatError("the wrap does not hold a private key")
    return KeyPair.from_private_bytes(raw)


def needs_rewrap(wrapped: bytes) -> bool:
    """Whether a wrap was made with another cost than the one configured now.

    After a successful unwrap the caller, who has the password at hand, re-wraps
    with the current cost; this is how raised settings reach existing accounts.
    """
    return not kdf.KdfParams.from_header(wrapped).is_current()


# --- Keys from other secrets ---------------------------------------------------------------


def receipt_key_pair(receipt: str, params: kdf.KdfParams) -> KeyPair:
    """The reporter's key pair, derived from her receipt with Argon2id.

    The receipt is normalised first, so it may be typed with spaces, dashes or
    full-width digits. Store params.header() and the public key with the report; the
    receipt itself is never stored.
    """
    digits = receipts.normalise(receipt)
    if digits is None:
        raise ValueError("not a receipt")
    return KeyPair.from_seed(kdf.derive_key(digits, params))


def token_key(token: str) -> DataKey:
    """The key an API token's wrapping of its owner's private key is made with.

    Only for high-entropy secrets made by the server (a token holds 256 random bits):
    a fast hash is enough there, and never for passwords or receipts, which go
    through Argon2id. Personalised BLAKE2b, so this key differs from the token's
    stored SHA-256 lookup digest.
    """
    if len(token) < _TOKEN_MIN_CHARS:
        raise ValueError("a token key needs a high-entropy token")
    return DataKey(blake2b(token.encode("utf-8"), digest_size=KEY_BYTES, person=_TOKEN_PERSON, encoder=RawEncoder))
