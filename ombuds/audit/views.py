"""The audit trail page, for auditors and the oversight body. Identifiers only, never content."""

from __future__ import annotations

import re

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ombuds.accounts import mfa
from ombuds.accounts.roles import AUDIT_READERS, roles_of
from ombuds.audit.models import EventType
from ombuds.cases import access

REFERENCE = re.compile(r"[0-9A-Z-]{1,16}")

PAGE_SIZE = 100


@require_GET
@mfa.second_factor_required
def trail(request: HttpRequest) -> HttpResponse:
    if not roles_of(request.user) & AUDIT_READERS:
        raise Http404("no such page")
    # Ordered by time: an anonymous reporter's day-only event must not be placed between
    # two exactly timed staff events by its position.
    events = access.visible_audit_events(request.user).select_related("actor", "case").order_by("-at", "-seq")
    reference = request.GET.get("case", "").strip()
    if reference and REFERENCE.fullmatch(reference):
        events = events.filter(case__reference=reference)
    elif reference:
        events = events.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(event, EventType(event.event_type).name.replace("_", " ").lower()) for event in page]
    return render(request, "audit/trail.html", {"page": page, "rows": rows, "reference": reference})
