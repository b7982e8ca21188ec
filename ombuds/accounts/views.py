"""Staff account pages of ombuds's own, in front of allauth's: invitations, enrolment after a reset, refusals."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp import views as totp_views
from allauth.mfa.webauthn import views as webauthn_views
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ombuds.accounts import actions as account_actions
from ombuds.accounts import enrolment
from ombuds.accounts.forms import InvitationPasswordForm
from ombuds.accounts.models import LinkPurpose
from ombuds.cases import keyring


def no_such_page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Pages of allauth that staff must not reach (their e-mail address is the directory's)."""
    raise Http404("no such page")


@login_required
def enrol(request: HttpRequest, secret: str) -> HttpResponse:
    """The administrator's one-time link after a second-factor reset.

    Opening it (a POST, so that a link preview cannot use it up) lets this browser
    session set up a new second factor.
    """
    if request.method == "POST":
        if enrolment.open_link(request, secret):
            return redirect("mfa_activate_totp")
        return render(request, "accounts/enrol_refused.html", status=404)
    return render(request, "accounts/enrol.html")


@login_required
def activate_totp(request: HttpRequest) -> HttpResponseBase:
    """allauth's TOTP set-up, once this session may enrol; counted as passing the factor when done."""
    if not enrolment.may_enrol(request):
        return render(request, "accounts/enrolment_needed.html", status=403)
    had_totp = _totp(request) is not None
    response: HttpResponseBase = totp_views.activate_totp(request)
    created = None if had_totp else _totp(request)
    if created is not None:
        enrolment.enrolled(request, created)
        # Until now her roles opened no case (ombuds.cases.access asks for the factor), so
        # the cases filed before her account was made were never queued for her key.
        keyring.resync_user(created.user)
    return response


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, secret: str) -> HttpResponse:
    """The link in an invitation: choose the first password, then log in and set up the second factor.

    Opened without logging in. A GET only shows the form, so a link preview cannot use
    the link up; the POST with a good password does.
    """
    if enrolment.good_link(secret, LinkPurpose.INVITATION, now=timezone.now()) is None:
        return render(request, "accounts/invitation_refused.html", status=404)
    form = InvitationPasswordForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user = account_actions.accept_invitation(secret=secret, password=form.cleaned_data["password1"])
        except account_actions.AccountError as exc:
            form.add_error("password1", str(exc))
        else:
            if request.user.is_authenticated:
                logout(request)  # someone else's session in this browser ends here
            keyring.resync_user(user)
            # A page of its own rather than a message on the login page, which shows none.
            return render(request, "accounts/invitation_done.html", {"email": user.email})
    return render(request, "accounts/invitation.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def add_webauthn(request: HttpRequest) -> HttpResponseBase:
    """allauth's security-key set-up, behind the same rule as TOTP."""
    if not enrolment.may_enrol(request):
        return render(request, "accounts/enrolment_needed.html", status=403)
    response: HttpResponseBase = webauthn_views.add_webauthn(request)
    return response


def _totp(request: HttpRequest) -> Authenticator | None:
    return Authenticator.objects.filter(user_id=request.user.pk, type=Authenticator.Type.TOTP).first()
