"""The investigation in the staff API, under /api/v1/staff/cases/{reference}/investigation.

Personal tokens, the same access rules and actions as the investigation's pages: a case
the token's owner may not see, or whose investigation she may not read, is 404 on every
route. Every answer that shows content records a view; every read of an evidence item
is a link of its chain of custody.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import model_validator

from ombuds.api import errors as answers
from ombuds.api.errors import ProblemOut, field_error, field_errors
from ombuds.api.staff import StaffToken, case_for_token
from ombuds.cases import actions as case_actions
from ombuds.cases import permissions
from ombuds.cases.models import Case
from ombuds.cases.permissions import Part
from ombuds.intake.forms import to_new_attachments
from ombuds.investigations import actions, evidence, fetch, selectors
from ombuds.investigations import view as read
from ombuds.investigations.helpers import NewAllegation
from ombuds.investigations.models import EvidenceItem, Integrity
from ombuds.lib import downloads

router = Router(auth=StaffToken(), tags=["investigations"])

BASE = "/staff/cases/{reference}/investigation"
# Routes that name a row of the investigation also answer 422 for an id that is not a number.
ROW = {**answers.CASE, **answers.QUERY}

CategoryName = Literal["sexual_harassment", "sexual_assault", "discrimination", "bullying", "retaliation", "other"]
FindingName = Literal["substantiated", "not_substantiated", "inconclusive"]
Text = Annotated[str, Field(max_length=case_actions.MAX_NARRATIVE)]
RequiredText = Annotated[str, Field(min_length=1, max_length=case_actions.MAX_NARRATIVE)]
Email = Annotated[str, Field(min_length=3, max_length=254)]


def _actor(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _case(request: HttpRequest, reference: str) -> Case:
    """The case through cases.access, and its investigation readable by this token's owner: else 404."""
    user = _actor(request)
    case = case_for_token(user, reference)
    if not permissions.may_read(user, case, Part.INVESTIGATION):
        raise Http404("no such case")
    return case


def _readable(case: Case, user: User) -> read.InvestigationView:
    view = read.for_staff(case, user)
    if view.content_locked:
        raise case_actions.ActionError("You cannot open this case's content yet.")
    return view


def _users(emails: list[str]) -> list[User] | dict[str, object]:
    """The active accounts with these addresses, or the 422 answer naming the first one unknown."""
    found = []
    for index, email in enumerate(emails):
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            return field_errors(field_error("no such investigator", "investigators", str(index)))
        found.append(user)
    return found


# --- Schemas ----------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str
    role: str
    directory_id: str | None


class InvestigatorOut(Schema):
    id: int
    email: str
    name: str
    named_on: date
    released_on: date | None


class AllegationOut(Schema):
    id: int
    label: str
    person: int
    person_name: str
    category: str
    conduct: str
    finding: str
    reasoning: str
    standard: str
    found_by: str
    found_at: datetime | None


class TaskOut(Schema):
    id: int
    label: str
    title: str
    owner: str
    due_on: date
    done: bool
    overdue: bool


class AnswerOut(Schema):
    version: int
    agreed: bool
    corrections: str
    answered: datetime | date


class InterviewOut(Schema):
    id: int
    label: str
    interviewee_kind: str
    interviewee: str
    person: int | None
    held_at: datetime
    present: str
    minutes: str
    version: int
    answers: list[AnswerOut]
    awaiting_answer: bool


class EvidenceOut(Schema):
    id: int
    label: str = Field(description="E-1, E-2 ... within the case")
    kind: str
    description: str
    source: str
    location: str
    filename: str
    content_type: str
    size: int
    sha256: str = Field(description="The SHA-256 of the file's bytes at intake (hexadecimal)")
    added_by: str
    added_at: datetime
    integrity: str = Field(description='The latest check: "", intact, mismatch, unreadable or missing')
    checked_at: datetime | None


class InformingOut(Schema):
    id: int
    kind: str
    informed_on: date | None
    method: str
    details: str
    reason: str
    review_on: date | None
    review_overdue: bool
    recorded_by: str
    recorded_at: datetime
    current: bool


class ResponseOut(Schema):
    id: int
    received_on: date
    response: str
    recorded_by: str


class ConcernedOut(Schema):
    person: int
    name: str
    allegations: list[str]
    informing: list[InformingOut]
    responses: list[ResponseOut]


class InvestigationOut(Schema):
    reference: str
    status: str
    standard_of_proof: str
    finding: str = Field(
        description="The case's finding as the allegations' findings make it; empty until each has one"
    )
    investigators: list[InvestigatorOut]
    accused: list[PersonOut] = Field(description="The people an allegation may be about (`person` of AllegationIn)")
    people: list[PersonOut] = Field(description="Everyone named on the case (`person` of InterviewIn)")
    allegations: list[AllegationOut]
    tasks: list[TaskOut]
    interviews: list[InterviewOut]
    evidence: list[EvidenceOut]
    people_concerned: list[ConcernedOut]


class NewPersonIn(Schema):
    name: str = Field(min_length=1, max_length=case_actions.MAX_SHORT)
    employee_id: str = Field("", max_length=64)


class AllegationIn(Schema):
    """One allegation: a person the report names as accused (`person`), or one named now (`new_person`)."""

    person: int | None = Field(None, ge=1, description="The id of a person in the investigation's `accused`")
    new_person: NewPersonIn | None = None
    conduct: RequiredText
    category: CategoryName | None = Field(None, description="Empty for the case's own category")

    @model_validator(mode="after")
    def _one_person(self) -> AllegationIn:
        if (self.person is None) == (self.new_person is None):
            raise ValueError("give either person or new_person")
        return self

    def allegation(self) -> NewAllegation:
        if self.new_person is not None:
            return NewAllegation(
                conduct=self.conduct,
                name=self.new_person.name,
                employee_id=self.new_person.employee_id,
                category=self.category or "",
            )
        return NewAllegation(conduct=self.conduct, person_id=self.person, category=self.category or "")


class OpenIn(Schema):
    investigators: list[Email] = Field(default_factory=list, max_length=20, description="Their e-mail addresses")
    allegations: list[AllegationIn] = Field(default_factory=list, max_length=20)


class InvestigatorsIn(Schema):
    investigators: list[Email] = Field(min_length=1, max_length=20)


class OpenedOut(Schema):
    reference: str
    status: str
    investigators: list[str]
    allegations: list[str]


class CreatedOut(Schema):
    id: int
    label: str


class FindingIn(Schema):
    allegation: int = Field(ge=1)
    finding: FindingName
    reasoning: RequiredText


class FindingOut(Schema):
    allegation: str
    finding: str
    standard: str


class FindingsOut(Schema):
    finding: str = Field(
        description="The case's finding as the allegations' findings make it; empty until each has one"
    )
    standard_of_proof: str
    allegations: list[AllegationOut]


class TaskIn(Schema):
    title: str = Field(min_length=1, max_length=1000)
    owner: Email = Field(description="The e-mail address of an investigator or case worker on the case")
    due_on: date


class TaskStateIn(Schema):
    done: bool
    due_on: date | None = Field(None, description="A new due date when the task is opened again")


class InterviewIn(Schema):
    interviewee: Literal["reporter", "person", "other"]
    person: int | None = Field(None, ge=1, description="For a person involved: the id of one in `people`")
    name: str = Field("", max_length=200, description="For someone else: their name")
    held_at: datetime
    present: str = Field(min_length=1, max_length=2000)
    minutes: RequiredText


class MinutesIn(Schema):
    minutes: RequiredText


class InformingIn(Schema):
    person: int = Field(ge=1, description="A person an allegation is about")
    kind: Literal["informed", "deferred"]
    informed_on: date | None = None
    method: Literal["in_person", "letter", "email", "phone", "video", "other", ""] = ""
    details: Text = ""
    reason: Text = Field("", description="Why informing is deferred")
    review_on: date | None = Field(None, description="When a deferral is to be reviewed")


class ResponseIn(Schema):
    person: int = Field(ge=1)
    received_on: date
    response: RequiredText


class CustodyEntryOut(Schema):
    seq: int = Field(description="The audit event's number in the log")
    at: datetime
    action: Literal["added", "viewed", "downloaded", "exported", "verified"]
    by: str
    via: str
    result: str


class CustodyOut(Schema):
    item: EvidenceOut
    entries: list[CustodyEntryOut]


class VerifiedOut(Schema):
    label: str
    integrity: Literal["intact", "mismatch", "unreadable", "missing"]


class InboxTaskOut(Schema):
    case: str
    id: int
    label: str
    due_on: date
    overdue: bool


class InboxTasksQuery(Schema):
    overdue: bool = False


# --- Converting the read model ---------------------------------------------------------------------


def _person(p: read.PersonRef) -> PersonOut:
    return PersonOut(id=p.id, name=p.name, role=p.role, directory_id=p.directory_id)


def _allegation(a: read.AllegationRow) -> AllegationOut:
    return AllegationOut(
        id=a.id,
        label=a.label,
        person=a.subject_id,
        person_name=a.subject,
        category=a.category,
        conduct=a.conduct,
        finding=a.finding,
        reasoning=a.reasoning,
        standard=a.standard,
        found_by=a.found_by,
        found_at=a.found_at,
    )


def _task(t: read.TaskRow) -> TaskOut:
    return TaskOut(
        id=t.id, label=t.label, title=t.title, owner=t.owner, due_on=t.due_on, done=t.done, overdue=t.overdue
    )


def _interview(i: read.InterviewRow) -> InterviewOut:
    return InterviewOut(
        id=i.id,
        label=i.label,
        interviewee_kind=i.interviewee_kind,
        interviewee=i.interviewee,
        person=i.interviewee_person_id,
        held_at=i.held_at,
        present=i.present,
        minutes=i.minutes,
        version=i.version,
        answers=[
            AnswerOut(version=a.version, agreed=a.agreed, corrections=a.corrections, answered=a.answered)
            for a in i.answers
        ],
        awaiting_answer=i.awaiting_answer,
    )


def _evidence(e: read.EvidenceRow) -> EvidenceOut:
    return EvidenceOut(
        id=e.id,
        label=e.label,
        kind=e.kind,
        description=e.description,
        source=e.source,
        location=e.location,
        filename=e.filename,
        content_type=e.content_type,
        size=e.size,
        sha256=e.sha256,
        added_by=e.added_by,
        added_at=e.added_at,
        integrity=e.integrity,
        checked_at=e.checked_at,
    )


def _concerned(p: read.ConcernedRow) -> ConcernedOut:
    return ConcernedOut(
        person=p.subject_id,
        name=p.name,
        allegations=p.allegations,
        informing=[
            InformingOut(
                id=r.id,
                kind=r.kind,
                informed_on=r.informed_on,
                method=r.method,
                details=r.details,
                reason=r.reason,
                review_on=r.review_on,
                review_overdue=r.review_overdue,
                recorded_by=r.recorded_by,
                recorded_at=r.recorded_at,
                current=r.current,
            )
            for r in p.history
        ],
        responses=[
            ResponseOut(id=r.id, received_on=r.received_on, response=r.response, recorded_by=r.recorded_by)
            for r in p.responses
        ],
    )


def _viewed(request: HttpRequest, case: Case) -> read.InvestigationView:
    user = _actor(request)
    view = _readable(case, user)
    actions.record_investigation_view(case=case, actor=user, via="api")
    return view


# --- The investigation as a whole ----------------------------------------------------------------


@router.get(BASE, response={200: InvestigationOut, **answers.AUTH, **answers.CASE}, summary="The whole investigation")
def get_investigation(request: HttpRequest, reference: str) -> InvestigationOut:
    """Recorded in the audit trail as a view of the investigation."""
    view = _viewed(request, _case(request, reference))
    return InvestigationOut(
        reference=view.reference,
        status=view.status,
        standard_of_proof=view.standard,
        finding=view.derived_finding,
        investigators=[
            InvestigatorOut(id=i.id, email=i.email, name=i.name, named_on=i.named_on, released_on=i.released_on)
            for i in view.investigators
        ],
        accused=[_person(p) for p in view.accused],
        people=[_person(p) for p in view.people_named],
        allegations=[_allegation(a) for a in view.allegations],
        tasks=[_task(t) for t in view.tasks],
        interviews=[_interview(i) for i in view.interviews],
        evidence=[_evidence(e) for e in view.evidence],
        people_concerned=[_concerned(p) for p in view.people],
    )


@router.post(
    BASE,
    response={200: OpenedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Open the investigation: name the investigators and the allegations",
)
def open_investigation(request: HttpRequest, reference: str, payload: OpenIn) -> Status[OpenedOut | dict[str, object]]:
    """The workflow step `investigate` (assessment → investigation), with what it needs."""
    user = _actor(request)
    case = case_for_token(user, reference)
    users = _users(payload.investigators)
    if isinstance(users, dict):
        return Status(422, users)
    case = case_actions.open_investigation(
        case=case, actor=user, investigators=users, allegations=[a.allegation() for a in payload.allegations]
    )
    view = read.for_staff(case, user)
    return Status(
        200,
        OpenedOut(
            reference=case.reference,
            status=case.status,
            investigators=[i.email for i in view.investigators if i.released_on is None],
            allegations=[a.label for a in view.allegations],
        ),
    )


@router.post(
    BASE + "/investigators",
    response={200: list[InvestigatorOut], **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Name more investigators",
)
def name_investigators(
    request: HttpRequest, reference: str, payload: InvestigatorsIn
) -> Status[list[InvestigatorOut] | dict[str, object]]:
    case = _case(request, reference)
    users = _users(payload.investigators)
    if isinstance(users, dict):
        return Status(422, users)
    actions.name_investigators(case=case, actor=_actor(request), investigators=users)
    return Status(200, _roster(case, _actor(request)))


def _roster(case: Case, user: User) -> list[InvestigatorOut]:
    return [
        InvestigatorOut(id=i.id, email=i.email, name=i.name, named_on=i.named_on, released_on=i.released_on)
        for i in read.for_staff(case, user).investigators
    ]


@router.post(
    BASE + "/investigators/{investigator_id}/release",
    response={200: list[InvestigatorOut], **answers.AUTH, **ROW},
    summary="Release an investigator from the case (they no longer see it)",
)
def release_investigator(request: HttpRequest, reference: str, investigator_id: int) -> list[InvestigatorOut]:
    case = _case(request, reference)
    named = fetch.investigator(case, investigator_id)
    actions.release_investigator(case=case, actor=_actor(request), investigator=named)
    return _roster(case, _actor(request))


# --- Allegations and findings ---------------------------------------------------------------------


@router.get(
    BASE + "/allegations",
    response={200: list[AllegationOut], **answers.AUTH, **answers.CASE},
    summary="The allegations",
)
def list_allegations(request: HttpRequest, reference: str) -> list[AllegationOut]:
    return [_allegation(a) for a in _viewed(request, _case(request, reference)).allegations]


@router.post(
    BASE + "/allegations",
    response={201: CreatedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Record another allegation",
)
def add_allegation(request: HttpRequest, reference: str, payload: AllegationIn) -> Status[CreatedOut]:
    case = _case(request, reference)
    allegation = actions.add_allegation(case=case, actor=_actor(request), allegation=payload.allegation())
    return Status(201, CreatedOut(id=allegation.pk, label=allegation.label))


@router.get(
    BASE + "/findings",
    response={200: FindingsOut, **answers.AUTH, **answers.CASE},
    summary="The findings per allegation, and the case's finding they make",
)
def list_findings(request: HttpRequest, reference: str) -> FindingsOut:
    view = _viewed(request, _case(request, reference))
    return FindingsOut(
        finding=view.derived_finding,
        standard_of_proof=view.standard,
        allegations=[_allegation(a) for a in view.allegations],
    )


@router.post(
    BASE + "/findings",
    response={200: FindingOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Record (or revise) the finding of one allegation",
)
def record_finding(request: HttpRequest, reference: str, payload: FindingIn) -> FindingOut:
    """With its reasoning; the organisation's standard of proof is recorded with it."""
    case = _case(request, reference)
    allegation = fetch.allegation(case, payload.allegation)
    found = actions.record_allegation_finding(
        allegation=allegation, actor=_actor(request), finding=payload.finding, reasoning=payload.reasoning
    )
    return FindingOut(allegation=found.label, finding=found.finding, standard=found.standard)


# --- The plan -------------------------------------------------------------------------------------


@router.get(BASE + "/tasks", response={200: list[TaskOut], **answers.AUTH, **answers.CASE}, summary="The plan")
def list_tasks(request: HttpRequest, reference: str) -> list[TaskOut]:
    return [_task(t) for t in _viewed(request, _case(request, reference)).tasks]


@router.post(
    BASE + "/tasks",
    response={201: CreatedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Add a task to the plan",
)
def add_task(request: HttpRequest, reference: str, payload: TaskIn) -> Status[CreatedOut | dict[str, object]]:
    case = _case(request, reference)
    owner = User.objects.filter(email__iexact=payload.owner.strip(), is_active=True).first()
    if owner is None:
        return Status(422, field_errors(field_error("no such person", "owner")))
    task = actions.add_task(case=case, actor=_actor(request), title=payload.title, owner=owner, due_on=payload.due_on)
    return Status(201, CreatedOut(id=task.pk, label=task.label))


@router.post(
    BASE + "/tasks/{task_id}/state",
    response={200: TaskOut, **answers.BODY, **answers.AUTH, **ROW},
    summary="Mark a task done, or open it again",
)
def task_state(request: HttpRequest, reference: str, task_id: int, payload: TaskStateIn) -> TaskOut:
    case = _case(request, reference)
    task = fetch.task(case, task_id)
    actions.set_task_done(task=task, actor=_actor(request), done=payload.done, due_on=payload.due_on)
    row = next(t for t in read.for_staff(case, _actor(request)).tasks if t.id == task.pk)
    return _task(row)


# --- Interviews -----------------------------------------------------------------------------------


@router.get(
    BASE + "/interviews", response={200: list[InterviewOut], **answers.AUTH, **answers.CASE}, summary="The interviews"
)
def list_interviews(request: HttpRequest, reference: str) -> list[InterviewOut]:
    return [_interview(i) for i in _viewed(request, _case(request, reference)).interviews]


@router.post(
    BASE + "/interviews",
    response={201: CreatedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Record an interview",
)
def record_interview(request: HttpRequest, reference: str, payload: InterviewIn) -> Status[CreatedOut]:
    """The minutes of the reporter's own interview are shown to her, for her to agree with or correct."""
    case = _case(request, reference)
    interview = actions.record_interview(
        case=case,
        actor=_actor(request),
        interviewee=payload.interviewee,
        person_id=payload.person,
        name=payload.name,
        held_at=payload.held_at,
        present=payload.present,
        minutes=payload.minutes,
    )
    return Status(201, CreatedOut(id=interview.pk, label=interview.label))


@router.get(
    BASE + "/interviews/{interview_id}",
    response={200: InterviewOut, **answers.AUTH, **ROW},
    summary="One interview, with the reporter's answers to its minutes",
)
def get_interview(request: HttpRequest, reference: str, interview_id: int) -> InterviewOut:
    case = _case(request, reference)
    found = fetch.interview(case, interview_id)
    view = _viewed(request, case)
    return _interview(next(i for i in view.interviews if i.id == found.pk))


@router.post(
    BASE + "/interviews/{interview_id}/minutes",
    response={200: InterviewOut, **answers.BODY, **answers.AUTH, **ROW},
    summary="Revise the minutes (a new version, for the reporter to answer again)",
)
def revise_minutes(request: HttpRequest, reference: str, interview_id: int, payload: MinutesIn) -> InterviewOut:
    case = _case(request, reference)
    found = fetch.interview(case, interview_id)
    actions.revise_minutes(interview=found, actor=_actor(request), minutes=payload.minutes)
    view = _viewed(request, case)
    return _interview(next(i for i in view.interviews if i.id == found.pk))


# --- Evidence -------------------------------------------------------------------------------------


@router.get(
    BASE + "/evidence",
    response={200: list[EvidenceOut], **answers.AUTH, **answers.CASE},
    summary="The evidence register",
)
def list_evidence(request: HttpRequest, reference: str) -> list[EvidenceOut]:
    return [_evidence(e) for e in _viewed(request, _case(request, reference)).evidence]


@router.post(
    BASE + "/evidence",
    response={201: CreatedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Add an item to the evidence register: a file, or something held elsewhere",
)
def add_evidence(
    request: HttpRequest,
    reference: str,
    kind: Form[Literal["file", "held_elsewhere"]],
    description: Form[str],
    source: Form[str],
    location: Form[str] = "",
    sha256: Form[str] = "",
    file: File[UploadedFile | None] = None,
) -> Status[CreatedOut]:
    """multipart/form-data. A file is kept exactly as sent; its SHA-256 is taken from the bytes received."""
    case = _case(request, reference)
    files = to_new_attachments([file], keep_metadata=True) if file is not None else []
    item = actions.add_evidence(
        case=case,
        actor=_actor(request),
        kind=kind,
        description=description,
        source=source,
        location=location,
        file=files[0] if files else None,
        sha256=sha256,
    )
    return Status(201, CreatedOut(id=item.pk, label=item.label))


def _item(request: HttpRequest, reference: str, evidence_id: int) -> tuple[EvidenceItem, read.EvidenceRow]:
    case = _case(request, reference)
    item = fetch.evidence(case, evidence_id)
    row = read.evidence_for_staff(item, _actor(request))
    if row is None:
        raise case_actions.ActionError("You cannot open this case's content yet.")
    return item, row


@router.get(
    BASE + "/evidence/{evidence_id}",
    response={200: EvidenceOut, **answers.AUTH, **ROW},
    summary="One item of the register (recorded in its chain of custody)",
)
def get_evidence(request: HttpRequest, reference: str, evidence_id: int) -> EvidenceOut:
    item, row = _item(request, reference, evidence_id)
    actions.record_evidence_access(item=item, actor=_actor(request), access="viewed", via="api")
    return _evidence(row)


@router.get(
    BASE + "/evidence/{evidence_id}/custody",
    response={200: CustodyOut, **answers.AUTH, **ROW},
    summary="The item's chain of custody: its intake and every access since",
)
def get_custody(request: HttpRequest, reference: str, evidence_id: int) -> CustodyOut:
    """Reading it is itself an access, and its last entry."""
    item, _row = _item(request, reference, evidence_id)
    actions.record_evidence_access(item=item, actor=_actor(request), access="viewed", via="api")
    found = read.custody(item, _actor(request))
    assert found is not None  # _item opened the case's content
    return CustodyOut(
        item=_evidence(found.item),
        entries=[
            CustodyEntryOut(seq=e.seq, at=e.at, action=e.action, by=e.by, via=e.via, result=e.result)  # type: ignore[arg-type]
            for e in found.entries
        ],
    )


@router.post(
    BASE + "/evidence/{evidence_id}/verify",
    response={200: VerifiedOut, **answers.AUTH, **ROW},
    summary="Check the stored file against its SHA-256 at intake (recorded; a mismatch flags the item)",
)
def verify_evidence(request: HttpRequest, reference: str, evidence_id: int) -> VerifiedOut:
    item, _row = _item(request, reference, evidence_id)
    result = actions.check_evidence(item=item, actor=_actor(request), via="api")
    return VerifiedOut(label=item.label, integrity=result.value)  # type: ignore[arg-type]


@router.get(
    BASE + "/evidence/{evidence_id}/download",
    response={200: None, **answers.AUTH, **ROW, 409: ProblemOut},
    summary="The item's file, checked against its SHA-256 first (409 and flagged when it fails)",
)
def download_evidence(
    request: HttpRequest, reference: str, evidence_id: int
) -> StreamingHttpResponse | Status[ProblemOut]:
    user = _actor(request)
    item, row = _item(request, reference, evidence_id)
    result = actions.check_evidence(item=item, actor=user, via="api")
    if result != Integrity.INTACT:
        return Status(409, ProblemOut(detail=f"{item.label} is flagged: {result.label}"))
    txt, _locked = read.opener(item.case, user)
    actions.record_evidence_access(item=item, actor=user, access="downloaded", via="api")
    response = StreamingHttpResponse(
        evidence.open_file(item, key=txt.key, case=item.case), content_type=downloads.content_type(row.content_type)
    )
    response["Content-Length"] = str(item.size)
    response["Content-Disposition"] = downloads.disposition(row.filename, f"evidence-{item.label}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The people concerned -------------------------------------------------------------------------


@router.get(
    BASE + "/people-concerned",
    response={200: list[ConcernedOut], **answers.AUTH, **answers.CASE},
    summary="Each person an allegation is about: informing them, and their responses",
)
def list_people_concerned(request: HttpRequest, reference: str) -> list[ConcernedOut]:
    return [_concerned(p) for p in _viewed(request, _case(request, reference)).people]


@router.post(
    BASE + "/people-concerned",
    response={201: CreatedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Record that a person concerned was informed (when and how), or why informing waits (with a review date)",
)
def record_informing(request: HttpRequest, reference: str, payload: InformingIn) -> Status[CreatedOut]:
    case = _case(request, reference)
    record = actions.record_informing(
        case=case,
        actor=_actor(request),
        subject_id=payload.person,
        kind=payload.kind,
        informed_on=payload.informed_on,
        method=payload.method,
        details=payload.details,
        reason=payload.reason,
        review_on=payload.review_on,
    )
    return Status(201, CreatedOut(id=record.pk, label=record.kind))


@router.post(
    BASE + "/people-concerned/responses",
    response={201: CreatedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Keep a person concerned's response to the allegations",
)
def record_response(request: HttpRequest, reference: str, payload: ResponseIn) -> Status[CreatedOut]:
    case = _case(request, reference)
    recorded = actions.record_response(
        case=case,
        actor=_actor(request),
        subject_id=payload.person,
        received_on=payload.received_on,
        response=payload.response,
    )
    return Status(201, CreatedOut(id=recorded.pk, label="response"))


# --- The inbox ------------------------------------------------------------------------------------


@router.get(
    "/staff/tasks",
    response={200: list[InboxTaskOut], **answers.QUERY, **answers.AUTH},
    summary="My open investigation tasks, earliest due first (no content)",
)
def my_tasks(request: HttpRequest, filters: Query[InboxTasksQuery]) -> list[InboxTaskOut]:
    tasks = selectors.open_tasks(_actor(request), now=timezone.now(), overdue_only=filters.overdue)
    return [InboxTaskOut(case=t.reference, id=t.id, label=t.label, due_on=t.due_on, overdue=t.overdue) for t in tasks]
