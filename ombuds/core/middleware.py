"""Headers that keep the reporter's visits private."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext


class ReporterPrivacyMiddleware:
    """No page or API answer may be cached anywhere.

    Reporters often use shared or monitored devices; a cached status page or receipt
    would outlive the visit. Staff pages carry case data too, so the rule is global.
    Static assets are served by WhiteNoise before this runs and stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        response.setdefault("Referrer-Policy", "no-referrer")
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than the configured uploads allow, before reading it.

    Django bounds form fields but not uploaded files; without this a single request
    could fill memory. The limit follows OMBUDS_MAX_ATTACHMENTS and
    OMBUDS_MAX_ATTACHMENT_BYTES.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.OMBUDS_MAX_REQUEST_BYTES:
            return HttpResponse(
                gettext("The request is too large. Attach fewer or smaller files."),
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
