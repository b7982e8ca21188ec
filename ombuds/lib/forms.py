"""Small helpers for Django forms."""

from __future__ import annotations

from django import forms


def set_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    """Give a choice field its choices when the form is made (they come from the database)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices
