"""The organisation's time zone and languages, applied to every request.

Both are set on the administration pages (ombuds.cases.models.Organisation). The time
zone is activated for the whole request, so the dates on every page are in it, and so
is the day stored for what an anonymous reporter does (ombuds.cases.actions.reporter_moment).
The languages are those offered on the reporter pages: a reporter whose browser or
choice asks for another gets the first one offered. Staff pages keep every installed
language (settings.LANGUAGES).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone, translation

from ombuds.cases.models import Organisation

_STAFF_PREFIX = "/staff/"
_SAME_FOR_EVERY_ORGANISATION = ("/static/", "/api/v1/openapi.json")
_ATTR = "_ombuds_offered_languages"


class OrganisationMiddleware:
    """After LocaleMiddleware: one small query for the two settings, then the zone and language activated."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith(_SAME_FOR_EVERY_ORGANISATION):
            # Static files and the API's schema: no time or language of the organisation in
            # them, so no query (the schema is also read before any database exists).
            return self.get_response(request)
        org = Organisation.objects.only("time_zone", "languages").filter(pk=1).first()
        offered = [(code, str(name)) for code, name in settings.LANGUAGES]
        if org is not None:
            timezone.activate(zoneinfo.ZoneInfo(org.zone_name()))
            if not request.path_info.startswith(_STAFF_PREFIX):
                offered = org.offered_languages()
                codes = [code for code, _name in offered]
                if translation.get_language() not in codes:
                    translation.activate(codes[0])
                    request.LANGUAGE_CODE = codes[0]
        setattr(request, _ATTR, offered)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def offered_languages(request: HttpRequest) -> dict[str, list[tuple[str, str]]]:
    """Template context: the languages the language switcher offers on this page."""
    default = [(code, str(name)) for code, name in settings.LANGUAGES]
    return {"offered_languages": getattr(request, _ATTR, default)}
