"""The exceptions of ombuds.crypto.

Messages name what failed, never the data, a key or a password: they may reach a log.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error raised by ombuds.crypto."""


class DecryptionError(CryptoError):
    """A ciphertext could not be opened: wrong key, wrong associated data, or altered bytes.

    The causes are deliberately not told apart: to the caller they all mean that
    nothing trustworthy can be read.
    """


class FormatError(DecryptionError):
    """The bytes are not in a format this version can read (unknown version, bad header, too short)."""


class TruncatedError(DecryptionError):
    """An encrypted stream ended before its final chunk: part of the file is missing."""


class DeserializeError(CryptoError):
    """Bytes are not the canonical encoding of a ristretto255 element or scalar, or encode the identity element.

    RFC 9497 calls these DeserializeError and InputValidationError; both mean that a
    value received from the other party is refused before anything is computed with it.
    """


class InvalidInputError(CryptoError):
    """An OPRF input hashes to the identity element (RFC 9497 §3.3.1); it happens with negligible probability."""


class VerifyError(CryptoError):
    """A VOPRF proof does not verify: the evaluation was not made with the published key, or was altered."""


class DeriveKeyPairError(CryptoError):
    """DeriveKeyPair found no non-zero key in 256 tries (RFC 9497 §3.2.1); it happens with negligible probability."""


class CombineError(CryptoError):
    """Two escrow shares do not combine: they are under different match identifiers, or share an x (one reporter)."""
