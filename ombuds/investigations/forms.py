"""The investigation's staff forms: shape and limits only; the actions decide what is allowed.

Forms that offer people of the case (investigators, owners, the persons named) are
built for one case: the choices come from ombuds.cases.permissions and the read model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from ombuds.accounts.roles import INVESTIGATION_WORKERS, Role
from ombuds.cases import actions, permissions
from ombuds.cases.models import Case, Category, Finding
from ombuds.investigations.helpers import NewAllegation
from ombuds.investigations.models import EvidenceKind, InformingKind, InformingMethod, IntervieweeKind
from ombuds.investigations.view import PersonRef

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

# How many allegations the opening form takes at once; more can be added on the investigation page.
ALLEGATION_ROWS = 3
NEW_PERSON = "new"


def _text(
    label: StrOrPromise, *, required: bool = True, rows: int = 4, help_text: StrOrPromise = ""
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=actions.MAX_NARRATIVE,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _who(user: User) -> str:
    return user.get_full_name() or user.email


def eligible_investigators(case: Case) -> list[User]:
    """Active investigators who may be named on the case (the conflicted are left out)."""
    candidates = User.objects.filter(is_active=True, groups__name=Role.INVESTIGATOR.value).distinct().order_by("email")
    return [user for user in candidates if permissions.may_be_investigator(user, case)]


def eligible_owners(case: Case) -> list[User]:
    """Who may own a task: the investigators named on the case and the case workers who see it."""
    names = [role.value for role in INVESTIGATION_WORKERS]
    candidates = User.objects.filter(is_active=True, groups__name__in=names).distinct().order_by("email")
    return [user for user in candidates if permissions.may_own_task(user, case)]


class _UserChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return _who(obj)


class _UsersChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return _who(obj)


class InvestigatorsForm(forms.Form):
    investigators = _UsersChoice(
        label=_("Investigators"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only people with the investigator role who are not conflicted on this case are listed."),
    )

    def __init__(self, *args: Any, case: Case, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["investigators"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = User.objects.filter(pk__in=[u.pk for u in eligible_investigators(case)]).order_by("email")
        field.required = required


class AllegationForm(forms.Form):
    subject = forms.ChoiceField(label=_("Person"), required=False)
    name = forms.CharField(label=_("Name of a person not named yet"), max_length=actions.MAX_SHORT, required=False)
    employee_id = forms.CharField(
        label=_("Their employee id in the directory (optional)"), max_length=64, required=False
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    conduct = _text(_("Conduct alleged"), required=False, rows=3)

    def __init__(self, *args: Any, accused: Sequence[PersonRef], case: Case, required: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.required = required
        subject = self.fields["subject"]
        assert isinstance(subject, forms.ChoiceField)
        subject.choices = [
            ("", _("— choose —")),
            *((str(person.id), person.name) for person in accused),
            (NEW_PERSON, _("Someone not named in the report (give the name below)")),
        ]
        self.fields["category"].initial = case.category

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("conduct", "").strip():
            if self.required or data.get("subject") or data.get("name"):
                self.add_error("conduct", _("Describe the conduct alleged."))
            return data
        if not data.get("subject"):
            self.add_error("subject", _("Choose the person the allegation is about."))
        elif data["subject"] == NEW_PERSON and not data.get("name", "").strip():
            self.add_error("name", _("Give the person's name."))
        return data

    def allegation(self) -> NewAllegation | None:
        """The allegation this row holds, or None for a row left empty."""
        data = self.cleaned_data
        if not data.get("conduct", "").strip():
            return None
        if data["subject"] == NEW_PERSON:
            return NewAllegation(
                conduct=data["conduct"], name=data["name"], employee_id=data["employee_id"], category=data["category"]
            )
        return NewAllegation(conduct=data["conduct"], person_id=int(data["subject"]), category=data["category"])


class FindingForm(forms.Form):
    finding = forms.ChoiceField(label=_("Finding"), choices=Finding.choices, widget=forms.RadioSelect)
    reasoning = _text(_("Reasoning"))


class TaskForm(forms.Form):
    title = forms.CharField(
        label=_("Task"),
        max_length=1000,
        help_text=_("For example: interview the hotel's night manager; collect the travel bookings."),
    )
    owner = _UserChoice(label=_("Owner"), queryset=User.objects.none(), empty_label=_("— choose —"))
    due_on = forms.DateField(label=_("Due by"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(pk__in=[u.pk for u in eligible_owners(case)]).order_by("email")


class TaskStateForm(forms.Form):
    state = forms.ChoiceField(choices=[("done", _("Done")), ("open", _("Open again"))], widget=forms.HiddenInput)
    due_on = forms.DateField(
        label=_("New due date (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class InterviewForm(forms.Form):
    interviewee = forms.ChoiceField(label=_("Who was interviewed"))
    name = forms.CharField(label=_("Name (someone else)"), max_length=200, required=False)
    held_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    present = forms.CharField(label=_("Who was present"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    minutes = _text(
        _("Minutes"),
        rows=8,
        help_text=_("The minutes of the reporter's own interview are shown to her, and she can agree or correct them."),
    )

    def __init__(self, *args: Any, people: Sequence[PersonRef], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["interviewee"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (IntervieweeKind.REPORTER.value, _("The reporter")),
            *((f"person:{p.id}", f"{p.name} ({p.role_label})") for p in people),
            (IntervieweeKind.OTHER.value, _("Someone else (give the name)")),
        ]

    def chosen_interviewee(self) -> tuple[str, int | None]:
        chosen: str = self.cleaned_data["interviewee"]
        if chosen.startswith("person:"):
            return IntervieweeKind.PERSON, int(chosen.removeprefix("person:"))
        return chosen, None


class MinutesForm(forms.Form):
    minutes = _text(_("Minutes"), rows=10)


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is it?"), choices=EvidenceKind.choices, widget=forms.RadioSelect)
    description = _text(_("Description"), rows=2)
    source = forms.CharField(
        label=_("Where it came from"),
        max_length=2000,
        help_text=_("Who handed it in, when and how it was obtained."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    file = forms.FileField(label=_("File (kept exactly as it is)"), required=False)
    location = forms.CharField(label=_("Where it is held (an item held elsewhere)"), max_length=2000, required=False)
    sha256 = forms.CharField(label=_("Its SHA-256, if its holder gives one (optional)"), max_length=64, required=False)


class InformingForm(forms.Form):
    subject = forms.ChoiceField(label=_("Person concerned"))
    kind = forms.ChoiceField(label=_("Record"), choices=InformingKind.choices, widget=forms.RadioSelect)
    informed_on = forms.DateField(
        label=_("Informed on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    method = forms.ChoiceField(label=_("How"), choices=[("", "—"), *InformingMethod.choices], required=False)
    details = _text(_("What they were told, and how"), required=False, rows=2)
    reason = _text(_("Why informing is deferred"), required=False, rows=2)
    review_on = forms.DateField(
        label=_("Review the deferral by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, subjects: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["subject"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(pk), name) for pk, name in subjects]


class ResponseForm(forms.Form):
    subject = forms.ChoiceField(label=_("Person concerned"))
    received_on = forms.DateField(label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}))
    response = _text(_("Their response"), rows=4)

    def __init__(self, *args: Any, subjects: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["subject"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(pk), name) for pk, name in subjects]
