"""Wrong staff passwords: locked per account and address, slowed down per account.

django-axes locks an account for one client address after `OMBUDS_LOGIN_ATTEMPTS` wrong
passwords from that address (settings.AXES_*), so a stranger somewhere else cannot lock
the staff member out. Against guessing spread over many addresses, each account is
also slowed down: once `OMBUDS_LOGIN_SLOWDOWN_AFTER` wrong passwords were given for it
from anywhere within the lockout window, each further attempt must wait 1, 2, 4, ...
seconds after the last failure, never more than `OMBUDS_LOGIN_SLOWDOWN_MAX_SECONDS`.
An attempt told to wait is not counted, and an address the account has logged in from
before (axes' access log) is never slowed down, so a stranger who keeps failing at the
right moments cannot keep the staff member out either. Nothing is stored beyond axes'
own records.
"""

from __future__ import annotations

import math
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def seconds_to_wait(request: HttpRequest, login: str) -> int:
    """How long this attempt to log in as `login` must still wait; 0 when it may go ahead."""
    if not login:
        return 0
    now = timezone.now()
    window_start = now - timedelta(hours=settings.AXES_COOLOFF_TIME)
    failures = AccessAttempt.objects.filter(username__iexact=login, attempt_time__gte=window_start).aggregate(
        count=Sum("failures_since_start"), last=Max("attempt_time")
    )
    count, last = failures["count"] or 0, failures["last"]
    after: int = settings.OMBUDS_LOGIN_SLOWDOWN_AFTER
    cap: int = settings.OMBUDS_LOGIN_SLOWDOWN_MAX_SECONDS
    if count < after or last is None:
        return 0
    address = get_client_ip_address(request)
    if address and AccessLog.objects.filter(username__iexact=login, ip_address=address).exists():
        return 0
    delay = min(2 ** min(count - after, 30), cap)
    left: float = (last + timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(left))


def wait_message(seconds: int) -> str:
    return ngettext(
        "Too many wrong passwords were given for this account. Wait %(seconds)d second and try again.",
        "Too many wrong passwords were given for this account. Wait %(seconds)d seconds and try again.",
        seconds,
    ) % {"seconds": seconds}


def confirm_password(request: HttpRequest, user: User, password: str) -> str | None:
    """Check a logged-in person's password again; None if right, otherwise what to tell them.

    A wrong password counts as a failed login: it adds to the same lock and slow-down.
    """
    credentials = {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        return _("Too many wrong passwords. Wait a while and try again.")
    wait = seconds_to_wait(request, user.get_username())
    if wait:
        return wait_message(wait)
    if user.check_password(password):
        return None
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return _("That is not your password.")
