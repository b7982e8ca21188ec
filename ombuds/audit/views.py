"""The audit trail pages, for auditors and the oversight body. Identifiers only, never content."""

from __future__ import annotations

import re

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ombuds.accounts import mfa
from ombuds.accounts.roles import AUDIT_READERS, roles_of
from ombuds.audit import sth, tree_heads
from ombuds.audit.labels import event_label
from ombuds.audit.signing_key import signing_key
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
    rows = [(event, event_label(event.event_type)) for event in page]
    return render(request, "audit/trail.html", {"page": page, "rows": rows, "reference": reference})


@require_GET
@mfa.second_factor_required
def proof(request: HttpRequest, index: int) -> HttpResponse:
    """One event's leaf and its inclusion proof in the latest signed tree head that covers it.

    Someone conflicted on the event's case gets 404, as for the event on the trail.
    """
    if not roles_of(request.user) & AUDIT_READERS:
        raise Http404("no such page")
    event = access.visible_audit_events(request.user).select_related("case").filter(seq=index).first()
    if event is None:
        raise Http404("no such event")
    head = tree_heads.covering(index)
    path: list[bytes] = []
    if head is not None:
        _root, path = tree_heads.inclusion(index, head.tree_size)
    return render(
        request,
        "audit/proof.html",
        {
            "event": event,
            "name": event_label(event.event_type),
            "leaf_hash": bytes(event.leaf_hash).hex(),
            "head": head,
            "head_json": head.signed().to_bytes().decode("ascii") if head is not None else "",
            "path": [node.hex() for node in path],
            "public_key": sth.public_key_text(signing_key().verify_key),
        },
    )
