"""Forms of the administration pages. They check the shape of the input; the actions decide."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ombuds.accounts.roles import ASSIGNABLE, Role
from ombuds.cases.models import Category, Organisation
from ombuds.lib.durations import Duration, InvalidDuration, describe


def role_choices() -> list[tuple[str, str]]:
    return [(role.value, role.label) for role in Role]


ROLES_HELP = _(
    "Handlers, lead handlers and oversight read reports; investigators read only the cases they are given to "
    "investigate; auditors read the audit trail; HR asks whether a candidate may be rehired and reads no case; "
    "administrators use these pages. Every role given is reported to the oversight body by e-mail."
)


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=150,
        help_text=_(
            "The address the person has in the directory: it links the account to them, and only a linked "
            "account is kept out of the cases about its holder. The invitation is sent there."
        ),
    )
    name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=role_choices, widget=forms.CheckboxSelectMultiple, help_text=ROLES_HELP
    )


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=role_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=ROLES_HELP,
    )

    def changes(self, held: set[Role]) -> tuple[list[Role], list[Role]]:
        wanted = {Role(value) for value in self.cleaned_data["roles"]}
        return sorted(wanted - held), sorted(held - wanted)


class ResetSecondFactorForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("The person asked for this, and I made sure it is them."),
        help_text=_(
            "Their authenticator app and security keys stop working and their tokens are revoked. You get a "
            "one-time link to give them in person or by another channel you trust, never by e-mail alone."
        ),
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Directory file (CSV)"),
        help_text=_(
            "UTF-8, with commas between columns and a header row: employee_id, name, email, unit, manager_id, "
            "job_title, country, status. Nothing is changed until you have seen the dry run and confirmed it."
        ),
    )


class ConfirmUploadForm(forms.Form):
    # The digest of the file whose dry run the administrator read: the import is of that file only.
    digest = forms.CharField(max_length=64, min_length=64, widget=forms.HiddenInput)


def _duration_field(label: Any, help_text: Any) -> forms.CharField:
    return forms.CharField(label=label, max_length=40, help_text=help_text)


def _zone_choices() -> list[tuple[str, str]]:
    default = [("", _("The server's default (%(zone)s)") % {"zone": settings.TIME_ZONE})]
    return default + [(zone, zone) for zone in sorted(zoneinfo.available_timezones())]


DURATION_HELP = _("An ISO 8601 duration: P7D is 7 days, P2W 2 weeks, P3M 3 months, PT24H 24 hours.")


def other_languages() -> list[tuple[str, str]]:
    """The installed languages but the default one, whose names are the organisation's main names."""
    return [(code, str(name)) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name of the organisation"), max_length=200)
    oversight_name = forms.CharField(
        label=_("Name of the oversight body"),
        max_length=200,
        help_text=_("As reporters read it in a sentence, for example “the Audit Committee”."),
    )
    oversight_contact = forms.CharField(
        label=_("How to reach the oversight body directly"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown to reporters on the start page, for example an e-mail address or a phone number."),
    )
    fallback_contact = forms.CharField(
        label=_("Fallback contact"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Whom a reporter is told to turn to when nobody on the oversight body can take her case without a "
            "conflict of interest, for example an external ombudsperson."
        ),
    )
    ack_deadline = _duration_field(
        _("Time to acknowledge a report"),
        _("The EU Whistleblower Directive allows at most 7 days (P7D)."),
    )
    feedback_deadline = _duration_field(
        _("Time to tell the reporter what is being done"),
        _("Counted from the acknowledgement. The Directive allows at most 3 months (P3M)."),
    )
    assault_first_action_deadline = _duration_field(
        _("Time to a first action on a report of sexual assault"),
        _("For example PT24H. Not shown to the reporter."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=_zone_choices,
        required=False,
        help_text=_(
            "Dates on every page are in this zone, and for anonymous reporters only the day in this zone is stored."
        ),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages offered to reporters"),
        choices=[(code, name) for code, name in settings.LANGUAGES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Reporter pages are shown in these languages only. Staff pages keep every language."),
    )
    reporters_may_search_directory = forms.BooleanField(
        label=_("Reporters may search the directory on the report form"),
        required=False,
        help_text=_(
            "“Find in the directory” shows names, job titles and units to anyone who opens the report form. "
            "It lets a reporter keep the right person, and everyone above them, out of her case from the start. "
            "When it is off, handlers link the names she types to the directory themselves."
        ),
    )

    # The wording shown to a reporter for each outcome of her case is the outcomes app's
    # own form (ombuds.outcomes.forms.ReporterWordingForm), saved by its action; the
    # organisation's page shows it in the block "outcome_wording" of
    # administration/organisation.html, inside the same <form>.

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("ack_deadline", "feedback_deadline", "assault_first_action_deadline"):
            self.fields[name].help_text = f"{self.fields[name].help_text} {DURATION_HELP}"
        # The names as readers of each other language see them; empty means the name above.
        self.name_fields: list[tuple[str, str, str]] = []  # (field name, language, kind)
        for code, language_name in other_languages():
            for kind, label in (
                ("name", _("Name of the organisation")),
                ("oversight_name", _("Name of the oversight body")),
            ):
                field_name = f"{kind}_{code}"
                self.fields[field_name] = forms.CharField(
                    label=format_lazy("{} ({})", label, language_name),
                    max_length=200,
                    required=False,
                    widget=forms.TextInput(attrs={"lang": code}),
                    help_text=_("Leave empty to use the name above in this language too."),
                )
                self.name_fields.append((field_name, code, kind))

    def names_per_language_fields(self) -> list[forms.BoundField]:
        return [self[field_name] for field_name, _code, _kind in self.name_fields]

    def action_values(self) -> dict[str, Any]:
        """The cleaned data as configure_organisation takes it: the names per language in one mapping."""
        values = dict(self.cleaned_data)
        names: dict[str, dict[str, str]] = {}
        for field_name, code, kind in self.name_fields:
            names.setdefault(code, {})[kind] = values.pop(field_name, "")
        values["names_per_language"] = names
        return values

    @staticmethod
    def initial_for(org: Organisation) -> dict[str, Any]:
        return {
            "name": org.name,
            "oversight_name": org.oversight_name,
            "oversight_contact": org.oversight_contact,
            "fallback_contact": org.fallback_contact,
            "ack_deadline": org.ack_deadline,
            "feedback_deadline": org.feedback_deadline,
            "assault_first_action_deadline": org.assault_first_action_deadline,
            "time_zone": org.time_zone,
            "languages": [code for code, _name in org.offered_languages()],
            "reporters_may_search_directory": org.reporters_may_search_directory,
            **{
                f"{kind}_{code}": names.get(kind, "")
                for code, names in org.names_per_language.items()
                for kind in ("name", "oversight_name")
            },
        }

    def _clean_duration(self, name: str) -> str:
        value: str = self.cleaned_data[name].strip().upper()
        try:
            Duration.parse(value)
        except InvalidDuration as exc:
            raise forms.ValidationError(str(exc)) from None
        return value

    def clean_ack_deadline(self) -> str:
        return self._clean_duration("ack_deadline")

    def clean_feedback_deadline(self) -> str:
        return self._clean_duration("feedback_deadline")

    def clean_assault_first_action_deadline(self) -> str:
        return self._clean_duration("assault_first_action_deadline")


def described(value: str) -> str:
    """A duration as words ("7 days"), or the value itself if it cannot be read."""
    try:
        return str(describe(Duration.parse(value)))
    except InvalidDuration:
        return value


class HandlerChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name()
        return f"{name} <{obj.email}>" if name else obj.email


class PoolForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, widget=forms.HiddenInput)
    user = HandlerChoiceField(label=_("Handler"), queryset=User.objects.none(), empty_label=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.fields["user"]
        assert isinstance(user, HandlerChoiceField)
        user.queryset = (
            User.objects.filter(is_active=True, groups__name__in=[role.value for role in ASSIGNABLE])
            .distinct()
            .order_by("email")
        )
