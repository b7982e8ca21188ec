"""Forms of the administrators' support-resource pages. The actions check everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ombuds.lib import languages
from ombuds.lib.forms import set_choices
from ombuds.resources import catalogue
from ombuds.resources.models import ResourceKind


class EntryTextsForm(forms.Form):
    phone = forms.CharField(label=_("Phone number"), max_length=64, required=False)
    website = forms.CharField(
        label=_("Website"), max_length=500, required=False, help_text=_("A full address, https://…")
    )
    hidden = forms.BooleanField(label=_("Hide this entry from the support page"), required=False)

    def __init__(self, *args: Any, texts: dict[str, dict[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        texts = texts or {}
        for code, name in languages.offered():
            self.fields[f"name_{code}"] = forms.CharField(
                label=_("Name (%(language)s)") % {"language": name},
                max_length=200,
                required=False,
                initial=texts.get(code, {}).get("name", ""),
            )
            self.fields[f"description_{code}"] = forms.CharField(
                label=_("Description (%(language)s)") % {"language": name},
                max_length=1000,
                required=False,
                initial=texts.get(code, {}).get("description", ""),
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def language_fields(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(name, self[f"name_{code}"], self[f"description_{code}"]) for code, name in languages.offered()]

    def texts(self) -> dict[str, tuple[str, str]]:
        return {
            code: (self.cleaned_data.get(f"name_{code}", ""), self.cleaned_data.get(f"description_{code}", ""))
            for code in languages.codes()
        }


def _country_choices(*, every: str) -> list[tuple[str, str]]:
    return [("", every), *catalogue.countries(get_language())]


class ResourceForm(EntryTextsForm):
    country = forms.ChoiceField(label=_("Country"), required=False)
    kind = forms.ChoiceField(label=_("Kind of support"), choices=ResourceKind.choices, initial=ResourceKind.EMPLOYER)
    position = forms.IntegerField(
        label=_("Place in its section"),
        help_text=_("Smaller numbers come first."),
        min_value=0,
        max_value=999,
        initial=0,
    )

    field_order = ["country", "kind", "phone", "website"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "country", _country_choices(every=str(_("Every country"))))


class SettingsForm(forms.Form):
    default_country = forms.ChoiceField(
        label=_("Country shown first on the support page"),
        required=False,
        help_text=_("Reporters can choose another country on the page. Nothing about them is used to guess it."),
    )
    quick_exit_url = forms.CharField(
        label=_("Site that “Leave this page quickly” opens"),
        max_length=500,
        required=False,
        help_text=_("A neutral site such as a weather or news site. Empty: the installation's default."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "default_country", _country_choices(every=str(_("The installation's default"))))
