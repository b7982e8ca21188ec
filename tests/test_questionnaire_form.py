"""The extra questions on the web report form, which works with JavaScript off.

Every category's questions are in the page under the category's heading; only the
chosen category's answers are read. The CSS shows only the ticked category's group
(tests/test_browser_questionnaire.py watches that in a real browser).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from ombuds.cases.models import Case, Category, Report
from ombuds.questionnaire import actions
from ombuds.questionnaire.validation import ChoiceSpec, QuestionSpec
from tests.support import opened, receipt_from

pytestmark = pytest.mark.django_db

FORM = {
    "category": "bullying",
    "role": "affected",
    "narrative": "My team lead shouts at me in front of everyone, every week.",
    "anonymous": "true",
    "language": "en",
}

CSS = Path(settings.BASE_DIR) / "ombuds" / "questionnaire" / "static" / "questionnaire" / "questions.css"


def test_the_form_holds_each_categorys_questions_under_its_heading(client) -> None:
    page = client.get("/report/").content.decode()
    groups = re.findall(r'<div class="question-group" data-category="(\w+)">\s*<h3>([^<]+)</h3>', page)
    assert groups == [(value, str(label)) for value, label in Category.choices]
    for category in Category.values:
        assert f'name="qv-{category}" value="1"' in page
    assert 'name="q-bullying-how_long" value="once"' in page
    # An optional radio question can be left, or set back, to no answer without JavaScript.
    assert re.search(r'name="q-bullying-how_long" value="" [^>]*checked', page)


def test_the_stylesheet_shows_the_questions_of_every_category_once_it_is_ticked() -> None:
    css = CSS.read_text(encoding="utf-8")
    for category in Category.values:
        rule = (
            f'form:has(input[name="category"][value="{category}"]:checked) .question-group[data-category="{category}"]'
        )
        assert rule in css, category


def test_answers_to_the_chosen_category_are_stored_sealed_and_the_others_ignored(client) -> None:
    response = client.post(
        "/report/",
        {
            **FORM,
            "qv-bullying": "1",
            "q-bullying-how_long": "months",
            "q-bullying-relationship": ["above", "peer"],
            "q-bullying-ongoing": "",
            # Under another heading, and not even a valid answer there: ignored, never an obstacle.
            "q-discrimination-grounds": ["nonsense"],
            "q-sexual_assault-safety_needs": "typed under the wrong heading",
        },
        follow=True,
    )
    assert response.status_code == 200
    report = Report.objects.get()
    assert report.questionnaire is not None and report.questionnaire.category == "bullying"
    stored = json.loads(opened(report, "answers", receipt=receipt_from(response.content)))
    assert stored == {"how_long": "months", "relationship": ["above", "peer"]}
    assert "months" not in report.answers


def test_nothing_answered_files_the_report_all_the_same(client) -> None:
    response = client.post("/report/", FORM, follow=True)
    assert response.status_code == 200
    report = Report.objects.get()
    assert report.questionnaire is not None and report.questionnaire.number == 1
    assert report.answers == ""


def _publish(admin, category: str, spec: QuestionSpec) -> None:
    actions.start_draft(category=category, acting_user=admin)
    actions.save_question(category=category, spec=spec, acting_user=admin)
    actions.publish(category=category, acting_user=admin)


def test_a_required_question_is_checked_on_the_form_and_nothing_is_stored_without_it(client, staff) -> None:
    _publish(
        staff.admin,
        "bullying",
        QuestionSpec(
            key="team",
            kind="one_choice",
            required=True,
            text={"en": "Which team is it in?", "zh-hans": "是在哪个团队？"},
            choices=(
                ChoiceSpec("sales", {"en": "Sales", "zh-hans": "销售"}),
                ChoiceSpec("support", {"en": "Support", "zh-hans": "客服"}),
            ),
        ),
    )
    page = client.get("/report/").content.decode()
    assert re.search(r"Which team is it in\? <span class=\"required\">\(required\)</span>", page)
    # A required choice offers no "No answer".
    assert 'name="q-bullying-team" value=""' not in page

    refused = client.post("/report/", {**FORM, "qv-bullying": "2"}, follow=True)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert re.search(
        r"Which team is it in\?.*?<p class=\"error\" role=\"alert\">Please answer this question.</p>", html, re.S
    )
    assert FORM["narrative"] in html  # her text is still in the form
    assert not Case.objects.exists()

    # The same question under another category does not stop a report of that category.
    assert client.post("/report/", {**FORM, "category": "discrimination"}, follow=True).status_code == 200
    filed = client.post("/report/", {**FORM, "qv-bullying": "2", "q-bullying-team": "support"}, follow=True)
    assert filed.status_code == 200
    assert Report.objects.filter(questionnaire__category="bullying", questionnaire__number=2).count() == 1


def test_a_date_question_takes_year_month_day_and_explains_a_wrong_one(client, staff) -> None:
    _publish(
        staff.admin,
        "other",
        QuestionSpec(
            key="last_time", kind="date", text={"en": "When did it last happen?", "zh-hans": "最近一次是什么时候？"}
        ),
    )
    page = client.get("/report/").content.decode()
    assert 'type="date" name="q-other-last_time"' in page
    refused = client.post(
        "/report/", {**FORM, "category": "other", "qv-other": "2", "q-other-last_time": "31/02/2026"}, follow=True
    )
    assert refused.status_code == 400
    assert "Write the date as year-month-day, for example 2025-03-14." in refused.content.decode()
    filed = client.post(
        "/report/", {**FORM, "category": "other", "qv-other": "2", "q-other-last_time": "2026-02-28"}, follow=True
    )
    assert filed.status_code == 200
    report = Report.objects.get()
    assert json.loads(opened(report, "answers", receipt=receipt_from(filed.content))) == {"last_time": "2026-02-28"}


def test_her_answers_are_on_her_status_page_folded_until_she_opens_them(client: Client) -> None:
    client.post("/report/", {**FORM, "qv-bullying": "1", "q-bullying-how_long": "over_year"}, follow=True)
    status = client.get("/status/").content.decode()
    assert re.search(
        r"<details>\s*<summary>Show my answers</summary>\s*<dl class=\"answers\">"
        r"<dt>How long has it been going on\?</dt><dd>More than a year</dd></dl>",
        status,
    )
