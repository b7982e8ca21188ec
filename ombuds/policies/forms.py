"""Forms of the administrators' policy and training pages. The actions check everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ombuds.lib import languages
from ombuds.lib.forms import set_choices
from ombuds.policies import actions
from ombuds.policies.models import PolicyKind, PolicyVersion
from ombuds.policies.selectors import ACKNOWLEDGED, NOT_ASKED, WAITING


class TextsForm(forms.Form):
    """A title and a Markdown text for each offered language."""

    def __init__(self, *args: Any, version: PolicyVersion | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing = {text.language: text for text in version.texts.all()} if version is not None else {}
        for code, name in languages.offered():
            text = existing.get(code)
            self.fields[f"title_{code}"] = forms.CharField(
                label=_("Title (%(language)s)") % {"language": name},
                max_length=actions.MAX_TITLE,
                required=False,
                initial=text.title if text else "",
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("Text (%(language)s)") % {"language": name},
                help_text=_("Markdown: ## for a heading, a blank line between paragraphs, - for a list, **bold**."),
                max_length=actions.MAX_BODY,
                required=False,
                initial=text.body if text else "",
                widget=forms.Textarea(attrs={"rows": 16}),
            )

    def language_fields(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(name, self[f"title_{code}"], self[f"body_{code}"]) for code, name in languages.offered()]

    def texts(self) -> dict[str, tuple[str, str]]:
        return {
            code: (self.cleaned_data.get(f"title_{code}", ""), self.cleaned_data.get(f"body_{code}", ""))
            for code in languages.codes()
        }


class NewPolicyForm(TextsForm):
    slug = forms.SlugField(
        label=_("Address name"),
        help_text=_(
            "Part of the policy's public address, /policies/<name>/, e.g. anti-harassment. It cannot be changed later."
        ),
        max_length=80,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=PolicyKind.choices)
    position = forms.IntegerField(
        label=_("Place on the list"), help_text=_("Smaller numbers come first."), min_value=0, max_value=999, initial=0
    )

    field_order = ["slug", "kind", "position"]


class DraftForm(TextsForm):
    note = forms.CharField(
        label=_("What changed in this version (for administrators only)"),
        max_length=actions.MAX_NOTE,
        required=False,
    )

    def __init__(self, *args: Any, version: PolicyVersion | None = None, **kwargs: Any) -> None:
        super().__init__(*args, version=version, **kwargs)
        if version is not None:
            self.fields["note"].initial = version.note


def unit_choices() -> list[tuple[str, str]]:
    from ombuds.policies.selectors import units_in_scope

    return [("", str(_("The whole directory"))), *((unit.path, unit.path) for unit in units_in_scope())]


class SendForm(forms.Form):
    unit = forms.ChoiceField(
        label=_("Send to"),
        required=False,
        help_text=_("A unit includes its sub-units. Only active people with an e-mail address are asked."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "unit", unit_choices())


STATES = [
    ("", _("Everyone")),
    (WAITING, _("Asked, not yet acknowledged")),
    (NOT_ASKED, _("Not asked")),
    (ACKNOWLEDGED, _("Acknowledged")),
]


class ReportFilter(forms.Form):
    policy = forms.ChoiceField(label=_("Policy"), required=False)
    version = forms.IntegerField(label=_("Version"), required=False, min_value=1)
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    course = forms.ChoiceField(label=_("Training course"), required=False)
    state = forms.ChoiceField(label=_("Show"), required=False, choices=STATES)

    def __init__(self, *args: Any, policies: list[tuple[str, str]], courses: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "policy", policies)
        set_choices(self, "unit", unit_choices())
        set_choices(self, "course", [("", str(_("Any course"))), *((course, course) for course in courses)])


class TrainingUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Training file (CSV)"),
        help_text=_("Columns employee_id, course and date (YYYY-MM-DD), with a header row; UTF-8."),
    )
    dry_run = forms.BooleanField(label=_("Only check the file; record nothing"), required=False)
