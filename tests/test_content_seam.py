"""Every field of a case model that can hold text or bytes is declared content or metadata.

Per-case encryption seals exactly the fields ombuds.cases.content lists as content; a
new text field that nobody classified would be stored in clear without anyone deciding so.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from ombuds.cases import content

_TEXTUAL = (models.CharField, models.TextField, models.BinaryField, models.FileField, models.JSONField)


def unclassified(app_label: str) -> list[str]:
    missing = []
    for model in apps.get_app_config(app_label).get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, _TEXTUAL):
                continue
            if not content.is_content(model, field.name) and field.name not in content.METADATA.get(model, ()):
                missing.append(f"{model.__name__}.{field.name}")
    return missing


# The apps whose models hold case content: cases, and those that classify theirs (content.register()
# or CONTENT.update in cases/content.py).
CASE_APPS = ["cases", "watch", "investigations", "outcomes"]


@pytest.mark.parametrize("app_label", CASE_APPS)
def test_every_text_or_file_field_of_a_case_model_is_classified(app_label: str) -> None:
    assert unclassified(app_label) == []


def test_no_field_is_both_content_and_metadata() -> None:
    for model, fields in content.CONTENT.items():
        assert not fields & content.METADATA.get(model, frozenset()), model.__name__


def test_the_check_finds_a_field_nobody_classified() -> None:
    # Remove one classification and the check must notice.
    saved = content.METADATA
    from ombuds.cases.models import Case

    content.METADATA = {**saved, Case: saved[Case] - {"category"}}
    try:
        assert unclassified("cases") == ["Case.category"]
    finally:
        content.METADATA = saved
