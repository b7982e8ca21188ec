"""One-time links: a second factor set up again after a reset, and the invitation to a new account.

`ombuds staff reset-mfa` (or the administration pages) removes a person's second
factors, ends their tokens and issues a one-time link. Until that link has been opened
in the browser session they logged in with, that session cannot set up a new factor:
knowing the password is not enough to take over an account whose phone was lost (or
stolen). Accounts that were never reset set up their first factor at the first login.

An invitation is the same kind of link with another purpose: it is opened without
logging in, sets the account's first password once (ombuds.accounts.actions.accept_invitation),
and the person then logs in and sets up the second factor like every new account. A
link of one purpose never works for the other.
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
from ombuds.accounts.models import EnrolmentLink, LinkPurpose, MfaState
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


def issue_link(*, user: User, purpose: LinkPurpose, actor_id: int | None, now: datetime) -> IssuedLink:
    """Make a new link for this person, voiding every earlier unused one; run inside the caller's transaction."""
    secret = secrets.token_urlsafe(32)
    hours = (
        settings.OMBUDS_INVITATION_HOURS if purpose == LinkPurpose.INVITATION else settings.OMBUDS_ENROLMENT_LINK_HOURS
    )
    # Only the newest link counts; an older one still unopened is void.
    EnrolmentLink.objects.filter(user=user, used_at__isnull=True).delete()
    link = EnrolmentLink.objects.create(
        user=user, purpose=purpose, digest=_digest(secret), created_at=now, expires_at=now + timedelta(hours=hours)
    )
    log.record_system(
        EventType.STAFF_ENROLMENT_LINK, actor_id=actor_id, user=user.pk, link=link.pk, step="issued", purpose=purpose
    )
    name = "accounts:accept_invitation" if purpose == LinkPurpose.INVITATION else "accounts:enrol"
    path = reverse(name, kwargs={"secret": secret})
    return IssuedLink(url=settings.OMBUDS_BASE_URL.rstrip("/") + path, expires_at=link.expires_at)


def reset_second_factor(*, user: User, acting_user: User | None = None) -> IssuedLink:
    """Remove every second factor of this person, end their tokens, and issue a one-time link.

    `acting_user` is the administrator who asked for it in the browser, or None on the server.
    """
    from ombuds.accounts import mail  # it imports this module for the link it sends

    now = timezone.now()
    actor_id = acting_user.pk if acting_user is not None else None
    with transaction.atomic(durable=True):
        removed, _ = Authenticator.objects.filter(user=user).delete()
        state, _created = MfaState.objects.select_for_update().get_or_create(user=user)
        state.generation += 1
        state.needs_enrolment_link = True
        state.save()
        revoked = tokens.revoke_all(user=user, reason="mfa_reset")
        log.record_system(
            EventType.STAFF_MFA_RESET, actor_id=actor_id, user=user.pk, removed=removed, tokens_revoked=revoked
        )
        mail.queue_account_notice(user=user, change="second_factor_reset", acting_user=acting_user)
        return issue_link(user=user, purpose=LinkPurpose.RESET, actor_id=actor_id, now=now)


def good_link(secret: str, purpose: LinkPurpose, *, now: datetime, lock: bool = False) -> EnrolmentLink | None:
    """The unused, unexpired link of this purpose with this secret, or None whatever the reason."""
    links = EnrolmentLink.objects.select_related("user")
    if lock:
        links = links.select_for_update()
    link = links.filter(digest=_digest(secret), purpose=purpose).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    return link


def open_link(request: HttpRequest, secret: str) -> bool:
    """Use up the link for the person logged in to this session; False if it is not theirs or not good."""
    user = request.user
    if not isinstance(user, User):
        return False
    now = timezone.now()
    with transaction.atomic():
        link = good_link(secret, LinkPurpose.RESET, now=now, lock=True)
        if link is None or link.user_id != user.pk:
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
    newest = EnrolmentLink.objects.filter(user=user, purpose=LinkPurpose.RESET).values_list("pk", "used_at").first()
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
