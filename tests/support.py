"""Helpers for tests that walk every staff route, found from Django's URL resolver.

A new staff URL is walked as soon as it is added: the list comes from the URL
configuration, not from a hand-kept list. A route whose parameters this module does not
know how to fill makes the walk fail, so the new parameter gets a value here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse, set_script_prefix

from ombuds.cases.workflow import Transition

# The parts of the site that belong to staff: the staff pages (allauth's account pages
# included) and the API (its staff routes, and the reporter routes next to them).
STAFF_PREFIXES = ("staff/", "api/v1/")


@dataclass(frozen=True)
class Route:
    route: str  # as written in the URL configuration, e.g. "staff/cases/<ref:reference>/"
    name: str  # reversible name, with its namespace
    parameters: tuple[str, ...]


def _walk(patterns: list[Any], prefix: str, namespace: str | None, parameters: tuple[str, ...]) -> Iterator[Route]:
    for pattern in patterns:
        found = parameters + tuple(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner, found)
        else:
            assert isinstance(pattern, URLPattern)
            route = prefix + str(pattern.pattern)
            assert pattern.name, f"the URL pattern {route!r} has no name, so the walk cannot reverse it"
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield Route(route, name, found)


def staff_routes() -> list[Route]:
    """Every URL pattern under /staff/ and /api/v1/, from the resolver."""
    return [
        route for route in _walk(get_resolver().url_patterns, "", None, ()) if route.route.startswith(STAFF_PREFIXES)
    ]


@dataclass(frozen=True)
class CaseIds:
    """Real identifiers to put into the routes: a case, one of its attachments and appeals."""

    reference: str
    attachment_id: int
    appeal_id: int
    proposal_id: int = 1


def _choices(parameter: str, ids: CaseIds) -> list[object]:
    values: dict[str, list[object]] = {
        "reference": [ids.reference],
        "attachment_id": [ids.attachment_id],
        "appeal_id": [ids.appeal_id],
        "proposal_id": [ids.proposal_id],
        # Every step of the workflow, each its own URL.
        "name": [transition.value for transition in Transition],
        # allauth: a security key's number, a password-reset or e-mail-confirmation key.
        "pk": [1],
        "uidb36": ["1"],
        "key": ["walk-" + secrets.token_hex(4)],
        # The one-time enrolment link after a second-factor reset.
        "secret": [secrets.token_urlsafe(32)],
        # An audit event's place in the log (its proof page).
        "index": [0],
    }
    assert parameter in values, f"the route walk does not know how to fill the parameter {parameter!r}"
    return values[parameter]


def paths_for(route: Route, ids: CaseIds) -> list[str]:
    """The concrete paths of one route: one per combination of parameter values."""
    combinations: list[dict[str, object]] = [{}]
    for parameter in route.parameters:
        combinations = [{**kwargs, parameter: value} for kwargs in combinations for value in _choices(parameter, ids)]
    return [reverse(route.name, kwargs=kwargs) for kwargs in combinations]


def staff_paths(ids: CaseIds) -> list[str]:
    """Every concrete staff path, without repeats (several names may share a path)."""
    return list(dict.fromkeys(path for route in staff_routes() for path in paths_for(route, ids)))


@dataclass(frozen=True)
class Answer:
    method: str
    path: str
    script_name: str
    status: int
    body: str


def walk(
    new_session: Callable[[], Client], paths: list[str], *, form: dict[str, object], script_names: tuple[str, ...]
) -> list[Answer]:
    """GET and POST every path, with each SCRIPT_NAME ("" for none).

    The session is opened again whenever a route ended it (one of them logs out). A
    non-empty SCRIPT_NAME is what a server that trusts the SCRIPT_NAME header passes on:
    the request's `path` then starts with it while Django still resolves `path_info`.
    """
    answers = []
    client = new_session()
    try:
        for path in paths:
            for script_name in script_names:
                if "_auth_user_id" not in client.session:
                    client = new_session()
                for method in ("GET", "POST"):
                    if method == "GET":
                        response = client.get(path, SCRIPT_NAME=script_name)
                    else:
                        response = client.post(path, form, SCRIPT_NAME=script_name)
                    body = b"".join(response) if response.streaming else response.content
                    answers.append(
                        Answer(method, path, script_name, response.status_code, body.decode(errors="replace"))
                    )
    finally:
        # A request with a SCRIPT_NAME leaves Django's script prefix set for this thread.
        set_script_prefix("/")
    return answers


# --- Reading what is stored --------------------------------------------------------------


def case_key(case: Any, *, receipt: str | None = None) -> Any:
    """The case's data key as a test reads it: with the reporter's receipt, else any test staff member's grant."""
    from ombuds.accounts.keys import unlock
    from ombuds.cases.keyring import open_for_reporter
    from ombuds.cases.models import CaseKeyGrant, GrantHolder
    from ombuds.crypto import keys
    from tests.conftest import STAFF_PASSWORD

    if not case.sealed:
        return None
    if receipt is not None:
        key = open_for_reporter(case.reports.get(), receipt)
        assert key is not None, "the receipt does not open this case"
        return key
    grant = CaseKeyGrant.objects.filter(case=case, holder=GrantHolder.STAFF).select_related("user").first()
    assert grant is not None and grant.user is not None, "no staff member holds this case's key"
    pair = unlock(grant.user, STAFF_PASSWORD).key_pair
    return keys.unseal_data_key(pair, bytes(grant.sealed))


def opened(instance: Any, field: str, *, receipt: str | None = None) -> str:
    """A content field of a stored row, decrypted as a reader of its case would see it.

    For tests that check what an action stored: the value in the database is ciphertext
    (ombuds.cases.content); this opens it with the reporter's receipt when given, else
    with the grant of any test staff member who holds one (every test persona has the
    same password).
    """
    from ombuds.cases import content
    from ombuds.cases.models import Case

    case = instance if isinstance(instance, Case) else Case.objects.get(pk=_case_id(instance))
    key = case_key(case, receipt=receipt)
    return content.open(getattr(instance, field), key=key, case=case, model=type(instance), field=field)


def file_bytes(attachment: Any, *, receipt: str | None = None) -> bytes:
    """The bytes of a stored file, decrypted from the file store."""
    from ombuds.cases import content

    case = attachment.case
    return b"".join(content.open_file(attachment, key=case_key(case, receipt=receipt), case=case))


def files_by_name(*, receipt: str | None = None) -> dict[str, bytes]:
    """Every stored file, by its (decrypted) name."""
    from ombuds.cases.models import Attachment

    return {
        opened(a, "filename", receipt=receipt): file_bytes(a, receipt=receipt)
        for a in Attachment.objects.select_related("case")
    }


def _case_id(instance: Any) -> int:
    if hasattr(instance, "case_id"):
        return int(instance.case_id)
    return int(instance.report.case_id)  # an InvolvedPerson belongs to a report
