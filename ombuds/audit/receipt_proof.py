"""The reporter's proof of filing: that a report was filed, checkable offline, revealing nothing by itself.

When a report is filed, its "report filed" event carries a commitment to the report:
SHA-256 over the canonical JSON of {"narrative": <what she wrote under "What
happened">, "random": <64 hex digits>}, where the random value is 32 bytes that only
she can open (sealed to her receipt's key pair). The proof gives her that event's leaf
and its index, a signed tree head that includes it, the inclusion proof, and the
public key. Anyone can check that the organisation's key signed a log containing
that event; only with her text and her random value can anyone tie it to what she
wrote. It names nobody and holds no part of the report.

docs/audit-log.md §7 describes the format and the checks for people who write their
own verifier; `ombuds audit verify-receipt FILE` runs them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import segno

from ombuds.audit import merkle, sth
from ombuds.audit.canonical import canonical

FORMAT = "ombuds-filing-proof-1"
RANDOM_BYTES = 32
BEGIN = "-----BEGIN OMBUDS PROOF OF FILING-----"
END = "-----END OMBUDS PROOF OF FILING-----"
_KEYS = {"format", "commitment", "leaf_index", "leaf", "tree_head", "inclusion_proof", "public_key"}
_HEX64 = re.compile(r"[0-9a-f]{64}")


class InvalidProof(ValueError):
    """The file is not a proof of filing in the documented format."""


def normalise(narrative: str) -> str:
    """Her text as committed: line endings made \\n, white space around it removed (as it was stored)."""
    return narrative.replace("\r\n", "\n").replace("\r", "\n").strip()


def commitment(narrative: str, random_value: bytes) -> str:
    """The commitment in the "report filed" event, as 64 hex digits."""
    if len(random_value) != RANDOM_BYTES:
        raise ValueError(f"the random value is {RANDOM_BYTES} bytes")
    document = {"narrative": normalise(narrative), "random": random_value.hex()}
    return hashlib.sha256(canonical(document)).hexdigest()


def document(
    *, commitment: str, leaf_index: int, leaf: str, tree_head: sth.SignedTreeHead, path: list[bytes], public_key: str
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "commitment": commitment,
        "leaf_index": leaf_index,
        "leaf": leaf,
        "tree_head": tree_head.as_json(),
        "inclusion_proof": [node.hex() for node in path],
        "public_key": public_key,
    }


def to_json(proof: dict[str, Any]) -> str:
    return canonical(proof).decode("utf-8")


def qr_code(proof: dict[str, Any]) -> segno.QRCode | None:
    """The proof as a QR code (the same canonical JSON), or None if it is too long for one."""
    try:
        return segno.make(to_json(proof), error="l", micro=False)
    except segno.DataOverflowError:
        return None


def qr_text(code: segno.QRCode) -> str:
    """The code drawn with block characters, two rows of modules per line, with its quiet zone."""
    rows = [list(row) for row in code.matrix_iter(border=4)]
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    glyphs = {(0, 0): " ", (1, 0): "▀", (0, 1): "▄", (1, 1): "█"}
    return "\n".join(
        "".join(glyphs[(bool(top), bool(bottom))] for top, bottom in zip(upper, lower, strict=True)).rstrip()
        for upper, lower in zip(rows[0::2], rows[1::2], strict=True)
    )


def to_text(proof: dict[str, Any]) -> str:
    """The downloadable file: a few lines of explanation, the proof, and its QR code."""
    head = proof["tree_head"]
    lines = [
        "Proof that a report was filed",
        "",
        f"Event {proof['leaf_index']} of the organisation's audit log records that a report was filed.",
        f"The log of {head['tree_size']} events, signed at {head['timestamp']}, includes it.",
        "This file contains no part of the report and no name. Together with the text of the",
        "report and the random value kept with it, it shows that this text is what was filed.",
        "",
        "Check it with `ombuds audit verify-receipt FILE`, or by hand as docs/audit-log.md",
        "(section 7) describes. The QR code below holds the same proof.",
        "",
        BEGIN,
        to_json(proof),
        END,
    ]
    code = qr_code(proof)
    if code is not None:
        lines += ["", qr_text(code)]
    return "\n".join(lines) + "\n"


def parse(text: str) -> dict[str, Any]:
    """The proof in a downloaded file (between the BEGIN and END lines), or in a file of its JSON alone."""
    if BEGIN in text:
        start = text.index(BEGIN) + len(BEGIN)
        end = text.find(END, start)
        if end < 0:
            raise InvalidProof(f"the proof has no {END} line")
        text = text[start:end]
    try:
        proof = json.loads(text)
    except ValueError:
        raise InvalidProof("the proof is not JSON") from None
    if not isinstance(proof, dict) or set(proof) != _KEYS:
        raise InvalidProof(f"a proof has exactly the keys {', '.join(sorted(_KEYS))}")
    if proof["format"] != FORMAT:
        raise InvalidProof(f"unknown format {proof['format']!r}")
    return proof


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool


def check(
    proof: dict[str, Any],
    *,
    trusted_key: str | None = None,
    narrative: str | None = None,
    random_value: bytes | None = None,
) -> list[Check]:
    """Every check of the proof, in order; it holds when all are ok.

    `trusted_key` is the organisation's public key (base64) from a source you trust;
    without it the key in the proof is used, which shows only that the proof is whole.
    With her text and her random value, the commitment is checked against them too.
    """
    checks: list[Check] = []
    try:
        key = sth.parse_public_key(str(proof["public_key"]))
        signed = sth.parse(proof["tree_head"]) if isinstance(proof["tree_head"], dict) else None
        path = [bytes.fromhex(node) for node in proof["inclusion_proof"] if isinstance(node, str)]
    except (ValueError, TypeError):
        return [Check("the proof's public key, tree head and inclusion proof are in the documented format", False)]
    if trusted_key is not None:
        checks.append(Check("the public key is the trusted key", proof["public_key"].strip() == trusted_key.strip()))
    checks.append(Check("the tree head is signed by the public key", signed is not None and sth.verify(signed, key)))
    index, leaf = proof["leaf_index"], proof["leaf"]
    whole = isinstance(index, int) and isinstance(leaf, str) and len(path) == len(proof["inclusion_proof"])
    included = (
        whole
        and signed is not None
        and merkle.verify_inclusion(
            merkle.leaf_hash(leaf.encode("utf-8")), index, signed.head.tree_size, path, signed.head.root_hash
        )
    )
    checks.append(Check(f"event {index} is included in the signed tree head", bool(included)))
    checks.append(Check("the event is a report filed with this commitment", _leaf_commits(leaf, index, proof)))
    if narrative is not None and random_value is not None:
        mine = commitment(narrative, random_value) if len(random_value) == RANDOM_BYTES else None
        checks.append(Check("the report text and random value give this commitment", mine == proof["commitment"]))
    return checks


def _leaf_commits(leaf: object, index: object, proof: dict[str, Any]) -> bool:
    if not isinstance(leaf, str) or not isinstance(proof["commitment"], str):
        return False
    if not _HEX64.fullmatch(proof["commitment"]):
        return False
    try:
        event = json.loads(leaf)
    except ValueError:
        return False
    if not isinstance(event, dict) or not isinstance(event.get("details"), dict):
        return False
    return bool(
        event.get("index") == index
        and event.get("action") == "report_filed"
        and event["details"].get("commitment") == proof["commitment"]
    )


def random_value_from_text(text: str) -> bytes:
    """The random value as she was given it: 64 hexadecimal digits (spaces allowed between groups)."""
    digits = re.sub(r"\s+", "", text).lower()
    if not _HEX64.fullmatch(digits):
        raise ValueError("the random value is 64 hexadecimal digits")
    return binascii.unhexlify(digits)


def public_key_from_text(text: str) -> str:
    """A public key as given on the command line, checked to be a 32-byte key in base64."""
    sth.parse_public_key(text)
    return base64.b64encode(base64.b64decode(text.strip())).decode("ascii")
