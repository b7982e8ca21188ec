"""The registry's HTTP interface: JSON in, JSON out, every request but the public key signed by a member."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ombuds.registry_service import protocol, service
from ombuds.registry_service.models import Member

MAX_BODY = 16 * 1024


def _refused(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def signed(
    view: Callable[[HttpRequest, Member, dict[str, Any]], JsonResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Run `view` only for an active member whose signature over this very request verifies; 403 otherwise."""

    @csrf_exempt
    def wrapper(request: HttpRequest) -> HttpResponse:
        body = request.body
        if len(body) > MAX_BODY:
            return _refused(413, "too large")
        try:
            member = service.authenticate(
                request.headers.get(protocol.HEADER_MEMBER, ""),
                request.method or "",
                request.path,
                request.headers.get(protocol.HEADER_TIME, ""),
                body,
                request.headers.get(protocol.HEADER_SIGNATURE, ""),
            )
        except protocol.ProtocolError:
            service.log_refused()
            return _refused(403, "not a member, or the request is not signed by one")
        payload: dict[str, Any] = {}
        if body:
            try:
                loaded = json.loads(body)
            except ValueError:
                return _refused(400, "not JSON")
            if not isinstance(loaded, dict):
                return _refused(400, "expected a JSON object")
            payload = loaded
        try:
            return view(request, member, payload)
        except protocol.ProtocolError as exc:
            return _refused(400, str(exc))

    return wrapper


@require_GET
def public_key(request: HttpRequest) -> JsonResponse:
    """The VOPRF public key: members configure it from a trusted channel and check every answer against it."""
    return JsonResponse({"public_key": service.public_key_text(), "suite": "ristretto255-SHA512", "mode": "VOPRF"})


@require_POST
@signed
def evaluate(request: HttpRequest, member: Member, payload: dict[str, Any]) -> JsonResponse:
    evaluated, proof = service.evaluate(member, _list(payload, "blinded"))
    return JsonResponse({"evaluated": evaluated, "proof": proof})


@require_POST
@signed
def entries(request: HttpRequest, member: Member, payload: dict[str, Any]) -> JsonResponse:
    try:
        expires_on = date.fromisoformat(str(payload.get("expires_on", "")))
    except ValueError:
        raise protocol.ProtocolError("expires_on must be a date (YYYY-MM-DD)") from None
    ids = service.submit(member, _list(payload, "keys"), expires_on)
    return JsonResponse({"entries": ids, "expires_on": expires_on.isoformat()}, status=201)


@require_POST
@signed
def withdraw(request: HttpRequest, member: Member, payload: dict[str, Any]) -> JsonResponse:
    return JsonResponse({"withdrawn": service.withdraw(member, _list(payload, "entries"))})


@require_POST
@signed
def lookup(request: HttpRequest, member: Member, payload: dict[str, Any]) -> JsonResponse:
    holders = service.lookup(member, _list(payload, "keys"))
    return JsonResponse({"hits": [{"member": m.name, "oversight_contact": m.oversight_contact} for m in holders]})


@require_GET
@signed
def hits(request: HttpRequest, member: Member, payload: dict[str, Any]) -> JsonResponse:
    found = service.hits_on(member)
    return JsonResponse(
        {
            "hits": [
                {
                    "at": hit.log.at.isoformat(),
                    "asked_by": hit.log.member.name if hit.log.member is not None else "",
                    "entry": hit.entry_id,
                }
                for hit in found
            ],
            "now": timezone.now().isoformat(),
        }
    )


def _list(payload: dict[str, Any], name: str) -> list[Any]:
    value = payload.get(name)
    if not isinstance(value, list):
        raise protocol.ProtocolError(f"{name} must be a list")
    return value
