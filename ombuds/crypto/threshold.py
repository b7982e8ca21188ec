"""Keys held in escrow until a second reporter names the same person: 2-of-n sharing keyed by the match key.

The construction is Callisto's (Rajan, Qin, Archer, Boneh, Lepoint and Varia, 2018,
"Callisto: A Cryptographic Approach to Detecting Serial Perpetrators of Sexual
Misconduct"). A match key (match_keys.py) determines, through domain-separated
hashes that cannot be inverted:

- the match identifier π, which the server stores and indexes to find escrows that
  name the same person, and which tells nothing about the key below;
- a line y = a·x + k over the scalar field of ristretto255 (integers modulo its prime
  order L ≈ 2^252): its slope a and its intercept k.

Each escrowed report stores π, one point (x, y) of the line, and its own data key
encrypted (XChaCha20-Poly1305, keys.encrypt) under a key derived from k, with π and
the caller's associated data bound to the ciphertext. One point says nothing about
k: for every possible k there is exactly one slope through the point. Two points with
different x fix the line, hence k, hence every data key escrowed under π.

x comes from the reporter, not from chance: x = H(match key, reporter), where the
caller names the reporter (for a named reporter, her stable identity; for an
anonymous one, the receipt-derived public key of her report). The same reporter
naming the same person twice lands on the same point, and two equal x never combine
(CombineError), so nobody completes the line alone. Because the match key is part of
the hash, x differs from one accused person to the next and does not link a
reporter's escrows across people. x is never zero: the point (0, k) would be the key.

Why the ristretto255 field and not some 256-bit prime: its arithmetic is libsodium's
constant-time scalar arithmetic (ristretto255.py), already used by the OPRF, so no
secret goes through Python's variable-time big integers; 2^252 possible intercepts
are more than enough, and the key that encrypts is a hash of k, not k itself.

Anyone who can compute the match key can compute k without any share: docs/security.md
("Match keys") says what that means for who may hold the match key file.
"""

from __future__ import annotations

from dataclasses import dataclass

from ombuds.crypto import keys
from ombuds.crypto.errors import CombineError, CryptoError, DeserializeError
from ombuds.crypto.match_keys import MatchKey
from ombuds.crypto.ristretto255 import SCALAR_BYTES, Scalar, expand_message_xmd, hash_to_scalar, i2osp

MATCH_ID_BYTES = 32
SHARE_BYTES = 2 * SCALAR_BYTES

_DST_MATCH_ID = b"ombuds-escrow-v1-match-id"
_DST_SLOPE = b"ombuds-escrow-v1-slope"
_DST_INTERCEPT = b"ombuds-escrow-v1-intercept"
_DST_SHARE_X = b"ombuds-escrow-v1-share-x"
_DST_SEALING_KEY = b"ombuds-escrow-v1-sealing-key"
_AD_LABEL = b"ombuds-escrow-v1"


def match_id(match_key: MatchKey) -> bytes:
    """π: the 32 bytes under which escrows naming the same person are found."""
    return expand_message_xmd(match_key.raw, _DST_MATCH_ID, MATCH_ID_BYTES)


@dataclass(frozen=True)
class Share:
    """One point (x, y) of a line; 64 bytes when stored. x is never zero."""

    x: Scalar
    y: Scalar

    def __post_init__(self) -> None:
        if self.x.is_zero():
            raise DeserializeError("a share's x must not be zero")

    def to_bytes(self) -> bytes:
        return self.x.to_bytes() + self.y.to_bytes()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Share:
        if len(raw) != SHARE_BYTES:
            raise DeserializeError(f"a share is {SHARE_BYTES} bytes, not {len(raw)}")
        return cls(Scalar.from_bytes(raw[:SCALAR_BYTES]), Scalar.from_bytes(raw[SCALAR_BYTES:]))


@dataclass(frozen=True)
class Escrow:
    """What is stored for one report and one match key: π, the report's share and its sealed data key."""

    match_id: bytes
    share: Share
    sealed_key: bytes


class RecoveredKey:
    """The intercept k of a line, rebuilt from two shares; it opens every escrow under the same π."""

    __slots__ = ("_intercept", "match_id")

    def __init__(self, match_id: bytes, intercept: Scalar) -> None:
        self.match_id = match_id
        self._intercept = intercept

    def open(self, escrow: Escrow, *, associated_data: bytes) -> keys.DataKey:
        """The data key sealed in escrow; DecryptionError if it was sealed under another line or other data."""
        if escrow.match_id != self.match_id:
            raise CombineError("this key belongs to another match identifier")
        return _open(self._intercept, escrow, associated_data)

    def __repr__(self) -> str:
        return "RecoveredKey(<hidden>)"


def share_x(match_key: MatchKey, reporter: bytes) -> Scalar:
    """The x of this reporter's point on this match key's line."""
    if not reporter:
        raise ValueError("the reporter must be named")
    message = i2osp(len(reporter), 2) + reporter + match_key.raw
    for counter in range(256):
        x = hash_to_scalar(message + i2osp(counter, 1), _DST_SHARE_X)
        # Zero comes out with probability 2^-252; (0, y) would give the intercept away.
        if not x.is_zero():
            return x
    raise CryptoError("no non-zero x in 256 tries")


def escrow(match_key: MatchKey, data_key: keys.DataKey, *, reporter: bytes, associated_data: bytes) -> Escrow:
    """Seal data_key so that it opens only once a second reporter's share for the same match key is at hand.

    associated_data names where the escrow belongs (keys.context("report", id,
    "escrow"), say); the same must be given to open it.
    """
    slope, intercept = _line(match_key)
    x = share_x(match_key, reporter)
    pi = match_id(match_key)
    sealed = keys.encrypt(_sealing_key(intercept), data_key.raw, _associated_data(pi, associated_data))
    return Escrow(pi, Share(x, slope * x + intercept), sealed)


def recover(first: Escrow, second: Escrow) -> RecoveredKey:
    """The key of the line both escrows lie on, from their two shares.

    CombineError if they are under different match identifiers or share an x (the
    same reporter twice). Shares that are not on one line give a key that opens
    nothing (DecryptionError from open()).
    """
    if first.match_id != second.match_id:
        raise CombineError("escrows under different match identifiers do not combine")
    return RecoveredKey(first.match_id, intercept(first.share, second.share))


def intercept(first: Share, second: Share) -> Scalar:
    """k = (x2·y1 - x1·y2) / (x2 - x1), the value at 0 of the line through both points."""
    if first.x == second.x:
        raise CombineError("two shares with the same x come from one reporter and do not complete a line")
    numerator = second.x * first.y - first.x * second.y
    return numerator * (second.x - first.x).invert()


def _line(match_key: MatchKey) -> tuple[Scalar, Scalar]:
    return hash_to_scalar(match_key.raw, _DST_SLOPE), hash_to_scalar(match_key.raw, _DST_INTERCEPT)


def _sealing_key(intercept: Scalar) -> keys.DataKey:
    return keys.DataKey(expand_message_xmd(intercept.to_bytes(), _DST_SEALING_KEY, keys.KEY_BYTES))


def _associated_data(pi: bytes, associated_data: bytes) -> bytes:
    if not associated_data:
        raise ValueError("associated data is required")
    # π has a fixed length, so label, π and the caller's bytes split back in one way only.
    return _AD_LABEL + pi + associated_data


def _open(intercept: Scalar, escrow: Escrow, associated_data: bytes) -> keys.DataKey:
    raw = keys.decrypt(_sealing_key(intercept), escrow.sealed_key, _associated_data(escrow.match_id, associated_data))
    return keys.DataKey(raw)
