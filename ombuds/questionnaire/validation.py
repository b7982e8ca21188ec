"""What a question must be before it is saved or published, and the versioned JSON document.

The same checks serve the admin pages, the import command and the defaults shipped with
ombuds (tests/test_questionnaire_defaults.py runs them over the defaults), so a
questionnaire that reaches a reporter has passed them whichever way it came.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from ombuds.cases.models import Category
from ombuds.questionnaire.models import CHOICE_KINDS, Kind, Question

KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_QUESTIONS = 30
MAX_CHOICES = 20
MAX_TEXT = 500
MAX_HELP = 1000
MAX_CHOICE_TEXT = 200

# The format of the JSON document `ombuds questionnaire export` writes and `import` reads.
FORMAT = "ombuds-questionnaire/1"

# Words that ask for evidence, in the languages ombuds ships. A required question that
# uses one is refused (R1: a report never needs evidence, and the form must not make it
# a condition of being heard). An optional question may still mention them.
EVIDENCE_WORDS = (
    "evidence",
    "proof",
    "prove",
    "screenshot",
    "recording",
    "video",
    "photo",
    "witness statement",
    "证据",
    "证明",
    "截图",
    "录音",
    "录像",
    "视频",
    "照片",
)


def offered_languages() -> list[str]:
    """The languages every question must be written in: those the installation offers."""
    return [code for code, _name in settings.LANGUAGES]


@dataclass(frozen=True)
class ChoiceSpec:
    key: str
    text: Mapping[str, str]


@dataclass(frozen=True)
class QuestionSpec:
    """A question as typed data: what the admin form, the import and the defaults hand to the actions."""

    key: str
    kind: str
    required: bool = False
    text: Mapping[str, str] = field(default_factory=dict)
    help: Mapping[str, str] = field(default_factory=dict)
    choices: Sequence[ChoiceSpec] = ()

    @classmethod
    def of(cls, question: Question) -> QuestionSpec:
        return cls(
            key=question.key,
            kind=question.kind,
            required=question.required,
            text=dict(question.text),
            help=dict(question.help),
            choices=tuple(ChoiceSpec(key=c["key"], text=dict(c["text"])) for c in question.choices),
        )

    def stored_choices(self) -> list[dict[str, Any]]:
        return [{"key": c.key, "text": dict(c.text)} for c in self.choices]


def asks_for_evidence(spec: QuestionSpec) -> bool:
    texts = [*spec.text.values(), *spec.help.values(), *(t for c in spec.choices for t in c.text.values())]
    folded = " ".join(texts).casefold()
    return any(word in folded for word in EVIDENCE_WORDS)


def _missing(what: str, languages: str) -> str:
    match what:
        case "question":
            return _("The question is missing in: %(languages)s.") % {"languages": languages}
        case "help":
            return _("The help text is missing in: %(languages)s (give it in every language, or in none).") % {
                "languages": languages
            }
    return _("A choice is missing in: %(languages)s.") % {"languages": languages}


def _too_long(what: str, language: str, limit: int) -> str:
    values = {"language": language, "max": limit}
    match what:
        case "question":
            return _("The question in %(language)s is longer than %(max)d characters.") % values
        case "help":
            return _("The help text in %(language)s is longer than %(max)d characters.") % values
    return _("A choice in %(language)s is longer than %(max)d characters.") % values


def _texts_problems(texts: Mapping[str, str], languages: Sequence[str], what: str, limit: int) -> list[str]:
    """What is wrong with one text in its languages: `what` is "question", "help" or "choice"."""
    names = {code: str(name) for code, name in settings.LANGUAGES}
    problems = []
    missing = [names.get(code, code) for code in languages if not str(texts.get(code, "")).strip()]
    if missing:
        problems.append(_missing(what, ", ".join(missing)))
    for code, text in texts.items():
        if not isinstance(text, str) or "\x00" in text:
            problems.append(
                _("A text in %(language)s is not plain text or holds a character that cannot be stored.")
                % {"language": names.get(code, code)}
            )
        elif len(text) > limit:
            problems.append(_too_long(what, names.get(code, code), limit))
    return problems


def question_problems(spec: QuestionSpec, languages: Sequence[str] | None = None) -> list[str]:
    """Everything wrong with one question, as sentences an administrator can act on (empty: it is fine)."""
    languages = list(languages if languages is not None else offered_languages())
    problems = []
    if not KEY.fullmatch(spec.key):
        problems.append(
            _("The key must start with a small letter and hold only small letters, digits and _ (at most 40).")
        )
    if spec.kind not in Kind.values:
        problems.append(_("Unknown kind of question."))
    problems += _texts_problems(spec.text, languages, "question", MAX_TEXT)
    if any(str(value).strip() for value in spec.help.values()):
        problems += _texts_problems(spec.help, languages, "help", MAX_HELP)
    if spec.kind in CHOICE_KINDS:
        if len(spec.choices) < 2:
            problems.append(_("A question with choices needs at least two choices."))
        if len(spec.choices) > MAX_CHOICES:
            problems.append(_("A question can have at most %(n)d choices.") % {"n": MAX_CHOICES})
        keys = [choice.key for choice in spec.choices]
        if len(set(keys)) != len(keys):
            problems.append(_("Two choices have the same key."))
        for choice in spec.choices:
            if not KEY.fullmatch(choice.key):
                problems.append(_("The choice key “%(key)s” is not allowed.") % {"key": choice.key[:40]})
            problems += _texts_problems(choice.text, languages, "choice", MAX_CHOICE_TEXT)
    elif spec.choices:
        problems.append(_("Only questions with choices have choices."))
    if spec.required and asks_for_evidence(spec):
        problems.append(
            _(
                "A report never needs evidence, so a required question may not ask for it: make the question "
                "optional, or ask something else."
            )
        )
    return list(dict.fromkeys(problems))


def version_problems(specs: Sequence[QuestionSpec], languages: Sequence[str] | None = None) -> list[str]:
    """Everything wrong with a whole set of questions, each problem naming its question's key."""
    problems = []
    if len(specs) > MAX_QUESTIONS:
        problems.append(_("A category can have at most %(n)d questions.") % {"n": MAX_QUESTIONS})
    keys = [spec.key for spec in specs]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(_("Two questions have the key “%(key)s”.") % {"key": key})
    for spec in specs:
        problems += [f"{spec.key}: {problem}" for problem in question_problems(spec, languages)]
    return problems


# --- The JSON document ------------------------------------------------------------------


class DocumentError(ValueError):
    """The document cannot be read as a questionnaire; `problems` says where."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _spec_from(item: Any, where: str) -> QuestionSpec:
    if not isinstance(item, dict):
        raise DocumentError([f"{where}: a question must be an object"])
    unknown = set(item) - {"key", "kind", "required", "text", "help", "choices"}
    if unknown:
        raise DocumentError([f"{where}: unknown fields {', '.join(sorted(unknown))}"])
    text, help_text, choices = item.get("text", {}), item.get("help", {}), item.get("choices", [])
    required = item.get("required", False)
    if not isinstance(text, dict) or not isinstance(help_text, dict) or not isinstance(choices, list):
        raise DocumentError([f"{where}: text and help must be objects by language, choices a list"])
    if not isinstance(required, bool):
        raise DocumentError([f"{where}: required must be true or false"])
    parsed = []
    for choice in choices:
        if not isinstance(choice, dict) or not isinstance(choice.get("text"), dict):
            raise DocumentError([f"{where}: each choice needs a key and a text by language"])
        parsed.append(ChoiceSpec(key=str(choice.get("key", "")), text=dict(choice["text"])))
    return QuestionSpec(
        key=str(item.get("key", "")),
        kind=str(item.get("kind", "")),
        required=required,
        text=dict(text),
        help=dict(help_text),
        choices=tuple(parsed),
    )


def parse_document(document: Any, languages: Sequence[str] | None = None) -> dict[str, list[QuestionSpec]]:
    """The questions of each category in an exported document, checked; DocumentError names every problem."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise DocumentError([f'not a questionnaire document: "format" must be "{FORMAT}"'])
    categories = document.get("categories")
    if not isinstance(categories, list):
        raise DocumentError(['"categories" must be a list'])
    found: dict[str, list[QuestionSpec]] = {}
    problems = []
    for entry in categories:
        category = entry.get("category") if isinstance(entry, dict) else None
        if category not in Category.values:
            problems.append(f"unknown category {category!r}")
            continue
        if category in found:
            problems.append(f"{category}: named twice")
            continue
        questions = entry.get("questions")
        if not isinstance(questions, list):
            problems.append(f'{category}: "questions" must be a list')
            continue
        try:
            specs = [_spec_from(item, f"{category} question {index}") for index, item in enumerate(questions, 1)]
        except DocumentError as exc:
            problems += exc.problems
            continue
        problems += [f"{category} {problem}" for problem in version_problems(specs, languages)]
        found[category] = specs
    if problems:
        raise DocumentError(problems)
    return found


def spec_document(spec: QuestionSpec) -> dict[str, Any]:
    document: dict[str, Any] = {"key": spec.key, "kind": spec.kind, "required": spec.required, "text": dict(spec.text)}
    if any(spec.help.values()):
        document["help"] = dict(spec.help)
    if spec.choices:
        document["choices"] = spec.stored_choices()
    return document


def category_document(category: str, specs: Iterable[QuestionSpec], **about: Any) -> dict[str, Any]:
    return {"category": category, **about, "questions": [spec_document(spec) for spec in specs]}
