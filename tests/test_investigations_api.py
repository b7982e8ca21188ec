"""The investigation through the staff API: the same actions and rules as the pages, with the existing error answers."""

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ombuds.accounts import keys as staff_keys
from ombuds.accounts import tokens
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Case, InvolvedPerson, PersonRole, Status
from ombuds.investigations.casefile import casefile_context
from ombuds.investigations.models import Allegation, EvidenceItem
from tests.support import investigate

pytestmark = pytest.mark.django_db


def _api(user: Any) -> Client:
    _record, token = tokens.create_token(user=user, name="script", key_pair=staff_keys.attached(user))
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def assessed(file_report, staff) -> Case:
    filed = file_report(
        anonymous=False,
        reporter_name="Mei",
        people=[*staff.name_the_accused(), actions.NewPerson(name="Wen", role="witness")],
    )
    actions.acknowledge_case(case=filed.case, actor=staff.handler)
    actions.begin_assessment(case=filed.case, actor=staff.handler)
    return Case.objects.get(pk=filed.case.pk)


def test_a_script_opens_and_works_an_investigation(assessed, staff) -> None:
    handler = _api(staff.handler)
    base = f"/api/v1/staff/cases/{assessed.reference}/investigation"
    before = handler.get(base).json()
    accused = before["accused"]
    assert [p["name"] for p in accused] == ["Alex Accused"] and before["allegations"] == []
    opened = handler.post(
        base,
        {
            "investigators": [staff.investigator.email.upper()],
            "allegations": [
                {"person": accused[0]["id"], "conduct": "Pressed her to drink."},
                {"new_person": {"name": "The client's sales head"}, "conduct": "Laughed.", "category": "other"},
            ],
        },
        content_type="application/json",
    )
    assert opened.status_code == 200, opened.content
    assert opened.json() == {
        "reference": assessed.reference,
        "status": "investigation",
        "investigators": [staff.investigator.email],
        "allegations": ["A-1", "A-2"],
    }
    investigator = _api(staff.investigator)
    task = investigator.post(
        base + "/tasks",
        {"title": "Collect the bookings.", "owner": staff.investigator.email, "due_on": str(timezone.localdate())},
        content_type="application/json",
    )
    assert task.status_code == 201 and task.json()["label"] == "T-1"
    state = investigator.post(
        f"{base}/tasks/{task.json()['id']}/state", {"done": True}, content_type="application/json"
    )
    assert state.status_code == 200 and state.json()["done"]
    wen = InvolvedPerson.objects.get(report__case=assessed, role=PersonRole.WITNESS)
    interview = investigator.post(
        base + "/interviews",
        {
            "interviewee": "person",
            "person": wen.pk,
            "held_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "present": "Wen, the investigator.",
            "minutes": "Wen saw the glass refilled.",
        },
        content_type="application/json",
    )
    assert interview.status_code == 201 and interview.json()["label"] == "I-1"
    revised = investigator.post(
        f"{base}/interviews/{interview.json()['id']}/minutes",
        {"minutes": "Wen saw it twice."},
        content_type="application/json",
    )
    assert revised.json()["version"] == 2 and revised.json()["minutes"] == "Wen saw it twice."
    data = b"receipt of the hotel bar, 3 March"
    item = investigator.post(
        base + "/evidence",
        {
            "kind": "file",
            "description": "The bar receipt.",
            "source": "The hotel, on request.",
            "file": _upload("bar.txt", data),
        },
    )
    assert item.status_code == 201 and item.json()["label"] == "E-1"
    got = investigator.get(f"{base}/evidence/{item.json()['id']}").json()
    assert got["sha256"] == hashlib.sha256(data).hexdigest() and got["source"] == "The hotel, on request."
    assert investigator.post(f"{base}/evidence/{item.json()['id']}/verify").json() == {
        "label": "E-1",
        "integrity": "intact",
    }
    download = investigator.get(f"{base}/evidence/{item.json()['id']}/download")
    assert download.status_code == 200 and download.getvalue() == data
    subject = accused[0]["id"]
    deferred = investigator.post(
        base + "/people-concerned",
        {
            "person": subject,
            "kind": "deferred",
            "reason": "Witnesses first.",
            "review_on": str(timezone.localdate() + timedelta(days=7)),
        },
        content_type="application/json",
    )
    assert deferred.status_code == 201
    response = investigator.post(
        base + "/people-concerned/responses",
        {"person": subject, "received_on": str(timezone.localdate()), "response": "He denies it."},
        content_type="application/json",
    )
    assert response.status_code == 201
    for allegation in Allegation.objects.filter(case=assessed):
        found = investigator.post(
            base + "/findings",
            {"allegation": allegation.pk, "finding": "substantiated", "reasoning": "Consistent accounts."},
            content_type="application/json",
        )
        assert found.json() == {
            "allegation": allegation.label,
            "finding": "substantiated",
            "standard": "balance_of_probabilities",
        }
    findings = handler.get(base + "/findings").json()
    assert findings["finding"] == "substantiated" and findings["standard_of_proof"] == "balance_of_probabilities"
    people = handler.get(base + "/people-concerned").json()
    assert [r["kind"] for r in people[0]["informing"]] == ["deferred"] and people[0]["responses"][0][
        "response"
    ] == "He denies it."
    whole = handler.get(base).json()
    assert [t["done"] for t in whole["tasks"]] == [True] and whole["interviews"][0]["interviewee"] == "Wen (Witness)"
    # The case is decided through the workflow step, with the finding from the allegations.
    decided = handler.post(
        f"/api/v1/cases/{assessed.reference}/transitions",
        {"transition": "decide", "reasoning": "Both allegations are substantiated."},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["status"] == "decided"
    assert Case.objects.get(pk=assessed.pk).finding == "substantiated"
    views = AuditEvent.objects.filter(case_id=assessed.pk, event_type=EventType.INVESTIGATION_VIEWED)
    assert views.exists() and {e.detail["via"] for e in views} == {"api"}


def _upload(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/plain")


def test_refusals_come_back_as_the_apis_422(assessed, staff) -> None:
    handler = _api(staff.handler)
    base = f"/api/v1/staff/cases/{assessed.reference}/investigation"
    nobody = handler.post(
        base, {"investigators": ["nobody@example.org"], "allegations": []}, content_type="application/json"
    )
    assert nobody.status_code == 422 and nobody.json()["detail"][0]["loc"] == ["body", "investigators", "0"]
    no_allegation = handler.post(base, {"investigators": [staff.investigator.email]}, content_type="application/json")
    assert no_allegation.status_code == 422
    assert "at least one allegation" in no_allegation.json()["detail"][0]["msg"]
    both = handler.post(
        base,
        {
            "investigators": [staff.investigator.email],
            "allegations": [{"person": 1, "new_person": {"name": "x"}, "conduct": "x"}],
        },
        content_type="application/json",
    )
    assert both.status_code == 422 and "either person or new_person" in str(both.json())
    through_transitions = handler.post(
        f"/api/v1/cases/{assessed.reference}/transitions",
        {"transition": "investigate"},
        content_type="application/json",
    )
    assert through_transitions.status_code == 422
    assert "Name at least one investigator" in through_transitions.json()["detail"][0]["msg"]
    assert Case.objects.get(pk=assessed.pk).status == Status.ASSESSMENT
    # Before it is opened, the investigation takes no tasks.
    early = handler.post(
        base + "/tasks",
        {"title": "x", "owner": staff.handler.email, "due_on": str(timezone.localdate())},
        content_type="application/json",
    )
    assert early.status_code == 422 and "under investigation" in early.json()["detail"][0]["msg"]


def test_a_row_of_another_case_or_no_row_is_404(assessed, staff, file_report) -> None:
    case = investigate(assessed, staff.handler, staff.investigator)
    other = file_report(anonymous=False, reporter_name="Ana")
    actions.acknowledge_case(case=other.case, actor=staff.handler)
    actions.begin_assessment(case=other.case, actor=staff.handler)
    investigate(other.case, staff.handler, staff.investigator)
    foreign = Allegation.objects.get(case=other.case)
    lead = _api(staff.lead)
    base = f"/api/v1/staff/cases/{case.reference}/investigation"
    finding = {"allegation": foreign.pk, "finding": "substantiated", "reasoning": "x"}
    assert lead.post(base + "/findings", finding, content_type="application/json").status_code == 404
    assert lead.get(base + "/evidence/123").status_code == 404
    assert lead.get(base + f"/evidence/{2**70}").status_code == 404
    assert lead.get(base + "/interviews/not-a-number").status_code == 422


def test_the_case_file_holds_the_investigation_and_records_its_export(assessed, staff) -> None:
    from django.template.loader import render_to_string

    from ombuds.investigations import actions as investigation

    case = investigate(assessed, staff.handler, staff.investigator, conduct="Pressed her to drink at the dinner.")
    item = investigation.add_evidence(
        case=case,
        actor=staff.investigator,
        kind="file",
        description="The chat log.",
        source="Mei.",
        file=actions.NewAttachment(filename="chat.txt", content_type="text/plain", data=b"the chat"),
    )
    context = casefile_context(case, staff.oversight)
    html = render_to_string("investigations/casefile.html", context)
    assert "Pressed her to drink at the dinner." in html
    assert hashlib.sha256(b"the chat").hexdigest() in html and "E-1" in html and "the case file" in html
    exported = AuditEvent.objects.get(event_type=EventType.EVIDENCE_EXPORTED, detail__evidence=item.pk)
    assert exported.actor == staff.oversight and exported.detail["via"] == "casefile"
    # Someone who may not read the investigation gets no part of it.
    assert casefile_context(case, staff.admin)["investigation"] is None
    assert EvidenceItem.objects.count() == 1
