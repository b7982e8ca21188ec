"""A staff member's key pair: made and unwrapped with her password, kept unlocked for her session only.

The private key is stored wrapped under a key derived from her password (Argon2id).
At login it is unwrapped, then re-encrypted under a fresh random key, the "session
key": the encrypted private key goes into the server-side session, the session key
into a cookie of its own. Neither half opens anything alone: a copy of the session
table lacks the cookie, a stolen cookie lacks the session. Several app processes can
serve the session, and the unlocked key is never written anywhere in clear.

Within one request the unlocked key is attached to the user object (`attach`), where
ombuds.cases.keyring finds it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone

from ombuds.accounts.models import StaffKey
from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.crypto import keys
from ombuds.crypto.errors import DecryptionError

SESSION_FIELD = "ombuds_staff_key"
COOKIE = "ombuds_key"
_ATTR = "_ombuds_key_pair"


def _wrap_context(user: User) -> bytes:
    return keys.context("staff-key", user.pk)


def _session_context(user: User) -> bytes:
    return keys.context("staff-session-key", user.pk)


@dataclass(frozen=True)
class Unlocked:
    key_pair: keys.KeyPair
    # True when a new key pair was made because the old one could not be unwrapped
    # (her password was reset without the old one): the grants of the old key are
    # useless and she must be granted her cases again.
    replaced: bool
    created: bool


def has_key_pair(user: User) -> bool:
    return StaffKey.objects.filter(user=user).exists()


def public_key(user: User) -> bytes | None:
    row = StaffKey.objects.filter(user=user).only("public_key").first()
    return bytes(row.public_key) if row is not None else None


def unlock(user: User, password: str) -> Unlocked:
    """Unwrap her private key with her password, making the key pair on first use.

    A password that no longer opens the wrap (it was reset, or set by an administrator)
    means the old key is lost: a new pair is made, which `Unlocked.replaced` reports.
    The caller must have checked the password already (this is called at login).
    """
    row = StaffKey.objects.filter(user=user).first()
    if row is not None:
        try:
            pair = keys.unwrap_private_key(bytes(row.wrapped_private), password, associated_data=_wrap_context(user))
        except DecryptionError:
            return Unlocked(_replace(user, password, event=EventType.STAFF_KEY_REPLACED), replaced=True, created=False)
        if keys.needs_rewrap(bytes(row.wrapped_private)):
            # The configured cost was raised since: her next login carries it to her wrap.
            StaffKey.objects.filter(pk=row.pk).update(
                wrapped_private=keys.wrap_private_key(pair, password, associated_data=_wrap_context(user))
            )
        return Unlocked(pair, replaced=False, created=False)
    return Unlocked(_replace(user, password, event=EventType.STAFF_KEY_CREATED), replaced=False, created=True)


def _replace(user: User, password: str, *, event: EventType) -> keys.KeyPair:
    pair = keys.KeyPair.generate()
    wrapped = keys.wrap_private_key(pair, password, associated_data=_wrap_context(user))
    with transaction.atomic():
        StaffKey.objects.update_or_create(
            user=user,
            defaults={"public_key": pair.public_key, "wrapped_private": wrapped, "created_at": timezone.now()},
        )
        log.record_system(event, actor_id=user.pk, user=user.pk)
    return pair


def rewrap(user: User, old_password: str, new_password: str) -> bool:
    """Re-wrap her private key under a new password; False when the old password does not open it."""
    row = StaffKey.objects.filter(user=user).first()
    if row is None:
        return False
    try:
        pair = keys.unwrap_private_key(bytes(row.wrapped_private), old_password, associated_data=_wrap_context(user))
    except DecryptionError:
        return False
    wrapped = keys.wrap_private_key(pair, new_password, associated_data=_wrap_context(user))
    StaffKey.objects.filter(pk=row.pk).update(wrapped_private=wrapped)
    return True


# --- The unlocked key in a session ---------------------------------------------------------


def keep_in_session(session: SessionBase, user: User, pair: keys.KeyPair) -> str:
    """Store the unlocked key in the session, encrypted; return the cookie value that opens it."""
    session_key = keys.DataKey.generate()
    session[SESSION_FIELD] = base64.b64encode(
        keys.encrypt(session_key, pair.private_bytes(), _session_context(user))
    ).decode("ascii")
    # Without padding: a cookie value with "=" would be quoted.
    return base64.urlsafe_b64encode(session_key.raw).decode("ascii").rstrip("=")


def from_session(session: SessionBase, user: User, cookie: str) -> keys.KeyPair | None:
    """The unlocked key of this session, or None when the session or the cookie lacks its half."""
    stored = session.get(SESSION_FIELD)
    if not stored or not cookie:
        return None
    try:
        session_key = keys.DataKey(base64.urlsafe_b64decode(cookie.encode("ascii") + b"=" * (-len(cookie) % 4)))
        raw = keys.decrypt(session_key, base64.b64decode(stored), _session_context(user))
    except (ValueError, binascii.Error, DecryptionError):
        return None
    return keys.KeyPair.from_private_bytes(raw)


def session_holds_key(session: SessionBase) -> bool:
    return SESSION_FIELD in session


def forget(session: SessionBase) -> None:
    session.pop(SESSION_FIELD, None)


# --- The key within a request --------------------------------------------------------------


def attach(user: User, pair: keys.KeyPair) -> None:
    """Make the unlocked key pair available, for this request, to what acts as `user`."""
    setattr(user, _ATTR, pair)


def attached(user: User | AnonymousUser) -> keys.KeyPair | None:
    pair = getattr(user, _ATTR, None)
    return pair if isinstance(pair, keys.KeyPair) else None
