"""The story, continued: what happens once the case has climbed to oversight (R8).

The reporter's manager is accused; nobody acts and the case climbs to oversight. Oversight
names an investigator; a no-contact and a trip-safety measure protect her and she sees
them; she is shown the minutes of her interview and asks for a correction with her
receipt; evidence is added and its hash checked; the allegation against the manager is
substantiated; dismissal with "not eligible for rehire" is proposed, the proposer cannot
approve it herself, another person does; she is told the case is decided. Later, hr asks
about the manager's e-mail (not eligible) and someone else's (eligible), both checks are
in the audit trail, and the database holds no plain e-mail of the registry. Everything
goes through the documented API, as an organisation's own tools would.
"""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases.models import Case
from ombuds.core.sweep import run as sweep
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person
from tests.support import api_client_for, make_staff

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MANAGER_EMAIL = "team.manager@example.org"


@pytest.fixture
def company():
    ceo = Person.objects.create(employee_id="E1", name="Chief Executive", email="ceo@example.org")
    manager = Person.objects.create(employee_id="E3", name="Team Manager", manager=ceo, email=MANAGER_EMAIL)
    Person.objects.create(employee_id="E4", name="Reporter", manager=manager, email="reporter@example.org")
    staff = {
        "manager": make_staff(MANAGER_EMAIL, "handler"),
        "ceo": make_staff("ceo@example.org", "oversight"),
        "handler": make_staff("hr.handler@example.org", "handler"),
        "lead": make_staff("hr.lead@example.org", "handler", "lead_handler"),
        "board": make_staff("board@example.org", "oversight"),
        "board2": make_staff("board.second@example.org", "oversight"),
        "investigator": make_staff("investigator@example.org", "investigator"),
        "recruiter": make_staff("recruiter@example.org", "hr"),
    }
    link_staff_by_email()
    return staff


def _ok(response, status: int = 200):
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response.json() if response.content else None


def _reporter_api(receipt: str) -> Client:
    token = _ok(Client().post("/api/v1/reporter/session", {"receipt": receipt}, content_type="application/json"))
    return Client(headers={"Authorization": f"Bearer {token['token']}"})


def test_the_story_continued(company) -> None:
    staff = company
    with time_machine.travel(T0, tick=False):
        filed = Client().post(
            "/api/v1/reports",
            {
                "category": "sexual_harassment",
                "role": "affected",
                "narrative": "On the sales trip my manager came to my hotel room at night.",
                "anonymous": False,
                "name": "Reporter",
                "people": [{"name": "Team Manager", "role": "accused", "employee_id": "E3"}],
            },
            content_type="application/json",
        )
        receipt = _ok(filed, 201)["receipt"]
    case = Case.objects.get()
    ref = case.reference

    # Nobody acts; the case climbs to a lead handler, then to oversight.
    sweep(T0 + timedelta(days=8))
    sweep(T0 + timedelta(days=12))
    assert AuditEvent.objects.filter(case=case, event_type=EventType.ESCALATED_TO_OVERSIGHT).exists()

    with time_machine.travel(T0 + timedelta(days=12, hours=1), tick=False):
        board = api_client_for(staff["board"])
        for transition in ["acknowledge", "begin_assessment"]:
            _ok(board.post(f"/api/v1/cases/{ref}/transitions", {"transition": transition}, "application/json"))
        base = f"/api/v1/staff/cases/{ref}/investigation"
        accused = _ok(board.get(base))["accused"][0]["id"]
        _ok(
            board.post(
                base,
                {
                    "investigators": ["investigator@example.org"],
                    "allegations": [{"person": accused, "conduct": "Came to her hotel room at night on a trip."}],
                },
                "application/json",
            )
        )
        # The investigator now sees the case; the manager (accused, with a handler login) does not.
        investigator = api_client_for(staff["investigator"])
        assert investigator.get(base).status_code == 200
        assert api_client_for(staff["manager"]).get(base).status_code == 404

        # Two measures protect her: no contact, and no shared trips or rooms.
        measures = f"/api/v1/staff/cases/{ref}/measures"
        person = _ok(board.get(measures))["people"][0]["id"]
        for kind in ["no_contact", "travel_safety"]:
            measure = {"kind": kind, "restricts": [person], "starts_on": "2026-11-14", "review_on": "2026-12-14"}
            _ok(board.post(measures, measure, "application/json"), 201)

        her = _reporter_api(receipt)
        protections = _ok(her.get("/api/v1/reporter/case"))["protections"]
        assert len(protections) == 2 and all(p["in_force"] for p in protections)
        texts = " ".join(p["text"] for p in protections)
        assert "not to contact you" in texts and "travel with the person concerned" in texts

        # Her interview's minutes are shown to her; she asks for a correction in her own words.
        interview = {
            "interviewee": "reporter",
            "held_at": "2026-11-14T08:00:00Z",
            "present": "The reporter and the investigator.",
            "minutes": "She said he knocked at 23:00 and came into the room.",
        }
        interview_id = _ok(investigator.post(base + "/interviews", interview, "application/json"), 201)["id"]
        shown = _ok(her.get("/api/v1/reporter/case"))["interviews"]
        assert [i["minutes"] for i in shown] == [interview["minutes"]]
        correction = {"answer": "correct", "corrections": "It was 23:30, and he pushed the door open."}
        _ok(her.post(f"/api/v1/reporter/interviews/{interview_id}/answer", correction, "application/json"), 201)
        answers = _ok(investigator.get(f"{base}/interviews/{interview_id}"))["answers"]
        assert [a["corrections"] for a in answers] == [correction["corrections"]]

        # Evidence: a file whose SHA-256 is recorded at intake and verified later.
        data = b"key-card log: room 1408 opened 23:31 with the manager's card\n" * 20
        evidence = investigator.post(
            base + "/evidence",
            {"kind": "file", "description": "Hotel key-card log", "source": "Hotel security", "file": _upload(data)},
        )
        evidence_id = _ok(evidence, 201)["id"]
        item = _ok(investigator.get(f"{base}/evidence/{evidence_id}"))
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
        assert _ok(investigator.post(f"{base}/evidence/{evidence_id}/verify"))["integrity"] == "intact"

        # The allegation is substantiated and the case decided on it.
        allegation = _ok(investigator.get(base + "/allegations"))[0]["id"]
        finding = {"allegation": allegation, "finding": "substantiated", "reasoning": "The log and her account agree."}
        _ok(investigator.post(base + "/findings", finding, "application/json"))
        decide = {"transition": "decide", "reasoning": "The allegation against the manager is substantiated."}
        _ok(board.post(f"/api/v1/cases/{ref}/transitions", decide, "application/json"))

        # Dismissal, not eligible for rehire: the proposer cannot approve her own proposal.
        outcomes = f"/api/v1/staff/cases/{ref}/outcomes"
        proposal = {
            "person": person,
            "sanctions": ["dismissal"],
            "rehire": "not_eligible",
            "reason": "Substantiated sexual harassment on a business trip.",
            "email": MANAGER_EMAIL,
        }
        outcome = _ok(board.post(outcomes, proposal, "application/json"), 201)["id"]
        assert board.post(f"{outcomes}/{outcome}/approve", {"note": ""}, "application/json").status_code == 422
        # Until a second person approves, she is told nothing of the decision about him.
        assert _ok(her.get("/api/v1/reporter/case"))["decision"] is None
        _ok(api_client_for(staff["board2"]).post(f"{outcomes}/{outcome}/approve", {"note": ""}, "application/json"))

        # She sees that her case is decided, and not the sanction of another person.
        told = _ok(her.get("/api/v1/reporter/case"))
        assert told["status"] == "decided" and told["decision"] is not None
        assert told["decision"]["outcomes"][0]["sanctions"] == []

    # Months later the manager applies elsewhere in the group: hr asks the registry.
    with time_machine.travel(T0 + timedelta(days=200), tick=False):
        recruiter = api_client_for(staff["recruiter"])
        checks = "/api/v1/staff/rehire-checks"
        hit = _ok(recruiter.post(checks, {"email": " Team.Manager@Example.org "}, "application/json"), 201)
        other = _ok(recruiter.post(checks, {"email": "someone.else@example.org"}, "application/json"), 201)
        assert hit["result"] == "not_eligible" and other["result"] == "eligible"
        assert set(hit) == {"result", "check_reference", "registry_hits"}  # never the case, the finding or the reason
        assert hit["registry_hits"] == []  # no shared registry is turned on here
        # The recruiter sees no case.
        assert recruiter.get(f"/api/v1/cases/{ref}").status_code == 404

    checked = AuditEvent.objects.filter(event_type=EventType.REHIRE_CHECKED)
    assert checked.count() == 2 and all(e.actor_id == staff["recruiter"].pk for e in checked)
    # The registry's copy holds no plain e-mail of the person listed in it.
    assert MANAGER_EMAIL.encode() not in _registry_tables_bytes()


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("keycards.csv", data, content_type="text/csv")


def _registry_tables_bytes() -> bytes:
    """Every value of the rehire registry's tables, as the database returns them."""
    rows: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table.startswith("outcomes_rehire"):
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from the schema
                rows.extend(repr(row) for row in cursor.fetchall())
    assert rows, "the registry's tables are empty: the search would prove nothing"
    return "\n".join(rows).encode()
