"""The story ombuds answers, as a test (R2, R3).

The reporter's manager and that manager's manager are accused. Everyone in the chain,
the accused included, has a staff login. Nobody in the chain can see the case; the
unconflicted handlers can; nobody acts; the deadline passes and the case climbs to an
unconflicted lead handler, then to oversight, and the reporter sees each step.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ombuds.accounts import tokens
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Case, Conflict, KeepOutProposal, Notice
from ombuds.core.sweep import run as sweep
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person
from tests.support import STAFF_API_CALLS, api_url, call, case_routes, client_for, make_staff, release_audit_batch

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def company():
    def person(employee_id: str, name: str, manager: Person | None, email: str) -> Person:
        return Person.objects.create(employee_id=employee_id, name=name, manager=manager, email=email)

    ceo = person("E1", "Chief Executive", None, "ceo@example.org")
    director = person("E2", "Sales Director", ceo, "director@example.org")
    manager = person("E3", "Team Manager", director, "manager@example.org")
    reporter = person("E4", "Reporter", manager, "reporter@example.org")
    people = {"ceo": ceo, "director": director, "manager": manager, "reporter": reporter}
    # The whole chain has staff logins with roles that would otherwise see the case.
    staff = {
        "manager": make_staff("manager@example.org", "handler"),
        "director": make_staff("director@example.org", "handler", "lead_handler"),
        "ceo": make_staff("ceo@example.org", "oversight"),
        "handler": make_staff("hr.handler@example.org", "handler"),
        "lead": make_staff("hr.lead@example.org", "handler", "lead_handler"),
        "board": make_staff("board@example.org", "oversight"),
    }
    link_staff_by_email()
    return people, staff


def _client(user) -> Client:
    return client_for(user)


@time_machine.travel(T0, tick=False)
def test_the_story(company, client) -> None:
    _people, staff = company
    response = client.post(
        "/api/v1/reports",
        {
            "category": "sexual_assault",
            "role": "affected",
            "narrative": "After the client dinner my managers came to my hotel room.",
            "anonymous": False,
            "name": "Reporter",
            "people": [
                {"name": "Team Manager", "role": "accused", "employee_id": "E3"},
                {"name": "Sales Director", "role": "accused", "employee_id": "E2"},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    receipt = response.json()["receipt"]
    case = Case.objects.get()
    kept_out = set(Conflict.objects.filter(case=case).values_list("person__employee_id", flat=True))
    assert kept_out == {"E1", "E2", "E3"}

    # Everyone in the chain, the accused included: 404 on every case page and API route.
    for who in ["manager", "director", "ceo"]:
        web = _client(staff[who])
        for path in case_routes(case.reference, 1, 1):
            assert web.get(path).status_code == 404, (who, path)
            assert web.post(path, {"body": "x"}).status_code == 404, (who, path)
        assert case.reference not in web.get("/staff/").content.decode()
        _record, token = tokens.create_token(user=staff[who], name="t")
        api = Client(headers={"Authorization": f"Bearer {token}"})
        for method, path, body in STAFF_API_CALLS:
            url = api_url(path, case.reference)
            answer = call(api, method, url, body)
            assert answer.status_code == 404, (who, url)
        assert api.get("/api/v1/cases").json()["count"] == 0
        with pytest.raises(actions.ActionError):
            actions.acknowledge_case(case=case, actor=staff[who])

    # The unconflicted handlers see it.
    for who in ["handler", "lead", "board"]:
        assert _client(staff[who]).get(f"/staff/cases/{case.reference}/").status_code == 200, who
    # and nobody in the chain may be given it
    with pytest.raises(actions.ActionError, match="conflicted"):
        actions.assign_case(case=case, actor=staff["lead"], assignee=staff["manager"])

    # Nobody acts. The 24-hour first-action deadline passes: lead, then oversight.
    sweep(T0 + timedelta(hours=24, minutes=1))
    sweep(T0 + timedelta(hours=72, minutes=1))
    events = list(AuditEvent.objects.filter(case=case).values_list("event_type", flat=True))
    assert EventType.ESCALATED_TO_LEAD in events
    assert EventType.ESCALATED_TO_OVERSIGHT in events

    # Notices reach only unconflicted people.
    conflicted = {staff[w].pk for w in ["manager", "director", "ceo"]}
    for notice in Notice.objects.filter(case=case):
        assert not conflicted & set(notice.recipients), notice.kind
    escalated = [set(n.recipients) for n in Notice.objects.filter(case=case, kind="escalated")]
    assert {staff["lead"].pk} in escalated
    assert {staff["board"].pk} in escalated

    # The reporter sees each escalation on her status page.
    page = Client()
    page.post("/return/", {"receipt": receipt})
    status = page.get("/status/").content.decode()
    assert "escalated to a senior case handler" in status
    assert "escalated to the oversight committee" in status


@time_machine.travel(T0, tick=False)
def test_a_new_manager_of_the_accused_loses_access_at_once(company, file_report) -> None:
    people, staff = company
    filed = file_report(
        anonymous=False,
        reporter_name="R",
        people=[actions.NewPerson(name="Team Manager", role="accused", employee_id="E3")],
    )
    new_manager = Person.objects.create(employee_id="E9", name="New Manager", email="hr.lead@example.org")
    link_staff_by_email()
    lead = _client(staff["lead"])
    assert lead.get(f"/staff/cases/{filed.case.reference}/").status_code == 200
    # The directory changes: the accused now reports to the lead handler.
    Person.objects.filter(pk=people["manager"].pk).update(manager=new_manager)
    changed = actions.directory_changed(now=T0)
    assert changed == 1
    assert lead.get(f"/staff/cases/{filed.case.reference}/").status_code == 404
    change = AuditEvent.objects.filter(case=filed.case, event_type=EventType.CONFLICTS_CHANGED).last()
    assert change is not None
    assert new_manager.pk in change.detail["added"]
    assert people["director"].pk in change.detail["removed"]


def test_a_conflicted_assignee_is_removed_when_the_directory_changes(company, file_report) -> None:
    people, staff = company
    filed = file_report(
        anonymous=False,
        reporter_name="R",
        people=[actions.NewPerson(name="Reporter", role="accused", employee_id="E4")],
    )
    handler_person = Person.objects.create(employee_id="H1", name="HR Handler", user=staff["handler"])
    actions.assign_case(case=filed.case, actor=staff["lead"], assignee=staff["handler"])
    Person.objects.filter(pk=people["reporter"].pk).update(manager=handler_person)
    actions.directory_changed()
    case = Case.objects.get(pk=filed.case.pk)
    assert case.assignee is None
    assert AuditEvent.objects.filter(case=case, event_type=EventType.UNASSIGNED_FOR_CONFLICT).exists()


def test_a_case_nobody_unconflicted_can_handle_goes_straight_to_oversight(db) -> None:
    boss = Person.objects.create(employee_id="B1", name="Boss", email="boss@example.org")
    only_handler = make_staff("boss@example.org", "handler", "lead_handler")
    board = make_staff("board@example.org", "oversight")
    link_staff_by_email()
    filed = actions.file_report(
        category="bullying",
        role="witness",
        narrative="The boss shouts at everyone.",
        anonymous=True,
        people=[actions.NewPerson(name="Boss", role="accused", employee_id="B1")],
    )
    case = Case.objects.get(pk=filed.case.pk)
    assert case.routed_to_oversight
    release_audit_batch()
    assert AuditEvent.objects.filter(case=case, event_type=EventType.ROUTED_TO_OVERSIGHT).exists()
    notice = Notice.objects.get(case=case)
    assert notice.recipients == [board.pk]
    # anonymous: the notice waits for the batch boundary, not the moment of filing
    assert notice.send_after.timestamp() % 3600 == 0
    assert notice.send_after >= timezone.now() - timedelta(seconds=1)
    assert _client(only_handler).get(f"/staff/cases/{case.reference}/").status_code == 404
    assert boss.pk in Conflict.objects.filter(case=case).values_list("person_id", flat=True)


def test_the_reporter_can_keep_someone_out(company, file_report) -> None:
    _people, staff = company
    filed = file_report(people=[actions.NewPerson(name="Chief Executive", role="keep_out", employee_id="E1")])
    assert _client(staff["ceo"]).get(f"/staff/cases/{filed.case.reference}/").status_code == 404
    assert _client(staff["board"]).get(f"/staff/cases/{filed.case.reference}/").status_code == 200


def test_a_handler_links_a_typed_name_and_adds_a_conflict(company, file_report) -> None:
    people, staff = company
    filed = file_report(people=[actions.NewPerson(name="the team manager", role="accused")])
    lead = _client(staff["lead"])
    director = _client(staff["director"])
    assert director.get(f"/staff/cases/{filed.case.reference}/").status_code == 200  # not linked yet
    mention = filed.report.people.get()
    response = lead.post(
        f"/staff/cases/{filed.case.reference}/people/link/", {"link-mention": mention.pk, "link-employee_id": "E3"}
    )
    assert response.status_code == 302
    assert director.get(f"/staff/cases/{filed.case.reference}/").status_code == 404
    assert AuditEvent.objects.filter(case=filed.case, event_type=EventType.PERSON_LINKED).exists()
    response = lead.post(
        f"/staff/cases/{filed.case.reference}/conflicts/",
        {"conflict-employee_id": "E4", "conflict-note": "Close friend of the accused."},
    )
    assert response.status_code == 302
    # A request only: a second person (here the board member) must approve it.
    assert not Conflict.objects.filter(case=filed.case, person=people["reporter"]).exists()
    proposal = KeepOutProposal.objects.get(case=filed.case, person=people["reporter"])
    response = _client(staff["board"]).post(
        f"/staff/cases/{filed.case.reference}/keep-out/{proposal.pk}/", {f"keepout{proposal.pk}-decision": "approve"}
    )
    assert response.status_code == 302
    assert Conflict.objects.filter(case=filed.case, person=people["reporter"], reason="handler").exists()
    unknown = lead.post(
        f"/staff/cases/{filed.case.reference}/conflicts/", {"conflict-employee_id": "NOPE", "conflict-note": "x"}
    )
    assert unknown.status_code == 400


def test_the_reporter_finds_people_in_the_directory_without_javascript(company, client) -> None:
    form = {
        "category": "sexual_harassment",
        "role": "affected",
        "narrative": "It keeps happening.",
        "anonymous": "true",
        "person_1_name": "Team Man",
        "person_1_role": "accused",
    }
    page = client.post("/report/", {**form, "lookup": "1"}, follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="person_1_pick" value="E3"' in html
    assert Case.objects.count() == 0  # a lookup files nothing
    response = client.post("/report/", {**form, "person_1_pick": "E3"}, follow=True)
    assert response.status_code == 200
    case = Case.objects.get()
    assert set(Conflict.objects.filter(case=case).values_list("person__employee_id", flat=True)) == {"E1", "E2", "E3"}


def test_a_directory_import_that_moves_the_accused_updates_access_at_once(company, file_report, tmp_path) -> None:
    from io import StringIO

    from django.core.management import call_command

    _people, staff = company
    filed = file_report(
        anonymous=False,
        reporter_name="R",
        people=[actions.NewPerson(name="Team Manager", role="accused", employee_id="E3")],
    )
    lead = _client(staff["lead"])
    assert lead.get(f"/staff/cases/{filed.case.reference}/").status_code == 200
    csv = tmp_path / "people.csv"
    csv.write_text(
        "employee_id,name,email,unit,manager_id,job_title,country,status\n"
        "E8,HR Lead,hr.lead@example.org,People,,Head of HR,GB,active\n"
        "E3,Team Manager,manager@example.org,Sales,E8,Team Manager,GB,active\n"
    )
    out = StringIO()
    call_command("directory", "import", str(csv), stdout=out, stderr=StringIO())
    assert "cases whose conflict set changed: 1" in out.getvalue()
    assert lead.get(f"/staff/cases/{filed.case.reference}/").status_code == 404
    assert _client(staff["director"]).get(f"/staff/cases/{filed.case.reference}/").status_code == 200
    assert AuditEvent.objects.filter(event_type=EventType.DIRECTORY_IMPORTED).exists()
    assert AuditEvent.objects.filter(case=filed.case, event_type=EventType.CONFLICTS_CHANGED).count() >= 2


def test_a_person_she_identifies_by_e_mail_or_employee_number_is_kept_out_at_once(company, file_report) -> None:
    """The accused need not be picked from the directory: his address or number links him, as her pick would."""
    people, staff = company
    filed = file_report(people=[actions.NewPerson(name="my manager", role="accused", email="Manager@Example.org")])
    assert filed.report.people.get().person == people["manager"]
    for who in ("manager", "director", "ceo"):  # he and his chain
        assert _client(staff[who]).get(f"/staff/cases/{filed.case.reference}/").status_code == 404, who
    assert _client(staff["board"]).get(f"/staff/cases/{filed.case.reference}/").status_code == 200
    kept = file_report(people=[actions.NewPerson(name="the director", role="keep_out", employee_number="E2")])
    assert kept.report.people.get().person == people["director"]
    assert _client(staff["director"]).get(f"/staff/cases/{kept.case.reference}/").status_code == 404
    assert _client(staff["manager"]).get(f"/staff/cases/{kept.case.reference}/").status_code == 200
    # An address two directory people share, or none has, links nobody.
    Person.objects.create(employee_id="E8", name="Team inbox", email="team@example.org")
    Person.objects.create(employee_id="E9", name="Team inbox too", email="TEAM@example.org")
    for address in ("team@example.org", "nobody@example.org"):
        unsure = file_report(people=[actions.NewPerson(name="someone", role="accused", email=address)])
        assert unsure.report.people.get().person is None
