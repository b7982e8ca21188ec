"""The audit trail pages, for auditors and the oversight body. Identifiers only, never content."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ombuds.accounts import mfa
from ombuds.accounts.roles import AUDIT_READERS, roles_of
from ombuds.audit import sth, tree_heads
from ombuds.audit.labels import event_label
from ombuds.audit.models import AuditEvent
from ombuds.audit.signing_key import signing_key
from ombuds.cases import access
from ombuds.lib.paging import PageLinks

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
    page = _page(events, request.GET.get("page"))
    rows = [(event, event_label(event.event_type)) for event in page.events]
    return render(request, "audit/trail.html", {"page": page, "rows": rows, "reference": reference})


@dataclass(frozen=True)
class TrailPage(PageLinks):
    events: list[AuditEvent]
    number: int
    has_next: bool


def _page(events: QuerySet[AuditEvent], number: str | None) -> TrailPage:
    """One page of events, newest first, and whether an older page exists.

    The events are not counted: the page links only to the newer and the older page, and
    counting every event an auditor may see took 15 s on a log of twelve million.
    """
    try:
        wanted = min(max(1, int(number or 1)), 10_000_000)
    except ValueError:
        wanted = 1
    start = (wanted - 1) * PAGE_SIZE
    found = list(events[start : start + PAGE_SIZE + 1])
    return TrailPage(events=found[:PAGE_SIZE], number=wanted, has_next=len(found) > PAGE_SIZE)


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
