"""The questionnaire's admin pages under /staff/admin/questionnaire/ (administrators only).

Every page works with JavaScript off: each change is a plain form that posts and comes
back. Everyone else gets 404 on every route, as for a page that does not exist. Every
change goes through ombuds.questionnaire.actions, which writes its audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ombuds.accounts import mfa
from ombuds.cases import permissions
from ombuds.cases.models import Category
from ombuds.questionnaire import actions, selectors
from ombuds.questionnaire.forms import PublishForm, QuestionForm, answer_field
from ombuds.questionnaire.models import Kind, Question, Version
from ombuds.questionnaire.validation import QuestionSpec, question_problems, version_problems


def _administrator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Administrators only; anyone else gets the 404 of a page that does not exist. The category must be one.

    Outside the method check, so a wrong method tells nobody else that the page exists.
    """

    @mfa.second_factor_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not permissions.may_edit_questionnaire(request.user):
            raise Http404("no such page")
        if "category" in kwargs and kwargs["category"] not in Category.values:
            raise Http404("no such category")
        return view(request, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _category_page(category: str) -> HttpResponse:
    return redirect("questionnaire:category", category=category)


def _draft_question(category: str, question_id: int) -> Question:
    question = Question.objects.filter(pk=question_id, version__category=category, version__number__isnull=True).first()
    if question is None:
        raise Http404("no such question in the draft")
    return question


@dataclass(frozen=True)
class Row:
    """A question as the admin pages list it."""

    id: int
    key: str
    text: str
    kind: str
    required: bool
    problems: list[str]


def _rows(version: Version | None) -> list[Row]:
    language = _language()
    return [
        Row(
            id=q.pk,
            key=q.key,
            text=q.in_language(language),
            kind=str(Kind(q.kind).label),
            required=q.required,
            problems=question_problems(QuestionSpec.of(q)),
        )
        for q in selectors.questions(version)
    ]


def _changes(draft: Version, current: Version | None) -> dict[str, list[str]]:
    """Which question keys the draft adds, removes and changes compared with the published version."""
    before = {q.key: QuestionSpec.of(q) for q in selectors.questions(current)}
    after = {q.key: QuestionSpec.of(q) for q in selectors.questions(draft)}
    order = [q.key for q in selectors.questions(draft)]
    return {
        "added": [key for key in order if key not in before],
        "removed": [key for key in before if key not in after],
        "changed": [key for key in order if key in before and before[key] != after[key]],
        "moved": [] if [k for k in order if k in before] == [k for k in before if k in after] else ["order"],
    }


@_administrator
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    current = selectors.current_by_category()
    drafts = set(Version.objects.filter(number__isnull=True).values_list("category", flat=True))
    rows = [
        {
            "category": category,
            "label": label,
            "version": current.get(category),
            "questions": len(selectors.questions(current.get(category))),
            "draft": category in drafts,
        }
        for category, label in Category.choices
    ]
    return render(request, "questionnaire/index.html", {"rows": rows})


@_administrator
@require_GET
def category_page(request: HttpRequest, category: str) -> HttpResponse:
    current = selectors.current(category)
    draft = selectors.draft(category)
    specs = [QuestionSpec.of(q) for q in selectors.questions(draft)]
    return render(
        request,
        "questionnaire/category.html",
        {
            "category": category,
            "label": Category(category).label,
            "current": current,
            "current_rows": _rows(current),
            "draft": draft,
            "draft_rows": _rows(draft),
            "draft_problems": version_problems(specs) if draft is not None else [],
            "changes": _changes(draft, current) if draft is not None else None,
            "history": selectors.history(category),
            "publish_form": PublishForm(),
        },
    )


def _refused(request: HttpRequest, error: actions.QuestionnaireError) -> None:
    for problem in error.problems:
        messages.error(request, problem)


@_administrator
@require_POST
def start_draft(request: HttpRequest, category: str) -> HttpResponse:
    try:
        actions.start_draft(category=category, acting_user=_user(request))
    except actions.QuestionnaireError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Draft started. Nothing changes for reporters until you publish it."))
    return _category_page(category)


def _question_form_page(request: HttpRequest, category: str, question: Question | None) -> HttpResponse:
    if selectors.draft(category) is None:
        messages.error(request, _("There is no draft for this category: start one first."))
        return _category_page(category)
    if request.method == "POST":
        form = QuestionForm(request.POST)
        if form.is_valid():
            try:
                spec = form.spec()
                actions.save_question(
                    category=category,
                    spec=spec,
                    acting_user=_user(request),
                    question_id=question.pk if question is not None else None,
                )
            except forms.ValidationError as error:
                form.add_error(None, error)
            except actions.QuestionnaireError as error:
                for problem in error.problems:
                    form.add_error(None, problem)
            else:
                messages.success(request, _("Question saved in the draft."))
                return _category_page(category)
    else:
        form = QuestionForm(
            initial=QuestionForm.initial_for(question) if question is not None else {"kind": Kind.ONE_CHOICE}
        )
    return render(
        request,
        "questionnaire/question.html",
        {"category": category, "label": Category(category).label, "form": form, "question": question},
        status=400 if form.errors else 200,
    )


@_administrator
@require_http_methods(["GET", "POST"])
def question_new(request: HttpRequest, category: str) -> HttpResponse:
    return _question_form_page(request, category, None)


@_administrator
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, category: str, question_id: int) -> HttpResponse:
    return _question_form_page(request, category, _draft_question(category, question_id))


@_administrator
@require_POST
def question_move(request: HttpRequest, category: str, question_id: int) -> HttpResponse:
    question = _draft_question(category, question_id)
    try:
        actions.move_question(
            category=category,
            question_id=question.pk,
            up=request.POST.get("direction") == "up",
            acting_user=_user(request),
        )
    except actions.QuestionnaireError as error:
        _refused(request, error)
    return redirect(reverse("questionnaire:category", kwargs={"category": category}) + "#draft")


@_administrator
@require_POST
def question_remove(request: HttpRequest, category: str, question_id: int) -> HttpResponse:
    question = _draft_question(category, question_id)
    try:
        actions.remove_question(category=category, question_id=question.pk, acting_user=_user(request))
    except actions.QuestionnaireError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Question removed from the draft."))
    return _category_page(category)


@_administrator
@require_POST
def discard(request: HttpRequest, category: str) -> HttpResponse:
    try:
        actions.discard_draft(category=category, acting_user=_user(request))
    except actions.QuestionnaireError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Draft discarded. The published version is unchanged."))
    return _category_page(category)


@_administrator
@require_POST
def publish(request: HttpRequest, category: str) -> HttpResponse:
    form = PublishForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        version = actions.publish(category=category, acting_user=_user(request), note=note)
    except actions.QuestionnaireError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("Version %(n)d published: new reports in this category are asked these questions.")
            % {"n": version.number},
        )
    return _category_page(category)


def _shown_questions(version: Version | None, language: str) -> list[tuple[Question, forms.BoundField]]:
    """The version's questions as a reporter sees them on the form, in `language`."""
    form = forms.Form()
    questions = selectors.questions(version)
    with override(language):
        for question in questions:
            form.fields[f"q-{question.key}"] = answer_field(question, language)
    return [(question, form[f"q-{question.key}"]) for question in questions]


def _preview_language(request: HttpRequest) -> str:
    offered = dict(settings.LANGUAGES)
    language = request.GET.get("language", "")
    return language if language in offered else _language()


@_administrator
@require_GET
def preview(request: HttpRequest, category: str) -> HttpResponse:
    draft = selectors.draft(category)
    if draft is None:
        messages.error(request, _("There is no draft for this category: start one first."))
        return _category_page(category)
    language = _preview_language(request)
    return render(
        request,
        "questionnaire/preview.html",
        {
            "category": category,
            "label": Category(category).label,
            "version": draft,
            "questions": _shown_questions(draft, language),
            "preview_language": language,
            "preview_languages": settings.LANGUAGES,
        },
    )


@_administrator
@require_GET
def version_page(request: HttpRequest, category: str, version: int) -> HttpResponse:
    found = selectors.published(category, version)
    if found is None:
        raise Http404("no such version")
    language = _preview_language(request)
    return render(
        request,
        "questionnaire/preview.html",
        {
            "category": category,
            "label": Category(category).label,
            "version": found,
            "questions": _shown_questions(found, language),
            "preview_language": language,
            "preview_languages": settings.LANGUAGES,
        },
    )
