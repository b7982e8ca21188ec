"""The minutes of the reporter's own interview, shown to her with her receipt, for her to agree or correct.

EU Directive 2019/1937 art. 18(4): she may check, rectify and agree the minutes. Her
answer is kept next to the version she read; staff see it. Minutes of anyone else's
interview never reach her, on the web or through the API.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Case, InvolvedPerson, Notice, PersonRole
from ombuds.investigations import actions as investigation
from ombuds.investigations.models import Interview, MinutesAnswer
from tests.support import client_for, investigate, opened, release_audit_batch

pytestmark = pytest.mark.django_db

HERS = "Mei said the manager followed her into the lift after the client dinner."
WITNESS = "Wen-private-minutes: the witness saw the manager's hand on her back."


@dataclass
class Interviewed:
    receipt: str
    case: Case
    hers: Interview
    theirs: Interview


@pytest.fixture
def interviewed(file_report, staff) -> Interviewed:
    """A case whose reporter and a witness were interviewed."""
    filed = file_report(
        anonymous=False,
        reporter_name="Mei",
        people=[*staff.name_the_accused(), actions.NewPerson(name="Wen", role="witness")],
    )
    actions.acknowledge_case(case=filed.case, actor=staff.handler)
    actions.begin_assessment(case=filed.case, actor=staff.handler)
    case = investigate(filed.case, staff.handler, staff.investigator)
    held = timezone.now() - timedelta(days=1)
    hers = investigation.record_interview(
        case=case,
        actor=staff.investigator,
        interviewee="reporter",
        held_at=held,
        present="Mei and the investigator.",
        minutes=HERS,
    )
    wen = InvolvedPerson.objects.get(report__case=case, role=PersonRole.WITNESS)
    theirs = investigation.record_interview(
        case=case,
        actor=staff.investigator,
        interviewee="person",
        person_id=wen.pk,
        held_at=held,
        present="Wen and the investigator.",
        minutes=WITNESS,
    )
    return Interviewed(filed.receipt, case, hers, theirs)


def _web(client: Client, receipt: str) -> Client:
    assert client.post("/return/", {"receipt": receipt}).status_code == 302
    return client


def _api(client: Client, receipt: str) -> dict[str, str]:
    token = client.post("/api/v1/reporter/session", {"receipt": receipt}, content_type="application/json").json()
    return {"Authorization": f"Bearer {token['token']}"}


def test_she_reads_her_own_minutes_on_her_status_page_and_agrees(interviewed, staff, client) -> None:
    web = _web(client, interviewed.receipt)
    page = web.get("/status/").content.decode()
    assert HERS in page and "The minutes of your interview" in page
    assert "Wen-private-minutes" not in page  # never anyone else's
    prefix = f"minutes{interviewed.hers.pk}"
    response = web.post("/status/minutes/", {"interview": interviewed.hers.pk, f"{prefix}-answer": "agree"})
    assert response.status_code == 302 and response["Location"].endswith("/status/#interviews")
    answer = MinutesAnswer.objects.get()
    assert answer.agreed and answer.version == 1 and answer.interview == interviewed.hers
    page = web.get("/status/").content.decode()
    assert "you agreed with the minutes." in page and f'name="{prefix}-answer"' not in page
    # Staff see her answer next to the minutes, and are told.
    staff_page = client_for(staff.investigator).get(
        f"/staff/cases/{interviewed.case.reference}/investigation/interviews/{interviewed.hers.pk}/"
    )
    assert "She agreed with the minutes." in staff_page.content.decode()
    notice = Notice.objects.get(case=interviewed.case, kind="minutes_answered")
    assert staff.investigator.pk in notice.recipients
    event = AuditEvent.objects.get(event_type=EventType.MINUTES_ANSWERED)
    assert event.actor_kind == "reporter" and event.detail == {
        "interview": interviewed.hers.pk,
        "version": 1,
        "agreed": True,
    }


def test_she_asks_for_corrections_in_her_own_words_through_the_api(interviewed, staff, client) -> None:
    headers = _api(client, interviewed.receipt)
    body = client.get("/api/v1/reporter/case", headers=headers).json()
    assert [i["minutes"] for i in body["interviews"]] == [HERS]
    assert WITNESS not in str(body)
    mine = body["interviews"][0]
    assert mine["awaiting_answer"] and mine["version"] == 1 and mine["answers"] == []
    url = f"/api/v1/reporter/interviews/{mine['id']}/answer"
    words = "It was the corridor on the fourth floor, not the lift, and he held my wrist."
    empty = client.post(
        url, {"answer": "correct", "corrections": " "}, content_type="application/json", headers=headers
    )
    assert empty.status_code == 422
    answered = client.post(
        url, {"answer": "correct", "corrections": words}, content_type="application/json", headers=headers
    )
    assert answered.status_code == 201
    again = client.post(url, {"answer": "agree"}, content_type="application/json", headers=headers)
    assert again.status_code == 422 and "already answered" in again.json()["detail"][0]["msg"]
    answer = MinutesAnswer.objects.get()
    assert not answer.agreed and words not in answer.corrections
    assert opened(answer, "corrections") == words
    # The investigator revises the minutes: a new version for her to answer.
    investigation.revise_minutes(interview=interviewed.hers, actor=staff.investigator, minutes=HERS + " Corrected.")
    body = client.get("/api/v1/reporter/case", headers=headers).json()
    mine = body["interviews"][0]
    assert mine["version"] == 2 and mine["revised"] and mine["awaiting_answer"]
    assert mine["answers"] == [
        {"version": 1, "agreed": False, "corrections": words, "answered": mine["answers"][0]["answered"]}
    ]
    assert client.post(url, {"answer": "agree"}, content_type="application/json", headers=headers).status_code == 201
    staff_view = client_for(staff.lead).get(
        f"/staff/cases/{interviewed.case.reference}/investigation/interviews/{interviewed.hers.pk}/"
    )
    page = staff_view.content.decode()
    assert words in page and "She agreed with the minutes." in page


def test_she_cannot_answer_minutes_that_are_not_hers(interviewed, client) -> None:
    headers = _api(client, interviewed.receipt)
    url = f"/api/v1/reporter/interviews/{interviewed.theirs.pk}/answer"
    assert client.post(url, {"answer": "agree"}, content_type="application/json", headers=headers).status_code == 404
    other = Client()
    web = _web(other, interviewed.receipt)
    prefix = f"minutes{interviewed.theirs.pk}"
    refused = web.post("/status/minutes/", {"interview": interviewed.theirs.pk, f"{prefix}-answer": "agree"})
    assert refused.status_code == 302
    assert WITNESS not in web.get("/status/").content.decode()
    assert not MinutesAnswer.objects.exists()


def test_another_reporter_sees_no_minutes_of_this_case(interviewed, file_report, client) -> None:
    someone = file_report(anonymous=True)
    headers = _api(client, someone.receipt)
    body = client.get("/api/v1/reporter/case", headers=headers).json()
    assert body["interviews"] == []
    url = f"/api/v1/reporter/interviews/{interviewed.hers.pk}/answer"
    assert client.post(url, {"answer": "agree"}, content_type="application/json", headers=headers).status_code == 404


def test_a_correction_needs_her_words_and_an_agreement_none(interviewed, client) -> None:
    web = _web(client, interviewed.receipt)
    prefix = f"minutes{interviewed.hers.pk}"
    missing = web.post("/status/minutes/", {"interview": interviewed.hers.pk, f"{prefix}-answer": "correct"})
    assert missing.status_code == 400 and "Write the corrections you want." in missing.content.decode()
    both = web.post(
        "/status/minutes/",
        {"interview": interviewed.hers.pk, f"{prefix}-answer": "agree", f"{prefix}-corrections": "But…"},
    )
    assert both.status_code == 400 and "also wrote corrections" in both.content.decode()
    assert not MinutesAnswer.objects.exists()


def test_an_anonymous_reporters_answer_keeps_only_the_day(file_report, staff, client) -> None:
    filed = file_report(anonymous=True)
    actions.acknowledge_case(case=filed.case, actor=staff.handler)
    actions.begin_assessment(case=filed.case, actor=staff.handler)
    case = investigate(filed.case, staff.handler, staff.investigator)
    hers = investigation.record_interview(
        case=case, actor=staff.investigator, interviewee="reporter", held_at=timezone.now(), present="x", minutes=HERS
    )
    web = _web(client, filed.receipt)
    web.post("/status/minutes/", {"interview": hers.pk, f"minutes{hers.pk}-answer": "agree"})
    answer = MinutesAnswer.objects.get()
    local = timezone.localtime(answer.answered_at)
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
    assert not AuditEvent.objects.filter(event_type=EventType.MINUTES_ANSWERED).exists()  # waits for the batch
    release_audit_batch()
    assert AuditEvent.objects.filter(event_type=EventType.MINUTES_ANSWERED).exists()


def test_the_reporter_is_the_one_interviewed_only_by_her_report(interviewed) -> None:
    assert Interview.objects.filter(interviewee_report__isnull=False).get() == interviewed.hers


def test_her_corrections_are_kept_when_her_page_closed_and_come_back_after_her_receipt(interviewed, client) -> None:
    web = _web(client, interviewed.receipt)
    web.cookies.pop("ombuds_reporter")  # as when her session has expired
    prefix = f"minutes{interviewed.hers.pk}"
    text = "The lift was on the fourth floor, not the second."
    closed = web.post(
        "/status/minutes/",
        {"interview": interviewed.hers.pk, f"{prefix}-answer": "correct", f"{prefix}-corrections": text},
    )
    page = closed.content.decode()
    assert closed.status_code == 401 and 'id="draft-kept"' in page and text in page
    assert f'name="draft_interview" value="{interviewed.hers.pk}"' in page
    assert not MinutesAnswer.objects.exists()  # nothing was sent
    opened_again = web.post(
        "/return/",
        {
            "receipt": interviewed.receipt,
            "draft_kind": "answer_minutes",
            "draft_interview": interviewed.hers.pk,
            "draft_text": text,
        },
    )
    assert opened_again.status_code == 200
    back = opened_again.content.decode()
    assert re.search(rf'<textarea name="{prefix}-corrections"[^>]*>\s*' + re.escape(text), back)
    # The witness's interview is not hers: naming it brings nothing of it back (her text goes to her message form).
    other = Client().post(
        "/return/",
        {
            "receipt": interviewed.receipt,
            "draft_kind": "answer_minutes",
            "draft_interview": interviewed.theirs.pk,
            "draft_text": text,
        },
    )
    elsewhere = other.content.decode()
    assert other.status_code == 200 and "Wen-private-minutes" not in elsewhere
    assert f"minutes{interviewed.theirs.pk}-corrections" not in elsewhere
    assert re.search(r'<textarea name="body"[^>]*>\s*' + re.escape(text), elsewhere)
