from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the hold"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=_("For example expected litigation or an authority's request; kept encrypted with the case."),
    )
    review_on = forms.DateField(
        label=_("Review the hold by"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("On this day the oversight body is reminded to lift the hold or keep it."),
    )


class SubjectAccessForm(forms.Form):
    employee_id = forms.CharField(label=_("Employee number of the person"), max_length=64)


class RuleForm(forms.Form):
    category = forms.CharField(widget=forms.HiddenInput)
    without_investigation = forms.CharField(label=_("After closing without investigation or referral"), max_length=40)
    after_decision = forms.CharField(label=_("After closing an investigated case"), max_length=40)
