"""Staff pages of an investigation, under /staff/cases/<reference>/investigation/.

Every page fetches its case through ombuds.cases.access (404 for anyone who may not see
it, conflicted investigators included), asks ombuds.cases.permissions whether the
investigation may be read, changes things only through the actions, and records every
view of content: the investigation's, and each evidence item's, in the item's chain of
custody.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ombuds.accounts import mfa
from ombuds.cases import access, permissions
from ombuds.cases import actions as case_actions
from ombuds.cases.models import Case
from ombuds.cases.permissions import Part
from ombuds.cases.workflow import Transition
from ombuds.intake.forms import to_new_attachments
from ombuds.investigations import actions, evidence
from ombuds.investigations import fetch as fetch_item
from ombuds.investigations import forms as inv_forms
from ombuds.investigations import view as read
from ombuds.investigations.models import EvidenceItem, Integrity
from ombuds.lib import downloads

CaseView = Callable[..., HttpResponseBase]


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _reader(view: CaseView) -> Callable[..., HttpResponseBase]:
    """The case fetched through cases.access, and the investigation readable: otherwise the same 404."""

    @mfa.second_factor_required
    @wraps(view)
    def wrapper(request: HttpRequest, reference: str, **kwargs: Any) -> HttpResponseBase:
        user = _user(request)
        # Before anything else (even the method check), so a conflicted person learns nothing.
        case = access.case_for_staff(user, reference)
        if not permissions.may_read(user, case, Part.INVESTIGATION):
            raise Http404("no such case")
        return view(request, case, **kwargs)

    return wrapper


def _subjects(view: read.InvestigationView) -> list[tuple[int, str]]:
    return [(person.subject_id, person.name) for person in view.people]


def _forms(case: Case, view: read.InvestigationView, bound: dict[str, forms.Form]) -> dict[str, forms.Form]:
    """Every form of the investigation page, the one that was just sent (with its errors) included."""
    made: dict[str, forms.Form] = {
        "investigators": inv_forms.InvestigatorsForm(case=case, prefix="investigators"),
        "allegation": inv_forms.AllegationForm(accused=view.accused, case=case, required=True, prefix="allegation"),
        "task": inv_forms.TaskForm(case=case, prefix="task"),
        "interview": inv_forms.InterviewForm(people=view.people_named, prefix="interview"),
        "evidence": inv_forms.EvidenceForm(prefix="evidence"),
        "informing": inv_forms.InformingForm(subjects=_subjects(view), prefix="informing"),
        "response": inv_forms.ResponseForm(subjects=_subjects(view), prefix="response"),
    }
    made.update(bound)
    return made


def _page(
    request: HttpRequest, case: Case, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    # Every render shows the investigation's content, the error pages included: each is a view.
    actions.record_investigation_view(case=case, actor=user, via="web")
    now = timezone.now()
    view = read.for_staff(case, user, now=now)
    bound = bound or {}
    return render(
        request,
        "investigations/investigation.html",
        {
            "case": view,
            "forms": _forms(case, view, bound),
            "allegations": [
                (a, bound.get(f"finding{a.id}") or inv_forms.FindingForm(prefix=f"finding{a.id}"))
                for a in view.allegations
            ],
            "now": now,
        },
        status=status,
    )


def _done(request: HttpRequest, case: Case, text: str, anchor: str = "") -> HttpResponse:
    messages.success(request, text)
    if access.visible_cases(_user(request)).filter(pk=case.pk).exists():
        return redirect(reverse("cases:investigation", args=[case.reference]) + anchor)
    return redirect("cases:inbox")


@_reader
@require_GET
def investigation(request: HttpRequest, case: Case) -> HttpResponse:
    return _page(request, case)


@_reader
@require_http_methods(["GET", "POST"])
def open_investigation(request: HttpRequest, case: Case) -> HttpResponse:
    """The workflow step "Open an investigation": the investigators and the allegations to decide."""
    user = _user(request)
    if not permissions.may_take(user, case, Transition.INVESTIGATE):
        messages.error(request, _("An investigation cannot be opened on this case now."))
        return redirect("cases:case", reference=case.reference)
    view = read.for_staff(case, user)
    data = request.POST if request.method == "POST" else None
    investigators = inv_forms.InvestigatorsForm(data, case=case, prefix="investigators")
    rows = [
        inv_forms.AllegationForm(data, accused=view.accused, case=case, required=i == 0, prefix=f"allegation{i}")
        for i in range(inv_forms.ALLEGATION_ROWS)
    ]
    status = 200
    if data is not None:
        if investigators.is_valid() and all(row.is_valid() for row in rows):
            allegations = [found for row in rows if (found := row.allegation()) is not None]
            try:
                case_actions.open_investigation(
                    case=case,
                    actor=user,
                    investigators=list(investigators.cleaned_data["investigators"]),
                    allegations=allegations,
                )
            except case_actions.ActionError as exc:
                investigators.add_error(None, str(exc))
            else:
                return _done(request, case, _("The investigation is open."))
        status = 400
    actions.record_investigation_view(case=case, actor=user, via="web")
    return render(
        request,
        "investigations/open.html",
        {"case": view, "investigators_form": investigators, "allegation_forms": rows},
        status=status,
    )


def _submit(
    request: HttpRequest, case: Case, name: str, form: forms.Form, act: Callable[[], object], done: str, anchor: str
) -> HttpResponse:
    """Run the action when the form is valid; otherwise, or when it is refused, the page again with the errors."""
    if form.is_valid():
        try:
            act()
        except actions.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, case, done, anchor)
    return _page(request, case, bound={name: form}, status=400)


@_reader
@require_POST
def name_investigators(request: HttpRequest, case: Case) -> HttpResponse:
    form = inv_forms.InvestigatorsForm(request.POST, case=case, prefix="investigators")

    def act() -> object:
        return actions.name_investigators(
            case=case, actor=_user(request), investigators=list(form.cleaned_data["investigators"])
        )

    return _submit(request, case, "investigators", form, act, _("Investigators named."), "#investigators")


@_reader
@require_POST
def release_investigator(request: HttpRequest, case: Case, investigator_id: int) -> HttpResponse:
    named = fetch_item.investigator(case, investigator_id)
    try:
        actions.release_investigator(case=case, actor=_user(request), investigator=named)
    except actions.ActionError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("cases:investigation", args=[case.reference]) + "#investigators")
    return _done(request, case, _("The investigator was released from this case."), "#investigators")


@_reader
@require_POST
def add_allegation(request: HttpRequest, case: Case) -> HttpResponse:
    view = read.for_staff(case, _user(request))
    form = inv_forms.AllegationForm(request.POST, accused=view.accused, case=case, required=True, prefix="allegation")

    def act() -> object:
        allegation = form.allegation()
        assert allegation is not None  # a required row
        return actions.add_allegation(case=case, actor=_user(request), allegation=allegation)

    return _submit(request, case, "allegation", form, act, _("Allegation recorded."), "#allegations")


@_reader
@require_POST
def record_finding(request: HttpRequest, case: Case, allegation_id: int) -> HttpResponse:
    allegation = fetch_item.allegation(case, allegation_id)
    form = inv_forms.FindingForm(request.POST, prefix=f"finding{allegation.pk}")

    def act() -> object:
        return actions.record_allegation_finding(
            allegation=allegation,
            actor=_user(request),
            finding=form.cleaned_data["finding"],
            reasoning=form.cleaned_data["reasoning"],
        )

    return _submit(request, case, f"finding{allegation.pk}", form, act, _("Finding recorded."), "#allegations")


@_reader
@require_POST
def add_task(request: HttpRequest, case: Case) -> HttpResponse:
    form = inv_forms.TaskForm(request.POST, case=case, prefix="task")

    def act() -> object:
        return actions.add_task(
            case=case,
            actor=_user(request),
            title=form.cleaned_data["title"],
            owner=form.cleaned_data["owner"],
            due_on=form.cleaned_data["due_on"],
        )

    return _submit(request, case, "task", form, act, _("Task added to the plan."), "#plan")


@_reader
@require_POST
def task_state(request: HttpRequest, case: Case, task_id: int) -> HttpResponse:
    task = fetch_item.task(case, task_id)
    form = inv_forms.TaskStateForm(request.POST, prefix=f"task{task.pk}")

    def act() -> object:
        return actions.set_task_done(
            task=task,
            actor=_user(request),
            done=form.cleaned_data["state"] == "done",
            due_on=form.cleaned_data["due_on"],
        )

    return _submit(request, case, "taskstate", form, act, _("Task updated."), "#plan")


@_reader
@require_POST
def record_interview(request: HttpRequest, case: Case) -> HttpResponse:
    view = read.for_staff(case, _user(request))
    form = inv_forms.InterviewForm(request.POST, people=view.people_named, prefix="interview")

    def act() -> object:
        kind, person_id = form.chosen_interviewee()
        return actions.record_interview(
            case=case,
            actor=_user(request),
            interviewee=kind,
            person_id=person_id,
            name=form.cleaned_data["name"],
            held_at=form.cleaned_data["held_at"],
            present=form.cleaned_data["present"],
            minutes=form.cleaned_data["minutes"],
        )

    return _submit(request, case, "interview", form, act, _("Interview recorded."), "#interviews")


@_reader
@require_http_methods(["GET", "POST"])
def interview(request: HttpRequest, case: Case, interview_id: int) -> HttpResponse:
    """One interview: its minutes, the reporter's answers to them, and the form to revise them."""
    user = _user(request)
    found = fetch_item.interview(case, interview_id)
    form = inv_forms.MinutesForm(request.POST or None, prefix="minutes")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.revise_minutes(interview=found, actor=user, minutes=form.cleaned_data["minutes"])
            except actions.ActionError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The minutes were revised."))
                return redirect("cases:interview", reference=case.reference, interview_id=found.pk)
        status = 400
    actions.record_investigation_view(case=case, actor=user, via="web")
    view = read.for_staff(case, user)
    row = next((i for i in view.interviews if i.id == found.pk), None)
    if not form.is_bound and row is not None:
        form = inv_forms.MinutesForm(prefix="minutes", initial={"minutes": row.minutes})
    return render(
        request, "investigations/interview.html", {"case": view, "interview": row, "form": form}, status=status
    )


@_reader
@require_POST
def add_evidence(request: HttpRequest, case: Case) -> HttpResponse:
    form = inv_forms.EvidenceForm(request.POST, request.FILES, prefix="evidence")

    def act() -> object:
        upload = form.cleaned_data["file"]
        files = to_new_attachments([upload], keep_metadata=True) if upload else []
        return actions.add_evidence(
            case=case,
            actor=_user(request),
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
            source=form.cleaned_data["source"],
            location=form.cleaned_data["location"],
            file=files[0] if files else None,
            sha256=form.cleaned_data["sha256"],
        )

    return _submit(request, case, "evidence", form, act, _("Added to the evidence register."), "#evidence")


def _item_page(request: HttpRequest, case: Case, item: EvidenceItem, template: str) -> HttpResponse:
    user = _user(request)
    detail = read.evidence_for_staff(item, user)
    if detail is None:
        messages.error(request, _("You cannot open this case's content yet."))
        return redirect("cases:case", reference=case.reference)
    actions.record_evidence_access(item=item, actor=user, access="viewed", via="web")
    # Read after the view is recorded: a printed chain of custody lists its own printing.
    custody = read.custody(item, user) if template == "investigations/custody.html" else None
    return render(
        request, template, {"reference": case.reference, "item": detail, "custody": custody, "now": timezone.now()}
    )


@_reader
@require_GET
def evidence_item(request: HttpRequest, case: Case, evidence_id: int) -> HttpResponse:
    return _item_page(request, case, fetch_item.evidence(case, evidence_id), "investigations/evidence.html")


@_reader
@require_GET
def evidence_custody(request: HttpRequest, case: Case, evidence_id: int) -> HttpResponse:
    """The item's chain of custody, as a page to print: its intake and every access since."""
    return _item_page(request, case, fetch_item.evidence(case, evidence_id), "investigations/custody.html")


@_reader
@require_POST
def evidence_verify(request: HttpRequest, case: Case, evidence_id: int) -> HttpResponse:
    item = fetch_item.evidence(case, evidence_id)
    try:
        result = actions.check_evidence(item=item, actor=_user(request), via="web")
    except actions.ActionError as exc:
        messages.error(request, str(exc))
    else:
        if result == Integrity.INTACT:
            messages.success(
                request, _("%(label)s is intact: its bytes match the recorded SHA-256.") % {"label": item.label}
            )
        else:
            messages.error(
                request, _("%(label)s is flagged: %(result)s") % {"label": item.label, "result": result.label}
            )
    return redirect("cases:evidence", reference=case.reference, evidence_id=item.pk)


@_reader
@require_GET
def evidence_download(request: HttpRequest, case: Case, evidence_id: int) -> HttpResponseBase:
    """The item's file, checked against its SHA-256 first; a file that fails the check is flagged, not handed out."""
    user = _user(request)
    item = fetch_item.evidence(case, evidence_id)
    try:
        result = actions.check_evidence(item=item, actor=user, via="web")
    except actions.ActionError as exc:
        messages.error(request, str(exc))
        return redirect("cases:evidence", reference=case.reference, evidence_id=item.pk)
    if result != Integrity.INTACT:
        messages.error(request, _("%(label)s is flagged: %(result)s") % {"label": item.label, "result": result.label})
        return redirect("cases:evidence", reference=case.reference, evidence_id=item.pk)
    detail = read.evidence_for_staff(item, user)
    assert detail is not None  # the check above opened it
    txt, _locked = read.opener(case, user)
    actions.record_evidence_access(item=item, actor=user, access="downloaded", via="web")
    response = StreamingHttpResponse(
        evidence.open_file(item, key=txt.key, case=case), content_type=downloads.content_type(detail.content_type)
    )
    response["Content-Length"] = str(item.size)
    # Always a download, never rendered in the staff origin: a file handed in is untrusted.
    response["Content-Disposition"] = downloads.disposition(detail.filename, f"evidence-{item.label}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@_reader
@require_GET
def evidence_export(request: HttpRequest, case: Case) -> HttpResponse:
    """The evidence register as JSON, hashes included; each item's export is in its chain of custody."""
    user = _user(request)
    view = read.for_staff(case, user)
    if view.content_locked:
        messages.error(request, _("You cannot open this case's content yet."))
        return redirect("cases:case", reference=case.reference)
    items = list(EvidenceItem.objects.filter(case=case))
    actions.record_evidence_export(case=case, actor=user, items=items, via="web")
    document = {
        "case": case.reference,
        "exported_at": timezone.now(),
        "exported_by": user.email,
        "items": [
            {
                "label": row.label,
                "kind": row.kind,
                "description": row.description,
                "source": row.source,
                "location": row.location,
                "filename": row.filename,
                "size": row.size,
                "sha256": row.sha256,
                "added_by": row.added_by,
                "added_at": row.added_at,
                "integrity": row.integrity,
                "checked_at": row.checked_at,
            }
            for row in view.evidence
        ],
    }
    response = HttpResponse(json.dumps(document, cls=DjangoJSONEncoder, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-evidence.json"'
    return response


@_reader
@require_POST
def record_informing(request: HttpRequest, case: Case) -> HttpResponse:
    view = read.for_staff(case, _user(request))
    form = inv_forms.InformingForm(request.POST, subjects=_subjects(view), prefix="informing")

    def act() -> object:
        data = form.cleaned_data
        return actions.record_informing(
            case=case,
            actor=_user(request),
            subject_id=int(data["subject"]),
            kind=data["kind"],
            informed_on=data["informed_on"],
            method=data["method"],
            details=data["details"],
            reason=data["reason"],
            review_on=data["review_on"],
        )

    return _submit(request, case, "informing", form, act, _("Recorded."), "#people")


@_reader
@require_POST
def record_response(request: HttpRequest, case: Case) -> HttpResponse:
    view = read.for_staff(case, _user(request))
    form = inv_forms.ResponseForm(request.POST, subjects=_subjects(view), prefix="response")

    def act() -> object:
        data = form.cleaned_data
        return actions.record_response(
            case=case,
            actor=_user(request),
            subject_id=int(data["subject"]),
            received_on=data["received_on"],
            response=data["response"],
        )

    return _submit(request, case, "response", form, act, _("Their response is kept with the case."), "#people")
