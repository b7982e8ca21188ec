"""The questions ombuds ships with: one set per category, all optional, none asking for evidence (R1).

In the story, staff asked a woman for video evidence before they would "consider" an
investigation. The defaults must never make evidence a condition of being heard, and the
questionnaire refuses a required question that asks for it.
"""

from __future__ import annotations

import re

import pytest

from ombuds.cases.models import Category
from ombuds.questionnaire import actions, defaults, selectors
from ombuds.questionnaire.validation import ChoiceSpec, QuestionSpec

# The test's own list, kept apart from the one in ombuds/questionnaire/validation.py, so
# a word dropped there does not drop out of this check too.
EVIDENCE = re.compile(
    r"evidence|proof|prove|proving|screenshot|record(ing)?s?\b|video|photo|picture|document(s|ation)?\b"
    r"|证据|证明|截图|录音|录像|视频|照片|凭证|材料",
    re.IGNORECASE,
)


def _texts(spec: QuestionSpec) -> list[str]:
    return [*spec.text.values(), *spec.help.values(), *(text for c in spec.choices for text in c.text.values())]


def evidence_words(spec: QuestionSpec) -> list[str]:
    return [match.group(0) for text in _texts(spec) for match in EVIDENCE.finditer(text)]


def test_every_category_ships_with_its_own_questions() -> None:
    shipped = defaults.questions()
    assert set(shipped) == set(Category.values)
    for category, specs in shipped.items():
        assert len(specs) >= 3, category


def test_the_defaults_for_sexual_harassment_ask_where_whether_on_a_trip_whether_it_continues_and_if_she_is_safe() -> (
    None
):
    keys = [spec.key for spec in defaults.questions()["sexual_harassment"]]
    for key in ["setting", "work_trip_or_event", "ongoing", "safe_now"]:
        assert key in keys


def test_no_default_question_is_required() -> None:
    """An unanswered question never stands between her and a report."""
    required = [(c, s.key) for c, specs in defaults.questions().items() for s in specs if s.required]
    assert required == []


def test_no_default_question_asks_for_evidence_not_even_an_optional_one() -> None:
    found = {
        f"{category}.{spec.key}": words
        for category, specs in defaults.questions().items()
        for spec in specs
        if (words := evidence_words(spec))
    }
    assert found == {}


def test_the_scan_finds_a_question_that_asks_for_evidence() -> None:
    """The scan can fail: the question from the story, in either language, is caught."""
    asked = QuestionSpec(
        key="video",
        kind="one_choice",
        required=True,
        text={"en": "Do you have video evidence of it?", "zh-hans": "您有视频证据吗？"},
        choices=(ChoiceSpec("yes", {"en": "Yes", "zh-hans": "有"}), ChoiceSpec("no", {"en": "No", "zh-hans": "没有"})),
    )
    assert evidence_words(asked) == ["video", "evidence", "视频", "证据"]


def test_the_defaults_are_written_in_english_and_simplified_chinese() -> None:
    for specs in defaults.questions().values():
        for spec in specs:
            assert set(spec.text) == {"en", "zh-hans"}
            for text in [spec.text["zh-hans"], *(c.text["zh-hans"] for c in spec.choices)]:
                assert re.search(r"[\u4e00-\u9fff]", text), text
                assert not re.search(r"[A-Za-z]{3,}", text), text


@pytest.mark.django_db
def test_a_new_installation_has_the_defaults_published_as_version_1() -> None:
    shipped = defaults.questions()
    for category in Category.values:
        version = selectors.current(category)
        assert version is not None
        assert version.number == 1
        assert [QuestionSpec.of(q) for q in selectors.questions(version)] == shipped[category]


@pytest.mark.django_db
def test_a_required_question_that_asks_for_evidence_is_refused(staff) -> None:
    draft = actions.start_draft(category="sexual_assault", acting_user=staff.admin)
    demand = QuestionSpec(
        key="proof",
        kind="long_text",
        required=True,
        text={"en": "Describe the evidence you can provide.", "zh-hans": "请说明您能提供的证据。"},
    )
    with pytest.raises(actions.QuestionnaireError, match="A report never needs evidence"):
        actions.save_question(category="sexual_assault", spec=demand, acting_user=staff.admin)
    # The same question, optional, may be asked: it is never a condition.
    optional = QuestionSpec(key=demand.key, kind=demand.kind, required=False, text=demand.text)
    actions.save_question(category="sexual_assault", spec=optional, acting_user=staff.admin)
    assert draft.questions.filter(key="proof", required=False).exists()
