"""Retention: a closed case's content is deleted at the end of its period, a legal hold keeps it,
a subject access request gives the person concerned their data and nobody else's."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client, TestCase
from django.utils import timezone

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Attachment, Case, CaseKeyGrant, Notice, PendingGrant, Report, Status
from ombuds.core import sweep
from ombuds.crypto import filestore
from ombuds.investigations.helpers import NewAllegation
from ombuds.investigations.models import Allegation
from ombuds.retention import actions as retention
from ombuds.retention import rules
from ombuds.retention.models import Erasure, LegalHold
from tests.support import STAFF_PASSWORD, FileReport, Personas, release_audit_batch

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NARRATIVE = "Quentin Quill cornered me in the Zanzibar meeting room after the offsite."
REPORTER = "Rosalind Reporter"
ACCUSED = "Quentin Quill"
WITNESS = "Wilhelmina Witness"
FILE_BYTES = b"photo of the message he sent at night"


def _sweep(at: datetime) -> None:
    # The files leave the store once the deletion commits: the callbacks run here as they would then.
    with time_machine.travel(at, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        sweep.run(at)


def _closed_case(file_report: FileReport, staff: Personas, *, category: str = "sexual_harassment") -> Any:
    """A named report with people and a file, closed without investigation at T0 through the real actions."""
    with time_machine.travel(T0 - timedelta(days=3), tick=False):
        filed = file_report(
            category=category,
            narrative=NARRATIVE,
            anonymous=False,
            reporter_name=REPORTER,
            reporter_contact="rosalind@example.net",
            people=[actions.NewPerson(name=ACCUSED, role="accused"), actions.NewPerson(name=WITNESS, role="witness")],
            attachments=[actions.NewAttachment(filename="night.jpg", content_type="image/jpeg", data=FILE_BYTES)],
        )
        case = filed.case
        actions.acknowledge_case(case=case, actor=staff.handler)
        actions.begin_assessment(case=case, actor=staff.handler)
        actions.add_note(case=case, actor=staff.handler, body=f"Spoke with {WITNESS} on the phone.")
    with time_machine.travel(T0, tick=False):
        actions.propose_closure(
            case=case,
            actor=staff.handler,
            grounds="withdrawn",
            reason=f"The reporter withdrew; {ACCUSED} has left.",
            search_done="Called the reporter.",
        )
        actions.approve_closure(case=case, actor=staff.lead)
    return filed


def _stored_secrets(case: Case) -> list[str | bytes]:
    """What a copy of the database holds of the case's content and keys: ciphertexts and sealed keys."""
    report = Report.objects.get(case=case)
    found: list[str | bytes] = [report.narrative, report.reporter_name, report.reporter_contact]
    assert report.key_seal is not None
    found += [bytes(report.key_seal)]
    found += list(report.people.values_list("name", flat=True))
    found += list(case.notes.values_list("body", flat=True))
    found += list(case.messages.values_list("body", flat=True))
    found += list(case.closure_proposals.values_list("reason", flat=True))
    found += list(Attachment.objects.filter(case=case).values_list("filename", flat=True))
    found += [bytes(sealed) for sealed in CaseKeyGrant.objects.filter(case=case).values_list("sealed", flat=True)]
    clear: list[str | bytes] = [NARRATIVE, REPORTER, ACCUSED, WITNESS, "rosalind@example.net"]
    return [value for value in found if value] + clear


def _every_stored_value() -> list[str | bytes]:
    """Every value of every row of every table, read straight from the database."""
    values: list[str | bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names come from the database itself
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview):
                        values.append(bytes(value))
                    elif isinstance(value, bytes | str):
                        values.append(value)
    return values


def _found_anywhere(secret: str | bytes, stored: list[str | bytes]) -> bool:
    if isinstance(secret, bytes):
        return any(isinstance(v, bytes) and secret in v for v in stored)
    return any(isinstance(v, str) and secret in v for v in stored)


def test_a_closed_case_is_deleted_after_its_period_and_only_its_statistics_remain(
    file_report: FileReport, staff: Personas
) -> None:
    filed = _closed_case(file_report, staff)
    case = Case.objects.get(pk=filed.case.pk)
    assert case.status == Status.CLOSED and case.outcome == "closed_without_investigation"
    secrets = _stored_secrets(case)
    assert all(_found_anywhere(s, _every_stored_value()) for s in secrets[:4])  # the test sees what is stored
    blob = Attachment.objects.get(case=case).blob_id
    store = filestore.FileStore()
    assert store.path(blob).exists()

    # Two months after closing, less a day: kept.
    _sweep(T0 + timedelta(days=59))
    assert not Erasure.objects.filter(case=case).exists()
    assert Report.objects.get(case=case).narrative != ""

    _sweep(T0 + timedelta(days=62))
    erasure = Erasure.objects.get(case=case)
    assert erasure.erased_at == T0 + timedelta(days=62)
    stored = _every_stored_value()
    assert [s for s in secrets if _found_anywhere(s, stored)] == []
    assert not store.path(blob).exists()
    # No key can open what is left: every grant, pending grant and the reporter's copy are gone.
    assert not CaseKeyGrant.objects.filter(case=case).exists()
    assert not PendingGrant.objects.filter(case=case).exists()
    assert Report.objects.get(case=case).key_seal is None
    # The statistics still count it: category, outcome, dates.
    counts = dict(
        Case.objects.filter(category="sexual_harassment", outcome="closed_without_investigation")
        .values_list("category")
        .annotate(n=Count("pk"))
    )
    assert counts == {"sexual_harassment": 1}
    case.refresh_from_db()
    assert case.received_at is not None and case.closed_at == T0
    # The deletion is in the log, with identifiers only, and the log still verifies.
    deleted = AuditEvent.objects.get(case=case, event_type=EventType.CASE_CONTENT_DELETED)
    assert deleted.detail == {"files": 1}
    leaves = list(AuditEvent.objects.values_list("leaf", flat=True))
    assert not [leaf for leaf in leaves for s in secrets if isinstance(s, str) and s in leaf]
    out = StringIO()
    call_command("audit", "verify", stdout=out, stderr=StringIO())
    # Staff see nothing of it any more.
    assert staff.client_for(staff.oversight).get(f"/staff/cases/{case.reference}/").status_code == 404


def test_her_receipt_opens_the_deletion_page_on_the_web_and_through_the_api(staff: Personas) -> None:
    with time_machine.travel(T0 - timedelta(days=3), tick=False):
        filed = Client().post(
            "/api/v1/reports",
            {"category": "bullying", "role": "affected", "anonymous": True, "narrative": NARRATIVE},
            content_type="application/json",
        )
        assert filed.status_code == 201
        receipt = filed.json()["receipt"]
        release_audit_batch()
        case = Report.objects.get().case
        actions.acknowledge_case(case=case, actor=staff.handler)
        actions.begin_assessment(case=case, actor=staff.handler)
    with time_machine.travel(T0, tick=False):
        actions.propose_closure(
            case=case, actor=staff.handler, grounds="not_misconduct", reason="Not misconduct.", search_done="Read."
        )
        actions.approve_closure(case=case, actor=staff.lead)
    _sweep(T0 + timedelta(days=62))
    with time_machine.travel(T0 + timedelta(days=63), tick=False):
        returning = Client()
        opened = returning.post("/return/", {"receipt": receipt}, follow=True)
        assert opened.status_code == 200
        text = opened.content.decode()
        assert 'Its content was deleted on <span class="nowrap">3 May 2026</span>' in text
        assert 'was closed on <span class="nowrap">2 March 2026</span>' in text
        assert NARRATIVE not in text
        api = Client()
        session = api.post("/api/v1/reporter/session", {"receipt": receipt}, content_type="application/json")
        assert session.status_code == 200
        headers = {"Authorization": f"Bearer {session.json()['token']}"}
        body = api.get("/api/v1/reporter/case", headers=headers).json()
        assert body["content_deleted_on"] == "2026-05-03"
        assert body["status"] == "closed" and body["messages"] == []


def test_a_case_under_legal_hold_is_kept_and_deleted_after_the_hold_is_lifted(
    file_report: FileReport, staff: Personas
) -> None:
    filed = _closed_case(file_report, staff)
    case = filed.case
    oversight = staff.client_for(staff.oversight)
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        placed = oversight.post(
            f"/staff/cases/{case.reference}/legal-hold/",
            {"reason": f"Expected claim by {ACCUSED}.", "review_on": "2026-09-01"},
        )
        assert placed.status_code == 302
    hold = LegalHold.objects.get(case=case)
    assert ACCUSED not in hold.reason  # sealed with the case
    page = oversight.get(f"/staff/cases/{case.reference}/legal-hold/")
    assert f"Expected claim by {ACCUSED}." in page.content.decode()

    _sweep(T0 + timedelta(days=120))
    assert not Erasure.objects.filter(case=case).exists()
    assert Report.objects.get(case=case).narrative != ""

    with time_machine.travel(T0 + timedelta(days=121), tick=False):
        assert oversight.post(f"/staff/cases/{case.reference}/legal-hold/lift/").status_code == 302
    _sweep(T0 + timedelta(days=122))
    assert Erasure.objects.filter(case=case).exists()
    events = list(
        AuditEvent.objects.filter(case=case, event_type__gte=220).values_list("event_type", "detail", "actor")
    )
    assert events == [
        (EventType.LEGAL_HOLD_PLACED, {"hold": hold.pk, "review_on": "2026-09-01"}, staff.oversight.pk),
        (EventType.LEGAL_HOLD_LIFTED, {"hold": hold.pk}, staff.oversight.pk),
        (EventType.CASE_CONTENT_DELETED, {"files": 1}, None),
    ]


def test_oversight_is_told_when_a_hold_reaches_its_review_date(file_report: FileReport, staff: Personas) -> None:
    filed = _closed_case(file_report, staff)
    with time_machine.travel(T0, tick=False):
        retention.place_hold(
            case=filed.case, actor=staff.oversight, reason="Claim expected.", review_on=date(2026, 4, 1)
        )
    _sweep(datetime(2026, 3, 31, 12, tzinfo=UTC))
    assert not Notice.objects.filter(kind="legal_hold_review").exists()
    _sweep(datetime(2026, 4, 1, 12, tzinfo=UTC))
    _sweep(datetime(2026, 4, 2, 12, tzinfo=UTC))  # told once
    notice = Notice.objects.get(kind="legal_hold_review")
    assert notice.recipients == [staff.oversight.pk]
    assert AuditEvent.objects.filter(event_type=EventType.LEGAL_HOLD_REVIEW_DUE).count() == 1
    with time_machine.travel(datetime(2026, 4, 2, 12, tzinfo=UTC), tick=False):
        listed = staff.client_for(staff.oversight).get("/staff/retention/holds/").content.decode()
    assert filed.case.reference in listed and "review date passed" in listed


@pytest.mark.parametrize("persona", ["handler", "lead", "admin", "auditor", "outsider", "accused", "manager"])
def test_hold_lift_and_subject_access_are_404_for_everyone_but_unconflicted_oversight(
    file_report: FileReport, staff: Personas, persona: str
) -> None:
    case = file_report(anonymous=False, people=staff.name_the_accused()).case
    if persona == "manager":
        # Oversight, but in the accused's management chain: conflicted.
        from django.contrib.auth.models import Group

        staff.manager.groups.add(Group.objects.get_or_create(name="oversight")[0])
    client = staff.client_for(getattr(staff, persona))
    with time_machine.travel(T0, tick=False):
        answers = [
            client.get(f"/staff/cases/{case.reference}/legal-hold/").status_code,
            client.post(
                f"/staff/cases/{case.reference}/legal-hold/", {"reason": "x", "review_on": "2027-01-01"}
            ).status_code,
            client.post(f"/staff/cases/{case.reference}/legal-hold/lift/").status_code,
            client.put(f"/staff/cases/{case.reference}/legal-hold/lift/").status_code,
        ]
        if persona != "manager":
            answers += [
                client.get("/staff/retention/holds/").status_code,
                client.post("/staff/retention/subject-access/", {"employee_id": Personas.ACCUSED_ID}).status_code,
            ]
    assert set(answers) == {404}
    assert not LegalHold.objects.exists()
    assert not AuditEvent.objects.filter(event_type__in=[221, 222, 226]).exists()
    # Oversight, unconflicted, reaches them.
    with time_machine.travel(T0, tick=False):
        good = staff.client_for(staff.oversight).get(f"/staff/cases/{case.reference}/legal-hold/")
    assert good.status_code == 200


def test_the_subject_access_document_holds_the_persons_data_but_not_the_reporter_nor_third_parties(
    file_report: FileReport, staff: Personas
) -> None:
    filed = file_report(
        anonymous=False,
        narrative=f"{staff.name_the_accused()[0].name} grabbed my arm; {WITNESS} saw it.",
        reporter_name=REPORTER,
        reporter_contact="rosalind@example.net",
        people=[*staff.name_the_accused(), actions.NewPerson(name=WITNESS, role="witness")],
    )
    case = filed.case
    accused = filed.report.people.get(role="accused")
    actions.acknowledge_case(case=case, actor=staff.handler)
    actions.begin_assessment(case=case, actor=staff.handler)
    actions.open_investigation(
        case=case,
        actor=staff.lead,
        investigators=[staff.investigator],
        allegations=[
            NewAllegation(
                conduct=f"Grabbed the arm of {REPORTER} at the party, as {WITNESS} saw.", person_id=accused.pk
            )
        ],
    )
    assert Allegation.objects.filter(case=case).count() == 1
    response = staff.client_for(staff.oversight).post(
        "/staff/retention/subject-access/", {"employee_id": Personas.ACCUSED_ID}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document = json.loads(response.content)
    text = response.content.decode()
    assert document["person"]["employee_id"] == Personas.ACCUSED_ID
    [part] = document["cases"]
    assert part["case"] == case.reference and part["roles"] == ["accused"]
    assert part["allegations"][0]["conduct"] == "Grabbed the arm of [removed] at the party, as [removed] saw."
    for secret in (REPORTER, WITNESS, "rosalind@example.net", "grabbed my arm"):
        assert secret not in text
    event = AuditEvent.objects.get(event_type=EventType.SUBJECT_ACCESS_PRODUCED)
    assert event.actor_id == staff.oversight.pk
    assert event.detail == {"person": accused.person_id, "cases": [case.pk]}
    assert REPORTER not in event.leaf and Personas.ACCUSED_ID not in event.leaf


def test_the_subject_access_document_removes_her_name_in_any_form_she_or_the_directory_gives(
    file_report: FileReport, staff: Personas
) -> None:
    """The review's attack: a two-character name, a first name alone, her name as the directory has it."""
    from ombuds.directory.models import Person
    from ombuds.watch import actions as watch_actions

    Person.objects.create(employee_id="E-WF", name="Fang Wang", email="fang@example.org")
    filed = file_report(
        anonymous=False,
        reporter_name="王芳",
        people=[*staff.name_the_accused(), actions.NewPerson(name="Jane Doe", role="witness")],
    )
    case = filed.case
    watch_actions.link_reporter(case=case, actor=staff.handler, person=Person.objects.get(employee_id="E-WF"))
    actions.acknowledge_case(case=case, actor=staff.handler)
    actions.begin_assessment(case=case, actor=staff.handler)
    conduct = "推了王芳. Jane saw it, and Ms Doe; Fang told HR. At the annual review, Janet and Does were there."
    actions.open_investigation(
        case=case,
        actor=staff.lead,
        investigators=[staff.investigator],
        allegations=[NewAllegation(conduct=conduct, person_id=filed.report.people.get(role="accused").pk)],
    )
    response = staff.client_for(staff.oversight).post(
        "/staff/retention/subject-access/", {"employee_id": Personas.ACCUSED_ID}
    )
    assert response.status_code == 200
    [part] = json.loads(response.content)["cases"]
    assert part["allegations"][0]["conduct"] == (
        "推了[removed]. [removed] saw it, and Ms [removed]; [removed] told HR. "
        "At the annual review, Janet and Does were there."
    )


def test_the_subject_access_command_writes_the_same_document(
    file_report: FileReport, staff: Personas, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # She types her password at the prompt: her key opens the cases, as her login does on the page.
    monkeypatch.setattr("getpass.getpass", lambda prompt="": STAFF_PASSWORD)
    case = file_report(anonymous=False, reporter_name=REPORTER, people=staff.name_the_accused()).case
    target = tmp_path / "dsar.json"
    call_command(
        "subject_access", Personas.ACCUSED_ID, "--by", staff.oversight.email, "--output", str(target), stdout=StringIO()
    )
    document = json.loads(target.read_bytes())
    assert [part["case"] for part in document["cases"]] == [case.reference]
    assert REPORTER not in target.read_text()


def test_periods_follow_the_category_rule_and_whether_the_case_was_investigated(staff: Personas) -> None:
    closed = Case(category="bullying", status=Status.CLOSED, closed_at=T0, outcome="closed_without_investigation")
    decided = Case(category="bullying", status=Status.CLOSED, closed_at=T0, outcome="decided", finding="substantiated")
    now = timezone.now()
    assert rules.delete_after(closed, now) == datetime(2026, 5, 2, 9, tzinfo=UTC)
    assert rules.delete_after(decided, now) == datetime(2031, 3, 2, 9, tzinfo=UTC)
    assert rules.delete_after(Case(category="bullying", status=Status.ASSESSMENT), now) is None
    admin = staff.client_for(staff.admin)
    changed = admin.post(
        "/staff/admin/retention/", {"category": "bullying", "without_investigation": "p6m", "after_decision": "P7Y"}
    )
    assert changed.status_code == 302
    assert rules.delete_after(closed, now) == datetime(2026, 9, 2, 9, tzinfo=UTC)
    assert rules.delete_after(decided, now) == datetime(2033, 3, 2, 9, tzinfo=UTC)
    refused = admin.post(
        "/staff/admin/retention/",
        {"category": "bullying", "without_investigation": "two months", "after_decision": "P7Y"},
    )
    assert refused.status_code == 400
    assert rules.periods()["bullying"].without_investigation == "P6M"
    assert AuditEvent.objects.filter(event_type=EventType.RETENTION_RULE_CHANGED).count() == 1
    for persona in ("oversight", "lead", "outsider"):
        assert staff.client_for(getattr(staff, persona)).get("/staff/admin/retention/").status_code == 404


def test_no_period_is_under_a_month_and_a_shortened_one_takes_nothing_for_thirty_days(
    file_report: FileReport, staff: Personas
) -> None:
    """The review's attack: one administrator set a period of a second, and the next sweep shredded closed cases."""
    case = Case.objects.get(
        pk=_closed_case(file_report, staff).case.pk
    )  # closed at T0, without investigation: two months
    admin = staff.client_for(staff.admin)
    for short in ("PT1S", "P30D", "P4W", "PT743H"):
        refused = admin.post(
            "/staff/admin/retention/",
            {"category": "sexual_harassment", "without_investigation": short, "after_decision": "P5Y"},
        )
        assert refused.status_code == 400 and "may not be shorter than" in refused.content.decode(), short
    assert rules.periods()["sexual_harassment"].without_investigation == "P2M"
    # A month is allowed, but it deletes nothing earlier than two months would have for
    # thirty days after the change, while oversight can see it and place holds.
    changed_at = T0 + timedelta(days=40)
    with time_machine.travel(changed_at, tick=False):
        changed = admin.post(
            "/staff/admin/retention/",
            {"category": "sexual_harassment", "without_investigation": "P1M", "after_decision": "P5Y"},
        )
    assert changed.status_code == 302
    assert rules.delete_after(case, changed_at) == datetime(2026, 5, 2, 9, tzinfo=UTC)
    _sweep(changed_at + timedelta(days=1))
    assert not Erasure.objects.filter(case=case).exists()
    # Past the old period, it goes, as it would have anyway.
    _sweep(datetime(2026, 5, 2, 10, tzinfo=UTC))
    assert Erasure.objects.filter(case=case).exists()
    # After the notice, only the new period counts.
    assert rules.delete_after(case, changed_at + rules.NOTICE + timedelta(seconds=1)) == datetime(
        2026, 4, 2, 9, tzinfo=UTC
    )


def test_an_investigated_case_and_its_rehire_entry_are_kept_five_years_then_deleted_and_expired(
    file_report: FileReport, staff: Personas
) -> None:
    from ombuds.outcomes import actions as outcomes
    from ombuds.outcomes.models import AccusedOutcome, RehireEntry, RehireIdentifier
    from tests.support import find_every_allegation, investigate_the_accused

    with time_machine.travel(T0, tick=False):
        case = file_report(anonymous=False, reporter_name=REPORTER, people=staff.name_the_accused()).case
        actions.acknowledge_case(case=case, actor=staff.lead)
        actions.begin_assessment(case=case, actor=staff.lead)
        investigate_the_accused(case, staff.lead, staff.investigator)
        find_every_allegation(case, staff.investigator, "substantiated")
        actions.record_finding(case=case, actor=staff.lead, finding="", reasoning="Three witnesses agree.")
        outcome = outcomes.propose_outcome(
            case=case,
            actor=staff.lead,
            person=case.reports.get().people.get(role="accused"),
            sanctions=["dismissal"],
            rehire="not_eligible",
            reason=f"{ACCUSED} pressed her to drink.",
            identifiers={"phone": "+86 138 0013 8000"},
        )
        outcomes.approve_outcome(outcome=outcome, actor=staff.oversight, note="Agreed.")
        actions.close_case(case=Case.objects.get(pk=case.pk), actor=staff.lead, feedback="Decided.")
    asked = {"phone": "+86 138 0013 8000"}
    assert outcomes.check_rehire(actor=staff.hr, identifiers=asked).result == "not_eligible"

    _sweep(datetime(2031, 2, 28, 9, tzinfo=UTC))  # five years less a few days
    assert RehireEntry.objects.get().lifted_at is None
    assert not Erasure.objects.filter(case=case).exists()

    _sweep(datetime(2031, 3, 3, 9, tzinfo=UTC))
    entry = RehireEntry.objects.get()
    assert entry.lifted_at == datetime(2031, 3, 3, 9, tzinfo=UTC)
    assert not RehireIdentifier.objects.exists()
    assert outcomes.check_rehire(actor=staff.hr, identifiers=asked).result != "not_eligible"
    assert AuditEvent.objects.get(event_type=EventType.REHIRE_ENTRY_EXPIRED).detail == {"entry": entry.pk}
    # The case went too, keeping the kinds of its decision for the statistics and no text.
    assert Erasure.objects.filter(case=case).exists()
    kept = AccusedOutcome.objects.get()
    assert kept.sanctions == ["dismissal"] and kept.rehire == "not_eligible" and kept.reason == ""
    assert Case.objects.get(pk=case.pk).finding == "substantiated"


def test_the_list_of_holds_leaves_out_the_cases_its_reader_is_conflicted_on(
    file_report: FileReport, staff: Personas
) -> None:
    from django.contrib.auth.models import Group

    naming = file_report(anonymous=False, people=staff.name_the_accused()).case
    other = file_report(anonymous=False).case
    with time_machine.travel(T0, tick=False):
        for case in (naming, other):
            retention.place_hold(case=case, actor=staff.oversight, reason="Claim expected.", review_on=date(2027, 1, 1))
    # Oversight too, but in the accused's management chain: conflicted on the first case only.
    staff.manager.groups.add(Group.objects.get_or_create(name="oversight")[0])
    with time_machine.travel(T0, tick=False):
        theirs = staff.client_for(staff.manager).get("/staff/retention/holds/")
        everyone = staff.client_for(staff.oversight).get("/staff/retention/holds/").content.decode()
    assert theirs.status_code == 200
    assert other.reference in theirs.content.decode()
    assert naming.reference not in theirs.content.decode()
    assert naming.reference in everyone and other.reference in everyone
