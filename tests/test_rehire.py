"""The rehire registry and check: keyed digests only, an answer that says nothing else, every check audited."""

import json
import os
import sqlite3
import subprocess
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import InvolvedPerson
from ombuds.outcomes import actions as outcomes
from ombuds.outcomes import registry
from ombuds.outcomes.models import RehireCheck, RehireIdentifier
from tests.support import api_client_for, find_every_allegation, investigate_the_accused, make_staff, untranslated

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# Identifiers given with the decision: in the registry, and nowhere else in ombuds.
PRIVATE_EMAIL = "alex.private@mailbox.example"
PHONE = "+86 138 0013 8000"
NATIONAL_ID = "11010519491231002X"


def _dismissed(staff, file_report, *, rehire: str = "not_eligible", region: str = "CN"):
    """The story's manager: dismissed, not eligible for rehire, approved by a second person."""
    outcomes.configure_policy(phone_region=region)
    filed = file_report(people=staff.name_the_accused())
    case = filed.case
    for step in (actions.acknowledge_case, actions.begin_assessment):
        step(case=case, actor=staff.lead)
    investigate_the_accused(case, staff.lead, staff.investigator)
    find_every_allegation(case, staff.investigator, "substantiated")
    actions.record_finding(case=case, actor=staff.lead, finding="", reasoning="Substantiated.")
    case.refresh_from_db()
    outcome = outcomes.propose_outcome(
        case=case,
        actor=staff.lead,
        person=InvolvedPerson.objects.get(report__case=case),
        sanctions=["dismissal"],
        rehire=rehire,
        reason="Assault on a business trip.",
        identifiers={"email": PRIVATE_EMAIL, "phone": PHONE, "national_id": NATIONAL_ID},
    )
    outcomes.approve_outcome(outcome=outcome, actor=staff.oversight)
    return case


def _ask(client: Client, **identifiers: str):
    return client.post("/api/v1/staff/rehire-checks", identifiers, content_type="application/json")


@time_machine.travel(T0, tick=False)
def test_hr_learns_only_not_eligible_for_the_dismissed_manager_and_eligible_for_anyone_else(staff, file_report) -> None:
    case = _dismissed(staff, file_report)
    hr = api_client_for(staff.hr)
    for identifiers in [
        {"email": "ACCUSED@Example.org "},  # the directory's e-mail, as a recruiter might type it
        {"email": PRIVATE_EMAIL.upper()},
        {"phone": "138-0013-8000"},  # national format, in the organisation's region
        {"phone": "+8613800138000"},
        {"phone": "0086 138 0013 8000"},
        {"employee_number": " P-ACCUSED "},
        {"national_id": "110105-19491231-002x"},
        {"email": "someone.else@example.org", "phone": "+86 138 0013 8000"},  # one identifier is enough
    ]:
        answer = _ask(hr, **identifiers)
        assert answer.status_code == 201, (identifiers, answer.content)
        body = answer.json()
        # registry_hits names other organisations of the shared registry, which is off here.
        assert set(body) == {"result", "check_reference", "registry_hits"}, identifiers
        assert body["registry_hits"] == [], identifiers
        assert body["result"] == "not_eligible", identifiers
        assert case.reference not in answer.content.decode()
    unrelated = _ask(hr, email="new.candidate@example.org", phone="+44 20 7946 0958")
    assert unrelated.json()["result"] == "eligible"


@time_machine.travel(T0, tick=False)
def test_every_check_is_in_the_audit_trail_with_its_reference_and_answer_only(staff, file_report) -> None:
    _dismissed(staff, file_report)
    hr = api_client_for(staff.hr)
    first = _ask(hr, email="accused@example.org").json()
    second = _ask(hr, email="new.candidate@example.org").json()
    events = list(AuditEvent.objects.filter(event_type=EventType.REHIRE_CHECKED).order_by("seq"))
    assert [e.detail for e in events] == [
        {"check": first["check_reference"], "result": "not_eligible"},
        {"check": second["check_reference"], "result": "eligible"},
    ]
    assert all(e.case_id is None and e.actor_id == staff.hr.pk for e in events)
    digests = set(RehireIdentifier.objects.values_list("digest", flat=True))
    leaves = "".join(AuditEvent.objects.values_list("leaf", flat=True))
    assert "accused@example.org" not in leaves and "new.candidate" not in leaves
    assert not [d for d in digests if d in leaves]
    # The check keeps which kinds were given, never the values, nor their digests.
    stored = RehireCheck.objects.get(reference=second["check_reference"])
    assert stored.kinds == ["email"] and stored.result == "eligible" and not stored.matched.exists()


@time_machine.travel(T0, tick=False)
def test_oversight_lists_the_checks_and_sees_which_entry_and_case_one_matched(staff, file_report) -> None:
    case = _dismissed(staff, file_report)
    hr = api_client_for(staff.hr)
    hit = _ask(hr, national_id="11010519491231002x").json()["check_reference"]
    miss = _ask(hr, employee_number="E-404").json()["check_reference"]

    board = api_client_for(staff.oversight)
    listing = board.get("/api/v1/staff/rehire-checks").json()
    assert listing["count"] == 2
    assert {(r["check_reference"], r["result"], r["asked_by"]) for r in listing["results"]} == {
        (hit, "not_eligible", staff.hr.email),
        (miss, "eligible", staff.hr.email),
    }
    detail = board.get(f"/api/v1/staff/rehire-checks/{hit}").json()
    assert [m["case"] for m in detail["matched"]] == [case.reference]
    assert detail["kinds"] == ["national_id"]
    assert board.get("/api/v1/staff/rehire-checks/RC-NOSUCH").status_code == 404
    assert AuditEvent.objects.filter(event_type=EventType.REHIRE_CHECK_VIEWED, detail__check=hit).count() == 1

    web = staff.client_for(staff.oversight)
    page = web.get("/staff/rehire/").content.decode()
    assert hit in page and miss in page
    page = web.get(f"/staff/rehire/{hit}/").content.decode()
    assert case.reference in page and "Not eligible for rehire" in page
    zh = web.get(f"/staff/rehire/{hit}/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "再雇用" in zh and untranslated(zh) == []


@time_machine.travel(T0, tick=False)
def test_only_hr_asks_and_only_oversight_reads_everyone_else_gets_404(staff, file_report) -> None:
    _dismissed(staff, file_report)
    for persona in ["handler", "lead", "oversight", "admin", "auditor", "outsider"]:
        user = getattr(staff, persona)
        web = staff.client_for(user)
        assert web.post("/staff/rehire/", {"check-email": "accused@example.org"}).status_code == 404, persona
        if persona == "admin" or persona == "outsider":
            continue  # no second factor, so no token: the page answered above
        assert _ask(api_client_for(user), email="accused@example.org").status_code == 404, persona
    assert not RehireCheck.objects.exists()
    hr = api_client_for(staff.hr)
    assert hr.get("/api/v1/staff/rehire-checks").status_code == 404
    assert hr.get("/api/v1/staff/rehire-checks/RC-ANY").status_code == 404
    assert staff.client_for(staff.hr).get("/staff/rehire/RC-ANY/").status_code == 404
    lead = api_client_for(staff.lead)
    assert lead.get("/api/v1/staff/rehire-checks").status_code == 404
    assert _ask(hr).status_code == 422  # at least one identifier
    assert _ask(hr, phone="not a number").status_code == 422


@time_machine.travel(T0, tick=False)
def test_hr_checks_on_the_page_and_with_the_command(staff, file_report) -> None:
    case = _dismissed(staff, file_report, rehire="review_needed")
    page = staff.client_for(staff.hr).post("/staff/rehire/", {"check-email": "Accused@example.org"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "review_needed" in html and "Alex Accused" not in html and case.reference not in html
    out = StringIO()
    call_command("rehire", "check", "--phone", "13800138000", "--as", staff.hr.email, stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["result"] == "review_needed" and answer["check_reference"].startswith("RC-")
    with pytest.raises(CommandError, match="Only HR staff"):
        call_command("rehire", "check", "--email", "x@example.org", "--as", staff.lead.email, stdout=StringIO())
    assert RehireCheck.objects.count() == 2


def test_identifiers_have_one_normal_form_each() -> None:
    assert registry.normal_email("  Alex.Private@MAILBOX.example ") == "alex.private@mailbox.example"
    assert registry.normal_phone("010 6552 9988", "CN") == "+861065529988"
    assert registry.normal_phone("+86 10 6552 9988", "") == "+861065529988"
    assert registry.normal_phone("020 7946 0958", "GB") == "+442079460958"
    assert registry.normal_employee_number("  E 1004 ") == "E 1004"
    assert registry.normal_national_id("110105 1949-1231 002x") == "11010519491231002X"
    for bad in ["", "no at sign", "a@"]:
        with pytest.raises(registry.InvalidIdentifier):
            registry.normal_email(bad)
    with pytest.raises(registry.InvalidIdentifier, match="country code"):
        registry.normal_phone("138 0013 8000", "")


@time_machine.travel(T0, tick=False)
def test_the_registry_key_is_made_once_and_a_missing_or_other_key_is_refused(staff, file_report, settings) -> None:
    _dismissed(staff, file_report)
    path = Path(settings.OMBUDS_REHIRE_KEY_FILE)
    assert path.stat().st_mode & 0o777 == 0o600
    assert AuditEvent.objects.filter(event_type=EventType.REHIRE_KEY_CREATED).count() == 1
    hr = api_client_for(staff.hr)
    kept = path.read_bytes()
    path.unlink()
    refused = _ask(hr, email="accused@example.org")
    assert refused.status_code == 422 and "key is missing or wrong" in refused.json()["detail"][0]["msg"]
    assert not path.exists()  # never a new key for a registry that has entries
    path.write_text("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n")
    assert _ask(hr, email="accused@example.org").status_code == 422
    path.write_bytes(kept)
    assert _ask(hr, email="accused@example.org").json()["result"] == "not_eligible"


def _sqlite_bytes() -> bytes:
    """The database file's bytes, page by page, as this connection sees them (its own writes included)."""
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)
    return raw.serialize()


def _pg_dump() -> bytes:
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = ["pg_dump", "--data-only", "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], db["NAME"]]
    return subprocess.run(command, env=env, check=True, capture_output=True).stdout


PLAIN = [
    PRIVATE_EMAIL,
    PRIVATE_EMAIL.upper(),
    "+8613800138000",
    "13800138000",
    "138 0013 8000",
    NATIONAL_ID,
    "Assault on a business trip",
]


def _registry_copy_holds_no_plain_identifier(staff, file_report, raw_copy) -> None:
    _dismissed(staff, file_report)
    _ask(api_client_for(staff.hr), email=PRIVATE_EMAIL)
    assert RehireIdentifier.objects.count() == 5  # three given, two from the directory
    raw = raw_copy()
    assert b"accused@example.org" in raw  # the directory's row: the copy is a real one
    for plain in PLAIN:
        assert plain.encode() not in raw, plain
    # The directory lists everyone, the dismissed or not; the registry tables hold none of it in clear.
    registry_rows = str(list(RehireIdentifier.objects.values())) + str(list(RehireCheck.objects.values()))
    assert "accused@example.org" not in registry_rows and "P-ACCUSED" not in registry_rows


@time_machine.travel(T0, tick=False)
def test_a_copy_of_the_sqlite_file_does_not_list_who_is_in_the_registry(staff, file_report) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite file; PostgreSQL is dumped by the next test")
    _registry_copy_holds_no_plain_identifier(staff, file_report, _sqlite_bytes)


ON_POSTGRESQL = "postgresql" in str(settings.DATABASES["default"]["ENGINE"])


# Committed, so pg_dump (another session) sees it. PostgreSQL empties the tables with TRUNCATE
# afterwards, which the audit log's triggers allow; SQLite could not (they refuse DELETE).
@pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_dump of a PostgreSQL database; the SQLite test reads its pages")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@time_machine.travel(T0, tick=False)
def test_a_pg_dump_does_not_list_who_is_in_the_registry(staff, file_report) -> None:
    _registry_copy_holds_no_plain_identifier(staff, file_report, _pg_dump)


def test_a_check_needs_the_hr_role_even_with_a_made_up_user(db) -> None:
    hr_without_factor = make_staff("hr2@example.org", "hr", totp=False)
    with pytest.raises(outcomes.ActionError, match="Only HR staff"):
        outcomes.check_rehire(actor=hr_without_factor, identifiers={"email": "x@example.org"})
