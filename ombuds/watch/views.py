"""Staff pages of the retaliation watch and accountability, under /staff/.

The list of open flags, and the actions on a case page: link the named reporter to the
directory, clear a flag or open a retaliation case from it, open an accountability case.
Cases and flags are fetched through ombuds.cases.access and ombuds.watch.selectors;
anyone who may not see them gets the same 404 as for a case that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ombuds.accounts import mfa
from ombuds.accounts.roles import CASE_READERS, roles_of
from ombuds.cases import access, permissions
from ombuds.cases.actions import ActionError
from ombuds.cases.models import Case
from ombuds.cases.permissions import Act

# The case page itself is rendered by ombuds.cases.views; these pages hand it their bound forms.
from ombuds.cases.views import _case_page
from ombuds.directory.models import Person
from ombuds.watch import actions, selectors, watch_view
from ombuds.watch.forms import ClearFlagForm, LinkedCaseForm, LinkReporterForm


def _staff_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _case_route(act: Act | None = None) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Only people whose role reads cases reach these routes, and with `act` only those who may take it.

    The case (and the flag a route names) is checked before anything else, the method
    check included, so that nobody else learns whether it exists.
    """

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @mfa.second_factor_required
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not roles_of(request.user) & CASE_READERS:
                raise Http404("no such page")
            if "flag_id" in kwargs:
                case = selectors.flag_for_staff(request.user, kwargs["reference"], kwargs["flag_id"]).case
            else:
                case = access.case_for_staff(request.user, kwargs["reference"])
            if act is not None and not permissions.may_take(request.user, case, act):
                raise Http404("no such page")
            return view(request, *args, **kwargs)

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorate


def _done(request: HttpRequest, case: Case, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("cases:case", reference=case.reference)


def _again(request: HttpRequest, case: Case, name: str, form: forms.Form) -> HttpResponse:
    return _case_page(request, case, bound={name: form}, status=400)


@require_GET
@mfa.second_factor_required
def flag_list(request: HttpRequest) -> HttpResponse:
    """Open flags on every case this oversight member may see; everyone else gets 404."""
    user = _staff_user(request)
    if not permissions.watches(user):
        raise Http404("no such page")
    return render(request, "watch/flags.html", {"flags": watch_view.open_flags(user)})


@_case_route(Act.DECIDE_FLAG)
@require_POST
def clear_flag(request: HttpRequest, reference: str, flag_id: int) -> HttpResponse:
    user = _staff_user(request)
    flag = selectors.flag_for_staff(user, reference, flag_id)
    form = ClearFlagForm(request.POST, prefix=f"clear{flag.pk}")
    if form.is_valid():
        try:
            actions.clear_flag(flag=flag, actor=user, note=form.cleaned_data["note"])
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, flag.case, _("The flag is cleared."))
    return _again(request, flag.case, f"clear{flag.pk}", form)


@_case_route(Act.DECIDE_FLAG)
@require_POST
def open_retaliation_case(request: HttpRequest, reference: str, flag_id: int) -> HttpResponse:
    user = _staff_user(request)
    flag = selectors.flag_for_staff(user, reference, flag_id)
    form = LinkedCaseForm(request.POST, prefix=f"retaliate{flag.pk}")
    if form.is_valid():
        try:
            new = actions.open_retaliation_case(
                flag=flag, actor=user, statement=form.cleaned_data["statement"], others=form.cleaned_data["others"]
            )
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, new, _("Retaliation case opened, linked to case %(ref)s.") % {"ref": reference})
    return _again(request, flag.case, f"retaliate{flag.pk}", form)


@_case_route()
@require_POST
def link_reporter(request: HttpRequest, reference: str) -> HttpResponse:
    user = _staff_user(request)
    case = access.case_for_staff(user, reference)
    form = LinkReporterForm(request.POST, prefix="reporter")
    if form.is_valid():
        person = Person.objects.filter(employee_id=form.cleaned_data["employee_id"].strip()).first()
        if person is None:
            form.add_error("employee_id", _("No person in the directory has this employee id."))
        else:
            try:
                actions.link_reporter(case=case, actor=user, person=person)
            except ActionError as exc:
                form.add_error(None, str(exc))
            else:
                return _done(request, case, _("The reporter is linked to the directory and watched."))
    return _again(request, case, "reporter", form)


@_case_route(Act.OPEN_ACCOUNTABILITY)
@require_POST
def open_accountability_case(request: HttpRequest, reference: str) -> HttpResponse:
    user = _staff_user(request)
    case = access.case_for_staff(user, reference)
    form = LinkedCaseForm(request.POST, prefix="accountability")
    if form.is_valid():
        try:
            new = actions.open_accountability_case(
                case=case, actor=user, statement=form.cleaned_data["statement"], others=form.cleaned_data["others"]
            )
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, new, _("Accountability case opened, linked to case %(ref)s.") % {"ref": reference})
    return _again(request, case, "accountability", form)
