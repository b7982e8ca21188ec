"""Second factor before any staff page that shows case data or the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from ombuds.accounts.roles import MFA_REQUIRED, roles_of

# Pages reachable before the second factor is set up: login, logout and MFA set-up.
_EXEMPT = ("/staff/accounts/",)


class RequireMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith("/staff/") and not path.startswith(_EXEMPT):
            user = request.user
            if user.is_authenticated and roles_of(user) & MFA_REQUIRED and not is_mfa_enabled(user, ["totp"]):
                return redirect("mfa_activate_totp")
        return self.get_response(request)
