"""The v1 JSON API. It calls the same actions and selectors as the web pages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from ninja import File, Form, NinjaAPI, Query, Status
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from ombuds.analytics.api import router as analytics_router
from ombuds.api import errors as answers
from ombuds.api.audit import router as audit_router
from ombuds.api.casefile import router as casefile_router
from ombuds.api.errors import field_error, field_errors
from ombuds.api.schemas import (
    AppealIn,
    AttachmentOut,
    AttachmentsOut,
    CaseOut,
    CategoryName,
    ChoiceOut,
    CreatedOut,
    DeadlinesOut,
    DecisionOut,
    ErrorOut,
    EscalationOut,
    EscrowOut,
    InterviewOut,
    MessageIn,
    MessageOut,
    MinutesAnswerIn,
    MinutesAnswerOut,
    ProofOut,
    ProtectionOut,
    QuestionnaireOut,
    QuestionOut,
    ReceiptOut,
    ReporterAnswerOut,
    ReportIn,
    SessionIn,
    SessionOut,
    ToldOutcomeOut,
)
from ombuds.api.staff import router as staff_router
from ombuds.api.watch import router as watch_router
from ombuds.audit import receipt_proof
from ombuds.cases import actions, filing_proof
from ombuds.cases.models import Report
from ombuds.intake import access, flood, reporter_view, throttle
from ombuds.intake.forms import to_new_attachments
from ombuds.investigations import actions as investigation
from ombuds.investigations import view as investigation_view
from ombuds.investigations.api import router as investigation_router
from ombuds.linking import escrow
from ombuds.linking.models import HoldState
from ombuds.outcomes.api import router as outcomes_router
from ombuds.questionnaire import selectors as questionnaire
from ombuds.retention import actions as retention


class ReporterToken(HttpBearer):
    """The short-lived token from POST /reporter/session."""

    def authenticate(self, request: HttpRequest, token: str) -> Report | None:
        return access.report_for_token(token, "api")


api = NinjaAPI(
    title="ombuds API",
    version="1",
    urls_namespace="api-v1",
    docs_url=None,  # the interactive page would load scripts the CSP forbids; the OpenAPI document is served
    description="Report workplace misconduct and follow a case. No evidence is ever required.",
)


@api.exception_handler(flood.Busy)
def too_busy(request: HttpRequest, exc: flood.Busy) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": f"Many {exc.what} are arriving right now. Nothing was saved; please try again in a few minutes."},
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(actions.ActionError)
def action_refused(request: HttpRequest, exc: actions.ActionError) -> HttpResponse:
    if isinstance(exc, actions.AnswersNotAccepted):
        # Each refused answer under its own key, as a schema error would name it.
        errors = [field_error(message, *where) for where, message in exc.problems]
        return api.create_response(request, field_errors(*errors), status=422)
    return api.create_response(request, field_errors(field_error(str(exc))), status=422)


def _reporter(request: HttpRequest) -> Report:
    report = request.auth  # type: ignore[attr-defined]
    assert isinstance(report, Report)
    return report


@api.post(
    "/reports", response={201: ReceiptOut, **answers.BODY, **answers.BUSY}, tags=["reporter"], summary="File a report"
)
def file_report(request: HttpRequest, payload: ReportIn) -> Status[ReceiptOut]:
    """Store a report and open its case. The receipt is returned only after the commit."""
    language = payload.language or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        raise NinjaValidationError([field_error("unknown language", "language")])
    flood.admit(reports=1)
    filed = actions.file_report(
        category=payload.category,
        role=payload.role,
        narrative=payload.narrative,
        anonymous=payload.anonymous,
        occurred=payload.occurred,
        location=payload.location,
        people=[
            actions.NewPerson(
                name=p.name,
                role=p.role,
                employee_id=p.employee_id,
                email=p.email,
                phone=p.phone,
                employee_number=p.employee_number,
            )
            for p in payload.people
        ],
        language=language,
        reporter_name=payload.name,
        reporter_contact=payload.contact,
        answers=payload.answers,
        questionnaire_version=payload.questionnaire_version,
        escrow=payload.escrow,
    )
    return Status(201, ReceiptOut(receipt=filed.receipt))


@api.get(
    "/questionnaire",
    response={200: QuestionnaireOut, **answers.QUERY},
    tags=["reporter"],
    summary="The extra questions of a category, for a report form",
)
def questionnaire_for(
    request: HttpRequest, category: Query[CategoryName], language: Query[str | None] = None
) -> QuestionnaireOut:
    """The current version of the category's questions, in `language` (default: the request's language).

    Public, like the report form. Answer them in `answers` of POST /reports and send the
    `version` back as `questionnaire_version`; every question not `required` may be left out.
    """
    if language is not None and language not in dict(settings.LANGUAGES):
        raise NinjaValidationError([{"type": "value_error", "loc": ["query", "language"], "msg": "unknown language"}])
    language = language or get_language() or settings.LANGUAGE_CODE
    version = questionnaire.current(category)
    return QuestionnaireOut(
        category=category,
        version=version.number if version is not None else None,
        language=language,
        questions=[
            QuestionOut(
                key=q.key,
                kind=q.kind,  # type: ignore[arg-type]
                required=q.required,
                text=q.in_language(language),
                help=q.help_in(language),
                choices=[ChoiceOut(key=key, text=text) for key, text in q.choice_texts(language)],
            )
            for q in questionnaire.questions(version)
        ],
    )


@api.post(
    "/reporter/session",
    response={200: SessionOut, **answers.BODY, 401: ErrorOut, **answers.BUSY},
    tags=["reporter"],
    summary="Exchange a receipt for a short-lived token",
)
def open_session(request: HttpRequest, payload: SessionIn) -> Status[SessionOut | ErrorOut]:
    # Looked up first: a correct receipt always opens; only wrong ones are counted and limited.
    report = access.open_with_receipt(payload.receipt)
    if report is None:
        if not throttle.count_failure(request):
            return Status(429, ErrorOut(detail="too many attempts; wait and try again"))
        return Status(401, ErrorOut(detail="this receipt does not open a report"))
    return Status(
        200,
        SessionOut(token=access.open_session(report, "api"), expires_in=settings.OMBUDS_REPORTER_SESSION_SECONDS),
    )


@api.delete(
    "/reporter/session",
    response={204: None, **answers.AUTH},
    auth=ReporterToken(),
    tags=["reporter"],
    summary="End the session on the server: the token stops working",
)
def end_session(request: HttpRequest) -> Status[None]:
    header = request.headers.get("Authorization", "")
    access.end_session(header.partition(" ")[2].strip(), "api")
    return Status(204, None)


@api.get(
    "/reporter/case",
    response={200: CaseOut, **answers.AUTH},
    auth=ReporterToken(),
    tags=["reporter"],
    summary="The reporter's case",
)
def reporter_case(request: HttpRequest) -> CaseOut:
    report = _reporter(request)
    view = reporter_view.for_reporter(report)
    hold = escrow.held_report(report)
    erasure = retention.erasure_of(report.case)
    return CaseOut(
        content_deleted_on=erasure.erased_at.date() if erasure is not None else None,
        escrow=EscrowOut(
            state=hold.state,
            held_since=hold.held_since.date(),
            deleted_unless_matched_by=hold.expires_at.date() if hold.state == HoldState.HELD else None,
            ended_on=hold.ended_at.date() if hold.ended_at is not None else None,
        )
        if hold is not None
        else None,
        reference=view.reference,
        status=view.status,
        status_label=str(view.status_label),
        explanation=view.explanation,
        next_step=view.next_step,
        received_on=view.received_on,
        acknowledged_on=view.acknowledged_on,
        deadlines=DeadlinesOut(acknowledge_by=view.acknowledge_by, feedback_by=view.feedback_by),
        oversight=view.oversight_name,
        oversight_unavailable=view.oversight_unavailable,
        fallback_contact=view.fallback_contact if view.oversight_unavailable else "",
        messages=[
            MessageOut(id=m.id, sender=m.sender, body=m.body, sent=m.sent, read=m.read, attachments=m.attachments)  # type: ignore[arg-type]
            for m in view.messages
        ],
        appeals=[{"filed_on": a.filed_on, "resolved": a.resolved} for a in view.appeals],  # type: ignore[misc]
        attachments=view.attachments,
        escalations=[EscalationOut(on=e.on, text=e.text) for e in view.escalations],
        protections=[
            ProtectionOut(
                text=p.text, starts_on=p.starts_on, ends_on=p.ends_on, ended_on=p.ended_on, in_force=p.in_force
            )
            for p in view.protections
        ],
        decision=DecisionOut(
            headline=view.decision.headline,
            outcomes=[
                ToldOutcomeOut(person=o.person, text=o.text, sanctions=o.sanctions) for o in view.decision.outcomes
            ],
            note=view.decision.note,
        )
        if view.decision is not None
        else None,
        interviews=[
            InterviewOut(
                id=i.id,
                held_at=i.held_at,
                minutes=i.minutes,
                version=i.version,
                revised=i.revised,
                awaiting_answer=i.awaiting_answer,
                answers=[
                    MinutesAnswerOut(version=a.version, agreed=a.agreed, corrections=a.corrections, answered=a.answered)
                    for a in i.answers
                ],
            )
            for i in view.interviews
        ],
        answers=[ReporterAnswerOut(key=a.key, question=a.question, answer_text=a.text) for a in view.answers],
    )


@api.post(
    "/reporter/messages",
    response={201: CreatedOut, **answers.BODY, **answers.AUTH},
    auth=ReporterToken(),
    tags=["reporter"],
    summary="Write to the case handlers",
)
def reporter_message(request: HttpRequest, payload: MessageIn) -> Status[CreatedOut]:
    message = actions.post_reporter_message(report=_reporter(request), body=payload.body)
    return Status(201, CreatedOut(id=message.pk))


@api.post(
    "/reporter/attachments",
    response={201: AttachmentsOut, **answers.BODY, **answers.AUTH, **answers.BUSY},
    auth=ReporterToken(),
    tags=["reporter"],
    summary="Add files to the report",
)
def reporter_attachments(
    request: HttpRequest, files: File[list[UploadedFile]], keep_metadata: Form[bool] = False
) -> Status[AttachmentsOut]:
    """Photos and PDFs lose their hidden metadata (place, time, camera, author) unless `keep_metadata` is true."""
    flood.admit(upload_bytes=sum(item.size or 0 for item in files))
    new = to_new_attachments(files, keep_metadata=keep_metadata)
    report = _reporter(request)
    stored = actions.add_reporter_attachments(report=report, attachments=new)
    names = reporter_view.file_names(report, stored)
    return Status(
        201,
        AttachmentsOut(
            attachments=[
                AttachmentOut(id=a.pk, filename=name, size=a.size) for a, name in zip(stored, names, strict=True)
            ]
        ),
    )


@api.post(
    "/reporter/interviews/{interview_id}/answer",
    response={201: CreatedOut, **answers.BODY, **answers.AUTH, 404: ErrorOut},
    auth=ReporterToken(),
    tags=["reporter"],
    summary="Agree with the minutes of her interview, or ask for corrections",
)
def reporter_minutes_answer(
    request: HttpRequest, interview_id: int, payload: MinutesAnswerIn
) -> Status[CreatedOut | ErrorOut]:
    """Her answer is kept next to the version of the minutes she read (EU Directive 2019/1937 art. 18(4))."""
    report = _reporter(request)
    if interview_id not in investigation_view.own_interview_ids(report):
        return Status(404, ErrorOut(detail="no such minutes"))
    if payload.answer == "correct" and not payload.corrections.strip():
        raise NinjaValidationError([field_error("write the corrections you want", "corrections")])
    answer = investigation.answer_minutes(
        report=report, interview_id=interview_id, agree=payload.answer == "agree", corrections=payload.corrections
    )
    return Status(201, CreatedOut(id=answer.pk))


@api.post(
    "/reporter/appeal",
    response={201: CreatedOut, **answers.BODY, **answers.AUTH},
    auth=ReporterToken(),
    tags=["reporter"],
    summary="Appeal to the independent oversight body",
)
def reporter_appeal(request: HttpRequest, payload: AppealIn) -> Status[CreatedOut]:
    appeal = actions.file_appeal(report=_reporter(request), reason=payload.reason)
    return Status(201, CreatedOut(id=appeal.pk))


@api.post(
    "/reporter/escrow/release",
    response={204: None, **answers.BODY, **answers.AUTH},
    auth=ReporterToken(),
    tags=["reporter"],
    summary="Send a held report to the case handlers now",
)
def reporter_release_held(request: HttpRequest) -> Status[None]:
    actions.release_held_report(report=_reporter(request))
    return Status(204, None)


@api.post(
    "/reporter/escrow/withdraw",
    response={204: None, **answers.BODY, **answers.AUTH},
    auth=ReporterToken(),
    tags=["reporter"],
    summary="Withdraw a held report: it is deleted",
)
def reporter_withdraw_held(request: HttpRequest) -> Status[None]:
    actions.withdraw_held_report(report=_reporter(request))
    return Status(204, None)


@api.get(
    "/reporter/proof",
    response={200: ProofOut, **answers.AUTH},
    auth=ReporterToken(),
    tags=["reporter"],
    summary="The proof that the report was filed, once it is in the audit log",
)
def reporter_proof(request: HttpRequest) -> ProofOut:
    """Ready at once for a named report; for an anonymous one after its batch enters the log (`ready_after`)."""
    found = filing_proof.for_report(_reporter(request))
    if isinstance(found, filing_proof.NotReady):
        return ProofOut(ready=False, ready_after=found.ready_after, proof=None, text=None, random_value=None)
    return ProofOut(
        ready=True,
        ready_after=None,
        proof=found.proof,  # type: ignore[arg-type]
        text=receipt_proof.to_text(found.proof),
        random_value=found.random_value.hex() if found.random_value else None,
    )


api.add_router("", staff_router)
api.add_router("", audit_router)
api.add_router("", outcomes_router)
api.add_router("", watch_router)
api.add_router("", casefile_router)
api.add_router("", investigation_router)
api.add_router("", analytics_router)
