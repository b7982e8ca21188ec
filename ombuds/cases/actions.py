"""Every change to a case, in one place.

Each action is atomic, takes keyword-only arguments, and writes its audit event in
the same transaction as the change. Views, the API and commands call these; none of
them writes a case model directly.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ombuds.accounts.roles import CASE_READERS, Role, roles_of
from ombuds.audit import log
from ombuds.audit.models import ActorKind, EventType
from ombuds.cases import conflicts, notify, quota, workflow
from ombuds.cases.deadlines import initial_deadlines
from ombuds.cases.models import (
    Appeal,
    Attachment,
    Case,
    Category,
    ClosureProposal,
    Conflict,
    ConflictReason,
    Escalation,
    Finding,
    InvolvedPerson,
    LadderStep,
    Message,
    Note,
    Organisation,
    Outcome,
    PersonRole,
    PoolMembership,
    Report,
    ReporterRole,
    Sender,
    Status,
)
from ombuds.cases.selectors import current_organisation
from ombuds.cases.workflow import Transition
from ombuds.directory.importer import ImportResult
from ombuds.directory.models import Person
from ombuds.lib import receipts
from ombuds.lib.durations import Duration

# Crockford's alphabet: no I, L, O or U, so a reference read over the phone is unambiguous.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class ActionError(ValueError):
    """The action was refused; the message is safe to show to the person who asked."""


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class NewPerson:
    name: str
    role: str
    # When the reporter picked the person from the directory.
    employee_id: str = ""


@dataclass(frozen=True)
class FiledReport:
    receipt: str
    report: Report
    case: Case = field(repr=False)


def reporter_moment(*, anonymous: bool, now: datetime | None = None) -> datetime:
    """The time stored for something a reporter did.

    For an anonymous reporter only the day is kept (the start of that day in the
    organisation's time zone): an exact time could be matched against door logs,
    badge readers or calendars and name her.
    """
    now = now or timezone.now()
    if not anonymous:
        return now
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date(), time.min), timezone.get_current_timezone())


def _new_reference() -> str:
    return "C-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def _clean_text(value: str, *, name: str, max_length: int, required: bool = False) -> str:
    text = value.strip()
    if required and not text:
        raise ActionError(_("%(field)s must not be empty") % {"field": name})
    if len(text) > max_length:
        raise ActionError(_("%(field)s is longer than %(max)d characters") % {"field": name, "max": max_length})
    if "\x00" in text:
        raise ActionError(_("%(field)s contains a character that cannot be stored") % {"field": name})
    return text


def _store_attachments(
    *, case: Case, report: Report | None, message: Message | None, files: list[NewAttachment], sender: str, at: datetime
) -> list[Attachment]:
    if len(files) > settings.OMBUDS_MAX_ATTACHMENTS:
        raise ActionError(_("at most %(n)d files can be attached") % {"n": settings.OMBUDS_MAX_ATTACHMENTS})
    quota.check(case=case, incoming=sum(len(item.data) for item in files))
    stored = []
    for item in files:
        if len(item.data) > settings.OMBUDS_MAX_ATTACHMENT_BYTES:
            raise ActionError(_("each file must be at most %(n)d bytes") % {"n": settings.OMBUDS_MAX_ATTACHMENT_BYTES})
        if len(item.data) == 0:
            raise ActionError(_("an attached file is empty"))
        stored.append(
            Attachment.objects.create(
                case=case,
                report=report,
                message=message,
                sender=sender,
                uploaded_at=at,
                size=len(item.data),
                sha256=hashlib.sha256(item.data).hexdigest(),
                filename=_clean_text(item.filename or "file", name=_("file name"), max_length=255, required=True),
                content_type=_clean_text(
                    item.content_type or "application/octet-stream", name=_("file type"), max_length=127
                ),
                data=item.data,
            )
        )
    return stored


MAX_NARRATIVE = 50_000
MAX_SHORT = 200
MAX_PEOPLE = 20


def file_report(
    *,
    category: str,
    role: str,
    narrative: str,
    anonymous: bool,
    occurred: str = "",
    location: str = "",
    people: list[NewPerson] | None = None,
    language: str = "en",
    reporter_name: str = "",
    reporter_contact: str = "",
    attachments: list[NewAttachment] | None = None,
) -> FiledReport:
    """Store a report and open its case in one transaction; return the receipt.

    No evidence is asked for: the narrative alone opens a case (R1). The receipt is
    returned only after the commit, so a reporter never holds a receipt for a report
    that was not stored.
    """
    if category not in Category.values:
        raise ActionError(_("unknown category"))
    if role not in ReporterRole.values:
        raise ActionError(_("unknown reporter role"))
    narrative = _clean_text(narrative, name=_("what happened"), max_length=MAX_NARRATIVE, required=True)
    occurred = _clean_text(occurred, name=_("when"), max_length=MAX_SHORT)
    location = _clean_text(location, name=_("where"), max_length=MAX_SHORT)
    reporter_name = _clean_text(reporter_name, name=_("name"), max_length=MAX_SHORT)
    reporter_contact = _clean_text(reporter_contact, name=_("contact"), max_length=MAX_SHORT)
    language = _clean_text(language or "en", name=_("language"), max_length=16)
    if anonymous and reporter_name:
        raise ActionError(_("an anonymous report cannot carry the reporter's name"))
    people = people or []
    if len(people) > MAX_PEOPLE:
        raise ActionError(_("at most %(n)d people can be named") % {"n": MAX_PEOPLE})
    cleaned_people = []
    for person in people:
        if person.role not in PersonRole.values:
            raise ActionError(_("unknown role for a person involved"))
        cleaned_people.append(
            NewPerson(
                name=_clean_text(person.name, name=_("person's name"), max_length=MAX_SHORT, required=True),
                role=person.role,
                employee_id=person.employee_id.replace("\x00", "").strip()[:64],
            )
        )

    receipt = receipts.new_receipt()
    digest = receipts.digest(receipt)
    assert digest is not None  # a fresh receipt is always well-formed
    at = reporter_moment(anonymous=anonymous)
    with transaction.atomic():
        org = current_organisation()
        deadlines = initial_deadlines(org, received_at=at, category=category)
        case = Case.objects.create(
            reference=_new_reference(),
            category=category,
            anonymous=anonymous,
            received_at=at,
            ack_due_at=deadlines.ack_due_at,
            feedback_due_at=deadlines.feedback_due_at,
            first_action_due_at=deadlines.first_action_due_at,
            next_deadline_at=min(d for d in [deadlines.ack_due_at, deadlines.first_action_due_at] if d is not None),
        )
        report = Report.objects.create(
            case=case,
            receipt_digest=digest,
            role=role,
            anonymous=anonymous,
            language=language,
            submitted_at=at,
            narrative=narrative,
            occurred=occurred,
            location=location,
            reporter_name=reporter_name,
            reporter_contact=reporter_contact,
        )
        picked = {
            person.employee_id: person
            for person in Person.objects.filter(
                employee_id__in=[p.employee_id for p in cleaned_people if p.employee_id]
            )
        }
        InvolvedPerson.objects.bulk_create(
            [
                InvolvedPerson(report=report, name=p.name, role=p.role, person=picked.get(p.employee_id))
                for p in cleaned_people
            ]
        )
        stored = _store_attachments(
            case=case, report=report, message=None, files=attachments or [], sender=Sender.REPORTER, at=at
        )
        log.record(
            EventType.REPORT_FILED,
            at=at,
            case=case,
            actor_kind=ActorKind.REPORTER,
            detail={"report": report.pk, "attachments": len(stored), "people": len(cleaned_people)},
        )
        _recompute_conflicts(case, at=at)
        if not case.routed_to_oversight:
            # The category's pool, or the lead handlers when all of the pool is conflicted.
            notify.queue(notify.Kind.NEW_CASE, case=case, recipients=notify.pool(case) or notify.leads(case))
    return FiledReport(receipt=receipt, report=report, case=case)


def post_reporter_message(*, report: Report, body: str, attachments: list[NewAttachment] | None = None) -> Message:
    """The reporter writes to the handlers, optionally adding files (information added later)."""
    attachments = attachments or []
    body = _clean_text(body, name=_("message"), max_length=MAX_NARRATIVE, required=not attachments)
    at = reporter_moment(anonymous=report.anonymous)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=report.case_id)
        message = Message.objects.create(case=case, sender=Sender.REPORTER, sent_at=at, body=body)
        stored = _store_attachments(
            case=case, report=report, message=message, files=attachments, sender=Sender.REPORTER, at=at
        )
        notify.queue(notify.Kind.REPORTER_MESSAGE, case=case, recipients=notify.responsible(case))
        log.record(
            EventType.REPORTER_MESSAGE,
            at=at,
            case=case,
            actor_kind=ActorKind.REPORTER,
            detail={"message": message.pk, "attachments": len(stored)},
        )
    return message


def file_appeal(*, report: Report, reason: str) -> Appeal:
    """The reporter appeals to the independent oversight body (R4)."""
    reason = _clean_text(reason, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    at = reporter_moment(anonymous=report.anonymous)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=report.case_id)
        appeal = Appeal.objects.create(case=case, filed_at=at, reason=reason)
        notify.queue(notify.Kind.APPEAL, case=case, recipients=notify.oversight(case))
        log.record(
            EventType.APPEAL_FILED,
            at=at,
            case=case,
            actor_kind=ActorKind.REPORTER,
            detail={"appeal": appeal.pk},
        )
    return appeal


def add_reporter_attachments(*, report: Report, attachments: list[NewAttachment]) -> list[Attachment]:
    """The reporter adds files to her report after filing it."""
    if not attachments:
        raise ActionError(_("choose at least one file"))
    at = reporter_moment(anonymous=report.anonymous)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=report.case_id)
        stored = _store_attachments(
            case=case, report=report, message=None, files=attachments, sender=Sender.REPORTER, at=at
        )
        log.record(
            EventType.REPORTER_ATTACHMENT,
            at=at,
            case=case,
            actor_kind=ActorKind.REPORTER,
            detail={"attachments": [a.pk for a in stored]},
        )
    return stored


# --- Staff actions ------------------------------------------------------------------
# Each loads the case under a row lock, checks the state machine and the actor's roles,
# changes the case, refreshes its deadlines and writes its audit event, all in one
# transaction. Notifications are queued to run only after the commit.


def refresh_deadlines(case: Case) -> None:
    """Recompute the stored next deadline from the case's pending ones (no save)."""
    pending = case.pending_deadlines()
    case.next_deadline_at = pending[0][1] if pending else None


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _check(actor: User, case: Case, transition: Transition) -> None:
    if not workflow.may(actor, case, transition) or conflicts.is_conflicted(actor, case):
        raise ActionError(_("This step is not possible for this case now."))


def _staff_record(event: EventType, *, case: Case, actor: User, at: datetime, **detail: Any) -> None:
    log.record(event, at=at, case=case, actor_kind=ActorKind.STAFF, actor=actor, detail=detail)


def _first_action(case: Case, now: datetime) -> None:
    if case.first_action_at is None:
        case.first_action_at = now


def _reporter_language(case: Case) -> str:
    first = case.reports.order_by("id").first()
    return first.language if first else settings.LANGUAGE_CODE


def _tell_reporter(case: Case, actor: User, body: str, *, now: datetime, feedback: bool) -> Message:
    message = Message.objects.create(
        case=case, sender=Sender.STAFF, author=actor, sent_at=now, body=body, is_feedback=feedback
    )
    if feedback and case.feedback_given_at is None:
        case.feedback_given_at = now
    return message


def _save(case: Case) -> None:
    refresh_deadlines(case)
    case.save()


def acknowledge_case(*, case: Case, actor: User, message: str = "") -> Case:
    """Confirm receipt to the reporter; feedback is then due three months (by default) later."""
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _check(actor, case, Transition.ACKNOWLEDGE)
        org = current_organisation()
        body = _clean_text(message, name=_("message"), max_length=MAX_NARRATIVE)
        if not body:
            with translation.override(_reporter_language(case)):
                body = str(
                    _(
                        "Thank you for your report. A case handler has received it and will look into it. "
                        "You can write to us here at any time."
                    )
                )
        case.status = Status.ACKNOWLEDGED
        case.acknowledged_at = now
        case.feedback_due_at = Duration.parse(org.feedback_deadline).after(now)
        _first_action(case, now)
        _tell_reporter(case, actor, body, now=now, feedback=False)
        _save(case)
        _staff_record(EventType.CASE_ACKNOWLEDGED, case=case, actor=actor, at=now)
    return case


def assign_case(*, case: Case, actor: User, assignee: User) -> Case:
    """Make `assignee` responsible. Leads and oversight assign anyone; a handler may take an unassigned case."""
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        actor_roles = roles_of(actor)
        if not case.is_open():
            raise ActionError(_("A closed case cannot be assigned; reopen it first."))
        if not roles_of(assignee) & {Role.HANDLER, Role.LEAD_HANDLER}:
            raise ActionError(_("Cases can only be assigned to handlers."))
        if conflicts.is_conflicted(assignee, case) or conflicts.is_conflicted(actor, case):
            raise ActionError(_("This person is conflicted on this case and cannot handle it."))
        senior = bool(actor_roles & {Role.LEAD_HANDLER, Role.OVERSIGHT})
        taking = Role.HANDLER in actor_roles and assignee == actor and case.assignee_id is None
        if not (senior or taking):
            raise ActionError(_("Only a lead handler or oversight can assign this case."))
        previous = case.assignee_id
        case.assignee = assignee
        _first_action(case, now)
        _save(case)
        _staff_record(EventType.CASE_ASSIGNED, case=case, actor=actor, at=now, assignee=assignee.pk, previous=previous)
        if assignee != actor:
            notify.queue(notify.Kind.ASSIGNED, case=case, recipients=[assignee], now=now)
    return case


def begin_assessment(*, case: Case, actor: User) -> Case:
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _check(actor, case, Transition.BEGIN_ASSESSMENT)
        case.status = Status.ASSESSMENT
        _first_action(case, now)
        _save(case)
        _staff_record(EventType.ASSESSMENT_STARTED, case=case, actor=actor, at=now)
    return case


def open_investigation(*, case: Case, actor: User) -> Case:
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _check(actor, case, Transition.INVESTIGATE)
        if case.closure_proposals.filter(decided_at__isnull=True).exists():
            raise ActionError(_("A closure proposal is waiting for a decision; decide on it first."))
        case.status = Status.INVESTIGATION
        _save(case)
        _staff_record(EventType.INVESTIGATION_STARTED, case=case, actor=actor, at=now)
    return case


def refer_case(*, case: Case, actor: User, referral: str, message: str) -> ClosureProposal:
    """Propose referring the matter elsewhere (police, another body) instead of investigating.

    A referral ends the case here without an investigation, so like any such closure it
    needs a second person's approval (R5); on approval the reporter receives `message`.
    """
    now = timezone.now()
    referral = _clean_text(referral, name=_("referred to"), max_length=300, required=True)
    message = _clean_text(message, name=_("message to the reporter"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic():
        case = _locked(case)
        _check(actor, case, Transition.REFER)
        proposal = ClosureProposal.objects.create(
            case=case, proposed_by=actor, proposed_at=now, reason=message, referral=referral
        )
        _first_action(case, now)
        _save(case)
        _staff_record(EventType.CLOSURE_PROPOSED, case=case, actor=actor, at=now, proposal=proposal.pk, referral=True)
        notify.queue(notify.Kind.CLOSURE_PROPOSED, case=case, recipients=notify.approvers(case, exclude=actor), now=now)
    return proposal


_EVIDENCE_ONLY = re.compile(
    r"(insufficient|not enough|lack of|no|missing|without)\s+(evidence|proof)|证据不足|没有证据|缺乏证据", re.IGNORECASE
)


def _is_evidence_only(reason: str) -> bool:
    """True when a reason says little more than "insufficient evidence" (R1: evidence is never a gate)."""
    if not _EVIDENCE_ONLY.search(reason):
        return False
    rest = _EVIDENCE_ONLY.sub("", reason)
    return len(re.sub(r"\W", "", rest)) < 20


def propose_closure(*, case: Case, actor: User, reason: str, search_done: str) -> ClosureProposal:
    """Propose closing without investigation. A second person must approve (R5)."""
    now = timezone.now()
    reason = _clean_text(reason, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    search_done = _clean_text(
        search_done, name=_("what was done to look for information"), max_length=MAX_NARRATIVE, required=True
    )
    if _is_evidence_only(reason):
        raise ActionError(
            _(
                "“Insufficient evidence” alone is not a reason to close: a report never needs evidence. "
                "Explain why the case cannot or should not be investigated."
            )
        )
    with transaction.atomic():
        case = _locked(case)
        _check(actor, case, Transition.PROPOSE_CLOSURE)
        if case.closure_proposals.filter(decided_at__isnull=True).exists():
            raise ActionError(_("A closure proposal is already waiting for a decision."))
        proposal = ClosureProposal.objects.create(
            case=case, proposed_by=actor, proposed_at=now, reason=reason, search_done=search_done
        )
        _first_action(case, now)
        _save(case)
        _staff_record(EventType.CLOSURE_PROPOSED, case=case, actor=actor, at=now, proposal=proposal.pk)
        notify.queue(notify.Kind.CLOSURE_PROPOSED, case=case, recipients=notify.approvers(case, exclude=actor), now=now)
    return proposal


def _decision_on_proposal(case: Case, actor: User, transition: Transition) -> ClosureProposal:
    """The pending proposal `actor` may decide on, or a refusal that says why."""
    rule = workflow.RULES[transition]
    if case.status not in rule.sources or not roles_of(actor) & rule.roles or conflicts.is_conflicted(actor, case):
        raise ActionError(_("This step is not possible for this case now."))
    return _pending_proposal(case, actor)


def _pending_proposal(case: Case, actor: User) -> ClosureProposal:
    proposal = case.closure_proposals.filter(decided_at__isnull=True).first()
    if proposal is None:
        raise ActionError(_("There is no closure proposal to decide on."))
    if proposal.proposed_by_id == actor.pk:
        raise ActionError(_("A closure must be decided by someone other than the person who proposed it."))
    return proposal


def approve_closure(*, case: Case, actor: User, note: str = "") -> Case:
    """The second person approves: the case closes and the reporter is told why, in plain words."""
    now = timezone.now()
    note = _clean_text(note, name=_("note"), max_length=MAX_NARRATIVE)
    with transaction.atomic():
        case = _locked(case)
        proposal = _decision_on_proposal(case, actor, Transition.APPROVE_CLOSURE)
        proposal.decided_by = actor
        proposal.decided_at = now
        proposal.approved = True
        proposal.decision_note = note
        proposal.save()
        case.status = Status.CLOSED
        case.closed_at = now
        if proposal.referral:
            case.outcome = Outcome.REFERRED
            case.referral = proposal.referral
            body = proposal.reason  # the handler's message saying where and why
        else:
            case.outcome = Outcome.CLOSED_WITHOUT_INVESTIGATION
            org = current_organisation()
            with translation.override(_reporter_language(case)):
                body = str(
                    _(
                        "Your report has been closed without an investigation.\n\nThe reason: %(reason)s\n\n"
                        "If you disagree, you can appeal to %(body)s from this page."
                    )
                    % {"reason": proposal.reason, "body": org.oversight_name}
                )
        _tell_reporter(case, actor, body, now=now, feedback=True)
        _save(case)
        _staff_record(EventType.CLOSURE_APPROVED, case=case, actor=actor, at=now, proposal=proposal.pk)
        if proposal.referral:
            _staff_record(EventType.CASE_REFERRED, case=case, actor=actor, at=now, proposal=proposal.pk)
    return case


def reject_closure(*, case: Case, actor: User, note: str) -> ClosureProposal:
    now = timezone.now()
    note = _clean_text(note, name=_("note"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic():
        case = _locked(case)
        proposal = _decision_on_proposal(case, actor, Transition.REJECT_CLOSURE)
        proposal.decided_by = actor
        proposal.decided_at = now
        proposal.approved = False
        proposal.decision_note = note
        proposal.save()
        _staff_record(EventType.CLOSURE_REJECTED, case=case, actor=actor, at=now, proposal=proposal.pk)
    return proposal


def withdraw_closure(*, case: Case, actor: User) -> ClosureProposal:
    """The proposer takes back a closure or referral proposal; the case stays in assessment."""
    now = timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _check(actor, case, Transition.WITHDRAW_CLOSURE)
        proposal = case.closure_proposals.filter(decided_at__isnull=True).get()
        proposal.decided_by = actor
        proposal.decided_at = now
        proposal.approved = None  # neither approved nor rejected: withdrawn
        proposal.decision_note = "withdrawn by the proposer"
        proposal.save()
        _staff_record(EventType.CLOSURE_WITHDRAWN, case=case, actor=actor, at=now, proposal=proposal.pk)
    return proposal


def record_finding(*, case: Case, actor: User, finding: str, reasoning: str) -> Case:
    now = timezone.now()
    if finding not in Finding.values:
        raise ActionError(_("Choose a finding."))
    reasoning = _clean_text(reasoning, name=_("reasoning"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic():
        case = _locked(case)
        _check(actor, case, Transition.DECIDE)
        case.status = Status.DECIDED
        case.finding = finding
        case.decision_reasoning = reasoning
        case.outcome = Outcome.DECIDED
        _save(case)
        _staff_record(EventType.CASE_DECIDED, case=case, actor=actor, at=now, finding=finding)
    return case


def close_case(*, case: Case, actor: User, feedback: str) -> Case:
    """Close a decided case with feedback to the reporter."""
    now = timezone.now()
    feedback = _clean_text(feedback, name=_("feedback to the reporter"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic():
        case = _locked(case)
        _check(actor, case, Transition.CLOSE)
        case.status = Status.CLOSED
        case.closed_at = now
        _tell_reporter(case, actor, feedback, now=now, feedback=True)
        _save(case)
        _staff_record(EventType.CASE_CLOSED, case=case, actor=actor, at=now)
    return case


def reopen_case(*, case: Case, actor: User, reason: str) -> Case:
    now = timezone.now()
    reason = _clean_text(reason, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic():
        case = _locked(case)
        _check(actor, case, Transition.REOPEN)
        case.status = Status.ASSESSMENT
        case.closed_at = None
        # The earlier outcome stays in the timeline and the messages; the case starts afresh.
        case.outcome = ""
        case.finding = ""
        case.decision_reasoning = ""
        case.referral = ""
        # A reopened case owes the reporter fresh feedback.
        case.feedback_given_at = None
        case.feedback_due_at = Duration.parse(current_organisation().feedback_deadline).after(now)
        Note.objects.create(case=case, author=actor, created_at=now, body=reason)
        _save(case)
        _staff_record(EventType.CASE_REOPENED, case=case, actor=actor, at=now)
        _recompute_conflicts(case, at=now)
    return case


def send_staff_message(*, case: Case, actor: User, body: str, is_feedback: bool = False) -> Message:
    """Write to the reporter. A feedback message meets the feedback deadline."""
    now = timezone.now()
    body = _clean_text(body, name=_("message"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic():
        case = _locked(case)
        if not roles_of(actor) & CASE_READERS or conflicts.is_conflicted(actor, case):
            raise ActionError(_("This step is not possible for this case now."))
        message = _tell_reporter(case, actor, body, now=now, feedback=is_feedback)
        _first_action(case, now)
        _save(case)
        _staff_record(EventType.STAFF_MESSAGE, case=case, actor=actor, at=now, message=message.pk, feedback=is_feedback)
    return message


def add_note(*, case: Case, actor: User, body: str) -> Note:
    now = timezone.now()
    body = _clean_text(body, name=_("note"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic():
        case = _locked(case)
        if not roles_of(actor) & CASE_READERS or conflicts.is_conflicted(actor, case):
            raise ActionError(_("This step is not possible for this case now."))
        note = Note.objects.create(case=case, author=actor, created_at=now, body=body)
        _staff_record(EventType.NOTE_ADDED, case=case, actor=actor, at=now, note=note.pk)
    return note


def record_case_view(*, case: Case, actor: User) -> None:
    """Every time staff open a case it is recorded, and the reporter's messages count as read."""
    now = timezone.now()
    with transaction.atomic():
        Message.objects.filter(case=case, sender=Sender.REPORTER, read_at__isnull=True).update(read_at=now)
        _staff_record(EventType.CASE_VIEWED, case=case, actor=actor, at=now)


def record_case_export(*, case: Case, actor: User) -> None:
    with transaction.atomic():
        _staff_record(EventType.CASE_EXPORTED, case=case, actor=actor, at=timezone.now())


def record_attachment_download(*, attachment: Attachment, actor: User) -> None:
    with transaction.atomic():
        _staff_record(
            EventType.ATTACHMENT_DOWNLOADED,
            case=attachment.case,
            actor=actor,
            at=timezone.now(),
            attachment=attachment.pk,
        )


class AppealResolution(enum.StrEnum):
    REOPEN = "reopen"
    REASSIGN = "reassign"
    DIRECT = "direct"


def resolve_appeal(*, appeal: Appeal, actor: User, resolution: str, note: str, assignee: User | None = None) -> Appeal:
    """Oversight answers an appeal: reopen the case, reassign it, or direct the handlers. All or nothing."""
    now = timezone.now()
    note = _clean_text(note, name=_("note"), max_length=MAX_NARRATIVE, required=True)
    if resolution not in AppealResolution.__members__.values():
        raise ActionError(_("Choose how to resolve the appeal."))
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().select_related("case").get(pk=appeal.pk)
        case = appeal.case
        if Role.OVERSIGHT not in roles_of(actor) or conflicts.is_conflicted(actor, case):
            raise ActionError(_("Only oversight resolves appeals."))
        if appeal.resolved_at is not None:
            raise ActionError(_("This appeal has already been resolved."))
        if resolution == AppealResolution.REOPEN:
            if case.status not in (Status.CLOSED, Status.DECIDED):
                raise ActionError(_("Only a closed or decided case can be reopened."))
            reopen_case(case=case, actor=actor, reason=note)
        elif resolution == AppealResolution.REASSIGN:
            if assignee is None:
                raise ActionError(_("Choose the handler to assign."))
            assign_case(case=case, actor=actor, assignee=assignee)
        appeal.resolved_at = now
        appeal.resolved_by = actor
        appeal.resolution = resolution
        appeal.resolution_note = note
        appeal.save()
        if resolution == AppealResolution.DIRECT:
            Note.objects.create(case=case, author=actor, created_at=now, body=note)
        _staff_record(
            EventType.APPEAL_RESOLVED, case=case, actor=actor, at=now, appeal=appeal.pk, resolution=resolution
        )
    return appeal


def take_step(transition: Transition, *, case: Case, actor: User, data: dict[str, Any]) -> None:
    """Run one workflow step with validated data; the staff pages and the API both call this."""
    match transition:
        case Transition.ACKNOWLEDGE:
            acknowledge_case(case=case, actor=actor, message=data.get("message", ""))
        case Transition.BEGIN_ASSESSMENT:
            begin_assessment(case=case, actor=actor)
        case Transition.INVESTIGATE:
            open_investigation(case=case, actor=actor)
        case Transition.REFER:
            refer_case(case=case, actor=actor, referral=data["referral"], message=data["message"])
        case Transition.PROPOSE_CLOSURE:
            propose_closure(case=case, actor=actor, reason=data["reason"], search_done=data["search_done"])
        case Transition.APPROVE_CLOSURE:
            approve_closure(case=case, actor=actor, note=data.get("note", ""))
        case Transition.REJECT_CLOSURE:
            reject_closure(case=case, actor=actor, note=data["note"])
        case Transition.WITHDRAW_CLOSURE:
            withdraw_closure(case=case, actor=actor)
        case Transition.DECIDE:
            record_finding(case=case, actor=actor, finding=data["finding"], reasoning=data["reasoning"])
        case Transition.CLOSE:
            close_case(case=case, actor=actor, feedback=data["feedback"])
        case Transition.REOPEN:
            reopen_case(case=case, actor=actor, reason=data["reason"])


# --- Escalation (run by the worker) -----------------------------------------------------

_LADDER_EVENTS = {
    LadderStep.REMINDER: EventType.DEADLINE_REMINDER,
    LadderStep.LEAD: EventType.ESCALATED_TO_LEAD,
    LadderStep.OVERSIGHT: EventType.ESCALATED_TO_OVERSIGHT,
}


def escalate(*, case: Case, deadline: str, due_at: datetime, step: str, now: datetime) -> Escalation | None:
    """Take one ladder step for one deadline, exactly once.

    The Escalation row's unique constraint is the claim: when two workers race, one
    insert fails and that worker does nothing. The audit event and the notices commit
    with the claim, so a worker killed midway leaves nothing half done; the step is
    simply taken by the next sweep.
    """
    try:
        with transaction.atomic():
            case = _locked(case)
            pending = dict(case.pending_deadlines())
            if pending.get(deadline) != due_at:
                return None  # met or moved since the sweep looked
            escalation = Escalation.objects.create(case=case, deadline=deadline, due_at=due_at, step=step, at=now)
            if step == LadderStep.REMINDER:
                recipients = notify.responsible(case)
            elif step == LadderStep.LEAD:
                recipients = notify.leads(case)
            else:
                recipients = notify.oversight(case)
            if step == LadderStep.LEAD and not recipients:
                # Nobody who may lead this case: it goes straight to oversight.
                recipients = notify.oversight(case)
                escalation.to_oversight = True
                escalation.save(update_fields=["to_oversight"])
            elif step == LadderStep.OVERSIGHT:
                escalation.to_oversight = True
                escalation.save(update_fields=["to_oversight"])
            kind = notify.Kind.DEADLINE_NEAR if step == LadderStep.REMINDER else notify.Kind.ESCALATED
            notify.queue(kind, case=case, recipients=recipients, now=now)
            log.record(
                _LADDER_EVENTS[LadderStep(step)],
                at=now,
                case=case,
                actor_kind=ActorKind.SYSTEM,
                detail={"deadline": deadline, "due_at": due_at.isoformat(), "recipients": len(recipients)},
            )
    except IntegrityError:
        return None
    return escalation


# --- Conflicts (R3) ------------------------------------------------------------------------


def _recompute_conflicts(case: Case, *, at: datetime, actor: User | None = None) -> bool:
    """Bring the stored conflict set in line with the directory; act on what changed.

    Runs inside the caller's transaction. Returns whether the set changed. A conflicted
    assignee is removed at once, and a case no unconflicted handler can take goes to
    oversight.
    """
    wanted = conflicts.compute(case)
    have = conflicts.stored(case)
    added, removed = wanted - have, have - wanted
    actor_kind = ActorKind.STAFF if actor else ActorKind.SYSTEM
    for entry in removed:
        Conflict.objects.filter(case=case, person_id=entry.person_id, reason=entry.reason).delete()
    for entry in added:
        Conflict.objects.update_or_create(
            case=case, person_id=entry.person_id, reason=entry.reason, defaults={"via_id": entry.via_id}
        )
    if added or removed:
        log.record(
            EventType.CONFLICTS_CHANGED,
            at=at,
            case=case,
            actor_kind=actor_kind,
            actor=actor,
            detail={"added": sorted(e.person_id for e in added), "removed": sorted(e.person_id for e in removed)},
        )
    _route_around_conflicts(case, at=at)
    return bool(added or removed)


def _route_around_conflicts(case: Case, *, at: datetime) -> None:
    if case.assignee is not None and conflicts.is_conflicted(case.assignee, case):
        previous = case.assignee_id
        case.assignee = None
        case.save(update_fields=["assignee"])
        log.record(
            EventType.UNASSIGNED_FOR_CONFLICT,
            at=at,
            case=case,
            actor_kind=ActorKind.SYSTEM,
            detail={"previous": previous},
        )
    if case.is_open() and not case.routed_to_oversight and not notify.pool(case) and not notify.leads(case):
        case.routed_to_oversight = True
        case.save(update_fields=["routed_to_oversight"])
        log.record(EventType.ROUTED_TO_OVERSIGHT, at=at, case=case, actor_kind=ActorKind.SYSTEM)
        # The real time decides when the notice may go (batched for an anonymous reporter).
        notify.queue(notify.Kind.ESCALATED, case=case, recipients=notify.oversight(case))


def link_person(*, mention: InvolvedPerson, actor: User, person: Person) -> InvolvedPerson:
    """A handler links a typed name to a directory person; the conflict set follows."""
    now = timezone.now()
    with transaction.atomic():
        case = _locked(mention.report.case)
        if not roles_of(actor) & CASE_READERS or conflicts.is_conflicted(actor, case):
            raise ActionError(_("This step is not possible for this case now."))
        mention = InvolvedPerson.objects.select_for_update().get(pk=mention.pk)
        if mention.person_id is not None:
            # A link, above all the reporter's own pick, is never replaced: that would let
            # one handler take the accused and their chain out of the conflict set.
            raise ActionError(_("This name is already linked to the directory."))
        mention.person = person
        mention.save(update_fields=["person"])
        _staff_record(EventType.PERSON_LINKED, case=case, actor=actor, at=now, mention=mention.pk, person=person.pk)
        _recompute_conflicts(case, at=now, actor=actor)
    return mention


def add_conflict(*, case: Case, actor: User, person: Person, note: str) -> Conflict:
    """A handler keeps someone out of a case, with a reason."""
    now = timezone.now()
    note = _clean_text(note, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic():
        case = _locked(case)
        if not roles_of(actor) & CASE_READERS or conflicts.is_conflicted(actor, case):
            raise ActionError(_("This step is not possible for this case now."))
        conflict, _created = Conflict.objects.get_or_create(
            case=case, person=person, reason=ConflictReason.HANDLER, defaults={"added_by": actor, "note": note}
        )
        _staff_record(EventType.CONFLICT_ADDED, case=case, actor=actor, at=now, person=person.pk)
        _route_around_conflicts(case, at=now)
    return conflict


def directory_changed(*, now: datetime | None = None) -> int:
    """Recompute the conflict set of every case that names a directory person.

    Called after a directory import: a new manager of an accused person loses access at
    once. Returns the number of cases whose set changed.
    """
    now = now or timezone.now()
    changed = 0
    # Closed cases too: a new manager of the accused must not read an old case either.
    case_ids = InvolvedPerson.objects.filter(person__isnull=False).values_list("report__case_id", flat=True).distinct()
    for case_id in list(case_ids):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            if _recompute_conflicts(case, at=now):
                changed += 1
    return changed


# --- Organisation settings ------------------------------------------------------------------


def configure_organisation(
    *,
    name: str | None = None,
    oversight_name: str | None = None,
    ack_deadline: str | None = None,
    feedback_deadline: str | None = None,
    assault_first_action_deadline: str | None = None,
) -> Organisation:
    """Change the organisation's settings; durations are checked before anything is saved."""
    from ombuds.lib.durations import InvalidDuration

    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=1)
        for field, value in [
            ("ack_deadline", ack_deadline),
            ("feedback_deadline", feedback_deadline),
            ("assault_first_action_deadline", assault_first_action_deadline),
        ]:
            if value is None:
                continue
            try:
                Duration.parse(value)
            except InvalidDuration as exc:
                raise ActionError(str(exc)) from None
            setattr(org, field, value.strip().upper())
        if name is not None:
            org.name = _clean_text(name, name=_("name"), max_length=200, required=True)
        if oversight_name is not None:
            org.oversight_name = _clean_text(oversight_name, name=_("name"), max_length=200, required=True)
        org.save()
        log.record_system(
            EventType.ORGANISATION_CONFIGURED,
            ack_deadline=org.ack_deadline,
            feedback_deadline=org.feedback_deadline,
            assault_first_action_deadline=org.assault_first_action_deadline,
        )
    return org


def set_pool_membership(*, category: str, user: User, member: bool) -> None:
    """Put a handler in or out of a category's pool (who sees and hears of new cases)."""
    if category not in Category.values:
        raise ActionError(_("unknown category"))
    if member and not roles_of(user) & {Role.HANDLER, Role.LEAD_HANDLER}:
        raise ActionError(_("only handlers can be in a pool"))
    with transaction.atomic():
        if member:
            PoolMembership.objects.get_or_create(category=category, user=user)
        else:
            PoolMembership.objects.filter(category=category, user=user).delete()
        log.record_system(EventType.POOL_CHANGED, category=category, user=user.pk, member=member)


def after_directory_import(result: ImportResult, *, staff_linked: int = 0) -> int:
    """Record a directory import and bring every affected case's conflict set up to date."""
    now = timezone.now()
    with transaction.atomic():
        log.record_system(
            EventType.DIRECTORY_IMPORTED,
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            manager_changes=len(result.manager_changes),
        )
    if not result.changed_person_ids and not staff_linked:
        return 0
    # A newly linked staff account may be conflicted on a case it is assigned to.
    return directory_changed(now=now)


def release_assignments(*, user: User) -> int:
    """Unassign every open case of a person who leaves; each case shows "nobody" until reassigned."""
    now = timezone.now()
    released = 0
    for case_id in Case.objects.filter(assignee=user).exclude(status=Status.CLOSED).values_list("pk", flat=True):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            case.assignee = None
            case.save(update_fields=["assignee"])
            log.record(
                EventType.CASE_ASSIGNED,
                at=now,
                case=case,
                actor_kind=ActorKind.SYSTEM,
                detail={"assignee": None, "previous": user.pk},
            )
            released += 1
    return released
