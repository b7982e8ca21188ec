"""Administrators' pages for the support resources, under /staff/admin/resources/ (404 for everyone else)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ombuds.accounts.admin_pages import for_roles
from ombuds.accounts.roles import POLICY_ADMINS
from ombuds.resources import actions, catalogue
from ombuds.resources.forms import EntryTextsForm, ResourceForm, SettingsForm
from ombuds.resources.models import DefaultOverride, SupportResource, SupportSettings

# Outermost on every view: the role is checked before the method, so a wrong method learns nothing either.
admin_page = for_roles(POLICY_ADMINS)


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _settings_form(data: object = None) -> SettingsForm:
    chosen = SupportSettings.objects.filter(pk=1).first()
    initial = {
        "default_country": chosen.default_country if chosen else "",
        "quick_exit_url": chosen.quick_exit_url if chosen else "",
    }
    return SettingsForm(data, initial=initial)


def _index(request: HttpRequest, *, settings_form: SettingsForm | None = None, status: int = 200) -> HttpResponse:
    language = get_language()
    country = catalogue.normalise_country(request.GET.get("country")) or catalogue.organisation_country()
    country = country or next(iter(catalogue.defaults().countries))
    listed = catalogue.entries(country, language, include_hidden=True)
    return render(
        request,
        "resources/admin/index.html",
        {
            "country": country,
            "countries": catalogue.countries(language),
            "defaults": [entry for entry in listed if not entry.own],
            "own": catalogue.own_entries(language),
            "settings_form": settings_form or _settings_form(),
            "installation_country": settings.OMBUDS_SUPPORT_COUNTRY,
            "installation_exit": settings.OMBUDS_QUICK_EXIT_URL,
            "effective_exit": catalogue.quick_exit_url(),
        },
        status=status,
    )


@admin_page
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _index(request)


@admin_page
@require_POST
def support_settings(request: HttpRequest) -> HttpResponse:
    form = _settings_form(request.POST)
    if form.is_valid():
        try:
            actions.configure_support(
                default_country=form.cleaned_data["default_country"],
                quick_exit_url=form.cleaned_data["quick_exit_url"],
                actor=_actor(request),
            )
        except actions.ResourceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The support settings were saved."))
            return redirect("resources_admin:index")
    return _index(request, settings_form=form, status=400)


def _save_resource(request: HttpRequest, resource: SupportResource | None) -> HttpResponse:
    form = ResourceForm(
        request.POST or None,
        texts=resource.texts if resource else None,
        initial=(
            {
                "country": resource.country,
                "kind": resource.kind,
                "phone": resource.phone,
                "website": resource.website,
                "hidden": resource.hidden,
                "position": resource.position,
            }
            if resource
            else None
        ),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_resource(
                resource=resource,
                country=form.cleaned_data["country"],
                kind=form.cleaned_data["kind"],
                phone=form.cleaned_data["phone"],
                website=form.cleaned_data["website"],
                texts=form.texts(),
                hidden=form.cleaned_data["hidden"],
                position=form.cleaned_data["position"],
                actor=_actor(request),
            )
        except actions.ResourceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The entry was saved."))
            return redirect("resources_admin:index")
    status = 400 if request.method == "POST" else 200
    return render(request, "resources/admin/resource.html", {"form": form, "resource": resource}, status=status)


@admin_page
@require_http_methods(["GET", "POST"])
def new_resource(request: HttpRequest) -> HttpResponse:
    return _save_resource(request, None)


@admin_page
@require_http_methods(["GET", "POST"])
def resource(request: HttpRequest, resource_id: int) -> HttpResponse:
    found = SupportResource.objects.filter(pk=resource_id).first()
    if found is None:
        raise Http404("no such entry")
    return _save_resource(request, found)


@admin_page
@require_http_methods(["GET", "POST"])
def default(request: HttpRequest, default_key: str) -> HttpResponse:
    entry = catalogue.defaults().default(default_key)
    if entry is None:
        raise Http404("no such entry")
    override = DefaultOverride.objects.filter(key=default_key).first()
    texts = {**entry.texts, **(override.texts or {})} if override else entry.texts
    form = EntryTextsForm(
        request.POST or None,
        texts=texts,
        initial={
            "phone": override.phone if override and override.phone is not None else entry.phone,
            "website": override.website if override and override.website is not None else entry.website,
            "hidden": override.hidden if override else False,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_default(
                key=default_key,
                phone=form.cleaned_data["phone"],
                website=form.cleaned_data["website"],
                texts=form.texts(),
                hidden=form.cleaned_data["hidden"],
                actor=_actor(request),
            )
        except actions.ResourceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The entry was saved."))
            return redirect(f"{_index_url()}?country={entry.country}")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "resources/admin/default.html",
        {
            "form": form,
            "entry": entry,
            "changed": override is not None,
            "country_name": catalogue.country_name(entry.country, get_language()),
        },
        status=status,
    )


def _index_url() -> str:
    return reverse("resources_admin:index")


@admin_page
@require_POST
def default_reset(request: HttpRequest, default_key: str) -> HttpResponse:
    entry = catalogue.defaults().default(default_key)
    if entry is None:
        raise Http404("no such entry")
    actions.reset_default(key=default_key, actor=_actor(request))
    messages.success(request, _("The entry is shown as shipped again."))
    return redirect(f"{_index_url()}?country={entry.country}")
