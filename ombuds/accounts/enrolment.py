"""A second factor set up again after a reset: only through the administrator's one-time link.

`ombuds staff reset-mfa` removes a person's second factors, ends their tokens and prints
a one-time link. Until that link has been opened in the browser session they logged in
with, that session cannot set up a new factor: knowing the password is not enough to
take over an account whose phone was lost (or stolen). Accounts that were never reset
set up their first factor at the first login, as before.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from ombuds.accounts import mfa, tokens
from ombuds.accounts.models import EnrolmentLink, MfaState
from ombuds.audit import log
from ombuds.audit.models import EventType

# The session remembers which link was opened in it.
SESSION_KEY = "ombuds_enrolment_link"


@dataclass(frozen=True)
class IssuedLink:
    url: str
    expires_at: datetime


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def reset_second_factor(*, user: User) -> IssuedLink:
    """Remove every second factor of this person, end their tokens, and issue a one-time link."""
    now = timezone.now()
    secret = secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        removed, _ = Authenticator.objects.filter(user=user).delete()
        state, _created = MfaState.objects.select_for_update().get_or_create(user=user)
        state.generation += 1
        state.needs_enrolment_link = True
        state.save()
        revoked = tokens.revoke_all(user=user, reason="mfa_reset")
        # Only the newest link counts; an older one still unopened is void.
        EnrolmentLink.objects.filter(user=user, used_at__isnull=True).delete()
        link = EnrolmentLink.objects.create(
            user=user,
            digest=_digest(secret),
            created_at=now,
            expires_at=now + timedelta(hours=settings.OMBUDS_ENROLMENT_LINK_HOURS),
        )
        log.record_system(EventType.STAFF_MFA_RESET, user=user.pk, removed=removed, tokens_revoked=revoked)
        log.record_system(EventType.STAFF_ENROLMENT_LINK, user=user.pk, link=link.pk, step="issued")
    path = reverse("accounts:enrol", kwargs={"secret": secret})
    return IssuedLink(url=settings.OMBUDS_BASE_URL.rstrip("/") + path, expires_at=link.expires_at)


def open_link(request: HttpRequest, secret: str) -> bool:
    """Use up the link for the person logged in to this session; False if it is not theirs or not good."""
    user = request.user
    if not isinstance(user, User):
        return False
    now = timezone.now()
    with transaction.atomic():
        link = EnrolmentLink.objects.select_for_update().filter(digest=_digest(secret)).first()
        if link is None or link.user_id != user.pk or link.used_at is not None or link.expires_at <= now:
            return False
        link.used_at = now
        link.save(update_fields=["used_at"])
        log.record_system(EventType.STAFF_ENROLMENT_LINK, user=user.pk, link=link.pk, step="opened")
    request.session[SESSION_KEY] = link.pk
    return True


def may_enrol(request: HttpRequest) -> bool:
    """Whether this session may set up a new second factor for its user."""
    user = request.user
    if not isinstance(user, User):
        return False
    if not MfaState.objects.filter(user=user, needs_enrolment_link=True).exists():
        return True
    opened = request.session.get(SESSION_KEY)
    newest = EnrolmentLink.objects.filter(user=user).values_list("pk", "used_at").first()
    return opened is not None and newest is not None and newest[0] == opened and newest[1] is not None


def enrolled(request: HttpRequest, authenticator: Authenticator) -> None:
    """A new factor was set up in this session: the reset is over, and the session has passed it."""
    user = authenticator.user
    with transaction.atomic():
        if MfaState.objects.filter(user=user, needs_enrolment_link=True).update(needs_enrolment_link=False):
            link = request.session.get(SESSION_KEY)
            log.record_system(EventType.STAFF_ENROLMENT_LINK, user=user.pk, link=link, step="completed")
    request.session.pop(SESSION_KEY, None)
    mfa.record_enrolment(request, authenticator)
