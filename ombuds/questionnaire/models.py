"""The extra questions asked per category, in versions.

A category's questions are edited in a draft (one per category at most) and published
as a numbered version. A published version never changes: a report stores the version
it was filed under (Report.questionnaire), and its answers are read with that version's
questions for as long as the report is kept. Every change goes through
ombuds.questionnaire.actions, with its audit event.

Nothing here is report content: question texts are the organisation's configuration.
The answers themselves are content, sealed with the case's key in Report.answers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ombuds.cases.models import Category


class Kind(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    ONE_CHOICE = "one_choice", _("One choice")
    SEVERAL_CHOICES = "several_choices", _("Several choices")
    DATE = "date", _("Date")
    YES_NO = "yes_no", _("Yes or no")


CHOICE_KINDS = frozenset({Kind.ONE_CHOICE, Kind.SEVERAL_CHOICES})


class Version(models.Model):
    """One category's questions: a draft while `number` is None, then a published, unchanging version."""

    category = models.CharField(max_length=32, choices=Category.choices)
    # 1, 2, 3... per category, given when published; None for the draft.
    number = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # None when published on the server (a command, or the defaults a new installation ships with).
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What changed, in the administrator's words: configuration, never about a report.
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "number"], name="questionnaire_number_once"),
            models.UniqueConstraint(
                fields=["category"], condition=models.Q(number__isnull=True), name="questionnaire_one_draft"
            ),
            models.CheckConstraint(
                condition=models.Q(number__isnull=True, published_at__isnull=True)
                | models.Q(number__isnull=False, published_at__isnull=False),
                name="questionnaire_published_has_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} {'draft' if self.number is None else f'version {self.number}'}"

    @property
    def is_draft(self) -> bool:
        return self.number is None


class Question(models.Model):
    """One question of a version, with its texts in every offered language."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="questions")
    # Names the answer in the API and in the stored answers; letters, digits and _.
    key = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    required = models.BooleanField(default=False)
    # {language code: text}, e.g. {"en": "Is it still happening?", "zh-hans": "这种情况现在还在发生吗"}
    text = models.JSONField(default=dict)
    help = models.JSONField(default=dict)
    # For the choice kinds: [{"key": "office", "text": {language code: text}}, ...]
    choices = models.JSONField(default=list)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="question_key_once_per_version")]

    def __str__(self) -> str:
        return f"{self.key} in {self.version}"

    def in_language(self, language: str) -> str:
        return localized(self.text, language)

    def help_in(self, language: str) -> str:
        return localized(self.help, language)

    def choice_texts(self, language: str) -> list[tuple[str, str]]:
        return [(choice["key"], localized(choice["text"], language)) for choice in self.choices]


def localized(texts: dict[str, Any], language: str) -> str:
    """The text in `language`; else in the site's default language; else in any language it has.

    Every offered language is required when a version is published, so the fallbacks
    only serve a language offered after the version was published.
    """
    for code in (language, language.split("-")[0], settings.LANGUAGE_CODE):
        if texts.get(code):
            return str(texts[code])
    return next((str(value) for value in texts.values() if value), "")
