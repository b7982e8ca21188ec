"""What staff see of a case: the one read model for the case page, the API and the export.

The staff counterpart of ombuds.intake.reporter_view. It returns plain dataclasses;
templates and API schemas read only those. Which parts a person may read (metadata,
content, appeal reasons, internal notes) is decided here, once, through
ombuds.cases.permissions.may_read; content is opened here through ombuds.cases.content.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ombuds.audit.labels import event_label
from ombuds.audit.models import ActorKind, AuditEvent, EventType, PendingEvent
from ombuds.cases import content, keyring, permissions, routing
from ombuds.cases.models import (
    DEADLINE_COLUMNS,
    Appeal,
    Attachment,
    Case,
    Category,
    ClosureGrounds,
    ClosureProposal,
    Conflict,
    ConflictReason,
    Finding,
    InvolvedPerson,
    KeepOutAction,
    KeepOutProposal,
    Message,
    Note,
    Outcome,
    PersonRole,
    ProposalKind,
    Report,
    ReporterRole,
    Sender,
    Status,
)
from ombuds.cases.permissions import Part
from ombuds.cases.workflow import RULES, Transition
from ombuds.crypto import keys
from ombuds.questionnaire import answers as questionnaire_answers
from ombuds.questionnaire import selectors as questionnaire

_DEADLINE_LABELS: dict[str, Promise] = {
    "first_action": _("First action (sexual assault)"),
    "acknowledge": _("Acknowledge the reporter"),
    "feedback": _("Feedback to the reporter"),
}


@dataclass(frozen=True)
class DeadlineRow:
    name: str
    label: str
    due: datetime
    met: datetime | None
    overdue: bool
    left: timedelta


@dataclass(frozen=True)
class FileRef:
    id: int
    filename: str
    size: int


@dataclass(frozen=True)
class PersonNamed:
    id: int
    name: str
    role: str
    role_label: str
    # The directory employee id, once the name is linked to a directory person.
    directory_id: str | None


@dataclass(frozen=True)
class ReportView:
    role: str
    role_label: str
    anonymous: bool
    language: str
    narrative: str
    occurred: str
    location: str
    reporter_name: str
    reporter_contact: str
    people: list[PersonNamed]
    attachments: list[FileRef]
    # The questionnaire version she answered (its number), and each of its questions with
    # her answer, in the reader's language: the questions of that version, not today's.
    questionnaire_version: int | None = None
    answers: list[questionnaire_answers.AnsweredQuestion] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class ThreadMessage:
    id: int
    sender: str
    author: str | None
    body: str
    # A date only for an anonymous reporter's own messages.
    sent: datetime | date
    read: bool
    feedback: bool
    attachments: list[FileRef]


@dataclass(frozen=True)
class NoteView:
    author: str
    created: datetime
    body: str


@dataclass(frozen=True)
class AppealRow:
    id: int
    filed_on: date
    resolved_on: date | None
    resolution: str
    # None when this person may not read why she appealed (only the oversight body may).
    reason: str | None


@dataclass(frozen=True)
class ProposalView:
    kind: str
    kind_label: str
    grounds_label: str
    finding_label: str
    referral: str
    proposed_by: str
    proposed_on: date
    reason: str
    search_done: str


@dataclass(frozen=True)
class KeepOutRow:
    id: int
    action: str
    action_label: str
    name: str
    employee_id: str
    note: str
    proposed_by: str
    proposed_on: date
    # Whether this reader may approve or reject it now.
    may_decide: bool


@dataclass(frozen=True)
class ConflictRow:
    name: str
    employee_id: str
    reason: str
    reason_label: str
    via: str | None


@dataclass(frozen=True)
class TimelineEntry:
    # A date only for an anonymous reporter's own actions.
    at: datetime | date
    event: str
    actor: str | None
    actor_kind: str


@dataclass(frozen=True)
class StepOffer:
    transition: Transition
    label: str


@dataclass(frozen=True)
class CaseSummary:
    """What the inbox and every list show: metadata only."""

    reference: str
    category: str
    category_label: str
    status: str
    status_label: str
    anonymous: bool
    received_on: date
    assignee: str | None
    next_deadline: datetime | None
    overdue: bool


@dataclass(frozen=True)
class CaseView(CaseSummary):
    outcome: str
    outcome_label: str
    finding: str
    finding_label: str
    decision_reasoning: str
    referral: str
    routed_to_oversight: bool
    # Who is responsible, as people read it (name, or e-mail without one).
    responsible: str | None
    deadlines: list[DeadlineRow]
    pending: list[tuple[str, datetime]]
    reports: list[ReportView]
    messages: list[ThreadMessage]
    notes: list[NoteView]
    appeals: list[AppealRow]
    proposal: ProposalView | None
    conflicts: list[ConflictRow]
    keep_out_proposals: list[KeepOutRow]
    # Nobody on the oversight body can take this case without a conflict: the reporter is
    # pointed to the organisation's fallback contact.
    oversight_conflicted: bool
    # She may read the case but her key cannot open it yet: her grant is pending, or she
    # must log in again to unlock her key. The content parts are then empty.
    content_locked: bool
    timeline: list[TimelineEntry]
    views: int
    steps: list[StepOffer]
    may_resolve_appeals: bool
    # Whether she works the case (messages, notes, assignment): an investigator reads it only.
    works_case: bool
    # Whether an investigation was opened and she may read it (ombuds.investigations).
    investigation: bool


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value else ""


def _who(user: User | None) -> str | None:
    return None if user is None else (user.get_full_name() or user.email)


def summary(case: Case, now: datetime) -> CaseSummary:
    return CaseSummary(
        reference=case.reference,
        category=case.category,
        category_label=_label(Category, case.category),
        status=case.status,
        status_label=_label(Status, case.status),
        anonymous=case.anonymous,
        received_on=timezone.localdate(case.received_at),
        assignee=case.assignee.email if case.assignee else None,
        next_deadline=case.next_deadline_at,
        overdue=case.is_overdue(now),
    )


def _deadlines(case: Case, now: datetime) -> list[DeadlineRow]:
    rows = []
    for name, (due_column, met_column) in DEADLINE_COLUMNS.items():
        due, met = getattr(case, due_column), getattr(case, met_column)
        if due is None:
            continue
        rows.append(
            DeadlineRow(
                name=name,
                label=str(_DEADLINE_LABELS[name]),
                due=due,
                met=met,
                overdue=met is None and case.is_open() and now > due,
                left=due - now,
            )
        )
    return rows


@dataclass(frozen=True)
class _Opener:
    """Opens the content of one case with the reader's key (ombuds.cases.content is the only way)."""

    case: Case
    key: keys.DataKey | None

    def __call__(self, value: str, model: type[Any], field: str) -> str:
        return content.open(value, key=self.key, case=self.case, model=model, field=field)


def _files(attachments: list[Attachment], txt: _Opener) -> list[FileRef]:
    return [FileRef(id=a.pk, filename=txt(a.filename, Attachment, "filename"), size=a.size) for a in attachments]


def _report(report: Report, txt: _Opener) -> ReportView:
    return ReportView(
        role=report.role,
        role_label=_label(ReporterRole, report.role),
        anonymous=report.anonymous,
        language=report.language,
        narrative=txt(report.narrative, Report, "narrative"),
        occurred=txt(report.occurred, Report, "occurred"),
        location=txt(report.location, Report, "location"),
        reporter_name=txt(report.reporter_name, Report, "reporter_name"),
        reporter_contact=txt(report.reporter_contact, Report, "reporter_contact"),
        people=[
            PersonNamed(
                id=p.pk,
                name=txt(p.name, InvolvedPerson, "name"),
                role=p.role,
                role_label=_label(PersonRole, p.role),
                directory_id=p.person.employee_id if p.person else None,
            )
            for p in report.people.all()
        ],
        attachments=_files(list(report.attachments.all()), txt),
        questionnaire_version=report.questionnaire.number if report.questionnaire else None,
        answers=questionnaire_answers.describe(
            questionnaire.questions(report.questionnaire),
            questionnaire_answers.loads(txt(report.answers, Report, "answers")),
            get_language() or settings.LANGUAGE_CODE,
        ),
    )


def _message(message: Message, anonymous: bool, txt: _Opener) -> ThreadMessage:
    own = message.sender == Sender.REPORTER
    return ThreadMessage(
        id=message.pk,
        sender=message.sender,
        author=message.author.email if message.author else None,
        body=txt(message.body, Message, "body"),
        sent=timezone.localdate(message.sent_at) if (own and anonymous) else message.sent_at,
        read=message.read_at is not None,
        feedback=message.is_feedback,
        attachments=_files(list(message.attachments.all()), txt),
    )


# Views are counted, not listed: the case page's and the investigation's pages alike.
_VIEWS = frozenset({EventType.CASE_VIEWED, EventType.INVESTIGATION_VIEWED})


def _timeline(case: Case) -> tuple[list[TimelineEntry], int]:
    """The case's audit events, those still waiting for their batch included (they are part of the trail)."""
    logged = list(AuditEvent.objects.filter(case_id=case.pk).select_related("actor").order_by("at", "seq"))
    waiting = list(PendingEvent.objects.filter(case_id=case.pk))
    emails = dict(User.objects.filter(pk__in={e.actor_id for e in waiting if e.actor_id}).values_list("pk", "email"))
    rows: list[tuple[datetime, int, str, str | None]] = [
        (e.at, e.event_type, e.actor_kind, e.actor.email if e.actor else None) for e in logged
    ]
    rows += [(e.at, e.event_type, e.actor_kind, emails.get(e.actor_id) if e.actor_id else None) for e in waiting]
    entries = []
    views = 0
    for at, event_type, actor_kind, actor in sorted(rows, key=lambda row: row[0]):
        if event_type in _VIEWS:
            views += 1
            continue
        by_her = actor_kind == ActorKind.REPORTER
        entries.append(
            TimelineEntry(
                at=timezone.localdate(at) if (by_her and case.anonymous) else at,
                event=event_label(event_type),
                actor=actor,
                actor_kind=actor_kind,
            )
        )
    return entries, views


def _proposal(case: Case, txt: _Opener) -> ProposalView | None:
    proposal = case.closure_proposals.filter(decided_at__isnull=True).select_related("proposed_by").first()
    if proposal is None:
        return None
    return ProposalView(
        kind=proposal.kind,
        kind_label=_label(ProposalKind, proposal.kind),
        grounds_label=_label(ClosureGrounds, proposal.grounds),
        finding_label=_label(Finding, proposal.finding),
        referral=txt(proposal.referral, ClosureProposal, "referral"),
        proposed_by=proposal.proposed_by.email,
        proposed_on=timezone.localdate(proposal.proposed_at),
        reason=txt(proposal.reason, ClosureProposal, "reason"),
        search_done=txt(proposal.search_done, ClosureProposal, "search_done"),
    )


def _keep_out_proposals(case: Case, user: User, txt: _Opener) -> list[KeepOutRow]:
    pending = KeepOutProposal.objects.filter(case=case, decided_at__isnull=True).select_related("person", "proposed_by")
    return [
        KeepOutRow(
            id=p.pk,
            action=p.action,
            action_label=_label(KeepOutAction, p.action),
            name=p.person.name,
            employee_id=p.person.employee_id,
            note=txt(p.note, KeepOutProposal, "note"),
            proposed_by=p.proposed_by.email,
            proposed_on=timezone.localdate(p.proposed_at),
            may_decide=permissions.may_decide_keep_out(user, p),
        )
        for p in pending.order_by("proposed_at", "id")
    ]


def for_staff(case: Case, user: User, *, now: datetime | None = None) -> CaseView:
    """The whole case as `user` may read it. The caller has fetched it through cases.access."""
    now = now or timezone.now()
    assert permissions.may_read(user, case, Part.METADATA), "fetch cases through ombuds.cases.access"
    # May read, and can: her key opens the case (a grant may still be pending).
    key = keyring.staff_data_key(user, case)
    locked = case.sealed and key is None
    txt = _Opener(case, key)
    reads_content = permissions.may_read(user, case, Part.CONTENT) and not locked
    reads_appeals = permissions.may_read(user, case, Part.APPEAL_REASONS) and not locked
    reads_notes = permissions.may_read(user, case, Part.NOTES) and not locked
    reports = (
        case.reports.prefetch_related(
            Prefetch("people", queryset=InvolvedPerson.objects.select_related("person")),
            "attachments",
            "questionnaire__questions",
        ).order_by("submitted_at", "id")
        if reads_content
        else []
    )
    messages = (
        case.messages.select_related("author").prefetch_related("attachments").order_by("position")
        if reads_content
        else []
    )
    timeline, views = _timeline(case)
    return CaseView(
        **dataclasses.asdict(summary(case, now)),
        outcome=case.outcome,
        outcome_label=_label(Outcome, case.outcome),
        finding=case.finding,
        finding_label=_label(Finding, case.finding),
        decision_reasoning=txt(case.decision_reasoning, Case, "decision_reasoning") if reads_content else "",
        referral=txt(case.referral, Case, "referral") if reads_content else "",
        routed_to_oversight=case.routed_to_oversight,
        responsible=_who(case.assignee),
        deadlines=_deadlines(case, now),
        pending=case.pending_deadlines(),
        reports=[_report(r, txt) for r in reports],
        messages=[_message(m, case.anonymous, txt) for m in messages],
        notes=[
            NoteView(author=n.author.email, created=n.created_at, body=txt(n.body, Note, "body"))
            for n in case.notes.select_related("author").order_by("created_at", "id")
        ]
        if reads_notes
        else [],
        appeals=[
            AppealRow(
                id=a.pk,
                filed_on=timezone.localdate(a.filed_at),
                resolved_on=timezone.localdate(a.resolved_at) if a.resolved_at else None,
                resolution=a.resolution,
                reason=txt(a.reason, Appeal, "reason") if reads_appeals else None,
            )
            for a in case.appeals.order_by("position")
        ],
        proposal=_proposal(case, txt) if reads_content else None,
        conflicts=[
            ConflictRow(
                name=c.person.name,
                employee_id=c.person.employee_id,
                reason=c.reason,
                reason_label=_label(ConflictReason, c.reason),
                via=c.via.name if c.via else None,
            )
            for c in Conflict.objects.filter(case=case).select_related("person", "via").order_by("reason", "id")
        ],
        keep_out_proposals=_keep_out_proposals(case, user, txt) if reads_content else [],
        content_locked=locked and permissions.may_read(user, case, Part.CONTENT),
        oversight_conflicted=routing.oversight_conflicted(case),
        timeline=timeline,
        views=views,
        steps=[StepOffer(transition=t, label=str(RULES[t].label)) for t in permissions.allowed_transitions(user, case)],
        may_resolve_appeals=permissions.may_take(user, case, permissions.Act.RESOLVE_APPEAL),
        works_case=permissions.may_take(user, case, permissions.Act.MESSAGE),
        investigation=permissions.may_read(user, case, Part.INVESTIGATION)
        and (case.allegations.exists() or case.investigators.exists()),
    )


def detail_document(view: CaseView) -> dict[str, Any]:
    """The case as one document: the staff API's case detail and the JSON export are both this."""
    return {
        "reference": view.reference,
        "category": view.category,
        "status": view.status,
        "anonymous": view.anonymous,
        "received_on": view.received_on,
        "assignee": view.assignee,
        "next_deadline": view.next_deadline,
        "overdue": view.overdue,
        "outcome": view.outcome,
        "finding": view.finding,
        "deadlines": [{"name": name, "due": due} for name, due in view.pending],
        "reports": [
            {
                "role": r.role,
                "anonymous": r.anonymous,
                "narrative": r.narrative,
                "occurred": r.occurred,
                "location": r.location,
                "reporter_name": r.reporter_name,
                "reporter_contact": r.reporter_contact,
                "language": r.language,
                "people": [{"name": p.name, "role": p.role} for p in r.people],
                "attachments": [f.filename for f in r.attachments],
                "questionnaire_version": r.questionnaire_version,
                "answers": [
                    {"key": a.key, "question": a.question, "kind": a.kind, "answer": a.answer, "answer_text": a.text}
                    for a in r.answers
                ],
            }
            for r in view.reports
        ],
        "messages": [
            {
                "id": m.id,
                "sender": m.sender,
                "author": m.author,
                "body": m.body,
                "sent": m.sent,
                "read": m.read,
                "feedback": m.feedback,
            }
            for m in view.messages
        ],
        "notes": [{"author": n.author, "created": n.created, "body": n.body} for n in view.notes],
        "allowed_transitions": [step.transition.value for step in view.steps],
    }


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    size: int
    chunks: Iterator[bytes]


def download(attachment: Attachment, user: User) -> Download | None:
    """A file of a case, decrypted chunk by chunk as it is sent; None while her key cannot open the case."""
    case = attachment.case
    if not permissions.may_read(user, case, Part.CONTENT):
        return None
    key = keyring.staff_data_key(user, case)
    if case.sealed and key is None:
        return None
    txt = _Opener(case, key)
    return Download(
        filename=txt(attachment.filename, Attachment, "filename"),
        content_type=txt(attachment.content_type, Attachment, "content_type"),
        size=attachment.size,
        chunks=content.open_file(attachment, key=key, case=case),
    )
