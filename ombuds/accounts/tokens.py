"""Create, check and revoke personal API tokens.

A token works only while its owner's account is as it was when the token was made: each
token keeps a keyed fingerprint of the owner's password hash and second-factor
generation, so a new password or a second-factor reset ends every token made before it.
Making and revoking a token are recorded in the audit trail.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from typing import Literal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ombuds.accounts import keys as staff_keys
from ombuds.accounts import mfa
from ombuds.accounts.models import ApiToken
from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.crypto import keys
from ombuds.crypto.errors import DecryptionError

PREFIX = "omb_"
_FINGERPRINT_SALT = "ombuds.accounts.tokens.fingerprint"

# Where a token was made or revoked: the settings page, or `ombuds token` on the server.
Via = Literal["web", "command"]


class TokenError(Exception):
    """A token cannot be made for this account (yet)."""


class TokenState(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    DEACTIVATED = "dead: account deactivated"
    CHANGED = "dead: password changed or second factor reset since it was made"
    UNFINGERPRINTED = "dead: made by an earlier version, make a new one"
    NO_SECOND_FACTOR = "dead: no second factor set up"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def fingerprint(user: User) -> str:
    """Changes whenever the password hash or the second-factor generation does."""
    value = f"{user.password}\x00{mfa.generation(user)}"
    return salted_hmac(_FINGERPRINT_SALT, value, algorithm="sha256").hexdigest()


def token_state(record: ApiToken) -> TokenState:
    user = record.user
    if record.revoked_at is not None:
        return TokenState.REVOKED
    if not user.is_active:
        return TokenState.DEACTIVATED
    if not record.fingerprint:
        return TokenState.UNFINGERPRINTED
    if not hmac.compare_digest(record.fingerprint, fingerprint(user)):
        return TokenState.CHANGED
    if not mfa.factor_in_place(user):
        return TokenState.NO_SECOND_FACTOR
    return TokenState.ACTIVE


def _key_context(digest: str) -> bytes:
    return keys.context("token-key", digest)


def create_token(
    *, user: User, name: str, via: Via = "command", key_pair: keys.KeyPair | None = None
) -> tuple[ApiToken, str]:
    """Return the stored record and the token itself, which is never stored.

    With the owner's unlocked key pair (from her session, or from her password on the
    server), the token carries its own wrapping of her private key and opens what she
    may open; without, it lists and acts but opens no case content.
    """
    if not mfa.factor_in_place(user):
        raise TokenError("set up the second factor first: this account's roles need one")
    token = PREFIX + secrets.token_urlsafe(32)
    digest = _digest(token)
    wrap = (
        keys.encrypt(keys.token_key(token), key_pair.private_bytes(), _key_context(digest))
        if key_pair is not None
        else None
    )
    with transaction.atomic():
        record = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100] or "token",
            digest=digest,
            prefix=token[:12],
            created_at=timezone.now(),
            fingerprint=fingerprint(user),
            key_wrap=wrap,
        )
        log.record_system(
            EventType.TOKEN_CREATED, user=user.pk, token=record.pk, via=via, opens_content=wrap is not None
        )
    return record, token


def user_for_token(token: str) -> User | None:
    """The owner of a live token, her key unlocked for this request; None for anything else, whatever the reason."""
    if not token.startswith(PREFIX):
        return None
    record = ApiToken.objects.select_related("user").filter(digest=_digest(token)).first()
    if record is None or token_state(record) is not TokenState.ACTIVE:
        return None
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
    user = record.user
    if record.key_wrap is not None:
        try:
            raw = keys.decrypt(keys.token_key(token), bytes(record.key_wrap), _key_context(record.digest))
        except DecryptionError:
            return user  # made for a key pair since replaced: it opens no content
        staff_keys.attach(user, keys.KeyPair.from_private_bytes(raw))
    return user


def revoke_token(*, user: User, token_id: int, via: Via = "command") -> bool:
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            log.record_system(EventType.TOKEN_REVOKED, user=user.pk, token=token_id, via=via)
    return bool(revoked)


def revoke_all(*, user: User, reason: str) -> int:
    """Revoke every token of this person (run inside the transaction of the change that calls for it)."""
    ids = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True).values_list("pk", flat=True))
    ApiToken.objects.filter(pk__in=ids).update(revoked_at=timezone.now())
    for token_id in ids:
        log.record_system(EventType.TOKEN_REVOKED, user=user.pk, token=token_id, reason=reason)
    return len(ids)
