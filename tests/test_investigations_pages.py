"""The investigation's staff pages: opening it, working it, refusals that explain themselves, and Chinese."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions, case_view
from ombuds.cases.models import Case, InvolvedPerson, Organisation, PersonRole, Status
from ombuds.investigations import actions as investigation
from ombuds.investigations.models import (
    Allegation,
    ConcernedResponse,
    EvidenceItem,
    Informing,
    Interview,
    Investigator,
    Task,
)
from tests.support import client_for, investigate, untranslated

pytestmark = pytest.mark.django_db

ZH = "zh-CN,zh;q=0.9"


@pytest.fixture
def assessed(file_report, staff) -> Case:
    filed = file_report(anonymous=False, reporter_name="Mei", people=staff.name_the_accused())
    actions.acknowledge_case(case=filed.case, actor=staff.handler)
    actions.begin_assessment(case=filed.case, actor=staff.handler)
    return Case.objects.get(pk=filed.case.pk)


def _accused(case: Case) -> InvolvedPerson:
    return InvolvedPerson.objects.get(report__case=case, role=PersonRole.ACCUSED)


def _views(case: Case) -> int:
    return AuditEvent.objects.filter(case_id=case.pk, event_type=EventType.INVESTIGATION_VIEWED).count()


def test_opening_an_investigation_through_its_page(assessed, staff) -> None:
    web = client_for(staff.handler)
    case_page = web.get(f"/staff/cases/{assessed.reference}/").content.decode()
    assert f"/staff/cases/{assessed.reference}/investigation/open/" in case_page
    form = web.get(f"/staff/cases/{assessed.reference}/investigation/open/")
    assert form.status_code == 200 and "Alex Accused" in form.content.decode()
    response = web.post(
        f"/staff/cases/{assessed.reference}/investigation/open/",
        {
            "investigators-investigators": [staff.investigator.pk],
            "allegation0-subject": str(_accused(assessed).pk),
            "allegation0-category": "sexual_harassment",
            "allegation0-conduct": "Pressed her to drink at the client dinner.",
            "allegation1-subject": "new",
            "allegation1-name": "The client's sales head",
            "allegation1-category": "other",
            "allegation1-conduct": "Watched and laughed.",
            "allegation2-category": "sexual_harassment",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/cases/{assessed.reference}/investigation/"
    case = Case.objects.get(pk=assessed.pk)
    assert case.status == Status.INVESTIGATION
    assert Allegation.objects.filter(case=case).count() == 2
    assert Investigator.objects.get(case=case).user == staff.investigator
    page = web.get(response["Location"]).content.decode()
    assert "Pressed her to drink at the client dinner." in page and "The client&#x27;s sales head" in page


def test_the_open_form_says_what_is_missing_and_opens_nothing(assessed, staff) -> None:
    web = client_for(staff.handler)
    url = f"/staff/cases/{assessed.reference}/investigation/open/"
    empty = web.post(url, {"allegation0-category": "sexual_harassment", "allegation0-conduct": "Touched her."})
    page = empty.content.decode()
    assert empty.status_code == 400
    assert "This field is required." in page and "Choose the person the allegation is about." in page
    no_conduct = web.post(
        url, {"investigators-investigators": [staff.investigator.pk], "allegation0-category": "sexual_harassment"}
    )
    assert no_conduct.status_code == 400 and "Describe the conduct alleged." in no_conduct.content.decode()
    assert Case.objects.get(pk=assessed.pk).status == Status.ASSESSMENT


def test_the_generic_step_refuses_an_investigation_without_investigators(assessed, staff) -> None:
    response = client_for(staff.handler).post(f"/staff/cases/{assessed.reference}/steps/investigate/")
    assert response.status_code == 400
    assert "Name at least one investigator" in response.content.decode()
    assert Case.objects.get(pk=assessed.pk).status == Status.ASSESSMENT


def test_the_open_page_is_not_offered_once_the_case_is_under_investigation(assessed, staff) -> None:
    case = investigate(assessed, staff.handler, staff.investigator)
    response = client_for(staff.handler).get(f"/staff/cases/{case.reference}/investigation/open/")
    assert response.status_code == 302 and response["Location"] == f"/staff/cases/{case.reference}/"


def test_working_the_investigation_through_its_page(assessed, staff) -> None:
    case = investigate(assessed, staff.handler, staff.investigator)
    web = client_for(staff.investigator)
    base = f"/staff/cases/{case.reference}/investigation"
    today = timezone.localdate()
    allegation = Allegation.objects.get(case=case)
    posts: list[tuple[str, dict[str, Any]]] = [
        (
            "/tasks/",
            {
                "task-title": "Collect the hotel's key-card log.",
                "task-owner": staff.investigator.pk,
                "task-due_on": (today + timedelta(days=7)).isoformat(),
            },
        ),
        (
            "/interviews/",
            {
                "interview-interviewee": "reporter",
                "interview-held_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                "interview-present": "Mei, the investigator.",
                "interview-minutes": "She described the evening in order.",
            },
        ),
        (
            "/evidence/",
            {
                "evidence-kind": "file",
                "evidence-description": "Screenshots of the messages.",
                "evidence-source": "Mei, by hand.",
                "evidence-file": SimpleUploadedFile("shots.pdf", b"%PDF-1.4 shots", content_type="application/pdf"),
            },
        ),
        (
            "/people/informing/",
            {
                "informing-subject": str(allegation.subject_id),
                "informing-kind": "deferred",
                "informing-reason": "The witnesses are heard first.",
                "informing-review_on": (today + timedelta(days=10)).isoformat(),
            },
        ),
        (
            "/people/responses/",
            {
                "response-subject": str(allegation.subject_id),
                "response-received_on": today.isoformat(),
                "response-response": "He says he left the dinner early.",
            },
        ),
        (
            f"/allegations/{allegation.pk}/finding/",
            {f"finding{allegation.pk}-finding": "substantiated", f"finding{allegation.pk}-reasoning": "Consistent."},
        ),
    ]
    for path, data in posts:
        response = web.post(base + path, data)
        assert response.status_code == 302, (path, response.content.decode()[:2000])
    assert Task.objects.filter(case=case).count() == 1 and Interview.objects.filter(case=case).count() == 1
    assert EvidenceItem.objects.get(case=case).size == len(b"%PDF-1.4 shots")  # kept exactly as handed in
    assert Informing.objects.filter(case=case).count() == 1 and ConcernedResponse.objects.count() == 1
    views = _views(case)
    page = web.get(base + "/").content.decode()
    assert _views(case) == views + 1  # each view of the investigation is recorded
    for text in [
        "Collect the hotel&#x27;s key-card log.",
        "Screenshots of the messages.",
        "The witnesses are heard first.",
        "He says he left the dinner early.",
        "Consistent.",
        "waiting for her answer",
    ]:
        assert text in page, text
    task = Task.objects.get(case=case)
    done = web.post(base + f"/tasks/{task.pk}/state/", {f"task{task.pk}-state": "done"})
    assert done.status_code == 302 and Task.objects.get(pk=task.pk).done_at is not None
    # The case is decided through the case page: the finding comes from the allegations.
    decided = client_for(staff.handler).post(
        f"/staff/cases/{case.reference}/steps/decide/", {"decide-reasoning": "The allegation is substantiated."}
    )
    assert decided.status_code == 302
    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.DECIDED and case.finding == "substantiated"


def test_a_refused_form_comes_back_with_its_reason(assessed, staff) -> None:
    case = investigate(assessed, staff.handler, staff.investigator)
    response = client_for(staff.investigator).post(
        f"/staff/cases/{case.reference}/investigation/tasks/",
        {
            "task-title": "x",
            "task-owner": staff.investigator.pk,
            "task-due_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400 and "The due date must not be in the past." in response.content.decode()
    assert not Task.objects.exists()


def test_every_form_on_the_investigation_page_has_its_own_field_ids(assessed, staff) -> None:
    case = investigate(assessed, staff.handler, staff.investigator)
    page = client_for(staff.handler).get(f"/staff/cases/{case.reference}/investigation/").content.decode()
    ids = re.findall(r'\sid="(id_[^"]+)"', page)
    assert len(ids) > 20
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_the_case_page_links_to_the_investigation_for_whoever_may_read_it(assessed, staff) -> None:
    case = investigate(assessed, staff.handler, staff.investigator)
    link = f'href="/staff/cases/{case.reference}/investigation/"'
    for reader in (staff.handler, staff.lead, staff.oversight, staff.investigator):
        assert link in client_for(reader).get(f"/staff/cases/{case.reference}/").content.decode()


@pytest.fixture
def chinese_organisation() -> None:
    """An installation in China names its organisation and oversight body in Chinese."""
    Organisation.objects.filter(pk=1).update(name="示例科技有限公司", oversight_name="独立监督委员会")


@pytest.fixture
def worked_in_chinese(chinese_organisation: None, file_report, staff) -> tuple[Case, dict[str, int]]:
    filed = file_report(
        anonymous=False,
        reporter_name="李梅",
        narrative="部门经理在出差时多次逼我喝酒。",
        language="zh-hans",
        people=[actions.NewPerson(name="王经理", role="accused")],
    )
    actions.acknowledge_case(case=filed.case, actor=staff.handler)
    actions.begin_assessment(case=filed.case, actor=staff.handler)
    accused = _accused(filed.case)
    from ombuds.investigations.helpers import NewAllegation

    case = actions.open_investigation(
        case=filed.case,
        actor=staff.handler,
        investigators=[staff.investigator],
        allegations=[NewAllegation(conduct="在客户晚宴上逼她喝酒。", person_id=accused.pk)],
    )
    allegation = Allegation.objects.get(case=case)
    investigation.record_allegation_finding(
        allegation=allegation, actor=staff.investigator, finding="substantiated", reasoning="三名证人的陈述一致。"
    )
    investigation.add_task(
        case=case,
        actor=staff.handler,
        title="询问酒店夜班经理。",
        owner=staff.investigator,
        due_on=timezone.localdate(),
    )
    interview = investigation.record_interview(
        case=case,
        actor=staff.investigator,
        interviewee="reporter",
        held_at=timezone.now(),
        present="李梅、调查员",
        minutes="她讲述了当晚的经过。",
    )
    item = investigation.add_evidence(
        case=case,
        actor=staff.investigator,
        kind="file",
        description="聊天记录截图。",
        source="李梅本人提交。",
        file=actions.NewAttachment(filename="截图.txt", content_type="text/plain", data="截图".encode()),
    )
    investigation.check_evidence(item=item, actor=staff.investigator)
    investigation.record_informing(
        case=case,
        actor=staff.investigator,
        subject_id=accused.pk,
        kind="deferred",
        reason="先询问证人。",
        review_on=timezone.localdate() + timedelta(days=7),
    )
    return case, {"interview": interview.pk, "evidence": item.pk}


def test_the_investigation_pages_speak_chinese(staff, worked_in_chinese) -> None:
    case, ids = worked_in_chinese
    web = client_for(staff.lead)
    base = f"/staff/cases/{case.reference}/investigation"
    pages = {
        "investigation": base + "/",
        "interview": f"{base}/interviews/{ids['interview']}/",
        "evidence": f"{base}/evidence/{ids['evidence']}/",
        "custody": f"{base}/evidence/{ids['evidence']}/custody/",
        "case": f"/staff/cases/{case.reference}/",
        "inbox": "/staff/",
    }
    for name, path in pages.items():
        response = web.get(path, HTTP_ACCEPT_LANGUAGE=ZH)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert '<html lang="zh-hans">' in html, name
        assert untranslated(html) == [], (name, untranslated(html))
    assert "调查" in web.get(base + "/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    investigator_inbox = client_for(staff.investigator).get("/staff/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    assert untranslated(investigator_inbox) == []


@pytest.mark.usefixtures("chinese_organisation")
def test_the_open_form_speaks_chinese(file_report, staff) -> None:
    filed = file_report(
        anonymous=False, reporter_name="李梅", people=[actions.NewPerson(name="王经理", role="accused")]
    )
    actions.acknowledge_case(case=filed.case, actor=staff.handler)
    actions.begin_assessment(case=filed.case, actor=staff.handler)
    web = client_for(staff.handler)
    page = web.get(f"/staff/cases/{filed.case.reference}/investigation/open/", HTTP_ACCEPT_LANGUAGE=ZH)
    assert untranslated(page.content.decode()) == []
    refused = web.post(f"/staff/cases/{filed.case.reference}/investigation/open/", {}, HTTP_ACCEPT_LANGUAGE=ZH)
    assert refused.status_code == 400 and untranslated(refused.content.decode()) == []


@pytest.mark.usefixtures("chinese_organisation")
def test_her_minutes_on_the_status_page_speak_chinese(staff, file_report) -> None:
    filed = file_report(anonymous=False, reporter_name="李梅", language="zh-hans")
    actions.acknowledge_case(case=filed.case, actor=staff.handler)
    actions.begin_assessment(case=filed.case, actor=staff.handler)
    mine = investigate(filed.case, staff.handler, staff.investigator, conduct="逼她喝酒。", name="王经理")
    investigation.record_interview(
        case=mine,
        actor=staff.investigator,
        interviewee="reporter",
        held_at=timezone.now(),
        present="李梅",
        minutes="她讲述了经过。",
    )
    client = Client()
    client.post("/return/", {"receipt": filed.receipt})
    page = client.get("/status/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    assert "她讲述了经过。" in page and untranslated(page) == []
    refused = client.post("/status/minutes/", {"interview": mine.interviews.get().pk}, HTTP_ACCEPT_LANGUAGE=ZH)
    assert refused.status_code == 400 and untranslated(refused.content.decode()) == []


def test_views_of_the_investigation_are_counted_with_the_case_pages_not_listed(assessed, staff) -> None:
    case = investigate(assessed, staff.handler, staff.investigator)
    web = client_for(staff.investigator)
    assert web.get(f"/staff/cases/{case.reference}/investigation/").status_code == 200
    assert web.get(f"/staff/cases/{case.reference}/").status_code == 200
    seen = case_view.for_staff(case, staff.lead)
    assert seen.views == 2
    events = [entry.event for entry in seen.timeline]
    assert "case viewed" not in events and "investigation viewed" not in events
    assert "investigation started" in events and "investigator named" in events
