"""Forms of the retaliation watch and accountability: shape and limits only; the actions decide."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from ombuds.cases.actions import MAX_NARRATIVE


def employee_ids(text: str) -> list[str]:
    """Employee ids typed one per line, or separated by commas or spaces."""
    return [part for part in re.split(r"[\s,;]+", text) if part]


class LinkReporterForm(forms.Form):
    employee_id = forms.CharField(label=_("The reporter's employee id"), max_length=64)


class ClearFlagForm(forms.Form):
    note = forms.CharField(
        label=_("Why this change is not retaliation"),
        max_length=MAX_NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LinkedCaseForm(forms.Form):
    statement = forms.CharField(
        label=_("What the oversight body adds (optional)"),
        required=False,
        max_length=MAX_NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    others = forms.CharField(
        label=_("Others this case concerns (employee ids, optional)"),
        required=False,
        max_length=2000,
        help_text=_("They and everyone above them in the directory are kept out of the new case."),
    )

    def clean_others(self) -> list[str]:
        return employee_ids(self.cleaned_data["others"])
