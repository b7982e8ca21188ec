"""Staff forms: shape and limits only; the actions decide what is allowed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from ombuds.cases import actions, routing
from ombuds.cases.models import Category, ClosureGrounds, Finding, Status
from ombuds.cases.workflow import Transition

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise


class InboxFilter(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any status")), *Status.choices], required=False)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("Any category")), *Category.choices], required=False
    )
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    due_within = forms.IntegerField(label=_("Due within (days)"), min_value=0, max_value=366, required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    unassigned = forms.BooleanField(label=_("Unassigned"), required=False)


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


class AcknowledgeForm(forms.Form):
    message = _text(
        _("Message to the reporter (optional)"),
        required=False,
        help_text=_("Left empty, the reporter receives a standard acknowledgement in her language."),
    )


class ReferForm(forms.Form):
    referral = forms.CharField(label=_("Referred to"), max_length=300)
    message = _text(_("Message to the reporter"), help_text=_("Say where the matter was referred and why."))


class ProposeClosureForm(forms.Form):
    grounds = forms.ChoiceField(
        label=_("Grounds for closing without investigation"),
        choices=ClosureGrounds.choices,
        widget=forms.RadioSelect,
        help_text=_("A lack of evidence is never grounds: a report never needs evidence."),
    )
    reason = _text(
        _("Explanation"),
        help_text=_("Why these grounds apply to this case. The reporter will read this, and may appeal."),
    )
    search_done = _text(
        _("What was done to look for information?"),
        help_text=_("For example: who was spoken to, which records were checked."),
    )


class DecisionNoteForm(forms.Form):
    note = _text(_("Note"), required=False, rows=3)


class RejectClosureForm(forms.Form):
    note = _text(_("Why is the closure rejected?"), rows=3)


class FindingForm(forms.Form):
    finding = forms.ChoiceField(
        label=_("Finding"),
        choices=Finding.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text=_(
            "“Not substantiated” and “inconclusive” take effect when a second person approves them. A case with "
            "allegations takes its finding from theirs: leave this empty."
        ),
    )
    reasoning = _text(_("Reasoning"))


class CloseForm(forms.Form):
    feedback = _text(_("Feedback to the reporter"), help_text=_("What was found and what is being done."))


class ReopenForm(forms.Form):
    reason = _text(_("Why is the case reopened?"), rows=3)


class MessageForm(forms.Form):
    body = _text(_("Message to the reporter"))
    is_feedback = forms.BooleanField(
        label=_("This message tells the reporter what is being done (meets the feedback deadline)"), required=False
    )


class NoteForm(forms.Form):
    body = _text(_("Internal note (the reporter never sees it)"), rows=3)


def _handler_label(user: User) -> str:
    return user.get_full_name() or user.email


def _handlers() -> Any:
    return routing.assignable_handlers()


class AssignForm(forms.Form):
    # Django's own empty label has no Simplified Chinese translation.
    assignee = forms.ModelChoiceField(label=_("Handler"), queryset=User.objects.none(), empty_label=_("— choose —"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _handlers()
        field.label_from_instance = _handler_label  # type: ignore[method-assign,assignment]


class AppealResolutionForm(forms.Form):
    resolution = forms.ChoiceField(
        label=_("Resolution"),
        choices=[
            (actions.AppealResolution.DIRECT, _("Direct the handlers (note below)")),
            (actions.AppealResolution.REASSIGN, _("Reassign the case")),
            (actions.AppealResolution.REOPEN, _("Reopen the case")),
        ],
        widget=forms.RadioSelect,
    )
    assignee = forms.ModelChoiceField(
        label=_("New handler (to reassign)"), queryset=User.objects.none(), required=False, empty_label=_("— choose —")
    )
    note = _text(_("Note"), rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _handlers()


# The form that validates each workflow step, for the staff pages and the API alike.
STEP_FORMS: dict[Transition, type[forms.Form]] = {
    Transition.ACKNOWLEDGE: AcknowledgeForm,
    Transition.BEGIN_ASSESSMENT: forms.Form,
    Transition.INVESTIGATE: forms.Form,
    Transition.REFER: ReferForm,
    Transition.PROPOSE_CLOSURE: ProposeClosureForm,
    Transition.APPROVE_CLOSURE: DecisionNoteForm,
    Transition.REJECT_CLOSURE: RejectClosureForm,
    Transition.WITHDRAW_CLOSURE: forms.Form,
    Transition.DECIDE: FindingForm,
    Transition.CLOSE: CloseForm,
    Transition.REOPEN: ReopenForm,
}


class LinkPersonForm(forms.Form):
    mention = forms.IntegerField(widget=forms.HiddenInput)
    employee_id = forms.CharField(label=_("Employee id in the directory"), max_length=64)


class AddConflictForm(forms.Form):
    employee_id = forms.CharField(label=_("Employee id of the person to keep out"), max_length=64)
    note = _text(
        _("Why must they be kept out?"),
        rows=2,
        help_text=_("A lead handler or oversight member who is not this person must approve it."),
    )


class LiftConflictForm(forms.Form):
    employee_id = forms.CharField(label=_("Employee id of the person to let back in"), max_length=64)
    note = _text(_("Why may they see the case again?"), rows=2)


class KeepOutDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    note = _text(_("Note (required to reject)"), required=False, rows=2)
