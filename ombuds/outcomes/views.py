"""Staff pages for protective measures, outcomes per accused and rehire checks.

Case pages are under the case (/staff/cases/<ref>/measures/, .../outcomes/), fetched
through ombuds.cases.access like every case page: people without a case role, and
conflicted people, get 404. The rehire pages are for hr (asking) and oversight (the
list and the look-up); everyone else gets 404 there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ombuds.accounts import mfa
from ombuds.accounts.roles import CASE_READERS, roles_of
from ombuds.cases import access, permissions
from ombuds.cases import actions as case_actions
from ombuds.cases.models import Case, InvolvedPerson
from ombuds.outcomes import actions, outcome_view
from ombuds.outcomes import forms as outcome_forms
from ombuds.outcomes.models import AccusedOutcome, Measure, RehireCheck


def _staff_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _case_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Only people whose role reads cases, and who may see this one, get past here; the rest get one 404."""

    @mfa.second_factor_required
    def wrapper(request: HttpRequest, reference: str, **kwargs: Any) -> HttpResponseBase:
        if not roles_of(request.user) & CASE_READERS:
            raise Http404("no such page")
        # Before anything else (even the method check), so a conflicted person learns nothing.
        case = access.case_for_staff(request.user, reference)
        return view(request, case, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _measure(case: Case, measure_id: int) -> Measure:
    measure = Measure.objects.filter(case=case, pk=measure_id).first()
    if measure is None:
        raise Http404("no such measure")
    return measure


def _outcome(case: Case, outcome_id: int) -> AccusedOutcome:
    outcome = AccusedOutcome.objects.filter(case=case, pk=outcome_id).select_related("case").first()
    if outcome is None:
        raise Http404("no such outcome")
    return outcome


def _done(request: HttpRequest, case: Case, page: str, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(page, reference=case.reference)


# --- Measures -----------------------------------------------------------------------------------


def _measures_page(
    request: HttpRequest, case: Case, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    user = _staff_user(request)
    # The page shows what was written about the case: a view like the case page's.
    case_actions.record_case_view(case=case, actor=user, via="web")
    view = outcome_view.for_staff(case, user)
    bound = bound or {}
    return render(
        request,
        "outcomes/measures.html",
        {
            "case": view,
            "measure_form": bound.get("measure")
            or outcome_forms.MeasureForm(prefix="measure", people=view.people, initial={"protects_reporter": True}),
            # Each measure with its own two forms, prefixed by its id.
            "rows": [
                (
                    m,
                    bound.get(f"extend{m.id}")
                    or outcome_forms.ExtendMeasureForm(
                        prefix=f"extend{m.id}", initial={"review_on": m.review_on, "ends_on": m.ends_on}
                    ),
                    bound.get(f"end{m.id}") or outcome_forms.EndMeasureForm(prefix=f"end{m.id}"),
                )
                for m in view.measures
            ],
        },
        status=status,
    )


@_case_page
@require_http_methods(["GET", "POST"])
def measures(request: HttpRequest, case: Case) -> HttpResponse:
    """The case's measures, and the form to record one."""
    if request.method != "POST":
        return _measures_page(request, case)
    people = outcome_view.for_staff(case, _staff_user(request)).people
    form = outcome_forms.MeasureForm(request.POST, prefix="measure", people=people)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_measure(
                case=case,
                actor=_staff_user(request),
                kind=data["kind"],
                protects_reporter=data["protects_reporter"],
                protects=data["protects"],
                restricts=data["restricts"],
                starts_on=data["starts_on"],
                review_on=data["review_on"],
                ends_on=data["ends_on"],
                description=data["description"],
            )
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, case, "outcomes:measures", _("Measure recorded."))
    return _measures_page(request, case, bound={"measure": form}, status=400)


@_case_page
@require_POST
def measure_extend(request: HttpRequest, case: Case, measure_id: int) -> HttpResponse:
    measure = _measure(case, measure_id)
    form = outcome_forms.ExtendMeasureForm(request.POST, prefix=f"extend{measure.pk}")
    if form.is_valid():
        try:
            actions.extend_measure(
                measure=measure,
                actor=_staff_user(request),
                review_on=form.cleaned_data["review_on"],
                ends_on=form.cleaned_data["ends_on"],
                reason=form.cleaned_data["reason"],
            )
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, case, "outcomes:measures", _("Measure kept, with its next review date."))
    return _measures_page(request, case, bound={f"extend{measure.pk}": form}, status=400)


@_case_page
@require_POST
def measure_end(request: HttpRequest, case: Case, measure_id: int) -> HttpResponse:
    measure = _measure(case, measure_id)
    form = outcome_forms.EndMeasureForm(request.POST, prefix=f"end{measure.pk}")
    if form.is_valid():
        try:
            actions.end_measure(measure=measure, actor=_staff_user(request), reason=form.cleaned_data["reason"])
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, case, "outcomes:measures", _("Measure ended."))
    return _measures_page(request, case, bound={f"end{measure.pk}": form}, status=400)


# --- Outcomes ----------------------------------------------------------------------------------


def _outcomes_page(
    request: HttpRequest, case: Case, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    user = _staff_user(request)
    case_actions.record_case_view(case=case, actor=user, via="web")
    view = outcome_view.for_staff(case, user)
    bound = bound or {}
    return render(
        request,
        "outcomes/outcomes.html",
        {
            "case": view,
            "outcome_form": bound.get("outcome") or outcome_forms.OutcomeForm(prefix="outcome", accused=view.accused),
            # Each outcome with its decision form when this person may decide it.
            "rows": [
                (
                    o,
                    (bound.get(f"decide{o.id}") or outcome_forms.DecideOutcomeForm(prefix=f"decide{o.id}"))
                    if o.may_decide
                    else None,
                )
                for o in view.outcomes
            ],
        },
        status=status,
    )


@_case_page
@require_http_methods(["GET", "POST"])
def outcomes(request: HttpRequest, case: Case) -> HttpResponse:
    """The decisions about each accused person, and the form to propose one."""
    if request.method != "POST":
        return _outcomes_page(request, case)
    user = _staff_user(request)
    accused = outcome_view.for_staff(case, user).accused
    form = outcome_forms.OutcomeForm(request.POST, prefix="outcome", accused=accused)
    if form.is_valid():
        person = _case_person(case, form.cleaned_data["person"])
        try:
            outcome = actions.propose_outcome(
                case=case,
                actor=user,
                person=person,
                sanctions=form.cleaned_data["sanctions"],
                rehire=form.cleaned_data["rehire"],
                reason=form.cleaned_data["reason"],
                identifiers=form.identifiers(),
            )
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            done = (
                _("The decision waits for a second person's approval.")
                if outcome.is_pending
                else _("The decision is recorded.")
            )
            return _done(request, case, "outcomes:outcomes", done)
    return _outcomes_page(request, case, bound={"outcome": form}, status=400)


def _case_person(case: Case, person_id: int) -> InvolvedPerson:
    person = InvolvedPerson.objects.filter(report__case=case, pk=person_id).select_related("report").first()
    if person is None:
        raise Http404("no such person on this case")
    return person


@_case_page
@require_POST
def outcome_decide(request: HttpRequest, case: Case, outcome_id: int) -> HttpResponse:
    outcome = _outcome(case, outcome_id)
    form = outcome_forms.DecideOutcomeForm(request.POST, prefix=f"decide{outcome.pk}")
    if form.is_valid():
        user = _staff_user(request)
        try:
            if form.cleaned_data["decision"] == "approve":
                actions.approve_outcome(outcome=outcome, actor=user, note=form.cleaned_data["note"])
            else:
                actions.reject_outcome(outcome=outcome, actor=user, note=form.cleaned_data["note"])
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, case, "outcomes:outcomes", _("Decision recorded."))
    return _outcomes_page(request, case, bound={f"decide{outcome.pk}": form}, status=400)


@_case_page
@require_POST
def outcome_withdraw(request: HttpRequest, case: Case, outcome_id: int) -> HttpResponse:
    outcome = _outcome(case, outcome_id)
    try:
        actions.withdraw_outcome(outcome=outcome, actor=_staff_user(request))
    except actions.ActionError as exc:
        messages.error(request, str(exc))
        return _outcomes_page(request, case, status=400)
    return _done(request, case, "outcomes:outcomes", _("Your proposal was withdrawn."))


# --- Rehire checks -------------------------------------------------------------------------------

CHECKS_PER_PAGE = 50


@mfa.second_factor_required
@require_http_methods(["GET", "POST"])
def rehire(request: HttpRequest) -> HttpResponse:
    """hr asks the registry here; oversight lists the checks. Anyone else: 404."""
    user = _staff_user(request)
    asks, reads = permissions.may_check_rehire(user), permissions.may_read_rehire_checks(user)
    if not asks and not reads:
        raise Http404("no such page")
    if request.method == "POST" and not asks:
        raise Http404("no such page")
    form = outcome_forms.RehireCheckForm(request.POST or None, prefix="check") if asks else None
    answer = None
    status = 200
    if form is not None and form.is_bound:
        if form.is_valid():
            try:
                answer = actions.check_rehire(actor=user, identifiers=form.identifiers())
            except actions.ActionError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                form = outcome_forms.RehireCheckForm(prefix="check")
        else:
            status = 400
    checks = None
    if reads:
        checks = Paginator(RehireCheck.objects.select_related("asked_by"), CHECKS_PER_PAGE).get_page(
            request.GET.get("page")
        )
    return render(
        request,
        "outcomes/rehire.html",
        {"form": form, "answer": answer, "checks": checks, "now": timezone.now()},
        status=status,
    )


@mfa.second_factor_required
@require_GET
def rehire_check(request: HttpRequest, check_reference: str) -> HttpResponse:
    """Oversight looks one check up: its answer and the registry entries (and cases) it matched."""
    user = _staff_user(request)
    if not permissions.may_read_rehire_checks(user):
        raise Http404("no such page")
    found = RehireCheck.objects.filter(reference=check_reference).select_related("asked_by").first()
    if found is None:
        raise Http404("no such check")
    actions.record_rehire_check_view(rehire_check=found, actor=user)
    matched = found.matched.select_related("outcome__case").order_by("listed_at")
    visible = set(access.visible_cases(user).values_list("pk", flat=True))
    return render(
        request,
        "outcomes/rehire_check.html",
        {
            "check": found,
            # A case this oversight member is conflicted on is named by nothing but the entry.
            "entries": [(e, e.outcome.case if e.outcome.case_id in visible else None) for e in matched],
        },
    )
