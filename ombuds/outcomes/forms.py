"""Forms for measures, outcomes and rehire checks: shape and limits only; the actions decide what is allowed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ombuds.cases.actions import MAX_NARRATIVE
from ombuds.outcomes.models import MeasureKind, OutcomePolicy, Rehire, Sanction
from ombuds.outcomes.outcome_view import PersonChoice
from ombuds.outcomes.telling import DEFAULT_WORDING, WORDING_KEYS


class DateInput(forms.DateInput):
    input_type = "date"


def _text(label: Any, *, required: bool = True, rows: int = 3, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_NARRATIVE,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _choices(people: Sequence[PersonChoice]) -> list[tuple[int, str]]:
    return [(p.id, f"{p.name} — {p.role_label}") for p in people]


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of measure"), choices=MeasureKind.choices, widget=forms.RadioSelect)
    protects_reporter = forms.BooleanField(label=_("It protects the reporter"), required=False, initial=True)
    protects = forms.TypedMultipleChoiceField(
        label=_("It also protects"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    restricts = forms.TypedMultipleChoiceField(
        label=_("It restricts"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    starts_on = forms.DateField(label=_("Start"), widget=DateInput)
    review_on = forms.DateField(
        label=_("Review by"),
        widget=DateInput,
        help_text=_("The measure must be looked at again by then; a missed review escalates like any deadline."),
    )
    ends_on = forms.DateField(
        label=_("End (optional)"), required=False, widget=DateInput, help_text=_("Empty: until further notice.")
    )
    description = _text(
        _("Description"),
        required=False,
        help_text=_("What exactly applies. Staff only: the reporter sees a plain sentence for the kind of measure."),
    )

    def __init__(self, *args: Any, people: Sequence[PersonChoice] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _choices(people)
        self.fields["protects"].choices = choices  # type: ignore[attr-defined]
        self.fields["restricts"].choices = choices  # type: ignore[attr-defined]


class ExtendMeasureForm(forms.Form):
    review_on = forms.DateField(label=_("Next review by"), widget=DateInput)
    ends_on = forms.DateField(
        label=_("End (optional)"), required=False, widget=DateInput, help_text=_("Empty: until further notice.")
    )
    reason = _text(_("Why the measure is kept"))


class EndMeasureForm(forms.Form):
    reason = _text(_("Why the measure ends"))


class IdentifiersForm(forms.Form):
    email = forms.CharField(label=_("E-mail address"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=64, required=False)
    employee_number = forms.CharField(label=_("Employee number"), max_length=64, required=False)
    national_id = forms.CharField(label=_("National identifier"), max_length=64, required=False)

    def identifiers(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in ("email", "phone", "employee_number", "national_id")}


class OutcomeForm(IdentifiersForm):
    person = forms.TypedChoiceField(label=_("Person accused"), coerce=int, widget=forms.RadioSelect)
    sanctions = forms.MultipleChoiceField(
        label=_("Sanctions"), choices=Sanction.choices, widget=forms.CheckboxSelectMultiple
    )
    rehire = forms.ChoiceField(label=_("Rehire eligibility"), choices=Rehire.choices, widget=forms.RadioSelect)
    reason = _text(_("Reason"), rows=4)

    field_order = ["person", "sanctions", "rehire", "reason", "email", "phone", "employee_number", "national_id"]

    def __init__(self, *args: Any, accused: Sequence[PersonChoice] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = _choices(accused)  # type: ignore[attr-defined]
        note = _(
            "For “not eligible” or “review needed”: kept only as keyed digests, so the rehire registry can "
            "recognise the person. The directory's e-mail and employee number are added by themselves."
        )
        self.fields["email"].help_text = note


class DecideOutcomeForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    note = _text(_("Note (required to reject)"), required=False)


class RehireCheckForm(IdentifiersForm):
    pass


# What each sentence of ombuds.outcomes.telling is for, as the administrator reads it.
WORDING_LABELS: dict[str, Any] = {
    "decided": _("When her case is decided"),
    "action_taken": _("When action was taken about a person she reported"),
    "no_action": _("When no disciplinary action was taken about a person she reported"),
    "sanctions_private": _("Why she is not told which action was taken"),
}


@dataclass(frozen=True)
class WordingRow:
    key: str
    label: Any
    fields: list[forms.BoundField]


class ReporterWordingForm(forms.Form):
    """What a reporter is told of the outcomes, on the organisation's page: sanctions told or not, and the wording.

    One text per wording key and offered language, shown with the default filled in; a
    text left as the default, or emptied, goes back to the default (also when the default
    changes with a new release). `changes()` gives only what differs from `policy`.
    """

    tell_sanctions = forms.BooleanField(
        label=_("Tell the reporter which action was taken about the people she reported"),
        required=False,
        help_text=_(
            "Off by default: she is told that action was taken, not which. Rehire eligibility is never told to her."
        ),
    )

    def __init__(self, *args: Any, languages: Sequence[tuple[str, str]], policy: OutcomePolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.fields["tell_sanctions"].initial = policy.tell_sanctions
        self.defaults: dict[str, tuple[str, str, str]] = {}  # field name: (key, language, default text)
        for key in WORDING_KEYS:
            for code, language_name in languages:
                with translation.override(code):
                    default = str(DEFAULT_WORDING[key])
                name = f"wording_{key}_{code}"
                self.defaults[name] = (key, code, default)
                self.fields[name] = forms.CharField(
                    label=language_name,
                    required=False,
                    max_length=2000,
                    initial=policy.wording.get(key, {}).get(code) or default,
                    widget=forms.Textarea(attrs={"rows": 2, "lang": code}),
                    help_text=_("The default: “%(default)s”") % {"default": default},
                )

    def rows(self) -> list[WordingRow]:
        return [
            WordingRow(
                key=key,
                label=WORDING_LABELS[key],
                fields=[self[name] for name, (field_key, _code, _default) in self.defaults.items() if field_key == key],
            )
            for key in WORDING_KEYS
        ]

    def changes(self) -> tuple[bool | None, dict[tuple[str, str], str]]:
        """(tell_sanctions, or None if unchanged; {(key, language): text} of the changed texts, "" for the default)."""
        tell: bool | None = self.cleaned_data["tell_sanctions"]
        if tell == self.policy.tell_sanctions:
            tell = None
        wording: dict[tuple[str, str], str] = {}
        for name, (key, code, default) in self.defaults.items():
            text = self.cleaned_data[name].strip()
            if text == default.strip():
                text = ""
            if text != self.policy.wording.get(key, {}).get(code, ""):
                wording[(key, code)] = text
        return tell, wording
