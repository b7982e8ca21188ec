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
