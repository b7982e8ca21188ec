"""The support page for reporters: help in her country, in her language, with no JavaScript.

The country comes from the form on the page (a plain GET, so it survives a language
switch in the address) or, before she chooses, from the organisation's setting. Never
from her address, her browser's language or any other header.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from ombuds.resources import catalogue


@require_GET
def support(request: HttpRequest) -> HttpResponse:
    language = get_language()
    chosen = catalogue.normalise_country(request.GET.get("country"))
    country = chosen if chosen is not None else catalogue.organisation_country()
    return render(
        request,
        "resources/support.html",
        {
            "country": country,
            "country_name": catalogue.country_name(country, language) if country else "",
            "countries": catalogue.countries(language),
            "sections": catalogue.sections(country, language),
        },
    )
