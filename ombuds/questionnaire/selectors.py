"""Reads of the questionnaire: the current version of a category, a given one, the draft, the history."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from ombuds.questionnaire.models import Question, Version


def _with_questions(versions: QuerySet[Version]) -> QuerySet[Version]:
    return versions.prefetch_related(Prefetch("questions", queryset=Question.objects.order_by("position", "id")))


def current(category: str) -> Version | None:
    """The latest published version of a category (None only before anything was ever published)."""
    return _with_questions(Version.objects.filter(category=category, number__isnull=False)).order_by("-number").first()


def current_by_category() -> dict[str, Version]:
    """The latest published version of every category that has one, with their questions (two queries)."""
    latest: dict[str, int] = {}
    for version_id, category in (
        Version.objects.filter(number__isnull=False).order_by("category", "-number").values_list("id", "category")
    ):
        latest.setdefault(category, version_id)
    return {v.category: v for v in _with_questions(Version.objects.filter(pk__in=latest.values()))}


def published(category: str, number: int) -> Version | None:
    return _with_questions(Version.objects.filter(category=category, number=number)).first()


def draft(category: str) -> Version | None:
    return _with_questions(Version.objects.filter(category=category, number__isnull=True)).first()


def history(category: str) -> QuerySet[Version]:
    """Every published version of a category, newest first."""
    return (
        Version.objects.filter(category=category, number__isnull=False)
        .select_related("published_by")
        .order_by("-number")
    )


def questions(version: Version | None) -> list[Question]:
    """The version's questions in order (prefetched by the reads above); none without a version."""
    return list(version.questions.all()) if version is not None else []
