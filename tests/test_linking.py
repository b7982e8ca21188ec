"""Linking inside one organisation (ombuds.linking): reports naming the same person, and the repeat-offender alert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.db import connection
from django.test import Client

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Case, Notice
from ombuds.crypto import match_keys
from ombuds.directory.models import Person
from ombuds.linking import matching
from ombuds.linking.models import Mention, NamedReporter
from tests.support import FileReport, Personas, receipt_from, release_audit_batch

pytestmark = pytest.mark.django_db

MAX = "max.mustermann@example.com"


def accused(**identifiers: str) -> list[actions.NewPerson]:
    return [actions.NewPerson(name="Max", role="accused", **identifiers)]


def alerts() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.REPEAT_OFFENDER_ALERT).order_by("seq"))


def test_it_raises_one_alert_linking_two_anonymous_reports_that_name_the_same_manager_by_email(
    file_report: FileReport, staff: Personas
) -> None:
    first = file_report(people=accused(email=MAX))
    assert alerts() == []
    second = file_report(people=accused(email="  Max.Mustermann@EXAMPLE.com "))
    assert first.receipt != second.receipt

    [alert] = alerts()
    assert alert.case_id == second.case.pk
    assert alert.detail["cases"] == sorted([first.case.pk, second.case.pk])
    assert alert.detail["reports"] == sorted([first.report.pk, second.report.pk])
    assert alert.detail["independent_reports"] == 2
    assert set(alert.detail["recipients"]) == {staff.oversight.pk, staff.lead.pk}
    # Ids and counts only: the event says nothing of who was named.
    assert "mustermann" not in alert.leaf
    [notice] = Notice.objects.filter(kind="repeat_offender")
    assert (notice.case_id, sorted(notice.recipients)) == (second.case.pk, sorted([staff.oversight.pk, staff.lead.pk]))


def test_a_later_independent_report_raises_a_new_alert_with_every_linked_case(
    file_report: FileReport, staff: Personas
) -> None:
    filed = [file_report(people=accused(email=MAX)) for _ in range(3)]
    first, second = alerts()
    assert first.detail["cases"] == sorted(f.case.pk for f in filed[:2])
    assert second.detail["cases"] == sorted(f.case.pk for f in filed)
    assert second.detail["independent_reports"] == 3


def test_it_raises_no_alert_for_two_reports_from_the_same_named_reporter_until_someone_else_names_him(
    file_report: FileReport, staff: Personas
) -> None:
    anna = {"anonymous": False, "reporter_name": "Anna Example"}
    first = file_report(people=accused(email=MAX), **anna)
    second = file_report(
        people=accused(phone="+44 20 7946 0958", email=MAX), anonymous=False, reporter_name="anna  EXAMPLE"
    )
    assert alerts() == []
    # Linked all the same: the handlers of one case see the other.
    assert set(Mention.objects.values_list("case_id", flat=True)) == {first.case.pk, second.case.pk}

    third = file_report(people=accused(phone="+442079460958"))
    [alert] = alerts()
    assert alert.detail["cases"] == sorted([first.case.pk, second.case.pk, third.case.pk])
    assert alert.detail["independent_reports"] == 2


def test_it_raises_no_alert_below_the_organisations_threshold(
    file_report: FileReport, staff: Personas, settings: Any
) -> None:
    settings.OMBUDS_REPEAT_OFFENDER_THRESHOLD = 3
    file_report(people=accused(employee_number="E-1001"))
    file_report(people=accused(employee_number=" E-1001"))
    assert alerts() == []
    file_report(people=accused(employee_number="E-1001"))
    [alert] = alerts()
    assert alert.detail["independent_reports"] == 3


def test_a_name_alone_links_nothing(file_report: FileReport, staff: Personas) -> None:
    file_report(people=[actions.NewPerson(name="Max Mustermann", role="accused")])
    file_report(people=[actions.NewPerson(name="Max Mustermann", role="accused")])
    assert not Mention.objects.exists()
    assert alerts() == []


def test_witnesses_are_not_matched(file_report: FileReport, staff: Personas) -> None:
    file_report(people=[actions.NewPerson(name="Max", role="witness", email=MAX)])
    file_report(people=[actions.NewPerson(name="Max", role="witness", email=MAX)])
    assert not Mention.objects.exists()


def test_a_conflicted_lead_neither_hears_of_nor_sees_the_link(file_report: FileReport, staff: Personas) -> None:
    # The first reporter keeps his manager (a lead handler) out of her case.
    assert staff.manager is not None
    keep_out = actions.NewPerson(name="Morgan", role="keep_out", employee_id=Personas.MANAGER_ID)
    picked = file_report(people=[*accused(email=MAX), keep_out])
    # The second names the same person by the same address, which the directory does not
    # hold: nobody is kept out of this one, but the address links the two.
    typed = file_report(people=accused(email=MAX))
    assert typed.report.people.get().person is None

    [alert] = alerts()
    assert alert.detail["cases"] == sorted([picked.case.pk, typed.case.pk])
    assert staff.manager.pk not in alert.detail["recipients"]
    assert set(alert.detail["recipients"]) == {staff.oversight.pk, staff.lead.pk}

    page = staff.client_for(staff.lead).get(f"/staff/cases/{typed.case.reference}/")
    assert page.status_code == 200
    assert picked.case.reference in page.content.decode()
    as_manager = staff.client_for(staff.manager).get(f"/staff/cases/{typed.case.reference}/")
    assert as_manager.status_code == 200
    assert picked.case.reference not in as_manager.content.decode()
    assert staff.client_for(staff.manager).get(f"/staff/cases/{picked.case.reference}/").status_code == 404


def test_a_closed_case_is_linked_too(file_report: FileReport, staff: Personas) -> None:
    first = file_report(people=accused(email=MAX))
    Case.objects.filter(pk=first.case.pk).update(status="closed")  # only the status matters to linking
    second = file_report(people=accused(email=MAX))
    page = staff.client_for(staff.oversight).get(f"/staff/cases/{second.case.reference}/")
    assert first.case.reference in page.content.decode()
    [alert] = alerts()
    assert alert.detail["cases"] == sorted([first.case.pk, second.case.pk])


def test_a_phone_number_without_its_country_code_is_refused_and_nothing_is_stored(file_report: FileReport) -> None:
    with pytest.raises(actions.ActionError, match="country code"):
        file_report(people=accused(phone="020 7946 0958"))
    assert not Case.objects.exists()
    assert not Mention.objects.exists()


def test_reports_filed_through_the_form_and_the_api_are_linked(staff: Personas) -> None:
    client = Client()
    form = client.post(
        "/report/",
        {
            "category": "bullying",
            "role": "witness",
            "anonymous": "true",
            "narrative": "He shouts at the new hires.",
            "person_1_name": "Max",
            "person_1_role": "accused",
            "person_1_email": MAX,
        },
        follow=True,
    )
    assert form.status_code == 200
    receipt_from(form.content)
    api = Client().post(
        "/api/v1/reports",
        {
            "category": "bullying",
            "role": "affected",
            "anonymous": True,
            "narrative": "He shouted at me in front of everyone.",
            "people": [{"name": "M.", "role": "accused", "email": MAX.upper()}],
        },
        content_type="application/json",
    )
    assert api.status_code == 201
    release_audit_batch()
    [alert] = alerts()
    assert len(alert.detail["cases"]) == 2


def test_a_copy_of_the_database_holds_no_identifier_nor_match_key(file_report: FileReport, staff: Personas) -> None:
    typed = {"email": "Max.Mustermann@example.com", "phone": "+44 20 7946 0958", "employee_number": "E-31337"}
    file_report(people=accused(**typed), anonymous=False, reporter_name="Anna Example", reporter_contact="anna@ex.org")
    file_report(people=accused(**typed))
    assert len(alerts()) == 1
    assert Mention.objects.count() == 6 and NamedReporter.objects.count() == 2

    scope = matching.scope()
    identifiers = [
        match_keys.email(typed["email"]),
        match_keys.phone(typed["phone"]),
        match_keys.employee_number(typed["employee_number"], organisation=scope),
        match_keys.reporter("Anna Example", organisation=scope),
        match_keys.reporter("anna@ex.org", organisation=scope),
    ]
    secrets = [match_key.raw for match_key in match_keys.derive_here(identifiers)]
    texts = [typed["email"].lower(), "2079460958", "E-31337", "anna@ex.org", "anna example"]
    searched = 0
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 -- table names from the schema itself
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        raw = bytes(value)
                        assert not any(secret in raw for secret in secrets), table
                        value = raw.decode("latin-1")
                    if isinstance(value, str):
                        searched += 1
                        assert not any(text in value.lower() for text in (t.lower() for t in texts)), table
    assert searched > 100  # the tables were really read


def test_the_deployment_check_names_a_missing_match_key_file_in_production(settings: Any, tmp_path: Path) -> None:
    settings.OMBUDS_MATCH_KEY_FILE = tmp_path / "match_key"
    settings.PRODUCTION = True

    def found() -> list[str]:
        return [m.id for m in checks.run_checks(include_deployment_checks=True) if m.id == "ombuds.linking.E001"]

    assert found() == ["ombuds.linking.E001"]
    settings.PRODUCTION = False
    match_keys.match_key_server()  # development makes it
    settings.PRODUCTION = True
    assert found() == []


def test_a_malformed_address_in_the_directory_does_not_stop_a_report(file_report: FileReport) -> None:
    Person.objects.create(employee_id="E-7", name="Max", email="not an address")
    picked = [actions.NewPerson(name="Max", role="accused", employee_id="E-7")]
    file_report(people=picked)
    file_report(people=accused(employee_number="E-7"))
    [alert] = alerts()
    assert len(alert.detail["cases"]) == 2


def test_the_form_keeps_her_text_and_the_api_answers_422_for_identifiers_it_cannot_read() -> None:
    form = Client().post(
        "/report/",
        {
            "category": "bullying",
            "role": "witness",
            "anonymous": "true",
            "narrative": "He shouts at the new hires.",
            "person_1_name": "Max",
            "person_1_role": "accused",
            "person_1_phone": "020 7946 0958",
        },
        follow=True,
    )
    assert form.status_code == 400
    page = form.content.decode()
    assert "country code" in page and "He shouts at the new hires." in page
    api = Client().post(
        "/api/v1/reports",
        {
            "category": "bullying",
            "role": "affected",
            "anonymous": True,
            "narrative": "He shouted at me.",
            "people": [{"name": "M.", "email": "no-at-sign"}],
        },
        content_type="application/json",
    )
    assert api.status_code == 422
    assert "e-mail address" in api.content.decode()
    assert not Case.objects.exists()


def test_an_accused_named_by_phone_alone_is_kept_out_as_the_report_that_picked_him(
    file_report: FileReport, staff: Personas
) -> None:
    """Her phone number for him is the one another reporter gave when she picked him from the directory."""
    phone = "+442079460958"
    assert staff.accused is not None  # in the directory, under his manager
    picked = file_report(
        people=[actions.NewPerson(name="Alex", role="accused", employee_id=Personas.ACCUSED_ID, phone=phone)]
    )
    him = picked.report.people.get().person
    assert him is not None
    typed = file_report(people=accused(phone=phone))
    assert typed.report.people.get().person == him
    for case in (picked.case, typed.case):  # his manager, a lead handler, is kept out of both
        assert staff.client_for(staff.manager).get(f"/staff/cases/{case.reference}/").status_code == 404
    # Another number links nobody.
    other = file_report(people=accused(phone="+442079460959"))
    assert other.report.people.get().person is None
    assert staff.client_for(staff.manager).get(f"/staff/cases/{other.case.reference}/").status_code == 200
