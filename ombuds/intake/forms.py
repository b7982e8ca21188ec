"""Reporter forms. They check shape and limits; the actions decide what is allowed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ombuds.cases import actions
from ombuds.cases.models import Category, PersonRole, ReporterRole
from ombuds.directory import selectors as directory
from ombuds.intake.uploads import SealedUpload
from ombuds.lib import metadata
from ombuds.questionnaire import forms as questionnaire

PEOPLE_ROWS = 4


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, with the count and size limits from settings."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [super(MultipleFileField, self).clean(item, initial) for item in files]
        limit = settings.OMBUDS_MAX_ATTACHMENTS
        if len(files) > limit:
            raise forms.ValidationError(
                ngettext("You can attach at most %(n)d file.", "You can attach at most %(n)d files.", limit)
                % {"n": limit}
            )
        for item in files:
            if item.size is not None and item.size > settings.OMBUDS_MAX_ATTACHMENT_BYTES:
                raise forms.ValidationError(
                    _("“%(name)s” is too large: each file can be at most %(size)s MB.")
                    % {"name": item.name, "size": _megabytes(settings.OMBUDS_MAX_ATTACHMENT_BYTES)}
                )
        return files


def no_autocomplete(form: forms.Form) -> None:
    """autocomplete="off" on every field: the browser must not remember the names she typed."""
    for field in form.fields.values():
        field.widget.attrs["autocomplete"] = "off"


class ReporterForm(forms.Form):
    """A form a reporter fills in: nothing she types is remembered by the browser."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        no_autocomplete(self)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def to_new_attachments(files: Sequence[UploadedFile[bytes]], *, keep_metadata: bool) -> list[actions.NewAttachment]:
    """The uploaded files as attachments, without hidden metadata unless she asked to keep the files as they are.

    Photos and PDFs lose their metadata here, before anything is stored (lib/metadata.py);
    a file that cannot be read is kept as it came.
    """
    new = []
    for item in files:
        if isinstance(item, SealedUpload):
            # Too large to hold in memory: it was encrypted as it arrived, and is stored as it came.
            new.append(
                actions.NewAttachment(
                    filename=item.name or "file",
                    content_type=item.content_type or "application/octet-stream",
                    data=b"",
                    sealed=actions.SealedFile(blob_id=item.blob_id, file_key=item.file_key, size=item.size or 0),
                )
            )
            continue
        data = item.read()
        content_type = item.content_type or "application/octet-stream"
        if not keep_metadata:
            cleaned = metadata.strip_metadata(
                data, declared_type=content_type, max_bytes=settings.OMBUDS_MAX_ATTACHMENT_BYTES
            )
            data, content_type = cleaned.data, cleaned.content_type
        new.append(actions.NewAttachment(filename=item.name or "file", content_type=content_type, data=data))
    return new


def keep_metadata_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("Keep the files exactly as they are"),
        help_text=_(
            "Files can contain hidden details, such as the place and time a photo was taken or the author of a "
            "document. Tick this only if you need the files unchanged and know what they contain."
        ),
        required=False,
    )


def _files_help() -> str:
    """What happens to her files; names the size above which none is cleaned, when the limits allow such files."""
    said = str(
        _(
            "Before storing them, ombuds removes hidden details, such as where and when a photo was taken or who "
            "wrote a document, from photos (JPEG, PNG, WebP, GIF, TIFF) and PDFs. Other files, and files it cannot "
            "read, are stored exactly as they are."
        )
    )
    if settings.OMBUDS_MAX_ATTACHMENT_BYTES > settings.OMBUDS_UPLOAD_MEMORY_BYTES:
        # Larger files are encrypted as they arrive (ombuds.intake.uploads), before anything could clean them.
        said += " " + str(
            _("Files larger than %(size)s are stored exactly as they are too, photos included.")
            % {"size": filesizeformat(settings.OMBUDS_UPLOAD_MEMORY_BYTES)}
        )
    return said


FILES_HELP = lazy(_files_help, str)()


class ReportForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What kind of behaviour are you reporting?"),
        choices=Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose the kind of behaviour that comes closest.")},
    )
    role = forms.ChoiceField(
        label=_("How do you know about it?"),
        choices=ReporterRole.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose how you know about it.")},
    )
    narrative = forms.CharField(
        label=_("What happened?"),
        help_text=_("In your own words. Write as much or as little as you want. You do not need any proof."),
        max_length=actions.MAX_NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": _("Please tell us what happened.")},
    )
    occurred = forms.CharField(
        label=_("When did it happen? (optional)"),
        help_text=_("An approximate answer is fine, for example “last spring” or “around 3 March”."),
        max_length=actions.MAX_SHORT,
        required=False,
    )
    location = forms.CharField(label=_("Where did it happen? (optional)"), max_length=actions.MAX_SHORT, required=False)
    attachments = MultipleFileField(
        label=_("Files (optional)"),
        help_text=format_lazy("{} {}", _("Only if you want to. A report never needs files."), FILES_HELP),
        required=False,
    )
    keep_metadata = keep_metadata_field()
    escrow = forms.BooleanField(
        label=_("Only if I am not the only one: hold my report until someone else names the same person"),
        help_text=_(
            "Your report is saved and you get a receipt now, but nobody can read it, not even the case handlers, "
            "until another person reports someone you name as accused (by e-mail address, phone number, employee "
            "number or the directory). Then both reports go to the case handlers together. You can release it "
            "or withdraw it yourself at any time. If nobody else reports that person in time, it is deleted; your "
            "status page shows the date."
        ),
        required=False,
    )
    anonymous = forms.TypedChoiceField(
        label=_("Do you want to give your name?"),
        choices=[
            ("true", _("No, report anonymously")),
            ("false", _("Yes, report confidentially: my name, and how to reach me if I want")),
        ],
        coerce=lambda value: value == "true",
        initial="true",
        widget=forms.RadioSelect,
    )
    reporter_name = forms.CharField(label=_("Your name"), max_length=actions.MAX_SHORT, required=False)
    reporter_contact = forms.CharField(
        label=_("How can we reach you? (optional, confidential reports only)"),
        help_text=_(
            "A phone number or an e-mail address identifies you as surely as your name, so it is only kept with a "
            "confidential report. You can always use your receipt instead."
        ),
        max_length=actions.MAX_SHORT,
        required=False,
    )
    language = forms.ChoiceField(
        label=_("Which language should we write to you in?"), choices=settings.LANGUAGES, required=False
    )

    def __init__(
        self,
        *args: Any,
        lookup_row: int | None = None,
        directory_search: bool = True,
        languages: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Both set by the administrator (the organisation's settings): whether "Find in the
        # directory" is offered, and the languages a reporter may be written to in.
        self.directory_search = directory_search
        if languages is not None:
            language = self.fields["language"]
            assert isinstance(language, forms.ChoiceField)
            language.choices = languages
        for index in range(1, PEOPLE_ROWS + 1):
            self.fields[f"person_{index}_name"] = forms.CharField(
                label=_("Name or description"), max_length=actions.MAX_SHORT, required=False
            )
            self.fields[f"person_{index}_role"] = forms.ChoiceField(
                label=_("Their part"), choices=PersonRole.choices, initial=PersonRole.ACCUSED, required=False
            )
            # The employee id of a person picked from the directory (see directory_matches).
            self.fields[f"person_{index}_pick"] = forms.CharField(max_length=64, required=False)
            # Identifiers of an accused person, for linking reports (ombuds.linking); never stored.
            self.fields[f"person_{index}_email"] = forms.CharField(
                label=_("Their work e-mail address"), max_length=254, required=False
            )
            self.fields[f"person_{index}_phone"] = forms.CharField(
                label=_("Their phone number, with the country code (+44 …)"), max_length=32, required=False
            )
            self.fields[f"person_{index}_employee_number"] = forms.CharField(
                label=_("Their employee number"), max_length=64, required=False
            )
        self.lookup_row = lookup_row if directory_search else None
        # The extra questions of every category; only the chosen category's are read.
        self.questions = questionnaire.add_questions(self)
        no_autocomplete(self)

    def question_groups(self) -> list[questionnaire.QuestionGroup]:
        return questionnaire.bind_groups(self, self.questions)

    def person_rows(self) -> list[dict[str, Any]]:
        """Each row with its fields, the directory matches offered for it and the person picked."""
        picks = [self.data.get(f"person_{i}_pick", "") for i in range(1, PEOPLE_ROWS + 1)] if self.is_bound else []
        picked = {p.employee_id: p for p in directory.by_employee_ids(picks)}
        rows = []
        for index in range(1, PEOPLE_ROWS + 1):
            matches: list[Any] = []
            if self.lookup_row == index:
                matches = directory.search(str(self.data.get(f"person_{index}_name", "")))
            pick = str(self.data.get(f"person_{index}_pick", "")) if self.is_bound else ""
            rows.append(
                {
                    "index": index,
                    "name": self[f"person_{index}_name"],
                    "role": self[f"person_{index}_role"],
                    "identifiers": [self[f"person_{index}_{kind}"] for kind in ("email", "phone", "employee_number")],
                    "looked_up": self.lookup_row == index,
                    "matches": [(p.employee_id, directory.describe(p)) for p in matches],
                    "picked": (pick, directory.describe(picked[pick])) if pick in picked else None,
                }
            )
        return rows

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("anonymous") is False and not cleaned.get("reporter_name", "").strip():
            self.add_error("reporter_name", _("Please give your name, or choose to report anonymously."))
        if cleaned.get("anonymous") is True and cleaned.get("reporter_name", "").strip():
            # She chose anonymity: a name typed earlier must not be kept by accident.
            cleaned["reporter_name"] = ""
        if cleaned.get("anonymous") is True and cleaned.get("reporter_contact", "").strip():
            # A contact identifies her: it is refused, never silently kept or silently dropped.
            self.add_error(
                "reporter_contact",
                _(
                    "A phone number or e-mail address identifies you. Remove it to stay anonymous, or choose a "
                    "confidential report."
                ),
            )
        cleaned["answers"], cleaned["questionnaire_version"] = questionnaire.clean_answers(
            self, self.questions, cleaned.get("category", "")
        )
        return cleaned

    def people(self) -> list[actions.NewPerson]:
        result = []
        for index in range(1, PEOPLE_ROWS + 1):
            name = self.cleaned_data.get(f"person_{index}_name", "").strip()
            if name:
                role = self.cleaned_data.get(f"person_{index}_role") or PersonRole.ACCUSED
                pick = self.cleaned_data.get(f"person_{index}_pick", "").strip()
                result.append(
                    actions.NewPerson(
                        name=name,
                        role=role,
                        employee_id=pick,
                        email=self.cleaned_data.get(f"person_{index}_email", ""),
                        phone=self.cleaned_data.get(f"person_{index}_phone", ""),
                        employee_number=self.cleaned_data.get(f"person_{index}_employee_number", ""),
                    )
                )
        return result


class ReceiptForm(ReporterForm):
    receipt = forms.CharField(
        label=_("Your receipt"),
        max_length=100,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


class MessageForm(ReporterForm):
    body = forms.CharField(
        label=_("Your message"),
        max_length=actions.MAX_NARRATIVE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = MultipleFileField(label=_("Add files (optional)"), help_text=FILES_HELP, required=False)
    keep_metadata = keep_metadata_field()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("body", "").strip() and not cleaned.get("attachments") and not self.errors:
            raise forms.ValidationError(_("Write a message or choose a file to send."))
        return cleaned


class AppealForm(ReporterForm):
    reason = forms.CharField(
        label=_("Why are you appealing?"),
        help_text=_("For example: nobody has answered, you disagree with a decision, or you fear retaliation."),
        max_length=actions.MAX_NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class MinutesAnswerForm(ReporterForm):
    """Her answer to the minutes of her interview: she agrees, or asks for corrections in her own words."""

    answer = forms.ChoiceField(
        label=_("Are these minutes right?"),
        choices=[
            ("agree", _("Yes, I agree with these minutes")),
            ("correct", _("No, they need corrections (write them below)")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you agree or want corrections.")},
    )
    corrections = forms.CharField(
        label=_("Your corrections, in your own words"),
        help_text=_("What is wrong or missing. Leave empty if you agree."),
        max_length=actions.MAX_NARRATIVE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("answer") == "correct" and not data.get("corrections", "").strip():
            self.add_error("corrections", _("Write the corrections you want."))
        return data
