import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.account.models import EmailAddress
from django.conf import settings
from django.http import HttpRequest


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

    # A staff account's e-mail address links it to its directory record, and through it
    # to the conflict rules: only an administrator changes it, through the directory.
    # The e-mail pages answer 404 (accounts/urls.py); these refuse the change too.

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        return False

    def can_delete_email(self, email_address: EmailAddress) -> bool:
        return False
