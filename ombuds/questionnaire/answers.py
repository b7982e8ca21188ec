"""A reporter's answers: checked against the questions of her version, stored as JSON, read back as text.

The answers are report content. ombuds.cases.actions.file_report seals the JSON from
`dumps` into Report.answers with the case's key; the read models open it and hand the
dictionary from `loads` to `describe`, with the questions of the report's own version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from ombuds.questionnaire.models import Kind, Question

Answer = str | bool | list[str]

MAX_SHORT_ANSWER = 200
MAX_LONG_ANSWER = 10_000

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Problem:
    key: str
    message: str


class AnswersRefused(ValueError):
    """Some answers do not fit their questions; `problems` names each by its question's key."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.key}: {p.message}" for p in problems))
        self.problems = problems


def _text(value: object, limit: int) -> str | None:
    if not isinstance(value, str):
        raise ValueError(_("The answer must be text."))
    text = value.strip()
    if len(text) > limit:
        raise ValueError(_("The answer is longer than %(max)d characters.") % {"max": limit})
    if "\x00" in text:
        raise ValueError(_("The answer contains a character that cannot be stored."))
    return text or None


def _clean_one(question: Question, value: object) -> Answer | None:
    """The answer as stored, None when she left the question unanswered; ValueError when it does not fit."""
    if value is None:
        return None
    keys = [choice["key"] for choice in question.choices]
    match question.kind:
        case Kind.SHORT_TEXT:
            return _text(value, MAX_SHORT_ANSWER)
        case Kind.LONG_TEXT:
            return _text(value, MAX_LONG_ANSWER)
        case Kind.ONE_CHOICE:
            if not isinstance(value, str):
                raise ValueError(_("The answer must be the key of one choice."))
            if value == "":
                return None
            if value not in keys:
                raise ValueError(_("“%(value)s” is not one of the choices.") % {"value": value[:40]})
            return value
        case Kind.SEVERAL_CHOICES:
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ValueError(_("The answer must be a list of choice keys."))
            unknown = [item for item in value if item not in keys]
            if unknown:
                raise ValueError(_("“%(value)s” is not one of the choices.") % {"value": unknown[0][:40]})
            # In the question's order, each once.
            return [key for key in keys if key in value] or None
        case Kind.DATE:
            if not isinstance(value, str):
                raise ValueError(_("Write the date as year-month-day, for example 2025-03-14."))
            if value == "":
                return None
            if not _ISO_DATE.fullmatch(value):
                raise ValueError(_("Write the date as year-month-day, for example 2025-03-14."))
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValueError(_("Write the date as year-month-day, for example 2025-03-14.")) from None
            return value
        case Kind.YES_NO:
            if not isinstance(value, bool):
                raise ValueError(_("The answer must be true or false."))
            return value
    raise ValueError(_("This question cannot be answered."))


def clean(questions: Sequence[Question], raw: Mapping[str, object]) -> dict[str, Answer]:
    """Her answers checked against the questions: unknown keys, wrong kinds and unanswered required ones refused.

    An unanswered optional question is simply left out; it never stops a report (R1).
    """
    by_key = {question.key: question for question in questions}
    problems = [Problem(key, _("There is no such question.")) for key in raw if key not in by_key]
    cleaned: dict[str, Answer] = {}
    for question in questions:
        try:
            answer = _clean_one(question, raw.get(question.key))
        except ValueError as exc:
            problems.append(Problem(question.key, str(exc)))
            continue
        if answer is not None:
            cleaned[question.key] = answer
        elif question.required:
            problems.append(Problem(question.key, _("Please answer this question.")))
    if problems:
        raise AnswersRefused(problems)
    return cleaned


def dumps(answers: Mapping[str, Answer]) -> str:
    """The answers as stored (before sealing); no answers is the empty string."""
    return json.dumps(answers, ensure_ascii=False, sort_keys=True, separators=(",", ":")) if answers else ""


def loads(stored: str) -> dict[str, Answer]:
    if not stored:
        return {}
    loaded = json.loads(stored)
    assert isinstance(loaded, dict), "stored answers are a JSON object"
    return loaded


@dataclass(frozen=True)
class AnsweredQuestion:
    """One question of the report's version with her answer, as people read it."""

    key: str
    question: str
    kind: str
    # As stored: text, a choice key, a list of choice keys, YYYY-MM-DD, or true/false; None if unanswered.
    answer: Answer | None
    # The answer in words: the choices' texts, Yes or No; empty if unanswered.
    text: str


def _in_words(question: Question, answer: Answer, language: str) -> str:
    choices = dict(question.choice_texts(language))
    if question.kind == Kind.YES_NO:
        return _("Yes") if answer is True else _("No")
    if isinstance(answer, list):
        return "; ".join(choices.get(key, key) for key in answer)
    if question.kind == Kind.ONE_CHOICE:
        return choices.get(str(answer), str(answer))
    return str(answer)


def describe(
    questions: Sequence[Question], answers: Mapping[str, Answer], language: str, *, unanswered: bool = True
) -> list[AnsweredQuestion]:
    """Each question of the version with her answer, in `language` (the question texts of that version).

    With `unanswered` False, only the questions she answered. An answer whose question the
    version does not hold (it cannot happen through the actions) is still shown, under its key.
    """
    rows = []
    for question in questions:
        answer = answers.get(question.key)
        if answer is None and not unanswered:
            continue
        rows.append(
            AnsweredQuestion(
                key=question.key,
                question=question.in_language(language),
                kind=question.kind,
                answer=answer,
                text="" if answer is None else _in_words(question, answer, language),
            )
        )
    known = {question.key for question in questions}
    for key, answer in answers.items():
        if key not in known:
            rows.append(AnsweredQuestion(key=key, question=key, kind="", answer=answer, text=str(answer)))
    return rows
