"""Every field of a case model that can hold text or bytes is declared content or metadata.

Per-case encryption seals exactly the fields ombuds.cases.content lists as content; a
new text field that nobody classified would be stored in clear without anyone deciding so.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
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


def _reaches_a_case(model: type[models.Model], path: str) -> bool:
    """Whether following `path` (e.g. "report__case") from `model` ends at the Case model."""
    from ombuds.cases.models import Case

    current: type[models.Model] = model
    for step in path.split("__"):
        try:
            field = current._meta.get_field(step)
        except FieldDoesNotExist:
            return False
        if field.related_model is None:
            return False
        current = field.related_model
    return current is Case


def test_every_model_with_content_finds_its_case() -> None:
    """Sealing a case stored before encryption finds each content row through content.case_path."""
    from ombuds.cases.models import Case

    lost = [m.__name__ for m in content.CONTENT if m is not Case and not _reaches_a_case(m, content.case_path(m))]
    assert lost == []


def test_the_path_check_notices_a_path_that_does_not_reach_a_case() -> None:
    from ombuds.outcomes.models import MeasureChange

    assert _reaches_a_case(MeasureChange, "measure__case")
    assert not _reaches_a_case(MeasureChange, "measure")  # ends at the measure
    assert not _reaches_a_case(MeasureChange, "case")  # no such field
