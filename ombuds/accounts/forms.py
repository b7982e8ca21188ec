"""Forms of the staff account pages."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import AddEmailForm
from django import forms
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ombuds.accounts import mfa, throttle


class NoEmailChangeForm(AddEmailForm):
    """allauth's form to add an e-mail address, refusing every address (see StaffAccountAdapter)."""

    def clean_email(self) -> str:
        raise forms.ValidationError(
            _("Staff e-mail addresses are changed by an administrator, through the directory."), code="staff_email"
        )


class NewTokenForm(forms.Form):
    """A new personal API token: only from a session that passed the second factor, and with the password again."""

    name = forms.CharField(label=_("Name for a new token"), max_length=100, required=False)
    password = forms.CharField(label=_("Your password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        user = self.request.user
        assert isinstance(user, User)
        if not mfa.passed_in_session(self.request):
            raise forms.ValidationError(
                _("Set up two-factor authentication, and log in with it, before making a token."), code="no_mfa"
            )
        if "password" in cleaned:
            problem = throttle.confirm_password(self.request, user, cleaned["password"])
            if problem is not None:
                self.add_error("password", problem)
        return cleaned
