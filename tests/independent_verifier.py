"""A verifier for audit log exports, written only from docs/audit-log.md.

It imports nothing from ombuds, only hashlib, json, base64 and PyNaCl, so that the
tests check the documented format and not the library's own idea of it: if the
library and this page of documentation ever disagree, the tests that run this
verifier over the library's output fail.

    python tests/independent_verifier.py DIR [--public-key BASE64]

It reads DIR/entries.jsonl, DIR/sths.jsonl and DIR/public_key once, in order, keeping
only the roots of the perfect subtrees seen so far, and reports the first index it
cannot vouch for.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

MAX_INTEGER = 2**53 - 1
ROOT_HASH = re.compile(r"[0-9a-f]{64}")
TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


@dataclass(frozen=True)
class Verdict:
    """None as first_bad_index means every event is covered by a good signed tree head."""

    first_bad_index: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.first_bad_index is None


class Bad(Exception):
    """One line breaks the format; the message says how."""


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _refuse_fraction(text: str) -> object:
    raise Bad(f"a number with a fraction or exponent ({text}) is not allowed")


def _refuse_constant(text: str) -> object:
    raise Bad(f"{text} is not allowed")


def _check_integers(value: object) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _check_integers(item)
    elif isinstance(value, list):
        for item in value:
            _check_integers(item)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
        raise Bad("an integer is outside ±(2**53 - 1)")


def _strict_json(text: str) -> object:
    try:
        return json.loads(text, parse_float=_refuse_fraction, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise Bad(f"not JSON ({exc.msg})") from None


def _whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _lines(path: Path) -> Iterator[str]:
    """The lines of a file, each of which must end with a line feed and not be empty."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle):
            if not raw.endswith(b"\n"):
                raise Bad(f"{path.name} line {number}: does not end with a line feed")
            if raw == b"\n":
                raise Bad(f"{path.name} line {number}: is empty")
            try:
                yield raw[:-1].decode("utf-8")
            except UnicodeDecodeError:
                raise Bad(f"{path.name} line {number}: is not UTF-8") from None


def leaf_of(line: str, index: int) -> bytes:
    """The leaf bytes on the entries.jsonl line of event `index`, after checking all the line says."""
    entry = _strict_json(line)
    if not isinstance(entry, dict) or set(entry) != {"index", "leaf"}:
        raise Bad("an entry has exactly the keys index and leaf")
    if not _whole_number(entry["index"]) or entry["index"] != index:
        raise Bad(f"the line of event {index} says index {entry['index']!r}")
    if not isinstance(entry["leaf"], str):
        raise Bad("leaf is not a string")
    try:
        leaf = entry["leaf"].encode("utf-8")
    except UnicodeEncodeError:
        raise Bad("leaf is not valid Unicode") from None
    event = _strict_json(entry["leaf"])
    _check_integers(event)
    if not isinstance(event, dict):
        raise Bad("the leaf is not a JSON object")
    if canonical(event) != leaf:
        raise Bad("the leaf is not canonical JSON")
    if not _whole_number(event.get("index")) or event["index"] != index:
        raise Bad(f"event {index} has index {event.get('index')!r} in its leaf")
    return leaf


@dataclass(frozen=True)
class TreeHead:
    tree_size: int
    root_hash: bytes
    timestamp: str
    signed: bytes
    signature: bytes


def tree_head_of(line: str) -> TreeHead:
    head = _strict_json(line)
    if not isinstance(head, dict) or set(head) != {"tree_size", "root_hash", "timestamp", "signature"}:
        raise Bad("a tree head has exactly the keys tree_size, root_hash, timestamp and signature")
    tree_size, root_hash, timestamp, signature = (head[k] for k in ("tree_size", "root_hash", "timestamp", "signature"))
    if not _whole_number(tree_size) or not 0 <= tree_size <= MAX_INTEGER:
        raise Bad("tree_size is not a whole number from 0 to 2**53 - 1")
    if not isinstance(root_hash, str) or not ROOT_HASH.fullmatch(root_hash):
        raise Bad("root_hash is not 64 lower-case hexadecimal digits")
    if not isinstance(timestamp, str) or not TIMESTAMP.fullmatch(timestamp):
        raise Bad("timestamp is not written YYYY-MM-DDTHH:MM:SSZ")
    try:
        datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ")  # noqa: DTZ007 - only checks that the date exists
    except ValueError:
        raise Bad("timestamp is not a real date and time") from None
    if not isinstance(signature, str):
        raise Bad("signature is not a string")
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except binascii.Error:
        raise Bad("signature is not standard base64") from None
    if len(raw_signature) != 64 or base64.b64encode(raw_signature).decode("ascii") != signature:
        raise Bad("signature is not 64 bytes in standard base64 with padding")
    signed = canonical({"tree_size": tree_size, "root_hash": root_hash, "timestamp": timestamp})
    return TreeHead(tree_size, bytes.fromhex(root_hash), timestamp, signed, raw_signature)


class Tree:
    """The roots of the perfect subtrees covering the events so far, largest first."""

    def __init__(self) -> None:
        self.size = 0
        self.subtrees: list[bytes] = []

    def add(self, leaf: bytes) -> None:
        node = sha256(b"\x00" + leaf)
        carry = self.size
        while carry & 1:
            node = sha256(b"\x01" + self.subtrees.pop() + node)
            carry >>= 1
        self.subtrees.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self.subtrees:
            return sha256(b"")
        node = self.subtrees[-1]
        for left in reversed(self.subtrees[:-1]):
            node = sha256(b"\x01" + left + node)
        return node


def public_key_of(path: Path) -> VerifyKey:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise Bad("public_key cannot be read as text") from None
    if not text.endswith("\n") or "\n" in text[:-1]:
        raise Bad("public_key is not one line")
    try:
        raw = base64.b64decode(text[:-1], validate=True)
    except binascii.Error:
        raise Bad("public_key is not base64") from None
    if len(raw) != 32:
        raise Bad("public_key is not 32 bytes")
    return VerifyKey(raw)


def verify_export(directory: Path, trusted_public_key: str | None = None) -> Verdict:
    """Check an export directory; `trusted_public_key` (base64) is the key obtained elsewhere."""
    try:
        public_key = public_key_of(directory / "public_key")
    except Bad as exc:
        return Verdict(0, str(exc))
    if trusted_public_key is not None and base64.b64decode(trusted_public_key) != bytes(public_key):
        return Verdict(0, "public_key is not the trusted key")

    tree = Tree()
    proven = 0  # events covered by the last tree head that matched
    previous: TreeHead | None = None
    entries = _lines(directory / "entries.jsonl")
    try:
        for number, line in enumerate(_lines(directory / "sths.jsonl")):
            try:
                head = tree_head_of(line)
            except Bad as exc:
                return Verdict(proven, f"sths.jsonl line {number}: {exc}")
            if previous is not None and (head.tree_size < previous.tree_size or head.timestamp < previous.timestamp):
                return Verdict(proven, f"sths.jsonl line {number}: goes back in size or time")
            try:
                public_key.verify(head.signed, head.signature)
            except BadSignatureError:
                return Verdict(proven, f"sths.jsonl line {number}: the signature does not match")
            while tree.size < head.tree_size:
                try:
                    line_of_entry = next(entries, None)
                    if line_of_entry is None:
                        return Verdict(tree.size, f"there are {tree.size} events, tree head {number} covers more")
                    tree.add(leaf_of(line_of_entry, tree.size))
                except Bad as exc:
                    return Verdict(tree.size, f"entries.jsonl line {tree.size}: {exc}")
            if tree.root() != head.root_hash:
                return Verdict(proven, f"sths.jsonl line {number}: the root of {head.tree_size} events does not match")
            proven, previous = head.tree_size, head
        if previous is None:
            return Verdict(0, "sths.jsonl holds no tree head")
        if next(entries, None) is not None:
            return Verdict(proven, f"the events after the first {proven} are not covered by a tree head")
    except Bad as exc:
        # A line of sths.jsonl that is not a line of text (no line feed, empty, not
        # UTF-8), or a malformed line after the last event a tree head covers.
        return Verdict(proven, str(exc))
    return Verdict(None, f"{tree.size} events, all covered by good signed tree heads")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify an ombuds audit log export.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--public-key", help="the organisation's public key (base64), obtained elsewhere")
    args = parser.parse_args(argv)
    verdict = verify_export(args.directory, args.public_key)
    if verdict.ok:
        sys.stdout.write(f"OK: {verdict.reason}\n")
        return 0
    sys.stdout.write(f"FAILED at event {verdict.first_bad_index}: {verdict.reason}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
