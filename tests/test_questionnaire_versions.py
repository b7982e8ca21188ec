"""A report keeps the questionnaire version it was filed under, whatever is published later.

A report is filed under version 1 of the sexual harassment questions, with answers to a
question that version 2 rewords and to one that version 2 removes. After version 2 is
published, the case page, the staff API, the export, the status page and the reporter
API still show her answers with the questions of version 1; a report filed afterwards
is asked version 2.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from ombuds.accounts import keys as staff_keys
from ombuds.accounts import tokens
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Report
from ombuds.questionnaire import actions as questionnaire
from ombuds.questionnaire import selectors
from ombuds.questionnaire.models import Question, Version
from ombuds.questionnaire.validation import QuestionSpec
from tests.support import opened, receipt_from

pytestmark = pytest.mark.django_db

CATEGORY = "sexual_harassment"
OLD_ONGOING = "Is it still happening?"
NEW_ONGOING = "Does it still happen now, or has it stopped?"
REMOVED = "Were managers or other people from work there when it happened?"
ANSWERS = {"ongoing": "yes", "people_present": "no", "work_trip_or_event": True, "setting": ["online", "workplace"]}


def _publish_version_2(admin) -> Version:
    """Reword `ongoing` (in both languages) and remove `people_present`, through the real actions."""
    draft = questionnaire.start_draft(category=CATEGORY, acting_user=admin)
    ongoing = draft.questions.get(key="ongoing")
    spec = QuestionSpec.of(ongoing)
    reworded = QuestionSpec(
        key=spec.key,
        kind=spec.kind,
        required=spec.required,
        text={"en": NEW_ONGOING, "zh-hans": "现在还在发生，还是已经停止了？"},
        help=spec.help,
        choices=spec.choices,
    )
    questionnaire.save_question(category=CATEGORY, spec=reworded, acting_user=admin, question_id=ongoing.pk)
    questionnaire.remove_question(
        category=CATEGORY, question_id=draft.questions.get(key="people_present").pk, acting_user=admin
    )
    return questionnaire.publish(category=CATEGORY, acting_user=admin, note="Reworded; one question fewer.")


def _staff_api(user) -> Client:
    _record, token = tokens.create_token(user=user, name="t", key_pair=staff_keys.attached(user))
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_a_report_filed_under_version_1_still_renders_after_version_2_is_published(staff, file_report, client) -> None:
    filed = file_report(answers=ANSWERS)
    assert filed.report.questionnaire.number == 1
    reporter_token = client.post(
        "/api/v1/reporter/session", {"receipt": filed.receipt}, content_type="application/json"
    ).json()["token"]

    version_2 = _publish_version_2(staff.admin)
    assert version_2.number == 2
    assert selectors.current(CATEGORY) == version_2

    # The case page: her answers with the questions of version 1, the removed one included.
    page = staff.client_for(staff.lead).get(f"/staff/cases/{filed.case.reference}/").content.decode()
    assert "Extra questions (questionnaire version 1)" in page
    assert OLD_ONGOING in page
    assert NEW_ONGOING not in page
    assert REMOVED in page
    assert "Yes, it is still happening" in page
    assert "At the workplace (office, site, shop); Online, by phone or in messages" in page

    # The staff API and the export are the same document.
    detail = _staff_api(staff.lead).get(f"/api/v1/cases/{filed.case.reference}").json()
    exported = json.loads(staff.client_for(staff.lead).get(f"/staff/cases/{filed.case.reference}/export/").content)
    for document in (detail, exported):
        report = document["reports"][0]
        assert report["questionnaire_version"] == 1
        answers = {a["key"]: a for a in report["answers"]}
        assert answers["ongoing"]["question"] == OLD_ONGOING
        assert answers["ongoing"]["answer"] == "yes"
        assert answers["people_present"]["question"] == REMOVED
        assert answers["people_present"]["answer_text"] == "No"
        assert answers["work_trip_or_event"]["answer"] is True
        assert answers["setting"]["answer"] == ["workplace", "online"]
        assert answers["safe_now"]["answer"] is None  # asked, not answered

    # What she sees: the status page and the reporter API.
    client.post("/return/", {"receipt": filed.receipt})
    status = client.get("/status/").content.decode()
    assert "Your answers to the extra questions" in status
    assert OLD_ONGOING in status and REMOVED in status
    assert NEW_ONGOING not in status
    her_case = client.get("/api/v1/reporter/case", headers={"Authorization": f"Bearer {reporter_token}"}).json()
    assert {a["question"]: a["answer_text"] for a in her_case["answers"]}[OLD_ONGOING] == "Yes, it is still happening"

    # A report filed now is asked version 2, and the removed question is refused.
    later = file_report(answers={"ongoing": "no"})
    assert later.report.questionnaire == version_2
    with pytest.raises(actions.AnswersNotAccepted):
        file_report(answers={"people_present": "no"})


def test_a_form_sent_after_a_new_version_is_checked_against_the_version_she_was_shown(staff, client) -> None:
    """She opened the form under version 1; version 2 was published before she sent it."""
    form = client.get("/report/").content.decode()
    assert 'name="qv-sexual_harassment" value="1"' in form
    _publish_version_2(staff.admin)
    response = client.post(
        "/report/",
        {
            "category": CATEGORY,
            "role": "affected",
            "narrative": "He keeps messaging me at night.",
            "anonymous": "true",
            "qv-sexual_harassment": "1",
            "q-sexual_harassment-people_present": "yes",
        },
        follow=True,
    )
    assert response.status_code == 200
    report = Report.objects.get()
    assert report.questionnaire is not None and report.questionnaire.number == 1
    receipt = receipt_from(response.content)
    assert json.loads(opened(report, "answers", receipt=receipt)) == {"people_present": "yes"}


def test_a_published_version_is_never_changed_and_publishing_is_audited(staff) -> None:
    version_1 = selectors.current(CATEGORY)
    assert version_1 is not None
    before = [(q.key, q.text, q.choices) for q in version_1.questions.all()]
    version_2 = _publish_version_2(staff.admin)
    version_1.refresh_from_db()
    assert [(q.key, q.text, q.choices) for q in Question.objects.filter(version=version_1)] == before
    event = AuditEvent.objects.filter(event_type=EventType.QUESTIONNAIRE_PUBLISHED).get()
    assert event.actor_id == staff.admin.pk
    assert event.detail == {"category": CATEGORY, "version": 2, "questions": 5, "previous": 1}
    assert version_2.note == "Reworded; one question fewer."
    # Every change to the draft was recorded too, by whom and to which question (never a report).
    changes = [e.detail["change"] for e in AuditEvent.objects.filter(event_type=EventType.QUESTIONNAIRE_DRAFT_CHANGED)]
    assert changes == ["draft_started", "question_changed", "question_removed"]


def test_a_version_that_reports_were_filed_under_cannot_be_deleted(file_report) -> None:
    from django.db.models import ProtectedError

    filed = file_report()
    with pytest.raises(ProtectedError):
        filed.report.questionnaire.delete()


def test_the_questionnaire_holds_no_report_content() -> None:
    """Question texts are configuration: no questionnaire model points at a case or a report."""
    from django.apps import apps

    for model in apps.get_app_config("questionnaire").get_models():
        for field in model._meta.get_fields():
            related = getattr(field, "related_model", None)
            assert related is None or related._meta.app_label != "cases", f"{model.__name__}.{field.name}"
