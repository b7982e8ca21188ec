"""What a member and the shared registry agree on: signed requests, the key file, the OPRF inputs.

Both sides import this module; it holds no model and reads no setting, so the registry
service and a member's ombuds use the very same bytes.

A member signs every request with its Ed25519 key. The signed message is

    "ombuds-registry-v1" LF method LF path LF unix time LF SHA-256(body) in hex

and travels in three headers: X-Registry-Member (the member's public key, base64),
X-Registry-Time and X-Registry-Signature (base64). The registry refuses a request whose
time is more than MAX_SKEW_S away from its own clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from ombuds.crypto import oprf

KEY_INFO = b"ombuds shared rehire registry v1"
MODE = oprf.Mode.VOPRF
SEED_BYTES = oprf.SEED_BYTES
MAX_SKEW_S = 300
# One query or submission carries the identifiers of one person: a handful at most.
MAX_BATCH = 16
HEADER_MEMBER = "X-Registry-Member"
HEADER_TIME = "X-Registry-Time"
HEADER_SIGNATURE = "X-Registry-Signature"


class ProtocolError(ValueError):
    """A request or an answer that does not follow the protocol; the message names no identifier."""


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text: object, *, size: int | None = None) -> bytes:
    if not isinstance(text, str):
        raise ProtocolError("expected base64 text")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("not base64") from None
    if size is not None and len(raw) != size:
        raise ProtocolError(f"expected {size} bytes")
    return raw


def signed_message(method: str, path: str, timestamp: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join(["ombuds-registry-v1", method.upper(), path, timestamp, digest]).encode("ascii")


def sign_headers(key: SigningKey, method: str, path: str, body: bytes, now: float) -> dict[str, str]:
    timestamp = str(int(now))
    signature = key.sign(signed_message(method, path, timestamp, body)).signature
    return {
        HEADER_MEMBER: b64(bytes(key.verify_key)),
        HEADER_TIME: timestamp,
        HEADER_SIGNATURE: b64(signature),
    }


def verify(public_key: bytes, method: str, path: str, timestamp: str, body: bytes, signature: str, now: float) -> None:
    """ProtocolError unless the signature is the member's over this request, made within MAX_SKEW_S."""
    try:
        sent = int(timestamp)
    except ValueError:
        raise ProtocolError("bad time") from None
    if abs(now - sent) > MAX_SKEW_S:
        raise ProtocolError("the request's time is too far from the registry's clock")
    try:
        VerifyKey(public_key).verify(signed_message(method, path, timestamp, body), unb64(signature, size=64))
    except BadSignatureError:
        raise ProtocolError("bad signature") from None


# --- Key files ---------------------------------------------------------------------------------------


def write_new_key_file(path: Path, raw: bytes) -> None:
    """Store raw bytes in base64 in `path` (mode 0600); FileExistsError if a key is already there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(b64(raw) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails if the name exists: an existing key is never replaced.
        os.link(temporary, path)
    finally:
        temporary.unlink()


def read_key_file(path: Path, size: int, what: str) -> bytes:
    try:
        text = path.read_text(encoding="ascii")
    except OSError as exc:
        raise ProtocolError(f"cannot read the {what} {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ProtocolError(f"{path} is not a {what} (not base64 text)") from None
    try:
        return unb64(text.strip(), size=size)
    except ProtocolError:
        raise ProtocolError(f"{path} is not a {what} (not {size} bytes in base64)") from None


def voprf_server(seed: bytes) -> oprf.VOPRFServer:
    return oprf.VOPRFServer(oprf.derive_key_pair(seed, KEY_INFO, MODE).secret_key)


def signing_key_from_file(path: Path) -> SigningKey:
    return SigningKey(read_key_file(path, 32, "registry signing key"))


def entry_key(output: bytes) -> str:
    """What the registry stores and looks up for one OPRF output: its SHA-256 in hex (a fixed, short index)."""
    if len(output) != oprf.OUTPUT_BYTES:
        raise ProtocolError(f"an output is {oprf.OUTPUT_BYTES} bytes")
    return hashlib.sha256(b"ombuds-registry-entry-v1" + output).hexdigest()
