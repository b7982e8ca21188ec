"""The rehire registry's identifiers: normalised, then kept only as keyed digests.

A person's e-mail, phone number, employee number and national identifier are reduced
to one normal form each (lower-cased e-mail, E.164 phone, trimmed employee number,
national identifier in capitals without spaces or dashes) and stored as
HMAC-SHA256(registry key, kind + ":" + form). The same identifier typed another way
(upper case, a national phone number) gives the same digest, so a check finds it; a
copy of the database without the key cannot list who is in the registry, nor test a
guess against it.

The key is 32 random bytes in a file outside the database (OMBUDS_REHIRE_KEY_FILE,
`var/keys/rehire_registry_key` by default), made on first use while the registry is
still empty. Once anything was stored under it, a missing or different key is an
error, never a new key: a registry searched with the wrong key would answer
"eligible" for everyone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.outcomes.models import IdentifierKind, RegistryKeyCheck, RehireIdentifier

KEY_SIZE = 32
SETTING = "OMBUDS_REHIRE_KEY_FILE"
_CHECK_TEXT = b"ombuds-rehire-registry-key-check-v1"
_MAX_LENGTH = 254


class InvalidIdentifier(ValueError):
    """An identifier that cannot be put in normal form; the message is safe to show."""


class RegistryKeyError(RuntimeError):
    """The registry key is missing, unreadable or not the one the registry was made with."""


# --- Normal forms ---------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―－]+")


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidIdentifier(_("The value is empty."))
    if len(value) > _MAX_LENGTH or "\x00" in value or not value.isprintable():
        raise InvalidIdentifier(_("The value cannot be an identifier."))
    return value


def normal_email(value: str) -> str:
    value = _text(value).lower()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or " " in value:
        raise InvalidIdentifier(_("This is not an e-mail address."))
    return value


def normal_phone(value: str, region: str) -> str:
    """The number in E.164 (+8613800138000); a number without a country code belongs to `region`."""
    value = _text(value)
    try:
        number = phonenumbers.parse(value, region.upper() or None)
    except phonenumbers.NumberParseException:
        if not region:
            raise InvalidIdentifier(
                _("This is not a phone number. Give it with its country code, e.g. +86 138 0013 8000.")
            ) from None
        raise InvalidIdentifier(_("This is not a phone number.")) from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidIdentifier(_("This is not a phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normal_employee_number(value: str) -> str:
    return _text(value)


def normal_national_id(value: str) -> str:
    return _SEPARATORS.sub("", _text(value)).upper()


def normal_form(kind: str, value: str, *, region: str) -> str:
    match kind:
        case IdentifierKind.EMAIL:
            return normal_email(value)
        case IdentifierKind.PHONE:
            return normal_phone(value, region)
        case IdentifierKind.EMPLOYEE_NUMBER:
            return normal_employee_number(value)
        case IdentifierKind.NATIONAL_ID:
            return normal_national_id(value)
    raise InvalidIdentifier(_("Unknown kind of identifier."))


# --- The key ---------------------------------------------------------------------------------


def key_path() -> Path:
    return Path(settings.OMBUDS_REHIRE_KEY_FILE)


def _read_key(path: Path) -> bytes:
    try:
        raw = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except OSError as exc:
        raise RegistryKeyError(f"{SETTING}: cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, binascii.Error):
        raise RegistryKeyError(f"{SETTING}: {path} is not a rehire registry key (not base64 text)") from None
    if len(raw) != KEY_SIZE:
        raise RegistryKeyError(f"{SETTING}: {path} is not a rehire registry key ({len(raw)} bytes, not {KEY_SIZE})")
    return raw


def _create_key(path: Path) -> bytes:
    """A new key in `path` (mode 0600), linked into place whole; FileExistsError if one is there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = secrets.token_bytes(KEY_SIZE)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(raw).decode("ascii") + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return raw


def _fingerprint(raw: bytes) -> str:
    return hmac.new(raw, _CHECK_TEXT, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class RegistryKey:
    raw: bytes
    created: bool  # made just now (the caller records that in the audit trail)

    def digest(self, kind: str, normal: str) -> str:
        return hmac.new(self.raw, f"{kind}:{normal}".encode(), hashlib.sha256).hexdigest()


def registry_key() -> RegistryKey:
    """The registry key, checked against the registry; made on first use while nothing depends on it.

    Called inside the transaction of an action that stores or searches digests.
    """
    path = key_path()
    check = RegistryKeyCheck.objects.select_for_update().filter(pk=1).first()
    if check is None:
        if RehireIdentifier.objects.exists():
            raise RegistryKeyError(f"{SETTING}: the registry holds entries but no key check; restore it from backup")
        created = False
        if path.exists():
            raw = _read_key(path)
        else:
            try:
                raw, created = _create_key(path), True
            except FileExistsError:
                raw = _read_key(path)  # another process made it first
        # pk=1: two processes making the first key at once cannot both record theirs.
        RegistryKeyCheck.objects.create(pk=1, fingerprint=_fingerprint(raw), created_at=timezone.now())
        return RegistryKey(raw, created)
    if not path.exists():
        raise RegistryKeyError(
            f"{SETTING}: {path} does not exist. The rehire registry was made with a key that is not here: "
            "restore the key file from backup (a new key cannot read the registry)."
        )
    raw = _read_key(path)
    if not hmac.compare_digest(_fingerprint(raw), check.fingerprint):
        raise RegistryKeyError(
            f"{SETTING}: {path} is not the key the rehire registry was made with; restore the right one from backup."
        )
    return RegistryKey(raw, False)


def digests(key: RegistryKey, identifiers: dict[str, str], *, region: str) -> dict[str, str]:
    """{kind: digest} for the identifiers given (empty values left out); InvalidIdentifier on a bad one."""
    found = {}
    for kind, value in identifiers.items():
        if kind not in IdentifierKind.values:
            raise InvalidIdentifier(_("Unknown kind of identifier."))
        if value is None or not value.strip():
            continue
        try:
            found[kind] = key.digest(kind, normal_form(kind, value, region=region))
        except InvalidIdentifier as exc:
            raise InvalidIdentifier(f"{IdentifierKind(kind).label}: {exc}") from None
    return found


def digest_if_valid(key: RegistryKey, kind: str, value: str, *, region: str) -> str | None:
    """The digest of one identifier, or None when it is empty or has no normal form."""
    if not value or not value.strip():
        return None
    try:
        return key.digest(kind, normal_form(kind, value, region=region))
    except InvalidIdentifier:
        return None
