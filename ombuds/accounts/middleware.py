"""Second factor before any staff page: an extra layer over the views' own checks.

The views (accounts.mfa.second_factor_required), the API's token check and the access
module each enforce the second factor themselves; this catches any staff page that
would forget to, allauth's account pages among them. It looks at `path_info`, the path
Django resolves, never at `path`, which a SCRIPT_NAME can change.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from ombuds.accounts import mfa

# Pages reachable before the second factor is passed: login, logout, password reset, the
# pages that check or set up a second factor, and the enrolment link after a reset. Not
# the rest of /staff/accounts/2fa/: a session that never passed the second factor must
# not remove it, see recovery codes or add a key.
_EXEMPT = (
    "/staff/accounts/login/",
    "/staff/accounts/logout/",
    "/staff/accounts/reauthenticate/",
    "/staff/accounts/password/reset/",
    "/staff/accounts/2fa/authenticate/",
    "/staff/accounts/2fa/reauthenticate/",
    "/staff/accounts/2fa/totp/activate/",
    "/staff/accounts/2fa/webauthn/reauthenticate/",
    "/staff/accounts/enrol/",
)


class RequireMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        path = request.path_info
        if path.startswith("/staff/") and not path.startswith(_EXEMPT):
            response = mfa.refusal(request)
            if response is not None:
                return response
        return self.get_response(request)
