"""The organisation's settings and the pools of handlers per category."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ombuds.administration.access import administrator, administrator_required
from ombuds.administration.forms import OrganisationForm, PoolForm, described
from ombuds.cases import actions, selectors
from ombuds.cases.models import Category, PoolMembership
from ombuds.lib import languages
from ombuds.outcomes import actions as outcome_actions
from ombuds.outcomes import telling
from ombuds.outcomes.forms import ReporterWordingForm


@administrator_required
@require_http_methods(["GET", "POST"])
def organisation(request: HttpRequest) -> HttpResponse:
    org = selectors.current_organisation()
    form = OrganisationForm(request.POST or None, initial=OrganisationForm.initial_for(org))
    wording_form = ReporterWordingForm(
        request.POST or None, prefix="outcomes", languages=org.offered_languages(), policy=telling.policy()
    )
    if request.method == "POST" and form.is_valid() and wording_form.is_valid() and _save(request, form, wording_form):
        messages.success(
            request, _("The organisation's settings are saved. New deadlines apply to cases received from now on.")
        )
        return redirect("administration:organisation")
    return render(
        request,
        "administration/organisation.html",
        {
            "form": form,
            "wording_form": wording_form,
            "deadlines": [
                (form["ack_deadline"], described(org.ack_deadline)),
                (form["feedback_deadline"], described(org.feedback_deadline)),
                (form["assault_first_action_deadline"], described(org.assault_first_action_deadline)),
            ],
        },
        status=400 if form.errors or wording_form.errors else 200,
    )


def _save(request: HttpRequest, form: OrganisationForm, wording_form: ReporterWordingForm) -> bool:
    """The organisation's settings, then what reporters are told of outcomes: each through its own action.

    "Nothing to change" is the answer only when neither changed.
    """
    tell_sanctions, wording = wording_form.changes()
    outcomes_changed = tell_sanctions is not None or bool(wording)
    try:
        actions.configure_organisation(**form.action_values(), acting_user=administrator(request))
    except actions.NothingToChange as exc:
        if not outcomes_changed:
            form.add_error(None, str(exc))
            return False
    except actions.ActionError as exc:
        form.add_error(None, str(exc))
        return False
    if outcomes_changed:
        try:
            outcome_actions.configure_policy(
                tell_sanctions=tell_sanctions,
                wording=wording,
                languages=languages.codes(),
                acting_user=administrator(request),
            )
        except actions.ActionError as exc:
            wording_form.add_error(None, str(exc))
            return False
    return True


@administrator_required
@require_http_methods(["GET", "POST"])
def pools(request: HttpRequest) -> HttpResponse:
    bound: PoolForm | None = None
    if request.method == "POST":
        bound = PoolForm(request.POST, auto_id=_auto_id(request.POST.get("category", "")))
        if bound.is_valid():
            category, user = bound.cleaned_data["category"], bound.cleaned_data["user"]
            member = request.POST.get("op") == "add"
            try:
                actions.set_pool_membership(
                    category=category, user=user, member=member, acting_user=administrator(request)
                )
            except actions.ActionError as exc:
                bound.add_error(None, str(exc))
            else:
                label = Category(category).label
                if member:
                    messages.success(
                        request,
                        _("%(email)s was added to the pool of %(category)s.")
                        % {"email": user.email, "category": label},
                    )
                else:
                    messages.success(
                        request,
                        _("%(email)s was taken out of the pool of %(category)s.")
                        % {"email": user.email, "category": label},
                    )
                return redirect("administration:pools")
    members = PoolMembership.objects.select_related("user").order_by("user__email")
    categories = []
    for category in Category:
        form = bound if bound is not None and bound.data.get("category") == category.value else None
        categories.append(
            {
                "category": category,
                "members": [m.user for m in members if m.category == category.value],
                "form": form or PoolForm(initial={"category": category.value}, auto_id=_auto_id(category.value)),
            }
        )
    return render(
        request,
        "administration/pools.html",
        {"categories": categories, "error_form": bound if bound is not None and bound.errors else None},
        status=400 if bound is not None and bound.errors else 200,
    )


def _auto_id(category: str) -> str:
    # One add form per category on the page: each needs ids of its own.
    return f"id_pool_{category if category in Category.values else 'other'}_%s"
