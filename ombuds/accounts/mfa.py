"""The second factor, enforced where access is decided rather than by URL prefix.

Staff whose roles read cases or the audit trail (`roles.MFA_REQUIRED`) must have TOTP
set up, and the browser session itself must have passed the second factor: allauth
records every authentication step in the session, and an "mfa" record naming one of
the user's current authenticators has to be there. A record naming an authenticator
that was since removed (by `ombuds staff reset-mfa`, say) no longer counts.

Who asks: the staff views (`second_factor_required`), the API's token check
(`accounts/tokens.py`), the access module (`factor_in_place`), and, as an extra
layer, `accounts/middleware.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse

from ombuds.accounts.models import MfaState
from ombuds.accounts.roles import MFA_REQUIRED, roles_of

# Set on the request's user once `refusal` let it through: the middleware, the view and
# the access module would otherwise each query the authenticators again.
_CHECKED_ATTR = "_ombuds_second_factor_checked"


def required_for(user: User | AnonymousUser) -> bool:
    """Whether this person's roles demand a second factor."""
    return bool(roles_of(user) & MFA_REQUIRED)


def has_totp(user: User | AnonymousUser) -> bool:
    return user.pk is not None and Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def factor_in_place(user: User | AnonymousUser) -> bool:
    """False for someone whose roles need a second factor that they have not set up.

    The access module asks this, so a path that forgets the session check still shows
    nothing to an account that never had a second factor.
    """
    if getattr(user, _CHECKED_ATTR, False):
        return True
    return not required_for(user) or has_totp(user)


def passed_in_session(request: HttpRequest) -> bool:
    """Whether this browser session passed the second factor with a factor the user still has."""
    user = request.user
    if not isinstance(user, User):
        return False
    return _passed(request, user, set(Authenticator.objects.filter(user_id=user.pk).values_list("pk", flat=True)))


def _passed(request: HttpRequest, user: User, authenticator_ids: set[int]) -> bool:
    return any(
        record.get("method") == "mfa" and record.get("id") in authenticator_ids
        for record in get_authentication_records(request, user)
    )


def refusal(request: HttpRequest) -> HttpResponseBase | None:
    """None when this session may open staff pages; otherwise the redirect to take instead.

    Without TOTP the person is sent to set it up; with TOTP but a session that never
    passed it (one opened before it was set up elsewhere, or before a reset), to the
    second-factor check.
    """
    user = request.user
    if not isinstance(user, User) or not required_for(user) or getattr(user, _CHECKED_ATTR, False):
        return None
    authenticators = dict(Authenticator.objects.filter(user_id=user.pk).values_list("pk", "type"))
    if Authenticator.Type.TOTP not in authenticators.values():
        return HttpResponseRedirect(reverse("mfa_activate_totp"))
    if not _passed(request, user, set(authenticators)):
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{query}")
    setattr(user, _CHECKED_ATTR, True)
    return None


def second_factor_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Log-in required, and for roles that need it, a second factor passed in this session."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = refusal(request)
        if response is not None:
            return response
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def record_enrolment(request: HttpRequest, authenticator: Authenticator) -> None:
    """Count setting up a factor, which took a valid code from it, as passing it in this session.

    allauth records no authentication when a factor is set up; without this a new
    handler would be asked for a code again straight after giving one.
    """
    record_authentication(request, authenticator.user, "mfa", id=authenticator.pk, type=authenticator.type)


def generation(user: User) -> int:
    """How many times this person's second factor was reset (0 if never)."""
    found = MfaState.objects.filter(user_id=user.pk).values_list("generation", flat=True).first()
    return found or 0
