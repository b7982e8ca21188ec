"""What staff see of an investigation, and what the reporter sees of her own interview: plain dataclasses.

The investigation's read model, next to ombuds.cases.case_view: the investigation page,
the staff API, the case file and the reporter's status page read only these. Whether a
person may read the investigation is decided by ombuds.cases.permissions (Part.INVESTIGATION);
content is opened here through ombuds.cases.content with the reader's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import content, keyring, permissions
from ombuds.cases.models import Case, Category, Finding, InvolvedPerson, PersonRole, Report, Status
from ombuds.cases.permissions import Act, Part
from ombuds.cases.workflow import Transition
from ombuds.crypto import keys
from ombuds.investigations import helpers
from ombuds.investigations.models import (
    Allegation,
    ConcernedResponse,
    EvidenceItem,
    EvidenceKind,
    Informing,
    InformingKind,
    InformingMethod,
    Integrity,
    Interview,
    IntervieweeKind,
    InvestigationPolicy,
    Investigator,
    MinutesAnswer,
    StandardOfProof,
    Task,
)


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value else ""


def _who(user: User | None) -> str:
    return "" if user is None else (user.get_full_name() or user.email)


@dataclass(frozen=True)
class _Opener:
    """Opens one case's content with the reader's key (ombuds.cases.content is the only way)."""

    case: Case
    key: keys.DataKey | None

    def __call__(self, value: str, model: type[models.Model], field: str) -> str:
        return content.open(value, key=self.key, case=self.case, model=model, field=field)


@dataclass(frozen=True)
class PersonRef:
    id: int
    name: str
    role: str
    role_label: str
    directory_id: str | None


@dataclass(frozen=True)
class InvestigatorRow:
    id: int
    user_id: int
    name: str
    email: str
    named_on: date
    named_by: str
    released_on: date | None


@dataclass(frozen=True)
class AllegationRow:
    id: int
    label: str
    subject_id: int
    subject: str
    subject_directory_id: str | None
    category: str
    category_label: str
    conduct: str
    finding: str
    finding_label: str
    reasoning: str
    standard: str
    standard_label: str
    found_by: str
    found_at: datetime | None


@dataclass(frozen=True)
class TaskRow:
    id: int
    label: str
    title: str
    owner: str
    owner_id: int
    due_on: date
    done: bool
    done_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class AnswerRow:
    version: int
    agreed: bool
    corrections: str
    # A date only for an anonymous reporter (only the day is kept).
    answered: datetime | date


@dataclass(frozen=True)
class InterviewRow:
    id: int
    label: str
    interviewee_kind: str
    interviewee: str
    interviewee_person_id: int | None
    is_reporter: bool
    held_at: datetime
    present: str
    minutes: str
    version: int
    recorded_by: str
    revised_at: datetime | None
    answers: list[AnswerRow]
    # The reporter's interview whose current minutes she has not answered yet.
    awaiting_answer: bool


@dataclass(frozen=True)
class EvidenceRow:
    id: int
    label: str
    kind: str
    kind_label: str
    description: str
    source: str
    location: str
    filename: str
    content_type: str
    size: int
    sha256: str
    added_by: str
    added_at: datetime
    integrity: str
    integrity_label: str
    flagged: bool
    checked_at: datetime | None
    has_file: bool


@dataclass(frozen=True)
class InformingRow:
    id: int
    kind: str
    kind_label: str
    informed_on: date | None
    method: str
    method_label: str
    details: str
    reason: str
    review_on: date | None
    review_overdue: bool
    recorded_by: str
    recorded_at: datetime
    current: bool


@dataclass(frozen=True)
class ResponseRow:
    id: int
    received_on: date
    response: str
    recorded_by: str


@dataclass(frozen=True)
class ConcernedRow:
    """A person an allegation is about: the record of informing them, and their responses."""

    subject_id: int
    name: str
    directory_id: str | None
    allegations: list[str]
    current: InformingRow | None
    history: list[InformingRow]
    responses: list[ResponseRow]


@dataclass(frozen=True)
class InvestigationView:
    reference: str
    status: str
    # Whether an investigation was ever opened on this case (investigators or allegations recorded).
    opened: bool
    standard: str
    standard_label: str
    investigators: list[InvestigatorRow]
    allegations: list[AllegationRow]
    tasks: list[TaskRow]
    interviews: list[InterviewRow]
    evidence: list[EvidenceRow]
    people: list[ConcernedRow]
    # The people an allegation may be about (named as accused) and everyone named, for the forms.
    accused: list[PersonRef]
    people_named: list[PersonRef]
    # The case's finding as the allegations' findings make it (empty while one is missing).
    derived_finding: str
    derived_finding_label: str
    # She may read the investigation but her key cannot open the case yet: content is empty.
    content_locked: bool
    may_open: bool
    may_work: bool
    may_allege: bool
    may_name: bool
    may_release: bool


def _person(person: InvolvedPerson, txt: _Opener) -> PersonRef:
    return PersonRef(
        id=person.pk,
        name=txt(person.name, InvolvedPerson, "name"),
        role=person.role,
        role_label=_label(PersonRole, person.role),
        directory_id=person.person.employee_id if person.person else None,
    )


def _answers(interview: Interview, txt: _Opener, anonymous: bool) -> list[AnswerRow]:
    return [
        AnswerRow(
            version=answer.version,
            agreed=answer.agreed,
            corrections=txt(answer.corrections, MinutesAnswer, "corrections"),
            answered=timezone.localdate(answer.answered_at) if anonymous else answer.answered_at,
        )
        for answer in interview.answers.all()
    ]


def _interviewee(interview: Interview, txt: _Opener, labels: dict[int, str]) -> str:
    if interview.interviewee_kind == IntervieweeKind.PERSON and interview.interviewee_person_id is not None:
        return labels.get(interview.interviewee_person_id, "")
    if interview.interviewee_kind == IntervieweeKind.OTHER:
        return txt(interview.interviewee_name, Interview, "interviewee_name")
    return _label(IntervieweeKind, interview.interviewee_kind)


def _informing(record: Informing, txt: _Opener, now: datetime) -> InformingRow:
    return InformingRow(
        id=record.pk,
        kind=record.kind,
        kind_label=_label(InformingKind, record.kind),
        informed_on=record.informed_on,
        method=record.method,
        method_label=_label(InformingMethod, record.method),
        details=txt(record.details, Informing, "details"),
        reason=txt(record.reason, Informing, "reason"),
        review_on=record.review_on,
        review_overdue=record.is_review_overdue(now),
        recorded_by=_who(record.recorded_by),
        recorded_at=record.recorded_at,
        current=record.superseded_at is None,
    )


def evidence_row(item: EvidenceItem, txt: _Opener) -> EvidenceRow:
    return EvidenceRow(
        id=item.pk,
        label=item.label,
        kind=item.kind,
        kind_label=_label(EvidenceKind, item.kind),
        description=txt(item.description, EvidenceItem, "description"),
        source=txt(item.source, EvidenceItem, "source"),
        location=txt(item.location, EvidenceItem, "location"),
        filename=txt(item.filename, EvidenceItem, "filename"),
        content_type=txt(item.content_type, EvidenceItem, "content_type"),
        size=item.size,
        sha256=txt(item.sha256, EvidenceItem, "sha256"),
        added_by=_who(item.added_by),
        added_at=item.added_at,
        integrity=item.integrity,
        integrity_label=_label(Integrity, item.integrity),
        flagged=item.flagged,
        checked_at=item.checked_at,
        has_file=item.kind == EvidenceKind.FILE,
    )


def opener(case: Case, user: User) -> tuple[_Opener, bool]:
    """The reader's opener for the case's content, and whether her key is missing (content locked)."""
    key = keyring.staff_data_key(user, case)
    locked = case.sealed and key is None
    return _Opener(case, key), locked


def _derived(case: Case) -> str:
    findings = list(Allegation.objects.filter(case=case).values_list("finding", flat=True))
    if not findings or not all(findings):
        return ""
    return helpers.derive_finding(findings)


def for_staff(case: Case, user: User, *, now: datetime | None = None) -> InvestigationView:
    """The whole investigation as `user` may read it. The caller fetched the case through cases.access."""
    now = now or timezone.now()
    assert permissions.may_read(user, case, Part.INVESTIGATION), "fetch cases through ombuds.cases.access"
    txt, locked = opener(case, user)
    policy = InvestigationPolicy.objects.get(pk=1)
    named = list(
        InvolvedPerson.objects.filter(report__case=case).select_related("person").order_by("report_id", "position")
    )
    people_named = [] if locked else [_person(p, txt) for p in named]
    labels = {p.id: f"{p.name} ({p.role_label})" for p in people_named}
    allegations = list(
        Allegation.objects.filter(case=case).select_related("subject__person", "found_by").order_by("number")
    )
    investigators = list(Investigator.objects.filter(case=case).select_related("user", "named_by").order_by("named_at"))
    derived = _derived(case)
    return InvestigationView(
        reference=case.reference,
        status=case.status,
        opened=bool(allegations or investigators),
        standard=policy.standard_of_proof,
        standard_label=_label(StandardOfProof, policy.standard_of_proof),
        investigators=[
            InvestigatorRow(
                id=i.pk,
                user_id=i.user_id,
                name=_who(i.user),
                email=i.user.email,
                named_on=timezone.localdate(i.named_at),
                named_by=_who(i.named_by),
                released_on=timezone.localdate(i.released_at) if i.released_at else None,
            )
            for i in investigators
        ],
        allegations=[] if locked else [_allegation(a, txt) for a in allegations],
        tasks=[] if locked else _tasks(case, txt, now),
        interviews=[] if locked else _interviews(case, txt, labels),
        evidence=[]
        if locked
        else [evidence_row(item, txt) for item in EvidenceItem.objects.filter(case=case).select_related("added_by")],
        people=[] if locked else _people(case, allegations, txt, now),
        accused=[p for p in people_named if p.role == PersonRole.ACCUSED],
        people_named=people_named,
        derived_finding=derived,
        derived_finding_label=_label(Finding, derived),
        content_locked=locked,
        may_open=case.status == Status.ASSESSMENT and permissions.may_take(user, case, Transition.INVESTIGATE),
        may_work=permissions.may_take(user, case, Act.WORK_INVESTIGATION),
        may_allege=permissions.may_take(user, case, Act.ALLEGE),
        may_name=permissions.may_take(user, case, Act.NAME_INVESTIGATOR),
        may_release=permissions.may_take(user, case, Act.RELEASE_INVESTIGATOR),
    )


def _allegation(a: Allegation, txt: _Opener) -> AllegationRow:
    return AllegationRow(
        id=a.pk,
        label=a.label,
        subject_id=a.subject_id,
        subject=txt(a.subject.name, InvolvedPerson, "name"),
        subject_directory_id=a.subject.person.employee_id if a.subject.person else None,
        category=a.category,
        category_label=_label(Category, a.category),
        conduct=txt(a.conduct, Allegation, "conduct"),
        finding=a.finding,
        finding_label=_label(Finding, a.finding),
        reasoning=txt(a.finding_reasoning, Allegation, "finding_reasoning"),
        standard=a.standard,
        standard_label=_label(StandardOfProof, a.standard),
        found_by=_who(a.found_by),
        found_at=a.found_at,
    )


def _tasks(case: Case, txt: _Opener, now: datetime) -> list[TaskRow]:
    return [
        TaskRow(
            id=t.pk,
            label=t.label,
            title=txt(t.title, Task, "title"),
            owner=_who(t.owner),
            owner_id=t.owner_id,
            due_on=t.due_on,
            done=t.done_at is not None,
            done_at=t.done_at,
            overdue=t.is_overdue(now),
        )
        for t in Task.objects.filter(case=case).select_related("owner").order_by("number")
    ]


def interview_row(interview: Interview, txt: _Opener, labels: dict[int, str], anonymous: bool) -> InterviewRow:
    answers = _answers(interview, txt, anonymous)
    is_reporter = interview.interviewee_kind == IntervieweeKind.REPORTER
    return InterviewRow(
        id=interview.pk,
        label=interview.label,
        interviewee_kind=interview.interviewee_kind,
        interviewee=_interviewee(interview, txt, labels),
        interviewee_person_id=interview.interviewee_person_id,
        is_reporter=is_reporter,
        held_at=interview.held_at,
        present=txt(interview.present, Interview, "present"),
        minutes=txt(interview.minutes, Interview, "minutes"),
        version=interview.minutes_version,
        recorded_by=_who(interview.recorded_by),
        revised_at=interview.revised_at,
        answers=answers,
        awaiting_answer=is_reporter and all(a.version != interview.minutes_version for a in answers),
    )


def _interviews(case: Case, txt: _Opener, labels: dict[int, str]) -> list[InterviewRow]:
    interviews = Interview.objects.filter(case=case).select_related("recorded_by").prefetch_related("answers")
    return [interview_row(i, txt, labels, case.anonymous) for i in interviews.order_by("number")]


def _people(case: Case, allegations: list[Allegation], txt: _Opener, now: datetime) -> list[ConcernedRow]:
    subjects: dict[int, InvolvedPerson] = {}
    labels: dict[int, list[str]] = {}
    for allegation in allegations:
        subjects.setdefault(allegation.subject_id, allegation.subject)
        labels.setdefault(allegation.subject_id, []).append(allegation.label)
    records = list(Informing.objects.filter(case=case).select_related("recorded_by").order_by("recorded_at"))
    responses = list(ConcernedResponse.objects.filter(case=case).select_related("recorded_by"))
    rows = []
    for subject_id, subject in subjects.items():
        history = [_informing(r, txt, now) for r in records if r.subject_id == subject_id]
        rows.append(
            ConcernedRow(
                subject_id=subject_id,
                name=txt(subject.name, InvolvedPerson, "name"),
                directory_id=subject.person.employee_id if subject.person else None,
                allegations=labels[subject_id],
                current=next((row for row in history if row.current), None),
                history=history,
                responses=[
                    ResponseRow(
                        id=r.pk,
                        received_on=r.received_on,
                        response=txt(r.response, ConcernedResponse, "response"),
                        recorded_by=_who(r.recorded_by),
                    )
                    for r in responses
                    if r.subject_id == subject_id
                ],
            )
        )
    return rows


# --- One evidence item and its chain of custody ---------------------------------------------------

_CUSTODY_EVENTS = {
    EventType.EVIDENCE_ADDED: "added",
    EventType.EVIDENCE_VIEWED: "viewed",
    EventType.EVIDENCE_DOWNLOADED: "downloaded",
    EventType.EVIDENCE_EXPORTED: "exported",
    EventType.EVIDENCE_VERIFIED: "verified",
}


@dataclass(frozen=True)
class CustodyEntry:
    seq: int
    at: datetime
    action: str  # added, viewed, downloaded, exported, verified
    by: str
    by_id: int | None
    via: str
    result: str  # for a check: intact, mismatch, unreadable or missing


@dataclass(frozen=True)
class Custody:
    item: EvidenceRow
    entries: list[CustodyEntry]


def evidence_for_staff(item: EvidenceItem, user: User) -> EvidenceRow | None:
    """One item as `user` reads it; None while her key cannot open the case."""
    assert permissions.may_read(user, item.case, Part.INVESTIGATION), "fetch items through the checked fetchers"
    txt, locked = opener(item.case, user)
    return None if locked else evidence_row(item, txt)


def custody(item: EvidenceItem, user: User) -> Custody | None:
    """The item's chain of custody from the audit trail: its intake and every later access, in order."""
    found = custodies([item], user)
    return found[0] if found else None


def custodies(items: Sequence[EvidenceItem], user: User) -> list[Custody]:
    """The chains of custody of the items `user` may see, in the order given, from one read of their cases' events."""
    rows = [(item, row) for item in items if (row := evidence_for_staff(item, user)) is not None]
    if not rows:
        return []
    # The item each event concerns, and how, are read from its signed leaf: the detail
    # column is not compared with the leaf by verify, and a changed copy must not hide an
    # access or turn a mismatch into "intact".
    case_of = {item.pk: item.case_id for item, _row in rows}
    entries: dict[int, list[CustodyEntry]] = {pk: [] for pk in case_of}
    events = (
        AuditEvent.objects.filter(case_id__in=set(case_of.values()), event_type__in=[int(e) for e in _CUSTODY_EVENTS])
        .select_related("actor")
        .order_by("seq")
    )
    for event in events:
        detail = event.details()
        evidence = detail.get("evidence")
        if not isinstance(evidence, int) or case_of.get(evidence) != event.case_id:
            continue
        entries[evidence].append(
            CustodyEntry(
                seq=event.seq,
                at=event.at,
                action=_CUSTODY_EVENTS[EventType(event.event_type)],
                by=_who(event.actor),
                by_id=event.actor_id,
                via=str(detail.get("via", "")),
                result=str(detail.get("result", "")),
            )
        )
    return [Custody(item=row, entries=entries[item.pk]) for item, row in rows]


# --- The reporter's own interview -------------------------------------------------------------------


@dataclass(frozen=True)
class OwnInterview:
    """The minutes of her own interview, as she reads them with her receipt."""

    id: int
    held_at: datetime
    minutes: str
    version: int
    revised: bool
    answers: list[AnswerRow]
    awaiting_answer: bool


def own_interviews(report: Report) -> list[OwnInterview]:
    """The interviews of this reporter and nobody else's, opened with the key her session carries."""
    case = report.case
    txt = _Opener(case, keyring.reporter_data_key(report))
    interviews = Interview.objects.filter(
        case=case, interviewee_kind=IntervieweeKind.REPORTER, interviewee_report=report
    ).prefetch_related("answers")
    found = []
    for interview in interviews.order_by("held_at", "number"):
        answers = _answers(interview, txt, case.anonymous)
        found.append(
            OwnInterview(
                id=interview.pk,
                held_at=interview.held_at,
                minutes=txt(interview.minutes, Interview, "minutes"),
                version=interview.minutes_version,
                revised=interview.minutes_version > 1,
                answers=answers,
                awaiting_answer=all(a.version != interview.minutes_version for a in answers),
            )
        )
    return found


def own_interview_ids(report: Report) -> set[int]:
    """The ids of this reporter's own interviews (no content is opened)."""
    return set(
        Interview.objects.filter(
            case_id=report.case_id, interviewee_kind=IntervieweeKind.REPORTER, interviewee_report=report
        ).values_list("pk", flat=True)
    )
