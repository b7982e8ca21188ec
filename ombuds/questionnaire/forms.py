"""The questionnaire in web forms: the questions on the report form, and the administrators' question form.

On the report form every category's questions are present, each group under its
category's heading. The stylesheet (static/questionnaire/questions.css) shows only the
group of the category she has ticked, with CSS alone; a browser without `:has()` shows
every group under its heading, and only the chosen category's answers are read. So the
form works with JavaScript off, in one step, and her typed text is never lost to a
second page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ombuds.cases.models import Category
from ombuds.questionnaire import answers, selectors
from ombuds.questionnaire.answers import MAX_LONG_ANSWER, MAX_SHORT_ANSWER
from ombuds.questionnaire.models import CHOICE_KINDS, Kind, Question, Version
from ombuds.questionnaire.validation import (
    KEY,
    MAX_CHOICE_TEXT,
    MAX_HELP,
    MAX_TEXT,
    ChoiceSpec,
    QuestionSpec,
    offered_languages,
)

NO_ANSWER = _("No answer")


class RawAnswer(forms.Field):
    """The value as sent, unjudged: answers.clean judges it, and only for the category she chose.

    Answers under another category's heading are ignored, so nothing typed there (a date
    that is not one, say) may stop her report.
    """

    def __init__(self, *, many: bool = False, **kwargs: Any) -> None:
        self.many = many
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> str | list[str]:
        if self.many:
            return [str(item) for item in value] if isinstance(value, list | tuple) else []
        return "" if value is None else str(value)


def answer_field(question: Question, language: str) -> RawAnswer:
    """The form field that asks `question` in `language`."""
    label, help_text = question.in_language(language), question.help_in(language)
    match question.kind:
        case Kind.LONG_TEXT:
            widget: forms.Widget = forms.Textarea(attrs={"rows": 4, "maxlength": MAX_LONG_ANSWER})
        case Kind.DATE:
            widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        case Kind.ONE_CHOICE | Kind.YES_NO:
            options = question.choice_texts(language) if question.kind == Kind.ONE_CHOICE else _yes_no()
            # Radios cannot be unticked without JavaScript: an optional question offers a way back.
            if not question.required:
                options = [*options, ("", str(NO_ANSWER))]
            widget = forms.RadioSelect(choices=options)
        case Kind.SEVERAL_CHOICES:
            widget = forms.CheckboxSelectMultiple(choices=question.choice_texts(language))
        case _:
            widget = forms.TextInput(attrs={"maxlength": MAX_SHORT_ANSWER})
    initial = "" if question.kind in (Kind.ONE_CHOICE, Kind.YES_NO) and not question.required else None
    return RawAnswer(
        many=question.kind == Kind.SEVERAL_CHOICES, label=label, help_text=help_text, widget=widget, initial=initial
    )


def _yes_no() -> list[tuple[str, str]]:
    return [("yes", str(_("Yes"))), ("no", str(_("No")))]


def _as_answer(question: Question, value: str | list[str]) -> object:
    """The form's value as the questionnaire takes it (a yes/no radio gives true or false)."""
    if question.kind == Kind.YES_NO:
        return {"yes": True, "no": False}.get(str(value), None if value == "" else value)
    return value


@dataclass
class QuestionGroup:
    """One category's questions on the report form."""

    category: str
    label: str
    version: Version
    questions: list[tuple[Question, str]] = field(default_factory=list)  # (question, field name)
    bound: list[tuple[Question, forms.BoundField]] = field(default_factory=list)

    @property
    def version_field(self) -> str:
        return f"qv-{self.category}"

    @property
    def any_required(self) -> bool:
        return any(question.required for question, _name in self.questions)


def field_name(category: str, key: str) -> str:
    return f"q-{category}-{key}"


def add_questions(form: forms.Form) -> dict[str, QuestionGroup]:
    """Put every category's questions into the report form; the groups, by category.

    A form sent back keeps the version she was shown while it is still one of the
    category's published versions, so her answers are checked against the questions she
    read even if a new version was published meanwhile.
    """
    language = get_language() or settings.LANGUAGE_CODE
    groups: dict[str, QuestionGroup] = {}
    current = selectors.current_by_category()
    for category, label in Category.choices:
        version = current.get(category)
        if version is None:
            continue
        sent = str(form.data.get(f"qv-{category}", "")) if form.is_bound else ""
        if sent.isdigit() and int(sent) != version.number:
            version = selectors.published(category, int(sent)) or version
        group = QuestionGroup(category=category, label=str(label), version=version)
        for question in selectors.questions(version):
            name = field_name(category, question.key)
            form.fields[name] = answer_field(question, language)
            group.questions.append((question, name))
        if group.questions:
            groups[category] = group
    return groups


def bind_groups(form: forms.Form, groups: dict[str, QuestionGroup]) -> list[QuestionGroup]:
    """The groups with their bound fields, for the template."""
    for group in groups.values():
        group.bound = [(question, form[name]) for question, name in group.questions]
    return list(groups.values())


def clean_answers(
    form: forms.Form, groups: dict[str, QuestionGroup], category: str
) -> tuple[dict[str, Any], int | None]:
    """Her answers to the chosen category's questions, checked; each problem is shown at its question.

    Returns (answers, the version's number). Answers under other categories are ignored.
    """
    group = groups.get(category)
    if group is None:
        return {}, None
    raw = {question.key: _as_answer(question, form.cleaned_data.get(name, "")) for question, name in group.questions}
    try:
        cleaned = answers.clean([question for question, _name in group.questions], raw)
    except answers.AnswersRefused as refused:
        names = {question.key: name for question, name in group.questions}
        for problem in refused.problems:
            form.add_error(names.get(problem.key), problem.message)
        return {}, group.version.number
    return cleaned, group.version.number


# --- The administrators' question form -----------------------------------------------


class QuestionForm(forms.Form):
    """One question of a draft: its key, kind, whether it is required, and its texts in every offered language.

    Choices are typed one per line, in the same order in every language; their keys,
    also one per line, may be left empty to be made from their place (choice_1, ...).
    """

    key = forms.CharField(
        label=_("Key"),
        max_length=40,
        help_text=_(
            "Names the answer in exports and in the API: small letters, digits and _, for example still_happening. "
            "Keep it when you only reword a question."
        ),
    )
    kind = forms.ChoiceField(label=_("Kind of answer"), choices=Kind.choices, widget=forms.RadioSelect)
    required = forms.BooleanField(
        label=_("Required"),
        required=False,
        help_text=_(
            "Leave this off unless a report cannot be handled without the answer: a required question can stop "
            "someone from reporting. A required question may never ask for evidence."
        ),
    )
    choice_keys = forms.CharField(
        label=_("Choice keys (one per line, optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For questions with choices. Leave empty to number the choices."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages = [(code, str(name)) for code, name in settings.LANGUAGES]
        for code, name in self.languages:
            self.fields[f"text_{code}"] = forms.CharField(
                label=_("Question in %(language)s") % {"language": name},
                max_length=MAX_TEXT,
                widget=forms.Textarea(attrs={"rows": 2, "lang": code}),
            )
            self.fields[f"help_{code}"] = forms.CharField(
                label=_("Help text in %(language)s (optional)") % {"language": name},
                max_length=MAX_HELP,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "lang": code}),
            )
            self.fields[f"choices_{code}"] = forms.CharField(
                label=_("Choices in %(language)s (one per line)") % {"language": name},
                required=False,
                widget=forms.Textarea(attrs={"rows": 5, "lang": code}),
            )

    def language_blocks(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [
            (code, name, [self[f"text_{code}"], self[f"help_{code}"], self[f"choices_{code}"]])
            for code, name in self.languages
        ]

    @staticmethod
    def initial_for(question: Question) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "key": question.key,
            "kind": question.kind,
            "required": question.required,
            "choice_keys": "\n".join(choice["key"] for choice in question.choices),
        }
        for code in offered_languages():
            initial[f"text_{code}"] = question.text.get(code, "")
            initial[f"help_{code}"] = question.help.get(code, "")
            initial[f"choices_{code}"] = "\n".join(choice["text"].get(code, "") for choice in question.choices)
        return initial

    def clean_key(self) -> str:
        key = str(self.cleaned_data["key"]).strip()
        if not KEY.fullmatch(key):
            raise forms.ValidationError(
                _("Use small letters, digits and _, starting with a letter (for example still_happening).")
            )
        return key

    def spec(self) -> QuestionSpec:
        """The question as typed data, once the form is valid; choice lines are checked here."""
        data = self.cleaned_data
        kind = data["kind"]
        codes = [code for code, _name in self.languages]
        choices: list[ChoiceSpec] = []
        if kind in CHOICE_KINDS:
            lines = {code: _lines(data.get(f"choices_{code}", "")) for code in codes}
            counts = {len(found) for found in lines.values()}
            if len(counts) != 1:
                raise forms.ValidationError(_("Give the same number of choices, in the same order, in every language."))
            count = counts.pop()
            keys = _lines(data.get("choice_keys", "")) or [f"choice_{n}" for n in range(1, count + 1)]
            if len(keys) != count:
                raise forms.ValidationError(_("Give one key per choice, or leave the keys empty."))
            for text in (t for found in lines.values() for t in found):
                if len(text) > MAX_CHOICE_TEXT:
                    raise forms.ValidationError(
                        _("A choice is longer than %(max)d characters.") % {"max": MAX_CHOICE_TEXT}
                    )
            choices = [
                ChoiceSpec(key=key, text={code: lines[code][index] for code in codes}) for index, key in enumerate(keys)
            ]
        return QuestionSpec(
            key=data["key"],
            kind=kind,
            required=bool(data["required"]),
            text={code: data[f"text_{code}"].strip() for code in codes},
            help={code: data.get(f"help_{code}", "").strip() for code in codes},
            choices=tuple(choices),
        )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class PublishForm(forms.Form):
    note = forms.CharField(
        label=_("What changed (optional)"),
        help_text=_("Kept with the version, for whoever reads its history."),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
