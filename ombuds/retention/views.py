"""Staff pages of retention: legal holds (oversight), subject access requests (oversight), the
retention periods per category (administrators). Everyone else gets 404, as for a page that does
not exist; a case is fetched through ombuds.cases.access, so the conflicted get 404 too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ombuds.accounts import mfa
from ombuds.accounts.roles import Role, roles_of
from ombuds.administration.access import administrator, administrator_required
from ombuds.cases import access, content, keyring
from ombuds.cases.actions import ActionError, NothingToChange
from ombuds.cases.models import Case, Category
from ombuds.directory.models import Person
from ombuds.retention import actions, rules, subject_access
from ombuds.retention.forms import HoldForm, RuleForm, SubjectAccessForm
from ombuds.retention.models import LegalHold


def oversight_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Only oversight members, with their second factor, reach the page; the check comes before
    anything else, the method check included, so that nobody else learns whether it exists."""

    @mfa.second_factor_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not isinstance(user, User) or Role.OVERSIGHT not in roles_of(user):
            raise Http404("no such page")
        if "reference" in kwargs:
            access.case_for_staff(user, kwargs["reference"])  # 404 for the conflicted and for no such case
        return view(request, *args, **kwargs)

    return wrapper


def _oversight(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _reason(user: User, hold: LegalHold) -> str:
    key = keyring.staff_data_key(user, hold.case)
    if key is None:
        return ""
    return content.open(hold.reason, key=key, case=hold.case, model=LegalHold, field="reason")


@oversight_required
@require_http_methods(["GET", "POST"])
def legal_hold(request: HttpRequest, reference: str) -> HttpResponse:
    """The case's legal hold: the one in force with its reason, or the form to place one."""
    user = _oversight(request)
    case = access.case_for_staff(user, reference)
    form = HoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.place_hold(
                case=case, actor=user, reason=form.cleaned_data["reason"], review_on=form.cleaned_data["review_on"]
            )
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The legal hold is placed: the case's content is kept until it is lifted."))
            return redirect("retention:legal_hold", reference=case.reference)
    return _hold_page(request, user, case, form)


def _hold_page(request: HttpRequest, user: User, case: Case, form: HoldForm) -> HttpResponse:
    hold = actions.hold_in_force(case)
    return render(
        request,
        "retention/legal_hold.html",
        {
            "case": case,
            "hold": hold,
            "reason": _reason(user, hold) if hold is not None else "",
            "review_due": hold is not None and hold.review_due(timezone.localdate()),
            "delete_after": rules.delete_after(case, timezone.now()),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@oversight_required
@require_POST
def lift_hold(request: HttpRequest, reference: str) -> HttpResponse:
    user = _oversight(request)
    case = access.case_for_staff(user, reference)
    try:
        actions.lift_hold(case=case, actor=user)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The legal hold is lifted."))
    return redirect("retention:legal_hold", reference=case.reference)


@oversight_required
@require_GET
def holds(request: HttpRequest) -> HttpResponse:
    """The legal holds in force on the cases this member may see, those past their review date first."""
    user = _oversight(request)
    today = timezone.localdate()
    in_force = list(LegalHold.objects.filter(lifted_at__isnull=True).select_related("case"))
    seen = access.visible_among(user, (hold.case_id for hold in in_force))
    listed = sorted((hold for hold in in_force if hold.case_id in seen), key=lambda h: (h.review_on, h.pk))
    return render(
        request,
        "retention/holds.html",
        {"holds": [(hold, hold.review_due(today)) for hold in listed], "periods": rules.periods().values()},
    )


@oversight_required
@require_http_methods(["GET", "POST"])
def subject_access_request(request: HttpRequest) -> HttpResponse:
    """Produce the JSON document of what ombuds holds about one person concerned."""
    user = _oversight(request)
    form = SubjectAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = Person.objects.filter(employee_id=form.cleaned_data["employee_id"].strip()).first()
        if person is None:
            form.add_error("employee_id", _("Nobody in the directory has this employee number."))
        else:
            try:
                data = subject_access.produce(person=person, actor=user)
            except ActionError as exc:
                form.add_error(None, str(exc))
            else:
                response = HttpResponse(data, content_type="application/json; charset=utf-8")
                response["Content-Disposition"] = f'attachment; filename="subject-access-{person.pk}.json"'
                response["X-Content-Type-Options"] = "nosniff"
                return response
    return render(request, "retention/subject_access.html", {"form": form}, status=400 if form.errors else 200)


@administrator_required
@require_http_methods(["GET", "POST"])
def periods(request: HttpRequest) -> HttpResponse:
    """The retention periods of every category, for administrators."""
    error_form = None
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            try:
                actions.configure_rule(**form.cleaned_data, acting_user=administrator(request))
            except NothingToChange as exc:
                messages.info(request, str(exc))
                return redirect("retention:periods")
            except ActionError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The retention periods are saved; the sweeper applies them from now on."))
                return redirect("retention:periods")
        error_form = form
    table = rules.periods()
    rows = [
        (
            category,
            RuleForm(
                initial={
                    "category": category.value,
                    "without_investigation": table[category.value].without_investigation,
                    "after_decision": table[category.value].after_decision,
                },
                prefix=None,
            ),
        )
        for category in Category
    ]
    return render(
        request,
        "retention/periods.html",
        {"rows": rows, "error_form": error_form},
        status=400 if error_form is not None else 200,
    )
