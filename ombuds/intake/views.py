"""Reporter-facing pages. They work with JavaScript switched off.

Every page answers with no-store (ReporterPrivacyMiddleware) and a strict CSP. The
reporter's credential is her receipt; after presenting it she holds a short-lived
signed cookie that renews itself on every page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ombuds.cases import actions, filing_proof, selectors
from ombuds.cases.models import Report
from ombuds.intake import access, flood, reporter_view, throttle
from ombuds.intake.forms import (
    AppealForm,
    MessageForm,
    MinutesAnswerForm,
    ReceiptForm,
    ReportForm,
    to_new_attachments,
)
from ombuds.investigations import actions as investigation
from ombuds.investigations import view as investigation_view
from ombuds.lib.durations import Duration, describe
from ombuds.linking import escrow
from ombuds.linking.models import HoldState
from ombuds.resources import catalogue
from ombuds.retention import actions as retention

logger = logging.getLogger(__name__)

COOKIE = "ombuds_reporter"

# The receipt between the report's POST and the GET that shows it: kept by her browser
# alone (nothing on the server holds it), for a few minutes at most, deleted once shown.
RECEIPT_COOKIE = "ombuds_receipt"
RECEIPT_COOKIE_SECONDS = 300
RECEIPT_SHAPE = re.compile(r"[0-9]{4}(-[0-9]{4})+")

ReporterView = Callable[[HttpRequest, Report], HttpResponse]


def _set_reporter_cookie(response: HttpResponse, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=settings.SESSION_COOKIE_SECURE,
        path="/",
    )


def reporter_required(view: ReporterView) -> Callable[[HttpRequest], HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        token = request.COOKIES.get(COOKIE, "")
        report = access.report_for_token(token, "web")
        if report is None and request.method == "POST" and request.resolver_match is not None:
            kept = _draft_of(request)
            if kept is not None:
                # Her page closed while she wrote: her text comes back in the receipt's page (and
                # only there: nothing is stored), and goes into the form once the receipt opens.
                return render(request, "intake/return.html", {"form": ReceiptForm(), "draft": kept}, status=401)
        if report is None:
            return redirect("intake:return")
        response = view(request, report)
        renewed = access.renew(token, "web")  # sliding expiry
        if renewed is not None:
            _set_reporter_cookie(response, renewed)
        return response

    return wrapper


# What a reporter may be writing when her session ends: the view's name, and the form field of her text.
DRAFT_FIELDS = {"message": "body", "appeal": "reason"}


# Her answer to interview minutes: its corrections field is prefixed with the interview.
MINUTES_DRAFT = "answer_minutes"


def _draft_of(request: HttpRequest) -> dict[str, str] | None:
    """{"kind", "text"} (and "interview" for minutes) of the text a POST of hers carried, if any."""
    match = request.resolver_match
    posted_to = match.url_name if match is not None else None
    kind: str | None
    if posted_to == MINUTES_DRAFT:
        kind = MINUTES_DRAFT
    elif posted_to in DRAFT_FIELDS:
        kind = posted_to
    else:
        kind = request.POST.get("draft_kind")
    if kind == MINUTES_DRAFT:
        interview = request.POST.get("interview") or request.POST.get("draft_interview", "")
        if not interview.isdigit():
            return None
        text = request.POST.get(f"minutes{interview}-corrections") or request.POST.get("draft_text", "")
        return {"kind": kind, "text": text, "interview": interview} if text.strip() else None
    if kind is None or kind not in DRAFT_FIELDS:
        return None
    text = request.POST.get(DRAFT_FIELDS[kind]) or request.POST.get("draft_text", "")
    return {"kind": kind, "text": text} if text.strip() else None


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    org = selectors.current_organisation()
    return render(
        request,
        "intake/start.html",
        {
            "org": org,
            # Both names as she reads them (the organisation may give them per language).
            "org_name": org.name_in(get_language()),
            "oversight_name": org.oversight_name_in(get_language()),
            "ack_within": describe(Duration.parse(org.ack_deadline)),
            "feedback_within": describe(Duration.parse(org.feedback_deadline)),
        },
    )


def _report_form_options() -> dict[str, Any]:
    org = selectors.current_organisation()
    return {"directory_search": org.reporters_may_search_directory, "languages": org.offered_languages()}


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    options = _report_form_options()
    page: dict[str, str] = {}  # what every rendering of the report page shares
    if request.method == "GET" and RECEIPT_COOKIE in request.COOKIES:
        return _receipt_page(request)
    if request.method == "GET":
        form = ReportForm(initial={"language": get_language()}, **options)
        return render(request, "intake/report.html", {"form": form, **page})

    if "switch_language" in request.POST:
        return _switch_language(request, ReportForm(request.POST, **options), page)

    if "lookup" in request.POST:
        # "Find in the directory" for one row: show matches, file nothing. With the search
        # switched off the form comes back as it was, with no matches.
        try:
            row = int(request.POST["lookup"])
        except ValueError:
            row = 0
        form = ReportForm(request.POST, lookup_row=row, **options)
        return render(request, "intake/report.html", {"form": form, "files_dropped": bool(request.FILES), **page})
    form = ReportForm(request.POST, request.FILES, **options)
    if not form.is_valid():
        return render(request, "intake/report.html", {"form": form, **page}, status=400)
    data = form.cleaned_data
    try:
        flood.admit(reports=1, upload_bytes=_upload_size(data["attachments"]))
    except flood.Busy as busy:
        message = _(
            "Many reports are arriving right now. Nothing was saved; your text is still here — please try "
            "again in a few minutes."
        )
        if data["attachments"]:
            message = " ".join([message, _("Files must be chosen again.")])
        form.add_error(None, message)
        return _busy(render(request, "intake/report.html", {"form": form}, status=429), busy)
    try:
        filed = actions.file_report(
            category=data["category"],
            role=data["role"],
            narrative=data["narrative"],
            anonymous=data["anonymous"],
            occurred=data["occurred"],
            location=data["location"],
            people=form.people(),
            language=data["language"] or get_language(),
            reporter_name=data["reporter_name"],
            reporter_contact=data["reporter_contact"],
            attachments=to_new_attachments(data["attachments"], keep_metadata=data["keep_metadata"]),
            answers=data["answers"],
            questionnaire_version=data["questionnaire_version"],
            escrow=data["escrow"],
        )
    except actions.ActionError as exc:
        form.add_error(None, str(exc))
        return render(request, "intake/report.html", {"form": form}, status=400)
    except DatabaseError:
        # Nothing was stored (the transaction rolled back). Her text stays in the form.
        # With the request, so the log keeps only the day (ombuds.core.logging.HideReporterRequests).
        logger.exception("a report could not be stored", extra={"request": request})
        form.add_error(
            None,
            _(
                "We could not store your report just now, and nothing was saved. Your text is still "
                "below: please try again in a minute. Files must be chosen again."
            ),
        )
        return render(request, "intake/report.html", {"form": form}, status=503)

    # Post/redirect/get: the receipt is shown by the GET this redirects to, so Back and
    # reload never offer to send the report again.
    response = HttpResponseRedirect(reverse("intake:report"))
    _set_reporter_cookie(response, access.open_session(filed.report, "web"))
    response.set_cookie(
        RECEIPT_COOKIE,
        filed.receipt,
        max_age=RECEIPT_COOKIE_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=settings.SESSION_COOKIE_SECURE,
        path=reverse("intake:report"),
    )
    return response


def _receipt_page(request: HttpRequest) -> HttpResponse:
    """The receipt, once: the cookie that carried it through the redirect is deleted with this page."""
    receipt = request.COOKIES[RECEIPT_COOKIE]
    report = access.report_for_token(request.COOKIES.get(COOKIE, ""), "web")
    response: HttpResponse
    if report is None or not RECEIPT_SHAPE.fullmatch(receipt):
        response = redirect("intake:report")
    else:
        response = render(
            request,
            "intake/receipt.html",
            {
                "receipt": receipt,
                "receipt_groups": receipt.split("-"),
                "filed_on": timezone.localdate(),
                "proof": filing_proof.readiness(report),
            },
        )
    response.delete_cookie(RECEIPT_COOKIE, path=reverse("intake:report"), samesite="Strict")
    return response


def _switch_language(request: HttpRequest, form: ReportForm, page: dict[str, str]) -> HttpResponse:
    """The header's language switch on the report form: the same form, her text kept, in the chosen language.

    Nothing is stored: what she typed comes back in the page, as after a directory search.
    Files cannot come back in a page, so she is told to choose them again.
    """
    chosen = _activate_chosen_language(request)
    # A switch of language is not a submit: no errors yet. Django validates when `errors` is
    # first read and not before; an empty ErrorDict set now is what it would keep.
    form._errors = ErrorDict()  # type: ignore[attr-defined]
    response = render(request, "intake/report.html", {"form": form, "files_dropped": bool(request.FILES), **page})
    return _remember_language(response, chosen)


def _activate_chosen_language(request: HttpRequest) -> str:
    """The language a switch button asked for (an offered one, or the current one), active for this answer."""
    chosen = request.POST["switch_language"]
    if chosen not in dict(settings.LANGUAGES):
        chosen = get_language()
    translation.activate(chosen)
    request.LANGUAGE_CODE = chosen
    return chosen


def _remember_language(response: HttpResponse, chosen: str) -> HttpResponse:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        chosen,
        samesite="Strict",  # as settings.LANGUAGE_COOKIE_SAMESITE
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        path=settings.LANGUAGE_COOKIE_PATH,
    )
    return response


def _upload_size(files: list[UploadedFile[bytes]]) -> int:
    return sum(item.size or 0 for item in files)


def _busy(response: HttpResponse, busy: flood.Busy) -> HttpResponse:
    response["Retry-After"] = str(busy.retry_after)
    return response


@require_POST
@reporter_required
def receipt_saved(request: HttpRequest, report: Report) -> HttpResponse:
    return redirect("intake:status")


@require_http_methods(["GET", "POST"])
def return_(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "intake/return.html", {"form": ReceiptForm()})
    form = ReceiptForm(request.POST)
    kept = _draft_of(request)  # her unsent text, when her page had closed (reporter_required)
    if not form.is_valid():
        return render(request, "intake/return.html", {"form": form, "draft": kept}, status=400)
    # Looked up first: a correct receipt always opens, whatever others on her network mistyped.
    found = access.open_with_receipt(form.cleaned_data["receipt"])
    if found is None:
        if not throttle.count_failure(request):
            form.add_error(None, _("Too many attempts. Please wait a while and try again."))
            return render(request, "intake/return.html", {"form": form, "draft": kept}, status=429)
        form.add_error("receipt", _("This receipt does not open a report. Check each group of digits."))
        return render(request, "intake/return.html", {"form": form, "draft": kept}, status=400)
    if kept is not None:
        # Back after her page closed: the status page with her text in the form she was writing.
        text = kept["text"]
        interview = int(kept.get("interview", "0"))
        if kept["kind"] == MINUTES_DRAFT and interview in investigation_view.own_interview_ids(found):
            # Her corrections to the minutes of her own interview, back in that interview's form.
            answer = MinutesAnswerForm(prefix=f"minutes{interview}", initial={"answer": "correct", "corrections": text})
            response = _status_page(request, found, answer_form=answer, answer_for=interview)
        elif kept["kind"] == "appeal":
            response = _appeal_page(request, found, AppealForm(initial={"reason": text}))
        else:
            response = _status_page(request, found, message_form=MessageForm(initial={"body": text}))
    else:
        response = HttpResponseRedirect(reverse("intake:status"))
    _set_reporter_cookie(response, access.open_session(found, "web"))
    return response


def _status_page(
    request: HttpRequest,
    report: Report,
    *,
    message_form: MessageForm | None = None,
    appeal_form: AppealForm | None = None,
    answer_form: MinutesAnswerForm | None = None,
    answer_for: int | None = None,
    status: int = 200,
) -> HttpResponse:
    hold = escrow.held_report(report)
    if hold is not None and hold.state in escrow.ENDED_WITHOUT_RELEASE:
        # Withdrawn or expired: nothing of the report is left to show.
        return render(request, "intake/escrow_ended.html", {"hold": hold}, status=status)
    erasure = retention.erasure_of(report.case)
    if erasure is not None:
        # Its retention period ended: only the dates are left to show.
        return render(request, "intake/content_deleted.html", {"case": report.case, "erasure": erasure}, status=status)
    view = reporter_view.for_reporter(report)
    return render(
        request,
        "intake/status.html",
        {
            "view": view,
            "message_form": message_form or MessageForm(),
            "appeal_form": appeal_form or AppealForm(),
            # Her interviews' minutes, each with its answer form: the one she just sent with its errors.
            "interviews": [
                (
                    interview,
                    answer_form
                    if answer_form is not None and answer_for == interview.id
                    else MinutesAnswerForm(prefix=f"minutes{interview.id}"),
                )
                for interview in view.interviews
            ],
            "max_files": settings.OMBUDS_MAX_ATTACHMENTS,
            "session_minutes": settings.OMBUDS_REPORTER_SESSION_SECONDS // 60,
            "has_errors": answer_form is not None and bool(answer_form.errors),
            "proof": filing_proof.readiness(report),
            "hold": hold,
        },
        status=status,
    )


@require_GET
@reporter_required
def status(request: HttpRequest, report: Report) -> HttpResponse:
    return _status_page(request, report)


@require_POST
@reporter_required
def send_message(request: HttpRequest, report: Report) -> HttpResponse:
    if "switch_language" in request.POST:
        # The header's language switch on her status page: the page again in the chosen language,
        # her unsent message back in its form (nothing stored, nothing sent; files chosen again).
        chosen = _activate_chosen_language(request)
        kept = MessageForm(initial={"body": request.POST.get("body", "")})
        return _remember_language(_status_page(request, report, message_form=kept), chosen)
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _status_page(request, report, message_form=form, status=400)
    try:
        flood.admit(upload_bytes=_upload_size(form.cleaned_data["attachments"]))
    except flood.Busy as busy:
        form.add_error(
            None,
            _(
                "Many files are arriving right now. Nothing was saved; your message is still here — please try "
                "again in a few minutes. Files must be chosen again."
            ),
        )
        return _busy(_status_page(request, report, message_form=form, status=429), busy)
    try:
        actions.post_reporter_message(
            report=report,
            body=form.cleaned_data["body"],
            attachments=to_new_attachments(
                form.cleaned_data["attachments"], keep_metadata=form.cleaned_data["keep_metadata"]
            ),
        )
    except actions.ActionError as exc:
        form.add_error(None, str(exc))
        return _status_page(request, report, message_form=form, status=400)
    return HttpResponseRedirect(reverse("intake:status") + "#messages")


@require_POST
@reporter_required
def release_held(request: HttpRequest, report: Report) -> HttpResponse:
    """She sends her held report to the case handlers now."""
    try:
        actions.release_held_report(report=report)
    except actions.ActionError:
        return _status_page(request, report, status=400)
    return HttpResponseRedirect(reverse("intake:status"))


@require_POST
@reporter_required
def withdraw_held(request: HttpRequest, report: Report) -> HttpResponse:
    """She withdraws her held report: it is deleted."""
    try:
        actions.withdraw_held_report(report=report)
    except actions.ActionError:
        return _status_page(request, report, status=400)
    return HttpResponseRedirect(reverse("intake:status"))


def _appeal_page(request: HttpRequest, report: Report, form: AppealForm, status: int = 200) -> HttpResponse:
    """Her appeal to the oversight body, written on a page of its own (intake/appeal.html)."""
    view = reporter_view.for_reporter(report)
    return render(
        request,
        "intake/appeal.html",
        {
            "appeal_form": form,
            "appeals": view.appeals,
            "oversight_name": view.oversight_name,
            "session_minutes": settings.OMBUDS_REPORTER_SESSION_SECONDS // 60,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@reporter_required
def appeal(request: HttpRequest, report: Report) -> HttpResponse:
    hold = escrow.held_report(report)
    if hold is not None and (hold.state == HoldState.HELD or hold.state in escrow.ENDED_WITHOUT_RELEASE):
        # A held (or ended) report has nobody handling it yet: there is nothing to appeal.
        return HttpResponseRedirect(reverse("intake:status"))
    if request.method == "GET":
        return _appeal_page(request, report, AppealForm())
    if "switch_language" in request.POST:
        # The header's language switch on this page: her unsent appeal back, in the chosen language.
        chosen = _activate_chosen_language(request)
        kept = AppealForm(initial={"reason": request.POST.get("reason", "")})
        return _remember_language(_appeal_page(request, report, kept), chosen)
    form = AppealForm(request.POST)
    if not form.is_valid():
        return _appeal_page(request, report, form, status=400)
    try:
        actions.file_appeal(report=report, reason=form.cleaned_data["reason"])
    except actions.ActionError as exc:
        form.add_error(None, str(exc))
        return _appeal_page(request, report, form, status=400)
    return HttpResponseRedirect(reverse("intake:status") + "#appeal")


@require_POST
@reporter_required
def answer_minutes(request: HttpRequest, report: Report) -> HttpResponse:
    """She agrees with the minutes of her interview, or asks for corrections (Directive art. 18(4))."""
    chosen = request.POST.get("interview", "")
    if not chosen.isdigit() or int(chosen) not in investigation_view.own_interview_ids(report):
        # Not the minutes of her own interview: there is nothing of hers to answer, and nothing to say.
        return HttpResponseRedirect(reverse("intake:status") + "#interviews")
    interview_id = int(chosen)
    form = MinutesAnswerForm(request.POST, prefix=f"minutes{interview_id}")
    if not form.is_valid():
        return _status_page(request, report, answer_form=form, answer_for=interview_id, status=400)
    try:
        investigation.answer_minutes(
            report=report,
            interview_id=interview_id,
            agree=form.cleaned_data["answer"] == "agree",
            corrections=form.cleaned_data["corrections"],
        )
    except actions.ActionError as exc:
        form.add_error(None, str(exc))
        return _status_page(request, report, answer_form=form, answer_for=interview_id, status=400)
    return HttpResponseRedirect(reverse("intake:status") + "#interviews")


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    """End the session on the server, not only in this browser: a copied cookie dies too."""
    access.end_session(request.COOKIES.get(COOKIE, ""), "web")
    response = redirect("intake:start")
    response.delete_cookie(COOKIE, path="/", samesite="Strict")
    return response


@require_GET
def quick_exit(request: HttpRequest) -> HttpResponse:
    """ "Leave this page quickly": end her session here and go to the neutral site the organisation chose.

    A plain link, so it works without JavaScript; static/ombuds/quick-exit.js makes it
    replace the page in the history instead. Ending the session means that Back, or
    someone picking up the device, finds the receipt page and not her case. Her cookie is
    SameSite=Strict, so another site cannot end it by linking here.
    """
    access.end_session(request.COOKIES.get(COOKIE, ""), "web")
    response = HttpResponseRedirect(catalogue.quick_exit_url())
    response.delete_cookie(COOKIE, path="/", samesite="Strict")
    return response
