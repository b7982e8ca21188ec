"""Reports held in escrow until another report names the same person (ombuds.linking.escrow)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions, content, keyring
from ombuds.cases.models import Case, CaseKeyGrant, Escalation, Notice, Report
from ombuds.core import sweep
from ombuds.crypto import filestore, keys, threshold
from ombuds.crypto.errors import CombineError, CryptoError, DecryptionError, DeserializeError
from ombuds.crypto.ristretto255 import Scalar
from ombuds.linking import escrow
from ombuds.linking.models import EscrowShare, HeldReport, HoldState
from tests.support import (
    STAFF_API_CALLS,
    FileReport,
    Personas,
    api_client_for,
    api_url,
    call,
    case_routes,
    receipt_from,
    release_audit_batch,
)

pytestmark = pytest.mark.django_db

MAX = "max.mustermann@example.com"
SECRET_TEXT = "He cornered me in the archive room on the fourth floor."
SECRET_FILE = b"%PDF-1.4 screenshots of the messages he sent at night"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def accused(**identifiers: str) -> list[actions.NewPerson]:
    return [actions.NewPerson(name="Max", role="accused", **identifiers)]


def sees(client: Client, case: Case) -> bool:
    page = client.get(f"/staff/cases/{case.reference}/")
    assert page.status_code in (200, 404)
    return page.status_code == 200


def everything_in_the_database() -> list[bytes]:
    """Every value of every row of every table, as bytes."""
    values: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 -- table names from the schema itself
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        values.append(bytes(value))
                    elif value is not None:
                        values.append(str(value).encode())
    return values


def everything_in_the_file_store() -> list[bytes]:
    directory = Path(filestore.FileStore().directory)
    return [path.read_bytes() for path in directory.rglob("*") if path.is_file()]


def test_a_held_report_is_readable_by_nobody_with_all_the_server_holds(
    file_report: FileReport, staff: Personas
) -> None:
    recovery = keyring.create_recovery_key()
    held = file_report(
        people=accused(email=MAX),
        narrative=SECRET_TEXT,
        escrow=True,
        attachments=[actions.NewAttachment(filename="night.pdf", content_type="application/pdf", data=SECRET_FILE)],
    )
    case = Case.objects.get(pk=held.case.pk)
    assert case.held_in_escrow
    report = Report.objects.get(pk=held.report.pk)

    # No copy of its key for any staff member nor for the recovery key.
    assert not CaseKeyGrant.objects.filter(case=case).exists()
    # Nowhere in clear: neither in the database nor in the file store.
    stored = everything_in_the_database() + everything_in_the_file_store()
    assert not any(SECRET_TEXT.encode() in value or SECRET_FILE in value for value in stored)

    # Everything the server holds, offered to the decryption code as a key: every 32 bytes of
    # every stored value, and every line key that the stored shares could stand for.
    shares = [
        threshold.Escrow(bytes(s.match_id), threshold.Share.from_bytes(bytes(s.share)), bytes(s.sealed_key))
        for s in EscrowShare.objects.all()
    ]
    assert len(shares) == 1
    candidates: set[bytes] = set()
    for value in stored:
        candidates.update(value[i : i + keys.KEY_BYTES] for i in range(0, max(len(value) - 31, 0), 32))
    candidates = {c for c in candidates if len(c) == keys.KEY_BYTES}
    assert len(candidates) > 100
    ad = escrow.associated_data(report.pk)
    for first, second in itertools.product(shares, repeat=2):
        with pytest.raises(CombineError):
            threshold.recover(first, second)  # one reporter's point never completes the line
    for raw in candidates:
        with pytest.raises((DecryptionError, ValueError)):
            content.open(report.narrative, key=keys.DataKey(raw), case=case, model=Report, field="narrative")
        try:
            as_intercept = Scalar.from_bytes(raw)
        except (DeserializeError, CryptoError):
            continue
        with pytest.raises(DecryptionError):
            threshold.RecoveredKey(shares[0].match_id, as_intercept).open(shares[0], associated_data=ad)
    # The recovery key, which opens every other case, opens nothing here: it was given nothing.
    assert report.key_seal is not None
    with pytest.raises(DecryptionError):
        keys.unseal_data_key(recovery, bytes(report.key_seal))

    # The check can fail: her receipt, which the server does not hold, opens it.
    key = keyring.open_for_reporter(report, held.receipt)
    assert key is not None
    assert content.open(report.narrative, key=key, case=case, model=Report, field="narrative") == SECRET_TEXT


def test_staff_see_no_held_report_until_a_second_independent_report_names_the_same_person(
    file_report: FileReport, staff: Personas
) -> None:
    with time_machine.travel(T0, tick=False):
        first = file_report(people=accused(email=MAX), narrative=SECRET_TEXT, escrow=True)
    lead, oversight = staff.client_for(staff.lead), staff.client_for(staff.oversight)
    assert not sees(lead, first.case) and not sees(oversight, first.case)
    assert first.case.reference not in lead.get("/staff/").content.decode()
    assert 'id="held-in-escrow"' in oversight.get("/staff/").content.decode()

    with time_machine.travel(T0 + timedelta(days=40), tick=False):
        second = file_report(people=accused(email="MAX.Mustermann@example.com"), escrow=True)

    for filed in (first, second):
        case = Case.objects.get(pk=filed.case.pk)
        assert not case.held_in_escrow
        assert HeldReport.objects.get(report=filed.report).state == HoldState.RELEASED_BY_MATCH
        assert sees(lead, case)
        # Deadlines start at the release, not at the filing.
        assert case.ack_due_at > T0 + timedelta(days=40)
    assert not EscrowShare.objects.exists()
    assert SECRET_TEXT in lead.get(f"/staff/cases/{first.case.reference}/").content.decode()
    # Linked, with the repeat-offender alert.
    [alert] = AuditEvent.objects.filter(event_type=EventType.REPEAT_OFFENDER_ALERT)
    assert alert.detail["cases"] == sorted([first.case.pk, second.case.pk])
    released = AuditEvent.objects.filter(event_type=EventType.ESCROW_RELEASED)
    assert sorted(e.case_id for e in released if e.case_id is not None) == sorted([first.case.pk, second.case.pk])
    assert all(set(e.detail) == {"report", "how"} for e in released)

    reporter = Client()
    opened = reporter.post("/return/", {"receipt": first.receipt})
    assert opened.status_code == 302
    assert "someone else reported a person you named" in reporter.get("/status/").content.decode()


@pytest.mark.parametrize("persona", ["oversight", "lead"])
def test_every_staff_route_and_api_call_answers_404_for_a_held_case(
    file_report: FileReport, staff: Personas, persona: str
) -> None:
    held = file_report(
        people=accused(email=MAX),
        escrow=True,
        attachments=[actions.NewAttachment(filename="a.txt", content_type="text/plain", data=b"secret")],
    )
    actions.post_reporter_message(report=held.report, body="Still here.")
    attachment = held.case.attachments.get().pk
    user = getattr(staff, persona)
    web = staff.client_for(user)
    for path in case_routes(held.case.reference, attachment, 1):
        assert web.get(path).status_code == 404, path
        assert web.post(path, {"body": "x", "reason": "x", "note": "x"}).status_code == 404, path
    api = api_client_for(user)
    for method, path, body in STAFF_API_CALLS:
        url = api_url(path, held.case.reference)
        assert call(api, method, url, body).status_code == 404, url
    assert held.case.reference not in api.get("/api/v1/cases").content.decode()
    # The walk can fail: released, the same routes open.
    actions.release_held_report(report=held.report)
    assert web.get(f"/staff/cases/{held.case.reference}/").status_code == 200
    assert api.get(f"/api/v1/cases/{held.case.reference}").status_code == 200


@pytest.mark.parametrize("persona", ["auditor", "oversight"])
def test_the_audit_trail_and_its_proofs_show_nothing_of_a_held_report_until_it_is_released(
    file_report: FileReport, staff: Personas, persona: str
) -> None:
    held = file_report(people=accused(email=MAX), escrow=True)
    release_audit_batch()
    events = AuditEvent.objects.filter(case=held.case)
    assert events.exists()
    filed = events.order_by("seq").first()
    assert filed is not None
    size = AuditEvent.objects.count()
    user = getattr(staff, persona)
    web = staff.client_for(user)
    api = api_client_for(user)
    proof = f"/api/v1/audit/proofs/inclusion?index={filed.seq}&tree_size={size}"

    def shown() -> tuple[bool, int, int]:
        trail = web.get("/staff/audit/")
        assert trail.status_code == 200
        return (
            held.case.reference in trail.content.decode(),
            web.get(f"/staff/audit/proofs/{filed.seq}/").status_code,
            api.get(proof).status_code,
        )

    assert shown() == (False, 404, 404)
    # The check can fail: released, the report's events show with their proofs.
    actions.release_held_report(report=held.report)
    release_audit_batch()
    assert shown() == (True, 200, 200)


def test_a_report_already_filed_by_someone_else_releases_a_new_held_report_at_once(
    file_report: FileReport, staff: Personas
) -> None:
    earlier = file_report(people=accused(phone="+44 20 7946 0958"))
    held = file_report(people=accused(phone="+442079460958"), escrow=True)
    assert HeldReport.objects.get(report=held.report).state == HoldState.RELEASED_BY_MATCH
    assert not EscrowShare.objects.exists()
    assert sees(staff.client_for(staff.lead), held.case) and sees(staff.client_for(staff.lead), earlier.case)


def test_the_same_named_reporter_twice_releases_nothing(file_report: FileReport, staff: Personas) -> None:
    anna = {"anonymous": False, "reporter_name": "Anna Example", "escrow": True}
    first = file_report(people=accused(email=MAX), **anna)
    second = file_report(people=accused(email=MAX, employee_number="E-1001"), **anna)
    for filed in (first, second):
        assert HeldReport.objects.get(report=filed.report).state == HoldState.HELD
        assert not sees(staff.client_for(staff.lead), filed.case)
    # Someone else: both go to handling.
    file_report(people=accused(email=MAX))
    assert set(HeldReport.objects.values_list("state", flat=True)) == {HoldState.RELEASED_BY_MATCH}


def test_a_held_report_linked_only_through_another_report_is_in_no_alert(
    file_report: FileReport, staff: Personas
) -> None:
    anna = {"anonymous": False, "reporter_name": "Anna Example"}
    held = file_report(people=accused(email=MAX), escrow=True, **anna)
    # Her own second report gives his phone too: it does not release her first.
    hers = file_report(people=accused(email=MAX, phone="+442079460958"), **anna)
    assert HeldReport.objects.get(report=held.report).state == HoldState.HELD
    # Someone else names him by phone only: the alert links her two reports' person, but the
    # held report stays out of it (its e-mail line is not completed by a phone number).
    other = file_report(people=accused(phone="+44 20 7946 0958"))
    assert HeldReport.objects.get(report=held.report).state == HoldState.HELD
    [alert] = AuditEvent.objects.filter(event_type=EventType.REPEAT_OFFENDER_ALERT)
    assert alert.detail["cases"] == sorted([hers.case.pk, other.case.pk])
    assert (
        held.case.reference
        not in staff.client_for(staff.lead).get(f"/staff/cases/{other.case.reference}/").content.decode()
    )


def test_a_held_report_naming_someone_nobody_can_handle_tells_oversight_nothing_until_released(
    file_report: FileReport, staff: Personas
) -> None:
    held = file_report(people=staff.name_the_accused(), escrow=True)
    assert not Notice.objects.filter(case_id=held.case.pk).exists()
    assert (
        not AuditEvent.objects.filter(case_id=held.case.pk)
        .exclude(event_type__in=[EventType.REPORT_FILED, EventType.ESCROW_HELD])
        .exists()
    )
    actions.release_held_report(report=held.report)
    # Released, it is a case like any other: the accused's manager is kept out of it.
    assert not sees(staff.client_for(staff.manager), held.case)
    assert sees(staff.client_for(staff.lead), held.case)
    assert Notice.objects.filter(case_id=held.case.pk).exists()


def test_escrow_needs_an_identifier_of_an_accused_person(file_report: FileReport) -> None:
    with pytest.raises(actions.ActionError, match="e-mail address, phone number or employee number"):
        file_report(people=[actions.NewPerson(name="Max Mustermann", role="accused")], escrow=True)
    assert not Case.objects.exists()
    refused = Client().post(
        "/api/v1/reports",
        {"category": "bullying", "role": "affected", "anonymous": True, "narrative": "He shouts.", "escrow": True},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert "employee number" in refused.content.decode()
    form = Client().post(
        "/report/",
        {
            "category": "bullying",
            "role": "affected",
            "anonymous": "true",
            "narrative": SECRET_TEXT,
            "person_1_name": "Max",
            "person_1_role": "accused",
            "escrow": "on",
        },
        follow=True,
    )
    assert form.status_code == 400
    page = form.content.decode()
    assert "pick them from the directory" in page and SECRET_TEXT in page
    assert not Case.objects.exists()


def _file_through_the_form(client: Client, *, escrow: bool) -> str:
    page = client.post(
        "/report/",
        {
            "category": "bullying",
            "role": "affected",
            "anonymous": "true",
            "narrative": SECRET_TEXT,
            "person_1_name": "Max",
            "person_1_role": "accused",
            "person_1_email": MAX,
            **({"escrow": "on"} if escrow else {}),
        },
        follow=True,
    )
    assert page.status_code == 200
    release_audit_batch()
    return receipt_from(page.content)


def test_she_can_write_and_then_release_her_held_report_herself_through_the_form(staff: Personas) -> None:
    reporter = Client()
    _file_through_the_form(reporter, escrow=True)
    [hold] = HeldReport.objects.all()
    status = reporter.get("/status/").content.decode()
    assert "Held until someone else names the same person" in status
    assert reporter.post("/status/message/", {"body": "One more thing."}).status_code == 302
    case = Case.objects.get(pk=hold.case_id)
    lead = staff.client_for(staff.lead)
    assert not sees(lead, case)

    assert reporter.post("/status/escrow/release/").status_code == 302
    hold.refresh_from_db()
    assert hold.state == HoldState.RELEASED_BY_REPORTER
    assert sees(lead, case)
    page = lead.get(f"/staff/cases/{case.reference}/").content.decode()
    assert SECRET_TEXT in page and "One more thing." in page
    assert "You sent your held report to the case handlers" in reporter.get("/status/").content.decode()


def test_she_can_withdraw_her_held_report_through_the_api_and_it_is_deleted(staff: Personas) -> None:
    api = Client()
    filed = api.post(
        "/api/v1/reports",
        {
            "category": "bullying",
            "role": "affected",
            "anonymous": True,
            "narrative": SECRET_TEXT,
            "people": [{"name": "M.", "role": "accused", "email": MAX}],
            "escrow": True,
        },
        content_type="application/json",
    )
    assert filed.status_code == 201
    release_audit_batch()
    session = api.post(
        "/api/v1/reporter/session", {"receipt": filed.json()["receipt"]}, content_type="application/json"
    )
    auth = {"headers": {"Authorization": f"Bearer {session.json()['token']}"}}
    assert api.get("/api/v1/reporter/case", headers=auth["headers"]).json()["escrow"]["state"] == "held"

    assert api.post("/api/v1/reporter/escrow/withdraw", headers=auth["headers"]).status_code == 204
    release_audit_batch()
    [hold] = HeldReport.objects.all()
    assert hold.state == HoldState.WITHDRAWN
    assert not EscrowShare.objects.exists()
    report = Report.objects.get(pk=hold.report_id)
    assert report.key_seal is None and report.narrative == ""
    assert not any(SECRET_TEXT.encode() in value for value in everything_in_the_database())
    assert api.get("/api/v1/reporter/case", headers=auth["headers"]).json()["escrow"]["state"] == "withdrawn"
    # Withdrawn, it releases nothing later and nobody on the staff ever sees it.
    Client().post(
        "/api/v1/reports",
        {
            "category": "bullying",
            "role": "witness",
            "anonymous": True,
            "narrative": "I saw it.",
            "people": [{"name": "M.", "role": "accused", "email": MAX}],
        },
        content_type="application/json",
    )
    assert not sees(staff.client_for(staff.oversight), Case.objects.get(pk=hold.case_id))
    assert api.post("/api/v1/reporter/escrow/release", headers=auth["headers"]).status_code == 422


def test_an_expired_held_report_is_deleted_by_the_sweeper_and_she_is_told(file_report: FileReport) -> None:
    with time_machine.travel(T0, tick=False):
        filed = file_report(people=accused(email=MAX), narrative=SECRET_TEXT, escrow=True)
    sweep.run(T0 + timedelta(days=settings.OMBUDS_ESCROW_DAYS - 1))
    assert HeldReport.objects.get().state == HoldState.HELD
    # No deadline runs while it is held: nobody is reminded of a case nobody may see.
    assert not Escalation.objects.filter(case_id=filed.case.pk).exists()
    assert not Notice.objects.filter(case_id=filed.case.pk).exists()

    sweep.run(T0 + timedelta(days=settings.OMBUDS_ESCROW_DAYS + 1))
    hold = HeldReport.objects.get()
    assert hold.state == HoldState.EXPIRED
    assert not EscrowShare.objects.exists()
    assert Report.objects.get(pk=filed.report.pk).key_seal is None
    assert not any(SECRET_TEXT.encode() in value for value in everything_in_the_database())
    [ended] = AuditEvent.objects.filter(event_type=EventType.ESCROW_ENDED)
    assert ended.detail == {"report": filed.report.pk, "how": "expired"}

    reporter = Client()
    assert reporter.post("/return/", {"receipt": filed.receipt}).status_code == 302
    assert "so it was deleted on" in reporter.get("/status/").content.decode()
