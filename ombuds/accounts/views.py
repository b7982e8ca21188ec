"""Staff account pages of ombuds's own, in front of allauth's: enrolment after a reset, and refusals."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp import views as totp_views
from allauth.mfa.webauthn import views as webauthn_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render

from ombuds.accounts import enrolment


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
    return response


@login_required
def add_webauthn(request: HttpRequest) -> HttpResponseBase:
    """allauth's security-key set-up, behind the same rule as TOTP."""
    if not enrolment.may_enrol(request):
        return render(request, "accounts/enrolment_needed.html", status=403)
    response: HttpResponseBase = webauthn_views.add_webauthn(request)
    return response


def _totp(request: HttpRequest) -> Authenticator | None:
    return Authenticator.objects.filter(user_id=request.user.pk, type=Authenticator.Type.TOTP).first()
