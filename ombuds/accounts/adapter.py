import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.account.models import EmailAddress
from allauth.core.internal import ratelimit
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from ombuds.accounts import throttle


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Staff accounts are created by an administrator (`ombuds createstaff`), never by sign-up."""
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """A login within the reauthentication window counts as recent authentication.

        Without this, a new handler who has just logged in is asked for her password again
        before she may set up the second factor that ombuds insists on.
        """
        required = bool(super().is_reauthentication_required(app=app, **kwargs))
        request = getattr(self, "request", None)
        if not required or request is None or not request.user.is_authenticated:
            return required
        records = get_authentication_records(request, request.user)
        window = getattr(settings, "ACCOUNT_REAUTHENTICATION_TIMEOUT", 300)
        return not (records and time.time() - float(records[-1]["at"]) < window)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Slow down guessing per account; limit failures per address.

        allauth's own limit also counts failures per e-mail address from anywhere and then
        refuses even the right password, which would let a stranger lock a staff member
        out. The per-account part is replaced by accounts/throttle.py, which only ever
        asks for a short wait; the per-address part is kept ("login_failed_address" in
        settings.ACCOUNT_RATE_LIMITS).
        """
        login = str(credentials.get("email") or credentials.get("username") or "")
        wait = throttle.seconds_to_wait(request, login)
        if wait:
            raise ValidationError(throttle.wait_message(wait), code="slowed_down")
        usage = ratelimit.consume(request, app="allauth.account", action="login_failed_address")
        # allauth rolls this back after a successful login, as it does with its own limit.
        self._login_failed_rl_usage = usage
        if usage is None:
            raise self.validation_error("too_many_login_attempts")

    # A staff account's e-mail address links it to its directory record, and through it
    # to the conflict rules: only an administrator changes it, through the directory.
    # The e-mail pages answer 404 (accounts/urls.py); these refuse the change too.

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        return False

    def can_delete_email(self, email_address: EmailAddress) -> bool:
        return False
