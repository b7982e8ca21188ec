"""Staff pages under /staff/: the inbox, the case page and the actions on it.

Every case is fetched through ombuds.cases.access; every change goes through
ombuds.cases.actions; every view of a case is recorded in the audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ombuds.accounts import keys as staff_keys
from ombuds.accounts import mfa, tokens
from ombuds.accounts.forms import NewTokenForm
from ombuds.accounts.models import ApiToken
from ombuds.accounts.roles import CASE_OPENERS, roles_of
from ombuds.cases import access, actions, case_view, permissions, selectors, urgency, workflow
from ombuds.cases import forms as case_forms
from ombuds.cases.models import Case, InvolvedPerson
from ombuds.cases.permissions import Act
from ombuds.cases.workflow import Transition
from ombuds.directory.models import Person
from ombuds.investigations import selectors as investigation_selectors
from ombuds.lib import downloads
from ombuds.outcomes import outcome_view
from ombuds.watch import case_page as watch_case_page

PAGE_SIZE = 50
# The inbox counts its pages up to this many and says "more than" beyond: a count of every
# match would grow with the history (selectors.inbox_page).
COUNTED_PAGES = 10


def _staff_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _case_reader(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Only people whose role reads cases reach case pages; everyone else gets the same 404."""

    @mfa.second_factor_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not roles_of(request.user) & CASE_OPENERS:
            raise Http404("no such page")
        if "reference" in kwargs:
            # Before anything else (even the method check), so a conflicted person learns nothing.
            access.case_for_staff(request.user, kwargs["reference"])
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@require_GET
@mfa.second_factor_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = _staff_user(request)
    now = timezone.now()
    form = case_forms.InboxFilter(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "", False)}
    page = selectors.inbox_page(
        access.visible_case_parts(user),
        user=user,
        now=now,
        number=request.GET.get("page"),
        page_size=PAGE_SIZE,
        counted_pages=COUNTED_PAGES,
        **filters,
    )
    query = request.GET.copy()
    query.pop("page", None)
    tasks = investigation_selectors.open_tasks(user, now=now)
    return render(
        request,
        "cases/inbox.html",
        {
            "form": form,
            "page": page,
            # Each row with its urgency in words; the page is already in deadline order,
            # so overdue and due-today cases come first.
            "rows": [(case, urgency.of(case.next_deadline_at, now)) for case in page],
            "now": now,
            "query": query.urlencode(),
            "can_read_cases": bool(roles_of(user) & CASE_OPENERS),
            # The investigation tasks she owns, overdue ones first to catch the eye.
            "tasks": [(task, urgency.of(task.due_at, now)) for task in tasks],
        },
    )


def _case_page(
    request: HttpRequest, case: Case, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    user = _staff_user(request)
    # Every render shows the case's content, the form-error pages included: each is a view.
    actions.record_case_view(case=case, actor=user, via="web")
    now = timezone.now()
    bound = bound or {}
    view = case_view.for_staff(case, user, now=now)
    transition_forms = [
        (
            offer.transition,
            offer.label,
            bound.get(offer.transition.value) or case_forms.STEP_FORMS[offer.transition](prefix=offer.transition.value),
        )
        for offer in view.steps
    ]
    return render(
        request,
        "cases/case.html",
        {
            "case": view,
            "transition_forms": transition_forms,
            # Each form has its own prefix: labels and ids never point into another form
            # (an internal note typed into the message to the reporter would be a leak).
            "message_form": bound.get("message") or case_forms.MessageForm(prefix="message"),
            "note_form": bound.get("note") or case_forms.NoteForm(prefix="note"),
            "assign_form": bound.get("assign")
            or case_forms.AssignForm(prefix="assign", initial={"assignee": case.assignee_id}),
            "appeal_form": bound.get("appeal") or case_forms.AppealResolutionForm(prefix="appeal"),
            "now": now,
            "link_form": bound.get("link") or case_forms.LinkPersonForm(prefix="link"),
            "conflict_form": bound.get("conflict") or case_forms.AddConflictForm(prefix="conflict"),
            "lift_form": bound.get("lift") or case_forms.LiftConflictForm(prefix="lift"),
            "keep_out_error": bound.get("keepout"),
            # Counts only; the measures and outcomes have pages of their own (ombuds.outcomes).
            "outcomes_summary": outcome_view.summary(case, now=now),
            # The retaliation watch, linked cases and accountability (ombuds.watch), and the case file.
            **watch_case_page.context(case, user, bound),
            "may_produce_case_file": permissions.may_take(user, case, Act.CASE_FILE),
        },
        status=status,
    )


@_case_reader
@require_GET
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = _staff_user(request)
    case = access.case_for_staff(user, reference)
    return _case_page(request, case)


def _after(request: HttpRequest, case: Case, done: str) -> HttpResponse:
    messages.success(request, done)
    # The case may have left this person's view (e.g. assigned to someone else).
    if access.visible_cases(_staff_user(request)).filter(pk=case.pk).exists():
        return redirect("cases:case", reference=case.reference)
    return redirect("cases:inbox")


@_case_reader
@require_POST
def case_transition(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    user = _staff_user(request)
    case = access.case_for_staff(user, reference)
    try:
        transition = Transition(name)
    except ValueError:
        raise Http404("no such step") from None
    form = case_forms.STEP_FORMS[transition](request.POST, prefix=transition.value)
    if not form.is_valid():
        return _case_page(request, case, bound={transition.value: form}, status=400)
    try:
        actions.take_step(transition, case=case, actor=user, data=form.cleaned_data)
    except actions.ActionError as exc:
        form.add_error(None, str(exc))
        return _case_page(request, case, bound={transition.value: form}, status=400)
    return _after(request, case, str(workflow.RULES[transition].label) + " — " + _("done."))


@_case_reader
@require_POST
def case_message(request: HttpRequest, reference: str) -> HttpResponse:
    user = _staff_user(request)
    case = access.case_for_staff(user, reference)
    form = case_forms.MessageForm(request.POST, prefix="message")
    if form.is_valid():
        try:
            actions.send_staff_message(
                case=case, actor=user, body=form.cleaned_data["body"], is_feedback=form.cleaned_data["is_feedback"]
            )
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _after(request, case, _("Message sent to the reporter."))
    return _case_page(request, case, bound={"message": form}, status=400)


@_case_reader
@require_POST
def case_note(request: HttpRequest, reference: str) -> HttpResponse:
    user = _staff_user(request)
    case = access.case_for_staff(user, reference)
    form = case_forms.NoteForm(request.POST, prefix="note")
    if form.is_valid():
        try:
            actions.add_note(case=case, actor=user, body=form.cleaned_data["body"])
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _after(request, case, _("Note added."))
    return _case_page(request, case, bound={"note": form}, status=400)


@_case_reader
@require_POST
def case_assign(request: HttpRequest, reference: str) -> HttpResponse:
    user = _staff_user(request)
    case = access.case_for_staff(user, reference)
    form = case_forms.AssignForm(request.POST, prefix="assign")
    if form.is_valid():
        try:
            actions.assign_case(case=case, actor=user, assignee=form.cleaned_data["assignee"])
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _after(request, case, _("Case assigned."))
    return _case_page(request, case, bound={"assign": form}, status=400)


@_case_reader
@require_POST
def appeal_resolve(request: HttpRequest, reference: str, appeal_id: int) -> HttpResponse:
    user = _staff_user(request)
    appeal = access.appeal_for_staff(user, reference, appeal_id)
    form = case_forms.AppealResolutionForm(request.POST, prefix="appeal")
    if form.is_valid():
        try:
            actions.resolve_appeal(
                appeal=appeal,
                actor=user,
                resolution=form.cleaned_data["resolution"],
                note=form.cleaned_data["note"],
                assignee=form.cleaned_data["assignee"],
            )
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _after(request, appeal.case, _("Appeal resolved."))
    return _case_page(request, appeal.case, bound={"appeal": form}, status=400)


@_case_reader
@require_GET
def attachment_download(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponseBase:
    user = _staff_user(request)
    attachment = access.attachment_for_staff(user, reference, attachment_id)
    file = case_view.download(attachment, user)
    if file is None:
        messages.error(request, _("You cannot open this case's files yet."))
        return redirect("cases:case", reference=reference)
    actions.record_attachment_download(attachment=attachment, actor=user)
    # Streamed as it is decrypted: a large file never sits whole in memory.
    response = StreamingHttpResponse(file.chunks, content_type=downloads.content_type(file.content_type))
    response["Content-Length"] = str(file.size)
    # Always a download, never rendered in the staff origin: a file from a reporter is untrusted.
    response["Content-Disposition"] = downloads.disposition(file.filename, f"attachment-{attachment.pk}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@mfa.second_factor_required
def staff_settings(request: HttpRequest) -> HttpResponse:
    user = _staff_user(request)
    new_token = None
    form = NewTokenForm(request=request)
    if request.method == "POST":
        if "revoke" in request.POST:
            try:
                token_id = int(request.POST["revoke"])
            except ValueError:
                raise Http404("no such token") from None
            if not tokens.revoke_token(user=user, token_id=token_id, via="web"):
                raise Http404("no such token")
            messages.success(request, _("Token revoked."))
            return redirect("cases:settings")
        form = NewTokenForm(request.POST, request=request)
        if form.is_valid():
            _record, new_token = tokens.create_token(
                user=user, name=form.cleaned_data["name"], via="web", key_pair=staff_keys.attached(user)
            )
            form = NewTokenForm(request=request)
    return render(
        request,
        "cases/settings.html",
        {
            "tokens": [(t, tokens.token_state(t)) for t in ApiToken.objects.filter(user=user).select_related("user")],
            "new_token": new_token,
            "token_form": form,
            "roles": sorted(role.label for role in roles_of(user)),
        },
        status=400 if form.errors else 200,
    )


def _directory_person(form: forms.Form) -> Person | None:
    person = Person.objects.filter(employee_id=form.cleaned_data["employee_id"].strip()).first()
    if person is None:
        form.add_error("employee_id", _("No person in the directory has this employee id."))
    return person


@_case_reader
@require_POST
def case_link_person(request: HttpRequest, reference: str) -> HttpResponse:
    user = _staff_user(request)
    case = access.case_for_staff(user, reference)
    form = case_forms.LinkPersonForm(request.POST, prefix="link")
    if form.is_valid():
        mention = InvolvedPerson.objects.filter(report__case=case, pk=form.cleaned_data["mention"]).first()
        if mention is None:
            raise Http404("no such person on this case")
        person = _directory_person(form)
        if person is not None:
            try:
                actions.link_person(mention=mention, actor=user, person=person)
            except actions.ActionError as exc:
                form.add_error(None, str(exc))
            else:
                return _after(request, case, _("Linked to the directory; the people kept out were updated."))
    return _case_page(request, case, bound={"link": form}, status=400)


@_case_reader
@require_POST
def case_add_conflict(request: HttpRequest, reference: str) -> HttpResponse:
    user = _staff_user(request)
    case = access.case_for_staff(user, reference)
    form = case_forms.AddConflictForm(request.POST, prefix="conflict")
    if form.is_valid():
        person = _directory_person(form)
        if person is not None:
            try:
                actions.propose_keep_out(case=case, actor=user, person=person, note=form.cleaned_data["note"])
            except actions.ActionError as exc:
                form.add_error(None, str(exc))
            else:
                return _after(request, case, _("Your request is waiting for a second person's decision."))
    return _case_page(request, case, bound={"conflict": form}, status=400)


@_case_reader
@require_POST
def case_lift_conflict(request: HttpRequest, reference: str) -> HttpResponse:
    user = _staff_user(request)
    case = access.case_for_staff(user, reference)
    form = case_forms.LiftConflictForm(request.POST, prefix="lift")
    if form.is_valid():
        person = _directory_person(form)
        if person is not None:
            try:
                actions.propose_let_back_in(case=case, actor=user, person=person, note=form.cleaned_data["note"])
            except actions.ActionError as exc:
                form.add_error(None, str(exc))
            else:
                return _after(request, case, _("Your request is waiting for a second person's decision."))
    return _case_page(request, case, bound={"lift": form}, status=400)


@_case_reader
@require_POST
def keep_out_decide(request: HttpRequest, reference: str, proposal_id: int) -> HttpResponse:
    user = _staff_user(request)
    proposal = access.keep_out_proposal_for_staff(user, reference, proposal_id)
    form = case_forms.KeepOutDecisionForm(request.POST, prefix=f"keepout{proposal.pk}")
    if form.is_valid():
        try:
            actions.decide_keep_out(
                proposal=proposal,
                actor=user,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _after(request, proposal.case, _("Decision recorded."))
    return _case_page(request, proposal.case, bound={"keepout": form}, status=400)


@_case_reader
@require_GET
def case_export(request: HttpRequest, reference: str) -> HttpResponse:
    """The whole case as JSON, for record keeping. Every export is in the audit trail."""
    user = _staff_user(request)
    case = access.case_for_staff(user, reference)
    actions.record_case_export(case=case, actor=user)
    document = case_view.detail_document(case_view.for_staff(case, user))
    response = HttpResponse(json.dumps(document, cls=DjangoJSONEncoder, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}.json"'
    return response
