"""Helpers for tests that walk every staff route, found from Django's URL resolver.

A new staff URL is walked as soon as it is added: the list comes from the URL
configuration, not from a hand-kept list. A route whose parameters this module does not
know how to fill makes the walk fail, so the new parameter gets a value here.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse, set_script_prefix

from ombuds.cases.workflow import Transition

# --- Reporters, receipts and the audit batch ---------------------------------------------

FileReport = Callable[..., Any]  # the `file_report` fixture: files through actions.file_report

RECEIPT_RE = re.compile(r'id="receipt"[^>]*>(.*?)</p>', re.S)


def receipt_from(html: bytes) -> str:
    """The receipt on the receipt page, its groups joined by dashes (the page wraps each group in a span)."""
    match = RECEIPT_RE.search(html.decode())
    assert match, "the page shows no receipt"
    receipt = re.sub(r"<[^>]+>|\s", "", match.group(1))
    assert re.fullmatch(r"[0-9-]+", receipt), "the receipt is not digits and dashes"
    return receipt


def release_audit_batch() -> int:
    """Let an anonymous reporter's waiting audit events enter the log, as the next batch boundary would."""
    from datetime import UTC, datetime

    from ombuds.audit import log

    return log.release_pending(datetime(9999, 1, 1, tzinfo=UTC))


# --- Staff personas -------------------------------------------------------------------


@contextmanager
def audit_triggers_lifted() -> Iterator[None]:
    """The audit log's append-only triggers dropped for the block, as someone with the database's keys could."""
    from django.db import connection

    from ombuds.audit.migrations import _append_only

    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for statement in _append_only.POSTGRES_REMOVE if postgres else _append_only.SQLITE_REMOVE:
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        for statement in _append_only.POSTGRES_ADD if postgres else _append_only.SQLITE_ADD:
            cursor.execute(statement)


def rewrite_detail_column(events: Any, change: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """Rewrite the detail column of these audit events behind the log's back (their signed leaves stay); how many."""
    from ombuds.audit.models import AuditEvent

    rewritten = 0
    with audit_triggers_lifted():
        for pk, detail in list(events.values_list("pk", "detail")):
            rewritten += AuditEvent.objects.filter(pk=pk).update(detail=change(dict(detail)))
    return rewritten


def make_staff(email: str, *roles: str, totp: bool = True):
    """A staff user with roles and (by default) TOTP set up, as after a real first login."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import Group, User

    from ombuds.accounts import keys as staff_keys

    user = User.objects.create_user(username=email, email=email, password=STAFF_PASSWORD)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if totp:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        user.totp_secret = secret  # type: ignore[attr-defined]
    # As after her first login: her key pair made, and unlocked for what this object does.
    staff_keys.attach(user, staff_keys.unlock(user, STAFF_PASSWORD).key_pair)
    return user


STAFF_PASSWORD = "correct horse battery staple"


def _unlock_in_session(client: Client, request: Any, user: Any) -> None:
    """What the login does with her password: her key in the session, its opener in a cookie."""
    from ombuds.accounts import keys as staff_keys

    pair = staff_keys.attached(user) or staff_keys.unlock(user, STAFF_PASSWORD).key_pair
    client.cookies[staff_keys.COOKIE] = staff_keys.keep_in_session(request.session, user, pair)


def client_for(user) -> Client:
    """A browser session logged in as after password and second factor (a TOTP code).

    ombuds checks that the session itself passed the second factor: allauth records each
    step in the session, and so does this. For a user without TOTP only the password is
    recorded, as after a real login.
    """
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from django.http import HttpRequest

    client = Client()
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    record_authentication(request, user, "password", email=user.email)
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is not None:
        record_authentication(request, user, "mfa", id=totp.pk, type=totp.type)
    _unlock_in_session(client, request, user)
    request.session.save()
    return client


def password_only_client(user) -> Client:
    """A session that typed only the password: logged in, no second factor recorded."""
    from allauth.account.internal.flows.login import record_authentication
    from django.http import HttpRequest

    client = Client()
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    record_authentication(request, user, "password", email=user.email)
    _unlock_in_session(client, request, user)
    request.session.save()
    return client


class Personas:
    """The people of every staff test, one of whom must see nothing.

    Besides the roles: `accused`, a handler who is the person a report names
    (`name_the_accused()`), and `manager`, a lead handler above him in the directory.
    Both are conflicted on such a report and must get 404 on it, like the outsider, the
    administrator and the auditor (who may read no case at all).
    """

    ACCUSED_ID = "P-ACCUSED"
    MANAGER_ID = "P-MANAGER"

    def __init__(self) -> None:
        self.handler = make_staff("handler@example.org", "handler")
        self.handler2 = make_staff("handler2@example.org", "handler")
        self.lead = make_staff("lead@example.org", "handler", "lead_handler")
        self.oversight = make_staff("oversight@example.org", "oversight")
        self.admin = make_staff("admin@example.org", "administrator")
        self.auditor = make_staff("auditor@example.org", "auditor")
        self.outsider = make_staff("outsider@example.org", totp=False)

    # The accused and his manager are made when a test first asks for them: every other
    # test keeps the pools and lead handlers it counts on.

    @cached_property
    def manager(self) -> Any:
        return self._in_directory("manager@example.org", self.MANAGER_ID, "Morgan Manager", None, "lead_handler")

    @cached_property
    def hr(self) -> Any:
        """An hr member: asks the rehire registry, sees no case."""
        return make_staff("hr@example.org", "hr")

    @cached_property
    def accused(self) -> Any:
        return self._in_directory("accused@example.org", self.ACCUSED_ID, "Alex Accused", self.MANAGER_ID)

    @cached_property
    def investigator(self) -> Any:
        """An investigator: sees only the cases she is named on."""
        return make_staff("investigator@example.org", "investigator")

    def _in_directory(self, email: str, employee_id: str, name: str, manager_id: str | None, *extra: str) -> Any:
        from ombuds.directory.linking import link_staff_by_email
        from ombuds.directory.models import Person

        if manager_id is not None:
            assert self.manager is not None  # his manager is in the directory first
        user = make_staff(email, "handler", *extra)
        manager = Person.objects.get(employee_id=manager_id) if manager_id else None
        Person.objects.create(employee_id=employee_id, name=name, email=email, manager=manager)
        link_staff_by_email()
        return user

    def client_for(self, user) -> Client:
        return client_for(user)

    def name_the_accused(self) -> list[Any]:
        """The `people` of a report that names the accused persona, picked from the directory."""
        from ombuds.cases import actions

        assert self.accused is not None
        return [actions.NewPerson(name="Alex Accused", role="accused", employee_id=self.ACCUSED_ID)]


def investigate(
    case: Any, actor: Any, *investigators: Any, conduct: str = "", name: str = "The team manager", employee_id: str = ""
) -> Any:
    """Open an investigation through the real action: the investigators named, one allegation against `name`."""
    from ombuds.cases import actions
    from ombuds.investigations.helpers import NewAllegation

    allegation = NewAllegation(
        conduct=conduct or "Touched her shoulders in meetings after being asked to stop.",
        name=name,
        employee_id=employee_id,
    )
    return actions.open_investigation(
        case=case, actor=actor, investigators=list(investigators), allegations=[allegation]
    )


def investigate_the_accused(case: Any, actor: Any, *investigators: Any) -> Any:
    """Open an investigation through the real action, with one allegation against each person the reports accuse."""
    from ombuds.cases import actions
    from ombuds.cases.models import InvolvedPerson
    from ombuds.investigations.helpers import NewAllegation

    allegations = [
        NewAllegation(conduct="The conduct the report describes.", person_id=person.pk)
        for person in InvolvedPerson.objects.filter(report__case=case, role="accused").order_by("pk")
    ]
    return actions.open_investigation(
        case=case, actor=actor, investigators=list(investigators), allegations=allegations
    )


def find_every_allegation(case: Any, actor: Any, finding: str, reasoning: str = "Weighed the accounts.") -> None:
    """Record the same finding for every allegation of the case, through the real action."""
    from ombuds.investigations import actions as investigation
    from ombuds.investigations.models import Allegation

    for allegation in Allegation.objects.filter(case=case):
        investigation.record_allegation_finding(
            allegation=allegation, actor=actor, finding=finding, reasoning=reasoning
        )


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


def all_routes() -> list[Route]:
    """Every URL pattern of the site, from the resolver (the accessibility gate walks them all)."""
    return list(_walk(get_resolver().url_patterns, "", None, ()))


def staff_routes() -> list[Route]:
    """Every URL pattern under /staff/ and /api/v1/, from the resolver."""
    return [
        route for route in _walk(get_resolver().url_patterns, "", None, ()) if route.route.startswith(STAFF_PREFIXES)
    ]


WALK_POLICY = "walk-policy"


@dataclass(frozen=True)
class CaseIds:
    """Real identifiers to put into the routes: a case, one of its attachments and appeals, its investigation's rows."""

    reference: str
    attachment_id: int
    appeal_id: int
    proposal_id: int = 1
    investigator_id: int = 1
    allegation_id: int = 1
    task_id: int = 1
    interview_id: int = 1
    evidence_id: int = 1


def _choices(parameter: str, ids: CaseIds) -> list[object]:
    values: dict[str, list[object]] = {
        "reference": [ids.reference],
        "attachment_id": [ids.attachment_id],
        "appeal_id": [ids.appeal_id],
        "proposal_id": [ids.proposal_id],
        # A protective measure, an outcome, a rehire check (ombuds.outcomes).
        "measure_id": [1],
        "outcome_id": [1],
        "check_reference": ["RC-WALK"],
        # A retaliation flag: none exists in the walk's case, so its routes answer 404 like a missing one.
        "flag_id": [1],
        # The investigation's rows (ombuds.investigations).
        "investigator_id": [ids.investigator_id],
        "allegation_id": [ids.allegation_id],
        "task_id": [ids.task_id],
        "interview_id": [ids.interview_id],
        "evidence_id": [ids.evidence_id],
        # Every step of the workflow, each its own URL.
        "name": [transition.value for transition in Transition],
        # allauth: a security key's number, a password-reset or e-mail-confirmation key.
        "pk": [1],
        "uidb36": ["1"],
        "key": ["walk-" + secrets.token_hex(4)],
        # The one-time enrolment link after a second-factor reset, and an invitation's link.
        "secret": [secrets.token_urlsafe(32)],
        # An audit event's place in the log (its proof page).
        "index": [0],
        # Administration: a policy and its version, a training session, support resources
        # (tests/test_policy_admin.py makes them exist before it walks).
        "slug": [WALK_POLICY],
        "number": [1],
        "session_id": [1],
        "resource_id": [1],
        "default_key": ["gb-emergency"],
        # The questionnaire's admin pages: a category, a question of its draft, a published version.
        "category": ["sexual_harassment"],
        "question_id": [1],
        "version": [1],
        # The administration pages: a staff account, a directory file.
        "user_id": [1],
        "upload_id": [1],
    }
    assert parameter in values, f"the route walk does not know how to fill the parameter {parameter!r}"
    return values[parameter]


def paths_for(route: Route, ids: CaseIds, values: dict[str, object] | None = None) -> list[str]:
    """The concrete paths of one route: one per combination of parameter values.

    `values` names the row to use for a parameter, where the caller made one.
    """
    combinations: list[dict[str, object]] = [{}]
    for parameter in route.parameters:
        choices = [values[parameter]] if values and parameter in values else _choices(parameter, ids)
        combinations = [{**kwargs, parameter: value} for kwargs in combinations for value in choices]
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
    if hasattr(instance, "measure"):
        return int(instance.measure.case_id)  # a change of a protective measure
    return int(instance.report.case_id)  # an InvolvedPerson belongs to a report


# --- Every route that names a case ------------------------------------------------------


def case_routes(reference: str, attachment: int, appeal: int, proposal: int = 1, **rows: int) -> list[str]:
    """Every staff URL that names a case, found from the URL configuration itself (every app's).

    `rows` gives the ids of the other rows a route names (measure_id, outcome_id, flag_id,
    investigator_id, allegation_id, task_id, interview_id, evidence_id); a row not given is 1.
    """
    values: dict[str, object] = {
        "reference": reference,
        "attachment_id": attachment,
        "appeal_id": appeal,
        "proposal_id": proposal,
        **rows,
    }
    paths = []
    for route in staff_routes():
        if not route.route.startswith("staff/") or "<ref:reference>" not in route.route:
            continue
        unknown = [p for p in route.parameters if p not in values and p != "name" and not p.endswith("_id")]
        assert not unknown, f"case_routes does not know how to fill {unknown} of {route.route}"
        kwargs = {p: values.get(p, 1) for p in route.parameters if p != "name"}
        if "name" in route.parameters:
            for step in ["acknowledge", "begin_assessment", "approve_closure", "reopen"]:
                paths.append(reverse(route.name, kwargs={**kwargs, "name": step}))
            continue
        paths.append(reverse(route.name, kwargs=kwargs))
    return paths


# Every staff API call that names a case, with a body that would be accepted. Fill a path with `api_url`.
STAFF_API_CALLS: list[tuple[str, str, Any]] = [
    ("get", "/api/v1/cases/{ref}", None),
    ("post", "/api/v1/cases/{ref}/transitions", {"transition": "acknowledge"}),
    ("post", "/api/v1/cases/{ref}/messages", {"body": "hello"}),
    ("post", "/api/v1/cases/{ref}/notes", {"body": "hello"}),
    ("post", "/api/v1/cases/{ref}/assign", {"assignee": "handler@example.org"}),
    # Protective measures and outcomes (ombuds.outcomes); {measure_id} and {outcome_id} are filled by api_path.
    ("get", "/api/v1/staff/cases/{ref}/measures", None),
    (
        "post",
        "/api/v1/staff/cases/{ref}/measures",
        {"kind": "no_contact", "restricts": [], "starts_on": "2026-01-01", "review_on": "2099-01-01"},
    ),
    ("post", "/api/v1/staff/cases/{ref}/measures/{measure_id}/extend", {"review_on": "2099-01-01", "reason": "x"}),
    ("post", "/api/v1/staff/cases/{ref}/measures/{measure_id}/end", {"reason": "x"}),
    ("get", "/api/v1/staff/cases/{ref}/outcomes", None),
    (
        "post",
        "/api/v1/staff/cases/{ref}/outcomes",
        {"person": 1, "sanctions": ["dismissal"], "rehire": "not_eligible", "reason": "x", "email": "a@b.example"},
    ),
    ("post", "/api/v1/staff/cases/{ref}/outcomes/{outcome_id}/approve", {"note": ""}),
    ("post", "/api/v1/staff/cases/{ref}/outcomes/{outcome_id}/reject", {"note": "x"}),
    ("post", "/api/v1/staff/cases/{ref}/outcomes/{outcome_id}/withdraw", None),
    # The retaliation watch, accountability and the case file (ombuds.watch, ombuds.casefile).
    ("post", "/api/v1/cases/{ref}/reporter-link", {"employee_id": "P-ACCUSED"}),
    ("get", "/api/v1/cases/{ref}/retaliation-flags", None),
    ("post", "/api/v1/cases/{ref}/retaliation-flags/{flag_id}/clear", {"note": "hello"}),
    ("post", "/api/v1/cases/{ref}/retaliation-flags/{flag_id}/retaliation-case", {}),
    ("post", "/api/v1/cases/{ref}/accountability-case", {}),
    ("get", "/api/v1/cases/{ref}/case-file", None),
]
_INVESTIGATION = "/api/v1/staff/cases/{ref}/investigation"
# The investigation's routes (ombuds.investigations), the same way.
INVESTIGATION_API_CALLS: list[tuple[str, str, Any]] = [
    ("get", _INVESTIGATION, None),
    ("post", _INVESTIGATION, {"investigators": ["investigator@example.org"], "allegations": []}),
    ("post", _INVESTIGATION + "/investigators", {"investigators": ["investigator@example.org"]}),
    ("post", _INVESTIGATION + "/investigators/{investigator_id}/release", None),
    ("get", _INVESTIGATION + "/allegations", None),
    ("post", _INVESTIGATION + "/allegations", {"new_person": {"name": "Someone"}, "conduct": "Shouted at her."}),
    ("get", _INVESTIGATION + "/findings", None),
    ("post", _INVESTIGATION + "/findings", {"allegation": 1, "finding": "substantiated", "reasoning": "x"}),
    ("get", _INVESTIGATION + "/tasks", None),
    ("post", _INVESTIGATION + "/tasks", {"title": "x", "owner": "investigator@example.org", "due_on": "2099-01-01"}),
    ("post", _INVESTIGATION + "/tasks/{task_id}/state", {"done": True}),
    ("get", _INVESTIGATION + "/interviews", None),
    (
        "post",
        _INVESTIGATION + "/interviews",
        {"interviewee": "reporter", "held_at": "2026-01-01T10:00:00Z", "present": "x", "minutes": "x"},
    ),
    ("get", _INVESTIGATION + "/interviews/{interview_id}", None),
    ("post", _INVESTIGATION + "/interviews/{interview_id}/minutes", {"minutes": "x"}),
    ("get", _INVESTIGATION + "/evidence", None),
    (
        "post",
        _INVESTIGATION + "/evidence",
        {"multipart": {"kind": "held_elsewhere", "description": "x", "source": "x"}},
    ),
    ("get", _INVESTIGATION + "/evidence/{evidence_id}", None),
    ("get", _INVESTIGATION + "/evidence/{evidence_id}/custody", None),
    ("get", _INVESTIGATION + "/evidence/{evidence_id}/download", None),
    ("post", _INVESTIGATION + "/evidence/{evidence_id}/verify", None),
    ("get", _INVESTIGATION + "/people-concerned", None),
    ("post", _INVESTIGATION + "/people-concerned", {"person": 1, "kind": "deferred", "reason": "x"}),
    (
        "post",
        _INVESTIGATION + "/people-concerned/responses",
        {"person": 1, "received_on": "2026-01-01", "response": "x"},
    ),
]
STAFF_API_CALLS += INVESTIGATION_API_CALLS


def api_url(path: str, reference: str, **rows: int) -> str:
    """A path of STAFF_API_CALLS with the case's reference and the ids of its rows (1 for a row not given)."""
    return re.sub(r"\{(\w+_id)\}", lambda match: str(rows.get(match.group(1), 1)), path).replace("{ref}", reference)


def call(client: Client, method: str, url: str, body: Any) -> Any:
    """One API call as STAFF_API_CALLS states it: a body is JSON, or a form when it is {"multipart": fields}."""
    if method == "get":
        return client.get(url)
    if body is None:
        return client.post(url)
    if set(body) == {"multipart"}:
        return client.post(url, body["multipart"])
    return client.post(url, body, content_type="application/json")


def totp_code(secret: str) -> str:
    """The current TOTP code of a secret, as an authenticator app would show it."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counter = next(iter(yield_hotp_counters_from_time()))
    return str(format_hotp_value(hotp_value(secret, counter)))


# --- Pages in Chinese --------------------------------------------------------------------

# Three or more Latin words in a row: text someone forgot to translate (as tests/test_translations.py checks).
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ \t\n,.'’:;?!()-]+[A-Za-z]{2,}){2,}")


def untranslated(html: str) -> list[str]:
    """The English a reader of a Chinese page would see or hear: runs of words, and audit event names.

    Text, labels and titles are read.

    E-mail addresses are left out: staff pages name people by them.
    """
    from html.parser import HTMLParser

    class _Visible(HTMLParser):
        SPOKEN = frozenset({"aria-label", "title", "placeholder", "alt"})

        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in {"script", "style"}:
                self.skip += 1
            self.parts.extend(value for name, value in attrs if name in self.SPOKEN and value)

        def handle_endtag(self, tag: str) -> None:
            if tag in {"script", "style"} and self.skip:
                self.skip -= 1

        def handle_data(self, data: str) -> None:
            if not self.skip:
                self.parts.append(data)

    parser = _Visible()
    parser.feed(html)
    # Staff pages list people by e-mail address: data, not text to translate.
    text = re.sub(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", " ", "\n".join(parser.parts))
    return ENGLISH_RUN.findall(text) + _audit_event_names().findall(text)


def _audit_event_names() -> re.Pattern[str]:
    """The English names of audit events ("case viewed"): too short for a run, still untranslated text."""
    from ombuds.audit.models import EventType

    names = sorted((kind.name.replace("_", " ").lower() for kind in EventType), key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(re.escape(name) for name in names) + r")(?![A-Za-z])")


def api_client_for(user) -> Client:
    """A client with a personal API token that carries the user's key, as `ombuds token create --with-key` makes."""
    from ombuds.accounts import keys as staff_keys
    from ombuds.accounts import tokens

    _record, token = tokens.create_token(user=user, name="test", key_pair=staff_keys.attached(user))
    return Client(headers={"Authorization": f"Bearer {token}"})
