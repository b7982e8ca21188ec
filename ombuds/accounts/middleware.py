"""Second factor before any staff page that shows case data or the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from ombuds.accounts.roles import MFA_REQUIRED, roles_of

# Pages reachable before the second factor is set up: login, logout, password reset and
# the second-factor pages themselves. Nothing else, e-mail changes above all.
_EXEMPT = (
    "/staff/accounts/login/",
    "/staff/accounts/logout/",
    "/staff/accounts/2fa/",
    "/staff/accounts/reauthenticate/",
    "/staff/accounts/password/reset/",
)
# A staff account's e-mail links it to its directory record, and through it to the
# conflict rules; only an administrator changes it (through the directory).
_BLOCKED = ("/staff/accounts/email/",)


class RequireMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith(_BLOCKED):
            raise Http404("no such page")
        if path.startswith("/staff/") and not path.startswith(_EXEMPT):
            user = request.user
            if user.is_authenticated and roles_of(user) & MFA_REQUIRED and not is_mfa_enabled(user, ["totp"]):
                return redirect("mfa_activate_totp")
        return self.get_response(request)
