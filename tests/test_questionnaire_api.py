"""The questionnaire through the reporter API: the questions for an app, and the answers with a report."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from ombuds.cases.models import Case, Report
from ombuds.questionnaire import actions
from ombuds.questionnaire.validation import QuestionSpec
from tests.support import opened

pytestmark = pytest.mark.django_db

REPORT = {
    "category": "sexual_assault",
    "role": "affected",
    "narrative": "After the client dinner my manager came to my hotel room.",
    "anonymous": True,
}


def _post(client: Client, body: dict[str, object]):
    return client.post("/api/v1/reports", body, content_type="application/json")


def _refusal(response) -> list[tuple[list[object], str]]:
    assert response.status_code == 422, response.content
    return [(error["loc"], error["msg"]) for error in response.json()["detail"]]


def test_an_app_fetches_the_current_questions_in_the_language_it_asks_for(client) -> None:
    answer = client.get("/api/v1/questionnaire", {"category": "sexual_harassment", "language": "zh-hans"})
    assert answer.status_code == 200
    document = answer.json()
    assert document["category"] == "sexual_harassment"
    assert document["version"] == 1
    assert document["language"] == "zh-hans"
    questions = {q["key"]: q for q in document["questions"]}
    assert questions["ongoing"]["text"] == "这种情况现在还在发生吗？"
    assert questions["ongoing"]["kind"] == "one_choice"
    assert questions["ongoing"]["required"] is False
    assert {"key": "no", "text": "没有，已经停止了"} in questions["ongoing"]["choices"]
    assert questions["work_trip_or_event"]["kind"] == "yes_no"
    assert questions["work_trip_or_event"]["choices"] == []


def test_without_a_language_it_answers_in_the_language_of_the_request(client) -> None:
    document = client.get(
        "/api/v1/questionnaire", {"category": "bullying"}, headers={"Accept-Language": "zh-CN,zh;q=0.9"}
    ).json()
    assert document["language"] == "zh-hans"
    assert document["questions"][0]["text"] == "这种情况持续多久了？"
    english = client.get("/api/v1/questionnaire", {"category": "bullying"}).json()
    assert english["questions"][0]["text"] == "How long has it been going on?"


def test_an_unknown_language_or_category_is_a_422(client) -> None:
    response = client.get("/api/v1/questionnaire", {"category": "bullying", "language": "fr"})
    assert _refusal(response) == [(["query", "language"], "unknown language")]
    assert client.get("/api/v1/questionnaire", {"category": "gossip"}).status_code == 422
    assert client.get("/api/v1/questionnaire").status_code == 422


def test_answers_are_stored_sealed_and_read_back_by_the_reporter(client) -> None:
    answers = {
        "safe_now": "not_sure",
        "setting": ["hotel_or_home", "workplace"],
        "work_trip_or_event": True,
        "safety_needs": "Please do not call me at the office.",
        "support_wanted": None,
    }
    response = _post(client, {**REPORT, "answers": answers, "questionnaire_version": 1})
    assert response.status_code == 201, response.content
    receipt = response.json()["receipt"]
    report = Report.objects.get()
    assert report.questionnaire is not None and report.questionnaire.number == 1
    assert "Please do not call me" not in report.answers
    stored = json.loads(opened(report, "answers", receipt=receipt))
    assert stored == {
        "safe_now": "not_sure",
        "setting": ["workplace", "hotel_or_home"],  # in the question's order
        "work_trip_or_event": True,
        "safety_needs": "Please do not call me at the office.",
    }
    token = client.post("/api/v1/reporter/session", {"receipt": receipt}, content_type="application/json").json()
    case = client.get("/api/v1/reporter/case", headers={"Authorization": f"Bearer {token['token']}"}).json()
    shown = {a["key"]: a["answer_text"] for a in case["answers"]}
    assert shown == {
        "safe_now": "I'm not sure",
        "setting": "At the workplace; In a hotel or someone's home",
        "work_trip_or_event": "Yes",
        "safety_needs": "Please do not call me at the office.",
    }


def test_a_report_without_answers_is_filed_as_before(client) -> None:
    assert _post(client, REPORT).status_code == 201
    assert Report.objects.get().answers == ""


@pytest.mark.parametrize(
    ("answers", "where", "message"),
    [
        ({"favourite_colour": "blue"}, ["body", "answers", "favourite_colour"], "There is no such question."),
        ({"work_trip_or_event": "yes"}, ["body", "answers", "work_trip_or_event"], "The answer must be true or false."),
        ({"safe_now": ["yes"]}, ["body", "answers", "safe_now"], "The answer must be the key of one choice."),
        ({"safe_now": "maybe"}, ["body", "answers", "safe_now"], "“maybe” is not one of the choices."),
        ({"setting": "workplace"}, ["body", "answers", "setting"], "The answer must be a list of choice keys."),
        ({"setting": ["workplace", "moon"]}, ["body", "answers", "setting"], "“moon” is not one of the choices."),
        ({"safety_needs": True}, ["body", "answers", "safety_needs"], "The answer must be text."),
    ],
)
def test_an_unknown_key_or_an_answer_of_the_wrong_kind_is_refused_and_nothing_is_stored(
    client, answers, where, message
) -> None:
    assert _refusal(_post(client, {**REPORT, "answers": answers})) == [(where, message)]
    assert not Case.objects.exists()


def test_a_value_no_question_takes_is_refused_by_the_schema(client) -> None:
    refusal = _refusal(_post(client, {**REPORT, "answers": {"safe_now": 3}}))
    # Neither text, nor true or false, nor a list: each form it could have taken says why not.
    assert len(refusal) == 3
    assert all(where[:4] == ["body", "payload", "answers", "safe_now"] for where, _message in refusal)
    assert not Case.objects.exists()


def test_an_unknown_questionnaire_version_is_refused(client) -> None:
    refusal = _refusal(_post(client, {**REPORT, "answers": {}, "questionnaire_version": 9}))
    assert refusal == [(["body", "questionnaire_version"], "no such questionnaire version for this category")]
    assert not Case.objects.exists()


def _require(admin, category: str, key: str) -> None:
    draft = actions.start_draft(category=category, acting_user=admin)
    question = draft.questions.get(key=key)
    spec = QuestionSpec.of(question)
    required = QuestionSpec(spec.key, spec.kind, True, spec.text, spec.help, spec.choices)
    actions.save_question(category=category, spec=required, acting_user=admin, question_id=question.pk)
    actions.publish(category=category, acting_user=admin)


def test_a_required_question_must_be_answered_through_the_api(client, staff) -> None:
    _require(staff.admin, "sexual_assault", "still_in_contact")
    assert _refusal(_post(client, {**REPORT, "answers": {"safe_now": "yes"}})) == [
        (["body", "answers", "still_in_contact"], "Please answer this question.")
    ]
    assert not Case.objects.exists()
    answered = _post(client, {**REPORT, "answers": {"still_in_contact": "no"}})
    assert answered.status_code == 201
    assert Report.objects.filter(questionnaire__number=2).count() == 1


def test_the_openapi_document_describes_the_answers_and_the_questionnaire_route(client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    report_in = document["components"]["schemas"]["ReportIn"]["properties"]
    assert "keyed by question key" in report_in["answers"]["description"]
    assert "questionnaire_version" in report_in
    route = document["paths"]["/api/v1/questionnaire"]["get"]
    assert {p["name"] for p in route["parameters"]} == {"category", "language"}
    assert set(route["responses"]) == {"200", "422"}
