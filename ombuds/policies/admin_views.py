"""Administrators' pages for policies, acknowledgements and training, under /staff/admin/.

Only the roles in accounts.roles.POLICY_ADMINS reach them; everyone else gets 404
(accounts/admin_pages.py). None of them shows a report. Every change is an action.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ombuds.accounts.admin_pages import for_roles
from ombuds.accounts.roles import POLICY_ADMINS
from ombuds.directory.models import Unit
from ombuds.lib import languages
from ombuds.policies import actions, markdown, selectors
from ombuds.policies.forms import DraftForm, NewPolicyForm, ReportFilter, SendForm, TrainingUploadForm
from ombuds.policies.models import Policy, PolicyKind, PolicyVersion, TrainingImport, TrainingSession
from ombuds.policies.training import import_training

# Outermost on every view: the role is checked before the method, so a wrong method learns nothing either.
admin_page = for_roles(POLICY_ADMINS)

PAGE_SIZE = 200
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _policy(slug: str) -> Policy:
    policy = Policy.objects.filter(slug=slug).first()
    if policy is None:
        raise Http404("no such policy")
    return policy


def _title(version: PolicyVersion | None) -> str:
    if version is None:
        return ""
    text = selectors.text_for(version, get_language())
    return text.title if text is not None else ""


@admin_page
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    rows = []
    for policy in Policy.objects.prefetch_related("versions__texts"):
        versions = sorted(policy.versions.all(), key=lambda version: version.number)
        current = next((v for v in reversed(versions) if v.published_at and not v.superseded_at), None)
        draft = next((v for v in versions if v.published_at is None), None)
        rows.append(
            {
                "policy": policy,
                "kind": PolicyKind(policy.kind).label,
                "title": _title(current or draft),
                "current": current,
                "draft": draft,
                "counts": selectors.requests_by_state(current) if current else {},
            }
        )
    return render(request, "policies/admin/index.html", {"rows": rows})


@admin_page
@require_http_methods(["GET", "POST"])
def new_policy(request: HttpRequest) -> HttpResponse:
    form = NewPolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = actions.create_policy(
                slug=form.cleaned_data["slug"],
                kind=form.cleaned_data["kind"],
                position=form.cleaned_data["position"],
                texts=form.texts(),
                actor=_actor(request),
            )
        except actions.PolicyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The policy was created as a draft. Publish it when it is ready."))
            return redirect("policies_admin:policy", slug=policy.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "policies/admin/new.html", {"form": form}, status=status)


def _policy_page(
    request: HttpRequest, policy: Policy, *, draft_form: DraftForm | None = None, status: int = 200
) -> HttpResponse:
    versions = list(policy.versions.prefetch_related("texts").order_by("-number"))
    draft = next((v for v in versions if v.published_at is None), None)
    current = next((v for v in versions if v.published_at and not v.superseded_at), None)
    return render(
        request,
        "policies/admin/policy.html",
        {
            "policy": policy,
            "kind": PolicyKind(policy.kind).label,
            "title": _title(current or draft),
            "versions": versions,
            "draft": draft,
            "current": current,
            "missing": [dict(languages.offered())[code] for code in actions.missing_languages(draft)] if draft else [],
            "draft_form": draft_form or (DraftForm(version=draft) if draft else None),
            "send_form": SendForm(),
            "counts": selectors.requests_by_state(current) if current else {},
        },
        status=status,
    )


@admin_page
@require_GET
def policy_page(request: HttpRequest, slug: str) -> HttpResponse:
    return _policy_page(request, _policy(slug))


@admin_page
@require_POST
def save_draft(request: HttpRequest, slug: str) -> HttpResponse:
    policy = _policy(slug)
    draft = policy.versions.filter(published_at__isnull=True).first()
    form = DraftForm(request.POST, version=draft)
    if form.is_valid():
        try:
            actions.save_draft(policy=policy, texts=form.texts(), note=form.cleaned_data["note"], actor=_actor(request))
        except actions.PolicyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The draft was saved."))
            return redirect("policies_admin:policy", slug=policy.slug)
    return _policy_page(request, policy, draft_form=form, status=400)


@admin_page
@require_POST
def next_version(request: HttpRequest, slug: str) -> HttpResponse:
    policy = _policy(slug)
    try:
        draft = actions.start_next_version(policy=policy, actor=_actor(request))
    except actions.PolicyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Version %(n)d was started as a draft.") % {"n": draft.number})
    return redirect("policies_admin:policy", slug=policy.slug)


@admin_page
@require_POST
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    policy = _policy(slug)
    try:
        version = actions.publish(policy=policy, actor=_actor(request))
    except actions.PolicyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Version %(n)d is published and public at /policies/%(slug)s/.") % {"n": version.number, "slug": slug},
        )
    return redirect("policies_admin:policy", slug=policy.slug)


@admin_page
@require_GET
def version_page(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    policy = _policy(slug)
    version = policy.versions.prefetch_related("texts").filter(number=number).first()
    if version is None:
        raise Http404("no such version")
    names = dict(languages.offered())
    texts = [
        (names.get(text.language, text.language), text.language, text.title, markdown.render(text.body))
        for text in version.texts.all()
    ]
    return render(request, "policies/admin/version.html", {"policy": policy, "version": version, "texts": texts})


def _unit(path: str) -> Unit | None:
    if not path:
        return None
    unit = Unit.objects.filter(path=path).first()
    if unit is None:
        raise Http404("no such unit")
    return unit


@admin_page
@require_POST
def send(request: HttpRequest, slug: str) -> HttpResponse:
    policy = _policy(slug)
    form = SendForm(request.POST)
    current = actions.current_version_of(policy)
    if not form.is_valid() or current is None:
        messages.error(request, _("Choose the whole directory or one of its units."))
        return redirect("policies_admin:policy", slug=policy.slug)
    try:
        sent = actions.send_acknowledgement_requests(
            version=current, unit=_unit(form.cleaned_data["unit"]), actor=_actor(request)
        )
    except actions.PolicyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "%(asked)d people will receive an e-mail with their personal link. %(already)d had been asked "
                "before; %(none)d have no e-mail address in the directory."
            )
            % {"asked": sent.asked, "already": sent.already_asked, "none": sent.without_email},
        )
    return redirect("policies_admin:policy", slug=policy.slug)


# --- the acknowledgement report ----------------------------------------------------------


def _report_filter(request: HttpRequest) -> tuple[ReportFilter, selectors.Report | None]:
    published = [
        (version.policy.slug, _title(version) or version.policy.slug)
        for version in selectors.published_versions()
        .filter(superseded_at__isnull=True)
        .select_related("policy")
        .prefetch_related("texts")
        .order_by("policy__position", "policy__slug")
    ]
    form = ReportFilter(request.GET or None, policies=published, courses=selectors.courses())
    if not published:
        return form, None
    data = form.cleaned_data if form.is_valid() else {}
    slug = data.get("policy") or published[0][0]
    version = selectors.public_version(slug, data.get("version"))
    if version is None:
        raise Http404("no such version")
    report = selectors.acknowledgement_report(
        version, unit=_unit(data.get("unit") or ""), course=data.get("course") or ""
    )
    if data.get("state"):
        report.people = [row for row in report.people if row.state == data["state"]]
    return form, report


@admin_page
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    form, found = _report_filter(request)
    page = Paginator(found.people if found else [], PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "policies/admin/report.html",
        {
            "form": form,
            "report": found,
            "title": _title(found.version) if found else "",
            "page": page,
            "query": query.urlencode(),
        },
    )


CSV_COLUMNS = [
    "employee_id",
    "name",
    "email",
    "unit",
    "policy",
    "version",
    "status",
    "requested_on",
    "acknowledged_on",
    "reminders",
    "training",
]


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A directory name such as "=HYPERLINK(…)" must stay text when the file is opened in a spreadsheet.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def report_rows(found: selectors.Report) -> Iterable[list[str]]:
    """The report's people as CSV rows, after the header."""
    slug = found.version.policy.slug
    for row in found.people:
        yield [
            _cell(row.employee_id),
            _cell(row.name),
            _cell(row.email),
            _cell(row.unit),
            slug,
            str(found.version.number),
            row.state,
            row.requested_at.date().isoformat() if row.requested_at else "",
            row.acknowledged_at.date().isoformat() if row.acknowledged_at else "",
            str(row.reminders),
            _cell("; ".join(f"{course} {held_on.isoformat()}" for course, held_on in row.training)),
        ]


@admin_page
@require_GET
def report_csv(request: HttpRequest) -> HttpResponse:
    _form, found = _report_filter(request)
    if found is None:
        raise Http404("no policy is published")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="acknowledgements-{found.version.policy.slug}-v{found.version.number}.csv"'
    )
    response.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    rows = list(report_rows(found))
    writer.writerows(rows)
    actions.record_export(version=found.version, unit=found.unit, rows=len(rows), actor=_actor(request))
    return response


# --- training ------------------------------------------------------------------------------


def _training_page(
    request: HttpRequest, *, form: TrainingUploadForm | None = None, result: object = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "policies/admin/training.html",
        {
            "form": form or TrainingUploadForm(),
            "result": result,
            "sessions": TrainingSession.objects.order_by("-held_on", "course")[:200],
            "imports": TrainingImport.objects.select_related("imported_by")[:10],
        },
        status=status,
    )


@admin_page
@require_GET
def training(request: HttpRequest) -> HttpResponse:
    return _training_page(request)


@admin_page
@require_POST
def training_import(request: HttpRequest) -> HttpResponse:
    form = TrainingUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _training_page(request, form=form, status=400)
    upload = form.cleaned_data["file"]
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        form.add_error("file", _("The file is larger than 20 MB."))
        return _training_page(request, form=form, status=400)
    result = import_training(upload.read(), dry_run=form.cleaned_data["dry_run"], actor=_actor(request))
    return _training_page(request, form=form, result=result, status=200 if result.ok else 400)


@admin_page
@require_GET
def training_session(request: HttpRequest, session_id: int) -> HttpResponse:
    session = TrainingSession.objects.filter(pk=session_id).first()
    if session is None:
        raise Http404("no such session")
    attendances = session.attendances.select_related("person__unit").order_by("person__name")
    return render(request, "policies/admin/session.html", {"session": session, "attendances": attendances})
