from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by an administrator (`ombuds createstaff`), never by sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
