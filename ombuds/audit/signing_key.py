"""The organisation's Ed25519 key that signs the audit log's tree heads, kept in a file outside the database.

A copy of the database, or someone able to write to it, must not be able to sign a
tree head, so the key lives in its own file: OMBUDS_AUDIT_SIGNING_KEY_FILE,
`var/keys/audit_signing_key` by default. The file holds one line, the key's 32-byte
seed in standard base64, and is created with mode 0600.

In development the key is created on first use, like the other development keys. In
production it never is: a missing key is an error that says how to create it
(`ombuds audit_keys create`), because a key made silently on a new server would sign
a log that nobody can tie to the key already published.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from nacl.signing import SigningKey

SETTING = "OMBUDS_AUDIT_SIGNING_KEY_FILE"
SEED_SIZE = 32


def key_path() -> Path:
    return Path(settings.OMBUDS_AUDIT_SIGNING_KEY_FILE)


def signing_key() -> SigningKey:
    """The configured signing key; in development it is created if missing."""
    path = key_path()
    if path.exists():
        return read_key_file(path)
    if settings.PRODUCTION:
        raise ImproperlyConfigured(
            f"{SETTING}: {path} does not exist. In production the audit signing key is never created "
            "by itself: create it once with `ombuds audit_keys create`, publish its public key and back it up."
        )
    try:
        return create_key_file(path)
    except FileExistsError:
        # Another process (ombuds serve starts several at once) created it first: use that one.
        return read_key_file(path)


def read_key_file(path: Path) -> SigningKey:
    """The key in `path`, refusing a file that cannot be read or does not hold exactly one key."""
    try:
        text = path.read_text(encoding="ascii")
    except OSError as exc:
        raise ImproperlyConfigured(f"{SETTING}: cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ImproperlyConfigured(f"{SETTING}: {path} is not an audit signing key (not base64 text)") from None
    try:
        seed = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise ImproperlyConfigured(f"{SETTING}: {path} is not an audit signing key (not base64 text)") from None
    if len(seed) != SEED_SIZE:
        raise ImproperlyConfigured(
            f"{SETTING}: {path} is not an audit signing key (it holds {len(seed)} bytes, not {SEED_SIZE})"
        )
    return SigningKey(seed)


def create_key_file(path: Path) -> SigningKey:
    """Make a new key and store it in `path` (mode 0600); FileExistsError if a key is already there.

    An existing key is never replaced. The key is written to a temporary file first
    and then linked into place, so another process never reads a half-written key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate()
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(bytes(key)).decode("ascii") + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails if the name exists, so of two processes racing only one key wins.
        os.link(temporary, path)
    finally:
        temporary.unlink()
    return key
