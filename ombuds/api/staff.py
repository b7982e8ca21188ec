"""Staff routes of the v1 API: personal token auth, the same access rules and actions as the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import field_validator

from ombuds.accounts import tokens
from ombuds.accounts.roles import CASE_OPENERS, roles_of
from ombuds.api import errors as answers
from ombuds.api.errors import field_error, field_errors
from ombuds.cases import access, actions, case_view, selectors
from ombuds.cases.forms import STEP_FORMS
from ombuds.cases.models import Case
from ombuds.cases.workflow import Transition


class StaffToken(HttpBearer):
    """A personal API token from `ombuds token create` or the settings page."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = tokens.user_for_token(token)
        if user is not None:
            request.user = user
        return user


router = Router(auth=StaffToken(), tags=["staff"])


def _actor(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def case_for_token(user: User, reference: str) -> Case:
    """The case a token's owner may see (cases.access), or 404; people whose role opens no case get 404 too."""
    if not roles_of(user) & CASE_OPENERS:
        raise Http404("no such case")
    return access.case_for_staff(user, reference)


def _case(request: HttpRequest, reference: str) -> Case:
    return case_for_token(_actor(request), reference)


# The other staff routers (ombuds.api.watch, ombuds.api.casefile) fetch the actor and the case the same way.
actor_of = _actor
case_of = _case


class Deadline(Schema):
    name: Literal["first_action", "acknowledge", "feedback"]
    due: datetime


class CaseSummary(Schema):
    reference: str
    category: str
    status: str
    anonymous: bool
    received_on: date
    assignee: str | None
    next_deadline: datetime | None
    overdue: bool


class CaseList(Schema):
    count: int
    page: int
    results: list[CaseSummary]


class PersonOut(Schema):
    name: str
    role: str


class AnswerOut(Schema):
    """One question of the report's questionnaire version, with her answer."""

    key: str
    question: str = Field(description="The question as her version asked it, in the request's language")
    kind: str
    answer: str | bool | list[str] | None = Field(
        description="As stored: text, a choice key, a list of choice keys, YYYY-MM-DD or true/false; null if unanswered"
    )
    answer_text: str = Field(description="The answer in words (the choices' texts, Yes or No); empty if unanswered")


class ReportOut(Schema):
    role: str
    anonymous: bool
    narrative: str
    occurred: str
    location: str
    reporter_name: str
    reporter_contact: str
    language: str
    people: list[PersonOut]
    attachments: list[str]
    questionnaire_version: int | None = Field(description="The questionnaire version she was asked (its number)")
    answers: list[AnswerOut]


class ThreadOut(Schema):
    id: int
    sender: str
    author: str | None
    body: str
    sent: datetime | date
    read: bool
    feedback: bool


class NoteOut(Schema):
    author: str
    created: datetime
    body: str


class CaseDetail(CaseSummary):
    outcome: str
    finding: str
    deadlines: list[Deadline]
    reports: list[ReportOut]
    messages: list[ThreadOut]
    notes: list[NoteOut]
    allowed_transitions: list[str]


# One input schema per workflow step, told apart by "transition": each states its own fields.
Text = Annotated[str, Field(max_length=actions.MAX_NARRATIVE)]
RequiredText = Annotated[str, Field(min_length=1, max_length=actions.MAX_NARRATIVE)]


class AcknowledgeIn(Schema):
    transition: Literal["acknowledge"]
    message: Text = Field("", description="Left empty, the reporter receives a standard acknowledgement")


class BeginAssessmentIn(Schema):
    transition: Literal["begin_assessment"]


class InvestigateIn(Schema):
    transition: Literal["investigate"]


class ReferIn(Schema):
    transition: Literal["refer"]
    referral: str = Field(min_length=1, max_length=300, description="Where the matter is referred")
    message: RequiredText = Field(description="What the reporter is told, on approval")


class ProposeClosureIn(Schema):
    transition: Literal["propose_closure"]
    grounds: Literal["not_misconduct", "outside_remit", "duplicate", "withdrawn", "resolved"] = Field(
        description="Why the case may end unexamined, from a closed list; a lack of evidence is never grounds"
    )
    reason: RequiredText = Field(description="The explanation the reporter reads")
    search_done: RequiredText = Field(description="What was done to look for information")


class ApproveClosureIn(Schema):
    transition: Literal["approve_closure"]
    note: Text = ""


class RejectClosureIn(Schema):
    transition: Literal["reject_closure"]
    note: RequiredText


class WithdrawClosureIn(Schema):
    transition: Literal["withdraw_closure"]


class DecideIn(Schema):
    """A finding. "not_substantiated" and "inconclusive" become a proposal a second person approves.

    For a case with allegations the finding follows from theirs: leave it out, or give the same.
    """

    transition: Literal["decide"]
    finding: Literal["substantiated", "not_substantiated", "inconclusive", ""] = ""
    reasoning: RequiredText


class CloseIn(Schema):
    transition: Literal["close"]
    feedback: RequiredText = Field(description="What the reporter is told")


class ReopenIn(Schema):
    transition: Literal["reopen"]
    reason: RequiredText


TransitionIn = Annotated[
    AcknowledgeIn
    | BeginAssessmentIn
    | InvestigateIn
    | ReferIn
    | ProposeClosureIn
    | ApproveClosureIn
    | RejectClosureIn
    | WithdrawClosureIn
    | DecideIn
    | CloseIn
    | ReopenIn,
    Field(discriminator="transition"),
]


class MessageIn(Schema):
    body: str = Field(min_length=1, max_length=actions.MAX_NARRATIVE)
    is_feedback: bool = False


class NoteIn(Schema):
    body: str = Field(min_length=1, max_length=actions.MAX_NARRATIVE)


class AssignIn(Schema):
    assignee: str = Field(max_length=254, description="The handler's e-mail address")

    @field_validator("assignee")
    @classmethod
    def _storable(cls, value: str) -> str:
        if "\x00" in value or not value.isprintable():
            raise ValueError("not an e-mail address")
        value.encode("utf-8")  # lone surrogates cannot be looked up
        return value


class CreatedOut(Schema):
    id: int


StatusName = Literal["", "received", "acknowledged", "assessment", "investigation", "decided", "closed"]
CategoryFilter = Literal[
    "", "sexual_harassment", "sexual_assault", "discrimination", "bullying", "retaliation", "other"
]


class InboxQuery(Schema):
    status: StatusName = ""
    category: CategoryFilter = ""
    overdue: bool = False
    due_within: int | None = Field(None, ge=0, le=366)
    mine: bool = False
    unassigned: bool = False
    page: int = Field(1, ge=1, le=100_000)


PAGE_SIZE = 50


def _summary(case: Case, now: datetime) -> CaseSummary:
    view = case_view.summary(case, now)
    return CaseSummary(
        reference=view.reference,
        category=view.category,
        status=view.status,
        anonymous=view.anonymous,
        received_on=view.received_on,
        assignee=view.assignee,
        next_deadline=view.next_deadline,
        overdue=view.overdue,
    )


@router.get(
    "/cases",
    response={200: CaseList, **answers.QUERY, **answers.AUTH},
    summary="Cases this person may see, earliest deadline first",
)
def list_cases(request: HttpRequest, filters: Query[InboxQuery]) -> CaseList:
    user = _actor(request)
    now = timezone.now()
    cases = selectors.inbox(access.visible_cases(user), user=user, now=now, **filters.dict(exclude={"page"}))
    start = (filters.page - 1) * PAGE_SIZE
    page = list(cases[start : start + PAGE_SIZE])
    return CaseList(count=cases.count(), page=filters.page, results=[_summary(c, now) for c in page])


@router.get(
    "/cases/{reference}",
    response={200: CaseDetail, **answers.AUTH, **answers.CASE},
    summary="One case (the view is recorded in the audit trail)",
)
def get_case(request: HttpRequest, reference: str) -> CaseDetail:
    user = _actor(request)
    case = _case(request, reference)
    actions.record_case_view(case=case, actor=user, via="api")
    return CaseDetail(**case_view.detail_document(case_view.for_staff(case, user)))


@router.post(
    "/cases/{reference}/transitions",
    response={200: CaseSummary, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Take a workflow step, with its reasons",
)
def take_transition(
    request: HttpRequest, reference: str, payload: TransitionIn
) -> Status[CaseSummary | dict[str, object]]:
    user = _actor(request)
    case = _case(request, reference)
    transition = Transition(payload.transition)
    data: dict[str, Any] = payload.dict(exclude={"transition"})
    form = STEP_FORMS[transition](data=data)
    if not form.is_valid():
        errors = [field_error(" ".join(str(m) for m in messages), field) for field, messages in form.errors.items()]
        return Status(422, field_errors(*errors))
    actions.take_step(transition, case=case, actor=user, data=form.cleaned_data)
    case.refresh_from_db()
    return Status(200, _summary(case, timezone.now()))


@router.post(
    "/cases/{reference}/messages",
    response={201: CreatedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Write to the reporter",
)
def post_message(request: HttpRequest, reference: str, payload: MessageIn) -> Status[CreatedOut]:
    case = _case(request, reference)
    message = actions.send_staff_message(
        case=case, actor=_actor(request), body=payload.body, is_feedback=payload.is_feedback
    )
    return Status(201, CreatedOut(id=message.pk))


@router.post(
    "/cases/{reference}/notes",
    response={201: CreatedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Add an internal note",
)
def post_note(request: HttpRequest, reference: str, payload: NoteIn) -> Status[CreatedOut]:
    case = _case(request, reference)
    note = actions.add_note(case=case, actor=_actor(request), body=payload.body)
    return Status(201, CreatedOut(id=note.pk))


@router.post(
    "/cases/{reference}/assign",
    response={200: CaseSummary, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Assign a handler",
)
def assign(request: HttpRequest, reference: str, payload: AssignIn) -> Status[CaseSummary | dict[str, object]]:
    case = _case(request, reference)
    assignee = User.objects.filter(email__iexact=payload.assignee.strip(), is_active=True).first()
    if assignee is None:
        return Status(422, field_errors(field_error("no such handler", "assignee")))
    case = actions.assign_case(case=case, actor=_actor(request), assignee=assignee)
    return Status(200, _summary(case, timezone.now()))
