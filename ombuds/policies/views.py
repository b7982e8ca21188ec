"""Public policy pages (no login) and the employee's acknowledgement through her personal link.

They work without JavaScript, like the reporter pages, and speak the reader's language.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

from ombuds.policies import actions, links, selectors


@require_GET
def policy_list(request: HttpRequest) -> HttpResponse:
    return render(request, "policies/list.html", {"policies": selectors.current_policies(get_language())})


def _policy_page(request: HttpRequest, slug: str, number: int | None) -> HttpResponse:
    version = selectors.public_version(slug, number)
    if version is None:
        raise Http404("no such policy")
    shown = selectors.shown(version, get_language())
    if shown is None:
        raise Http404("no such policy")
    return render(
        request,
        "policies/policy.html",
        {"policy": shown, "history": selectors.history(version.policy)},
    )


@require_GET
def policy_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _policy_page(request, slug, None)


@require_GET
def policy_version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    return _policy_page(request, slug, number)


@require_http_methods(["GET", "POST"])
def acknowledge(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the version and a button; only the POST records, so a mail scanner that opens links records nothing."""
    link = links.find(token)
    if link is None:
        return render(request, "policies/link_unknown.html", status=404)
    ack_request = link.request
    if request.method == "POST":
        done = actions.acknowledge(token=token)
        assert done is not None  # the link was found above and links are never deleted
        if done.recorded:
            return render(request, "policies/acknowledged.html", {"at": done.request.acknowledged_at})
        ack_request = done.request
    if ack_request.acknowledged_at is not None:
        return render(request, "policies/link_used.html", {"at": ack_request.acknowledged_at}, status=410)
    version = ack_request.version
    shown = selectors.shown(version, get_language())
    if shown is None:
        raise Http404("no such policy")
    return render(request, "policies/acknowledge.html", {"policy": shown, "superseded": version.superseded_at})
