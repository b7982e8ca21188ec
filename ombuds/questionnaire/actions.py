"""Every change to the questionnaire: the draft of a category, and publishing it as a new version.

Each is one durable transaction with its audit event. `acting_user` is the administrator
who made the change, or None when it was made on the server (`ombuds questionnaire ...`);
the audit trail says which. A published version is never changed or removed: reports
filed under it are read with its questions for as long as they are kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ombuds.accounts.mail import queue_settings_notice
from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.cases import permissions
from ombuds.cases.models import Category
from ombuds.lib import languages
from ombuds.questionnaire import selectors
from ombuds.questionnaire.models import Question, Version
from ombuds.questionnaire.validation import (
    MAX_QUESTIONS,
    QuestionSpec,
    question_problems,
    version_problems,
)

MAX_NOTE = 1000


class QuestionnaireError(ValueError):
    """The change was refused; each problem is a sentence safe to show to the administrator."""

    def __init__(self, *problems: str) -> None:
        super().__init__(" ".join(problems))
        self.problems = list(problems)


def _check(category: str, acting_user: User | None) -> None:
    if acting_user is not None and not permissions.may_edit_questionnaire(acting_user):
        raise QuestionnaireError(_("Only administrators may change the questionnaire."))
    if category not in Category.values:
        raise QuestionnaireError(_("unknown category"))


def _actor_id(acting_user: User | None) -> int | None:
    return acting_user.pk if acting_user is not None else None


def _record(change: str, *, category: str, acting_user: User | None, **detail: object) -> None:
    log.record_system(
        EventType.QUESTIONNAIRE_DRAFT_CHANGED,
        actor_id=_actor_id(acting_user),
        category=category,
        change=change,
        **detail,
    )


def _locked_draft(category: str) -> Version:
    draft = Version.objects.select_for_update().filter(category=category, number__isnull=True).first()
    if draft is None:
        raise QuestionnaireError(_("There is no draft for this category: start one first."))
    return draft


def _create_questions(version: Version, specs: Sequence[QuestionSpec]) -> None:
    Question.objects.bulk_create(
        [
            Question(
                version=version,
                key=spec.key,
                position=position,
                kind=spec.kind,
                required=spec.required,
                text=dict(spec.text),
                help={code: text for code, text in spec.help.items() if text},
                choices=spec.stored_choices(),
            )
            for position, spec in enumerate(specs, start=1)
        ]
    )


def start_draft(*, category: str, acting_user: User | None) -> Version:
    """The category's draft, made from its current version if there is none yet."""
    _check(category, acting_user)
    with transaction.atomic(durable=True):
        existing = Version.objects.select_for_update().filter(category=category, number__isnull=True).first()
        if existing is not None:
            return existing
        current = selectors.current(category)
        draft = Version.objects.create(category=category, created_at=timezone.now(), created_by=acting_user)
        _create_questions(draft, [QuestionSpec.of(q) for q in selectors.questions(current)])
        _record(
            "draft_started",
            category=category,
            acting_user=acting_user,
            based_on=current.number if current is not None else None,
        )
    return draft


def save_question(
    *, category: str, spec: QuestionSpec, acting_user: User | None, question_id: int | None = None
) -> Question:
    """Add a question to the draft (question_id None) or change one of its questions."""
    _check(category, acting_user)
    problems = question_problems(spec)
    if problems:
        raise QuestionnaireError(*problems)
    with transaction.atomic(durable=True):
        draft = _locked_draft(category)
        if question_id is None:
            if draft.questions.count() >= MAX_QUESTIONS:
                raise QuestionnaireError(_("A category can have at most %(n)d questions.") % {"n": MAX_QUESTIONS})
            last = draft.questions.aggregate(last=Max("position"))["last"] or 0
            question = Question(version=draft, position=last + 1)
        else:
            found = draft.questions.filter(pk=question_id).first()
            if found is None:
                raise QuestionnaireError(_("This question is not in the draft."))
            question = found
        if draft.questions.filter(key=spec.key).exclude(pk=question.pk).exists():
            raise QuestionnaireError(
                _("Another question of this category already has the key “%(key)s”.") % {"key": spec.key}
            )
        previous_key = question.key
        question.key = spec.key
        question.kind = spec.kind
        question.required = spec.required
        question.text = dict(spec.text)
        question.help = {code: text for code, text in spec.help.items() if text}
        question.choices = spec.stored_choices()
        question.save()
        _record(
            "question_added" if question_id is None else "question_changed",
            category=category,
            acting_user=acting_user,
            question=spec.key,
            **({"previous_key": previous_key} if question_id is not None and previous_key != spec.key else {}),
        )
    return question


def move_question(*, category: str, question_id: int, up: bool, acting_user: User | None) -> None:
    """Swap a draft question with the one before it (up) or after it."""
    _check(category, acting_user)
    with transaction.atomic(durable=True):
        draft = _locked_draft(category)
        ordered = list(draft.questions.order_by("position", "id"))
        index = next((i for i, q in enumerate(ordered) if q.pk == question_id), None)
        if index is None:
            raise QuestionnaireError(_("This question is not in the draft."))
        other = index - 1 if up else index + 1
        if not 0 <= other < len(ordered):
            return
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, question in enumerate(ordered, start=1):
            question.position = position
        Question.objects.bulk_update(ordered, ["position"])
        _record(
            "question_moved",
            category=category,
            acting_user=acting_user,
            question=ordered[other].key,
            position=other + 1,
        )


def remove_question(*, category: str, question_id: int, acting_user: User | None) -> None:
    _check(category, acting_user)
    with transaction.atomic(durable=True):
        draft = _locked_draft(category)
        question = draft.questions.filter(pk=question_id).first()
        if question is None:
            raise QuestionnaireError(_("This question is not in the draft."))
        key = question.key
        question.delete()
        rest = list(draft.questions.order_by("position", "id"))
        for position, remaining in enumerate(rest, start=1):
            remaining.position = position
        Question.objects.bulk_update(rest, ["position"])
        _record("question_removed", category=category, acting_user=acting_user, question=key)


def discard_draft(*, category: str, acting_user: User | None) -> None:
    """Throw the draft away; the published version stays as it is."""
    _check(category, acting_user)
    with transaction.atomic(durable=True):
        draft = _locked_draft(category)
        draft.questions.all().delete()
        draft.delete()
        _record("draft_discarded", category=category, acting_user=acting_user)


def replace_draft(*, category: str, specs: Sequence[QuestionSpec], acting_user: User | None) -> Version:
    """Make the category's draft exactly these questions (the import); checked as a whole first."""
    _check(category, acting_user)
    problems = version_problems(specs)
    if problems:
        raise QuestionnaireError(*problems)
    with transaction.atomic(durable=True):
        draft = Version.objects.select_for_update().filter(category=category, number__isnull=True).first()
        if draft is None:
            draft = Version.objects.create(category=category, created_at=timezone.now(), created_by=acting_user)
        draft.questions.all().delete()
        _create_questions(draft, specs)
        _record("draft_replaced", category=category, acting_user=acting_user, questions=len(specs))
    return draft


def _same(specs: Sequence[QuestionSpec], version: Version | None) -> bool:
    return version is not None and list(specs) == [QuestionSpec.of(q) for q in selectors.questions(version)]


def publish(*, category: str, acting_user: User | None, note: str = "") -> Version:
    """Publish the draft as the category's next version: new reports are filed under it from now on.

    Refused while a question lacks a language the installation offers, breaks a rule of
    validation.question_problems (a required question asking for evidence among them), or
    when nothing changed since the current version.
    """
    _check(category, acting_user)
    note = note.strip()
    if len(note) > MAX_NOTE or "\x00" in note:
        raise QuestionnaireError(_("The note is too long (at most %(n)d characters).") % {"n": MAX_NOTE})
    with transaction.atomic(durable=True):
        draft = _locked_draft(category)
        specs = [QuestionSpec.of(q) for q in draft.questions.order_by("position", "id")]
        problems = version_problems(specs)
        if problems:
            raise QuestionnaireError(*problems)
        current = selectors.current(category)
        if _same(specs, current):
            raise QuestionnaireError(_("The draft is the same as the published version: there is nothing to publish."))
        last = Version.objects.filter(category=category).aggregate(last=Max("number"))["last"] or 0
        draft.number = last + 1
        draft.published_at = timezone.now()
        draft.published_by = acting_user
        draft.note = note
        draft.save(update_fields=["number", "published_at", "published_by", "note"])
        queue_settings_notice(facts=_published_facts(category, draft.number, specs), acting_user=acting_user)
        log.record_system(
            EventType.QUESTIONNAIRE_PUBLISHED,
            actor_id=_actor_id(acting_user),
            category=category,
            version=draft.number,
            questions=len(specs),
            previous=current.number if current is not None else None,
        )
    return draft


# The most questions the oversight body's notice of a publication quotes, and how much of each.
QUOTED_QUESTIONS = 20
QUOTED_LENGTH = 200


def _published_facts(category: str, number: int, specs: list[QuestionSpec]) -> list[tuple[str, dict[str, str]]]:
    """What the oversight body is told of a new version: its size, and its questions (any can ask who she is)."""
    required = [spec for spec in specs if spec.required]
    with translation.override(settings.LANGUAGE_CODE):  # as the worker writes the rest of the e-mail
        label = str(Category(category).label)
    facts: list[tuple[str, dict[str, str]]] = [
        (
            "questionnaire_published",
            {
                "version": str(number),
                "category": label,
                "questions": str(len(specs)),
                "required": str(len(required)),
            },
        )
    ]
    if specs:
        texts = [_quoted(spec) for spec in specs[:QUOTED_QUESTIONS]]
        if len(specs) > QUOTED_QUESTIONS:
            texts.append(f"(+{len(specs) - QUOTED_QUESTIONS})")
        facts.append(("questionnaire_questions", {"texts": "; ".join(texts)}))
    return facts


def _quoted(spec: QuestionSpec) -> str:
    """The question's text in the server's language (or any it has), shortened, marked * when required."""
    code = languages.pick(spec.text, settings.LANGUAGE_CODE)
    text = spec.text[code] if code is not None else spec.key
    return f"«{text[:QUOTED_LENGTH]}»" + ("*" if spec.required else "")
