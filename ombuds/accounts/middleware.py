"""Second factor before any staff page: an extra layer over the views' own checks.

The views (accounts.mfa.second_factor_required), the API's token check and the access
module each enforce the second factor themselves; this catches any staff page that
would forget to, allauth's account pages among them. It looks at `path_info`, the path
Django resolves, never at `path`, which a SCRIPT_NAME can change.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponseBase

from ombuds.accounts import keys as staff_keys
from ombuds.accounts import mfa
from ombuds.cases import keyring

# Pages reachable before the second factor is passed: login, logout, password reset, the
# pages that check or set up a second factor, the enrolment link after a reset, and the
# invitation link (it sets a first password; whoever was logged in is logged out). Not
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
    "/staff/accounts/invitation/",
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


class StaffKeyMiddleware:
    """Unlock the staff member's private key for this request, from her session and her key cookie.

    After the view, she makes (with her key) the grants that wait on cases she can read:
    the server cannot make them itself, and the next reader to use ombuds does
    (ombuds.cases.keyring.grant_pending). A browser that logged out loses its cookie.
    """

    # Grants made per request: enough to keep up, small enough never to slow a page.
    GRANTS_PER_REQUEST = 50

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        cookie = request.COOKIES.get(staff_keys.COOKIE, "")
        if isinstance(user, User) and cookie:
            pair = staff_keys.from_session(request.session, user, cookie)
            if pair is not None:
                staff_keys.attach(user, pair)
        response = self.get_response(request)
        if isinstance(user, User) and staff_keys.attached(user) is not None:
            keyring.grant_pending(user, limit=self.GRANTS_PER_REQUEST)
        elif cookie and not staff_keys.session_holds_key(request.session):
            # Logged out (the session was emptied): the cookie opens nothing any more. Not
            # while a login waits for its second factor: the session holds the key then.
            response.delete_cookie(staff_keys.COOKIE, path="/", samesite="Strict")
        return response
