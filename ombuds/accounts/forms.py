"""Forms of the staff account pages."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import AddEmailForm, ChangePasswordForm, LoginForm
from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from ombuds.accounts import keys as staff_keys
from ombuds.accounts import mfa, throttle
from ombuds.cases import keyring


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


class InvitationPasswordForm(forms.Form):
    """The first password of an invited account; the validators run in the action, with the account at hand."""

    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        help_text=_(
            "At least 12 characters, not a common password, not only digits, and not close to your name or e-mail."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("The same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class StaffLoginForm(LoginForm):
    """allauth's login, which also unlocks the staff member's private key with her password.

    The key is kept for the session, encrypted, with the key that opens it in a cookie of
    its own (ombuds.accounts.keys). The first login after keys exist makes her key pair;
    a login after a password reset (the old password is gone, and with it the old key)
    makes a new one. In both cases her cases are queued to be granted to her again by the
    next person who can read each of them.
    """

    def login(self, request: HttpRequest, redirect_url: str | None = None) -> HttpResponse:
        user = self.user
        assert isinstance(user, User)
        unlocked = staff_keys.unlock(user, self.cleaned_data["password"])
        if unlocked.created or unlocked.replaced:
            keyring.queue_for_new_key(user)
        cookie = staff_keys.keep_in_session(request.session, user, unlocked.key_pair)
        response: HttpResponse = super().login(request, redirect_url)
        set_key_cookie(response, cookie)
        return response


class StaffChangePasswordForm(ChangePasswordForm):
    """allauth's password change, which also re-wraps her private key under the new password."""

    def save(self) -> None:
        user = self.user
        assert isinstance(user, User)
        staff_keys.rewrap(user, self.cleaned_data["oldpassword"], self.cleaned_data["password1"])
        super().save()


def set_key_cookie(response: HttpResponse, value: str) -> None:
    """The half of the session's key that lives in the browser: HTTP only, strict, for this browser session."""
    response.set_cookie(
        staff_keys.COOKIE,
        value,
        httponly=True,
        samesite="Strict",
        secure=settings.SESSION_COOKIE_SECURE,
        path="/",
    )
