"""Signed tree heads: the organisation's signed statement of the audit log's size and root at a moment.

A tree head is {"tree_size": N, "root_hash": "<64 lower-case hex digits>",
"timestamp": "YYYY-MM-DDTHH:MM:SSZ"}. Its signature is Ed25519 over the canonical
JSON of exactly those three keys, and it is written out with a fourth key,
"signature", holding the 64-byte signature in standard base64. docs/audit-log.md
describes the format for people who verify it with their own code.

Parsing is strict (exact keys, exact types, exact formats), so that one tree head has
one written form and a verifier can compare what it reads with what was signed.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from ombuds.audit.canonical import MAX_SAFE_INTEGER, canonical
from ombuds.audit.merkle import HASH_SIZE

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SIGNATURE_SIZE = 64
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_ROOT_HASH = re.compile(r"[0-9a-f]{64}")
_HEAD_KEYS = frozenset({"tree_size", "root_hash", "timestamp"})
_SIGNED_KEYS = _HEAD_KEYS | {"signature"}


class InvalidTreeHead(ValueError):
    """A written tree head does not have the exact format."""


@dataclass(frozen=True)
class TreeHead:
    """The size and root of the log at a moment (UTC, whole seconds)."""

    tree_size: int
    root_hash: bytes
    timestamp: datetime

    def __post_init__(self) -> None:
        if isinstance(self.tree_size, bool) or not 0 <= self.tree_size <= MAX_SAFE_INTEGER:
            raise ValueError("tree_size must be a whole number from 0 to 2**53 - 1")
        if len(self.root_hash) != HASH_SIZE:
            raise ValueError(f"root_hash must be {HASH_SIZE} bytes long")
        if self.timestamp.utcoffset() is None or self.timestamp.utcoffset() or self.timestamp.microsecond:
            raise ValueError("timestamp must be in UTC and in whole seconds (see TreeHead.at)")

    @classmethod
    def at(cls, moment: datetime, *, tree_size: int, root_hash: bytes) -> TreeHead:
        """A tree head at `moment` (an aware datetime), turned to UTC with the fraction of a second dropped."""
        if moment.utcoffset() is None:
            raise ValueError("moment must be an aware datetime")
        return cls(tree_size, root_hash, moment.astimezone(UTC).replace(microsecond=0))

    def as_json(self) -> dict[str, object]:
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp": self.timestamp.strftime(TIMESTAMP_FORMAT),
        }

    def signed_bytes(self) -> bytes:
        """What the signature covers: the canonical JSON of the three keys."""
        return canonical(self.as_json())


@dataclass(frozen=True)
class SignedTreeHead:
    head: TreeHead
    signature: bytes

    def as_json(self) -> dict[str, object]:
        return {**self.head.as_json(), "signature": base64.b64encode(self.signature).decode("ascii")}

    def to_bytes(self) -> bytes:
        """The canonical JSON of the four keys: one line of an export's sths.jsonl (without the newline)."""
        return canonical(self.as_json())


def sign(head: TreeHead, key: SigningKey) -> SignedTreeHead:
    return SignedTreeHead(head, key.sign(head.signed_bytes()).signature)


def verify(sth: SignedTreeHead, public_key: VerifyKey) -> bool:
    """Whether the signature is the holder of `public_key`'s signature of this tree head."""
    if len(sth.signature) != SIGNATURE_SIZE:
        return False
    try:
        public_key.verify(sth.head.signed_bytes(), sth.signature)
    except BadSignatureError:
        return False
    return True


def parse(data: Mapping[str, object]) -> SignedTreeHead:
    """A signed tree head from its JSON object, refusing anything but the exact format.

    The signature is not checked here; `verify` does that.
    """
    if set(data) != _SIGNED_KEYS:
        raise InvalidTreeHead("a signed tree head has exactly the keys tree_size, root_hash, timestamp and signature")
    tree_size, root_hash, timestamp, signature = (
        data["tree_size"],
        data["root_hash"],
        data["timestamp"],
        data["signature"],
    )
    if not isinstance(tree_size, int) or isinstance(tree_size, bool) or not 0 <= tree_size <= MAX_SAFE_INTEGER:
        raise InvalidTreeHead("tree_size must be a whole number from 0 to 2**53 - 1")
    if not isinstance(root_hash, str) or not _ROOT_HASH.fullmatch(root_hash):
        raise InvalidTreeHead("root_hash must be 64 lower-case hexadecimal digits")
    if not isinstance(timestamp, str) or not _TIMESTAMP.fullmatch(timestamp):
        raise InvalidTreeHead("timestamp must be written YYYY-MM-DDTHH:MM:SSZ")
    try:
        moment = datetime.strptime(timestamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidTreeHead("timestamp is not a real date and time") from None
    if not isinstance(signature, str):
        raise InvalidTreeHead("signature must be a base64 string")
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except binascii.Error:
        raise InvalidTreeHead("signature is not valid base64") from None
    if len(raw_signature) != SIGNATURE_SIZE or base64.b64encode(raw_signature).decode("ascii") != signature:
        raise InvalidTreeHead(f"signature must be {SIGNATURE_SIZE} bytes in standard base64 with padding")
    return SignedTreeHead(TreeHead(tree_size, bytes.fromhex(root_hash), moment), raw_signature)


def public_key_text(public_key: VerifyKey) -> str:
    """The public key as it is published (an export's public_key file): its 32 bytes in standard base64."""
    return base64.b64encode(bytes(public_key)).decode("ascii")


def parse_public_key(text: str) -> VerifyKey:
    """A public key from its published form; white space around it is ignored."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise ValueError("the public key is not valid base64") from None
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes long")
    return VerifyKey(raw)
