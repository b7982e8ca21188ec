"""What staff do on a case: the workflow steps, messages, notes, assignment and appeals.

Each entry point loads the case under a row lock, asks ombuds.cases.permissions whether
the actor may take the step, changes the case (the new status comes from the workflow
table), refreshes its deadlines and writes its audit event, all in one durable
transaction. Notices are stored in that transaction and sent by the worker afterwards.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ombuds.accounts.roles import roles_of
from ombuds.audit.models import EventType
from ombuds.cases import conflicts, keyring, notify, permissions, routing
from ombuds.cases.actions._base import (
    MAX_NARRATIVE,
    ActionError,
    Box,
    check,
    clean_text,
    first_action,
    locked,
    reporter_language,
    save_case,
    staff_box,
    staff_record,
    target_status,
    tell_reporter,
)
from ombuds.cases.actions._routing import recompute_conflicts, refuse_keeping_out_approvers
from ombuds.cases.models import (
    Appeal,
    Case,
    ClosureGrounds,
    ClosureProposal,
    Finding,
    Message,
    Note,
    Outcome,
    ProposalKind,
    Status,
)
from ombuds.cases.permissions import Act
from ombuds.cases.selectors import current_organisation
from ombuds.cases.workflow import FINDINGS_NEEDING_APPROVAL, PROPOSAL_TARGETS, RULES, Transition
from ombuds.investigations import helpers as investigation
from ombuds.lib.durations import Duration


def acknowledge_case(*, case: Case, actor: User, message: str = "") -> Case:
    """Confirm receipt to the reporter; feedback is then due three months (by default) later."""
    now = timezone.now()
    body = clean_text(message, name=_("message"), max_length=MAX_NARRATIVE)
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Transition.ACKNOWLEDGE)
        box = staff_box(actor, case)
        org = current_organisation()
        if not body:
            with translation.override(reporter_language(case)):
                body = str(
                    _(
                        "Thank you for your report. A case handler has received it and will look into it. "
                        "You can write to us here at any time."
                    )
                )
        case.status = target_status(Transition.ACKNOWLEDGE)
        case.acknowledged_at = now
        case.feedback_due_at = Duration.parse(org.feedback_deadline).after(now)
        first_action(case, now)
        tell_reporter(case, actor, body, now=now, feedback=False, box=box)
        save_case(case)
        staff_record(EventType.CASE_ACKNOWLEDGED, case=case, actor=actor, at=now)
    return case


def _assign(case: Case, *, actor: User, assignee: User, now: datetime) -> None:
    """Make `assignee` responsible (inside the caller's transaction, the case locked)."""
    if not case.is_open():
        raise ActionError(_("A closed case cannot be assigned; reopen it first."))
    if not permissions.may_be_assigned(assignee, case):
        if not conflicts.is_conflicted(assignee, case):
            raise ActionError(_("Cases can only be assigned to handlers."))
        raise ActionError(_("This person is conflicted on this case and cannot handle it."))
    if conflicts.is_conflicted(actor, case):
        raise ActionError(_("This person is conflicted on this case and cannot handle it."))
    if not permissions.may_take(actor, case, Act.ASSIGN, assignee=assignee):
        raise ActionError(_("Only a lead handler or oversight can assign this case."))
    previous = case.assignee_id
    case.assignee = assignee
    first_action(case, now)
    save_case(case)
    staff_record(EventType.CASE_ASSIGNED, case=case, actor=actor, at=now, assignee=assignee.pk, previous=previous)
    # The assignee may read the case from now on; the pool, no longer.
    keyring.sync_grants(case, keyring.staff_data_key(actor, case), now=now, by=actor)
    if assignee != actor:
        notify.queue(notify.Kind.ASSIGNED, case=case, recipients=[assignee], now=now)


def assign_case(*, case: Case, actor: User, assignee: User) -> Case:
    """Make `assignee` responsible. Leads and oversight assign anyone; a handler may take an unassigned case."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        case = locked(case)
        _assign(case, actor=actor, assignee=assignee, now=now)
    return case


def begin_assessment(*, case: Case, actor: User) -> Case:
    now = timezone.now()
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Transition.BEGIN_ASSESSMENT)
        case.status = target_status(Transition.BEGIN_ASSESSMENT)
        first_action(case, now)
        save_case(case)
        staff_record(EventType.ASSESSMENT_STARTED, case=case, actor=actor, at=now)
    return case


def open_investigation(
    *,
    case: Case,
    actor: User,
    investigators: Sequence[User] = (),
    allegations: Sequence[investigation.NewAllegation] = (),
) -> Case:
    """Open an investigation: name one or more investigators and record the allegations to decide.

    Each allegation is a person involved (named as accused in the report, or added now,
    which keeps them and their management chain out of the case) and the conduct
    alleged. The investigators get the case's key at once (ombuds.cases.keyring).
    """
    now = timezone.now()
    with transaction.atomic(durable=True):
        case = locked(case)
        if permissions.pending_proposal_by(case) is not None:
            raise ActionError(_("A closure proposal is waiting for a decision; decide on it first."))
        check(actor, case, Transition.INVESTIGATE)
        box = staff_box(actor, case)
        case.status = target_status(Transition.INVESTIGATE)
        save_case(case)
        staff_record(EventType.INVESTIGATION_STARTED, case=case, actor=actor, at=now)
        added = investigation.open_investigation(
            case, actor=actor, investigators=investigators, allegations=allegations, now=now, box=box
        )
        if added:
            refuse_keeping_out_approvers(case, actor=actor)
            recompute_conflicts(case, at=now, actor=actor)
        investigation.check_opened(case)
        keyring.sync_grants(case, box.key, now=now, by=actor)
    return case


def refer_case(*, case: Case, actor: User, referral: str, message: str) -> ClosureProposal:
    """Propose referring the matter elsewhere (police, another body) instead of investigating.

    A referral ends the case here without an investigation, so like any such closure it
    needs a second person's approval (R5); on approval the reporter receives `message`.
    """
    now = timezone.now()
    referral = clean_text(referral, name=_("referred to"), max_length=300, required=True)
    message = clean_text(message, name=_("message to the reporter"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Transition.REFER)
        box = staff_box(actor, case)
        proposal = ClosureProposal.objects.create(
            case=case,
            kind=ProposalKind.REFER,
            proposed_by=actor,
            proposed_at=now,
            reason=box.seal(message, ClosureProposal, "reason"),
            referral=box.seal(referral, ClosureProposal, "referral"),
        )
        first_action(case, now)
        save_case(case)
        staff_record(EventType.CLOSURE_PROPOSED, case=case, actor=actor, at=now, proposal=proposal.pk, referral=True)
        notify.queue(
            notify.Kind.CLOSURE_PROPOSED, case=case, recipients=routing.approvers(case, exclude=actor), now=now
        )
    return proposal


def propose_closure(*, case: Case, actor: User, grounds: str, reason: str, search_done: str) -> ClosureProposal:
    """Propose closing without investigation, on grounds from a closed list. A second person must approve (R5).

    None of the grounds is a lack of evidence: a report never needs evidence (R1), so
    that cannot be why a case ends unexamined.
    """
    now = timezone.now()
    if grounds not in ClosureGrounds.values:
        raise ActionError(_("Choose the grounds for closing from the list."))
    reason = clean_text(reason, name=_("explanation"), max_length=MAX_NARRATIVE, required=True)
    search_done = clean_text(
        search_done, name=_("what was done to look for information"), max_length=MAX_NARRATIVE, required=True
    )
    with transaction.atomic(durable=True):
        case = locked(case)
        if (
            case.status in RULES[Transition.PROPOSE_CLOSURE].sources
            and permissions.pending_proposal_by(case) is not None
        ):
            raise ActionError(_("A closure proposal is already waiting for a decision."))
        check(actor, case, Transition.PROPOSE_CLOSURE)
        box = staff_box(actor, case)
        proposal = ClosureProposal.objects.create(
            case=case,
            kind=ProposalKind.CLOSE,
            grounds=grounds,
            proposed_by=actor,
            proposed_at=now,
            reason=box.seal(reason, ClosureProposal, "reason"),
            search_done=box.seal(search_done, ClosureProposal, "search_done"),
        )
        first_action(case, now)
        save_case(case)
        staff_record(EventType.CLOSURE_PROPOSED, case=case, actor=actor, at=now, proposal=proposal.pk, grounds=grounds)
        notify.queue(
            notify.Kind.CLOSURE_PROPOSED, case=case, recipients=routing.approvers(case, exclude=actor), now=now
        )
    return proposal


def _proposal_to_decide(case: Case, actor: User, transition: Transition) -> ClosureProposal:
    """The pending proposal `actor` may decide on, or a refusal that says why."""
    rule = RULES[transition]
    if case.status not in rule.sources or not roles_of(actor) & rule.roles or conflicts.is_conflicted(actor, case):
        raise ActionError(_("This step is not possible for this case now."))
    proposal = case.closure_proposals.filter(decided_at__isnull=True).first()
    if proposal is None:
        raise ActionError(_("There is no proposal to decide on."))
    if proposal.proposed_by_id == actor.pk:
        raise ActionError(_("A proposal must be decided by someone other than the person who proposed it."))
    check(actor, case, transition)
    return proposal


def _closing_message(case: Case, proposal: ClosureProposal, reason: str) -> str:
    org = current_organisation()
    with translation.override(reporter_language(case)):
        return str(
            _(
                "Your report has been closed without an investigation.\n\nThe grounds: %(grounds)s\n\n"
                "The explanation: %(reason)s\n\nIf you disagree, you can appeal to %(body)s from this page."
            )
            % {"grounds": ClosureGrounds(proposal.grounds).label, "reason": reason, "body": org.oversight_name}
        )


def approve_closure(*, case: Case, actor: User, note: str = "") -> Case:
    """The second person approves the proposal waiting on the case; what follows depends on its kind.

    Closing: the case closes and the reporter is told the grounds and why, in plain words.
    Referral: the case closes and she receives the handler's message. Finding: the case
    is decided with that finding. She may appeal each to the oversight body.
    """
    now = timezone.now()
    note = clean_text(note, name=_("note"), max_length=MAX_NARRATIVE)
    with transaction.atomic(durable=True):
        case = locked(case)
        proposal = _proposal_to_decide(case, actor, Transition.APPROVE_CLOSURE)
        box = staff_box(actor, case)
        proposal.decided_by = actor
        proposal.decided_at = now
        proposal.approved = True
        proposal.decision_note = box.seal(note, ClosureProposal, "decision_note")
        proposal.save()
        reason = box.open(proposal.reason, ClosureProposal, "reason")
        kind = ProposalKind(proposal.kind)
        case.status = PROPOSAL_TARGETS[kind]
        staff_record(EventType.CLOSURE_APPROVED, case=case, actor=actor, at=now, proposal=proposal.pk, kind=kind)
        if kind == ProposalKind.FINDING:
            _decide(case, finding=proposal.finding, reasoning=reason, box=box)
            save_case(case)
            staff_record(EventType.CASE_DECIDED, case=case, actor=actor, at=now, finding=proposal.finding)
            return case
        case.closed_at = now
        if kind == ProposalKind.REFER:
            case.outcome = Outcome.REFERRED
            referral = box.open(proposal.referral, ClosureProposal, "referral")
            case.referral = box.seal(referral, Case, "referral")
            body = reason  # the handler's message saying where and why
        else:
            case.outcome = Outcome.CLOSED_WITHOUT_INVESTIGATION
            body = _closing_message(case, proposal, reason)
        tell_reporter(case, actor, body, now=now, feedback=True, box=box)
        save_case(case)
        if kind == ProposalKind.REFER:
            staff_record(EventType.CASE_REFERRED, case=case, actor=actor, at=now, proposal=proposal.pk)
    return case


def reject_closure(*, case: Case, actor: User, note: str) -> ClosureProposal:
    now = timezone.now()
    note = clean_text(note, name=_("note"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case = locked(case)
        proposal = _proposal_to_decide(case, actor, Transition.REJECT_CLOSURE)
        box = staff_box(actor, case)
        proposal.decided_by = actor
        proposal.decided_at = now
        proposal.approved = False
        proposal.decision_note = box.seal(note, ClosureProposal, "decision_note")
        proposal.save()
        staff_record(EventType.CLOSURE_REJECTED, case=case, actor=actor, at=now, proposal=proposal.pk)
    return proposal


def withdraw_closure(*, case: Case, actor: User) -> ClosureProposal:
    """The proposer takes back a closure or referral proposal; the case stays in assessment."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Transition.WITHDRAW_CLOSURE)
        box = staff_box(actor, case)
        proposal = case.closure_proposals.filter(decided_at__isnull=True).get()
        proposal.decided_by = actor
        proposal.decided_at = now
        proposal.approved = None  # neither approved nor rejected: withdrawn
        proposal.decision_note = box.seal("withdrawn by the proposer", ClosureProposal, "decision_note")
        proposal.save()
        staff_record(EventType.CLOSURE_WITHDRAWN, case=case, actor=actor, at=now, proposal=proposal.pk)
    return proposal


def _decide(case: Case, *, finding: str, reasoning: str, box: Box) -> None:
    case.status = target_status(Transition.DECIDE)
    case.finding = finding
    case.decision_reasoning = box.seal(reasoning, Case, "decision_reasoning")
    case.outcome = Outcome.DECIDED


def record_finding(*, case: Case, actor: User, finding: str, reasoning: str) -> Case:
    """Record the investigation's finding.

    "Substantiated" decides the case at once. "Not substantiated" and "inconclusive" end
    it for the reporter with nothing done about the conduct, so they become a proposal
    that a second person must approve (R5), like closing without investigation.

    For a case with allegations the finding is derived from theirs once each has one:
    substantiated if any allegation is, else inconclusive if any is, else not
    substantiated; `finding` may then be left empty.
    """
    now = timezone.now()
    if finding and finding not in Finding.values:
        raise ActionError(_("Choose a finding."))
    reasoning = clean_text(reasoning, name=_("reasoning"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Transition.DECIDE)
        box = staff_box(actor, case)
        # With allegations, the case's finding follows from theirs (ombuds.investigations).
        finding = investigation.case_finding(case, finding)
        if finding in FINDINGS_NEEDING_APPROVAL:
            proposal = ClosureProposal.objects.create(
                case=case,
                kind=ProposalKind.FINDING,
                finding=finding,
                proposed_by=actor,
                proposed_at=now,
                reason=box.seal(reasoning, ClosureProposal, "reason"),
            )
            staff_record(
                EventType.CLOSURE_PROPOSED, case=case, actor=actor, at=now, proposal=proposal.pk, finding=finding
            )
            notify.queue(
                notify.Kind.CLOSURE_PROPOSED, case=case, recipients=routing.approvers(case, exclude=actor), now=now
            )
            return case
        _decide(case, finding=finding, reasoning=reasoning, box=box)
        save_case(case)
        staff_record(EventType.CASE_DECIDED, case=case, actor=actor, at=now, finding=finding)
    return case


def close_case(*, case: Case, actor: User, feedback: str) -> Case:
    """Close a decided case with feedback to the reporter."""
    now = timezone.now()
    feedback = clean_text(feedback, name=_("feedback to the reporter"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case = locked(case)
        if permissions.outcome_waiting(case):
            raise ActionError(
                _("A decision about a person accused waits for approval; close the case once it is decided.")
            )
        check(actor, case, Transition.CLOSE)
        box = staff_box(actor, case)
        case.status = target_status(Transition.CLOSE)
        case.closed_at = now
        tell_reporter(case, actor, feedback, now=now, feedback=True, box=box)
        save_case(case)
        staff_record(EventType.CASE_CLOSED, case=case, actor=actor, at=now)
    return case


def _reopen(case: Case, *, actor: User, reason: str, now: datetime, box: Box) -> None:
    """Reopen inside the caller's transaction, the case locked and the step checked."""
    case.status = target_status(Transition.REOPEN)
    case.closed_at = None
    # The earlier outcome stays in the timeline and the messages; the case starts afresh.
    case.outcome = ""
    case.finding = ""
    case.decision_reasoning = box.seal("", Case, "decision_reasoning")
    case.referral = box.seal("", Case, "referral")
    # A reopened case owes the reporter fresh feedback.
    case.feedback_given_at = None
    case.feedback_due_at = Duration.parse(current_organisation().feedback_deadline).after(now)
    Note.objects.create(case=case, author=actor, created_at=now, body=box.seal(reason, Note, "body"))
    save_case(case)
    staff_record(EventType.CASE_REOPENED, case=case, actor=actor, at=now)
    recompute_conflicts(case, at=now)


def reopen_case(*, case: Case, actor: User, reason: str) -> Case:
    now = timezone.now()
    reason = clean_text(reason, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Transition.REOPEN)
        box = staff_box(actor, case)
        _reopen(case, actor=actor, reason=reason, now=now, box=box)
    return case


def send_staff_message(*, case: Case, actor: User, body: str, is_feedback: bool = False) -> Message:
    """Write to the reporter. A feedback message meets the feedback deadline."""
    now = timezone.now()
    body = clean_text(body, name=_("message"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Act.MESSAGE)
        box = staff_box(actor, case)
        message = tell_reporter(case, actor, body, now=now, feedback=is_feedback, box=box)
        first_action(case, now)
        save_case(case)
        staff_record(EventType.STAFF_MESSAGE, case=case, actor=actor, at=now, message=message.pk, feedback=is_feedback)
    return message


def add_note(*, case: Case, actor: User, body: str) -> Note:
    now = timezone.now()
    body = clean_text(body, name=_("note"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Act.NOTE)
        box = staff_box(actor, case)
        note = Note.objects.create(case=case, author=actor, created_at=now, body=box.seal(body, Note, "body"))
        staff_record(EventType.NOTE_ADDED, case=case, actor=actor, at=now, note=note.pk)
    return note


class AppealResolution(enum.StrEnum):
    REOPEN = "reopen"
    REASSIGN = "reassign"
    DIRECT = "direct"


def resolve_appeal(*, appeal: Appeal, actor: User, resolution: str, note: str, assignee: User | None = None) -> Appeal:
    """Oversight answers an appeal: reopen the case, reassign it, or direct the handlers. All or nothing."""
    now = timezone.now()
    note = clean_text(note, name=_("note"), max_length=MAX_NARRATIVE, required=True)
    if resolution not in AppealResolution.__members__.values():
        raise ActionError(_("Choose how to resolve the appeal."))
    with transaction.atomic(durable=True):
        appeal = Appeal.objects.select_for_update().select_related("case").get(pk=appeal.pk)
        case = locked(appeal.case)
        if not permissions.may_take(actor, case, Act.RESOLVE_APPEAL):
            raise ActionError(_("Only oversight resolves appeals."))
        if appeal.resolved_at is not None:
            raise ActionError(_("This appeal has already been resolved."))
        box = staff_box(actor, case)
        if resolution == AppealResolution.REOPEN:
            if case.status not in (Status.CLOSED, Status.DECIDED):
                raise ActionError(_("Only a closed or decided case can be reopened."))
            check(actor, case, Transition.REOPEN)
            _reopen(case, actor=actor, reason=note, now=now, box=box)
        elif resolution == AppealResolution.REASSIGN:
            if assignee is None:
                raise ActionError(_("Choose the handler to assign."))
            _assign(case, actor=actor, assignee=assignee, now=now)
        appeal.resolved_at = now
        appeal.resolved_by = actor
        appeal.resolution = resolution
        appeal.resolution_note = box.seal(note, Appeal, "resolution_note")
        appeal.save()
        if resolution == AppealResolution.DIRECT:
            Note.objects.create(case=case, author=actor, created_at=now, body=box.seal(note, Note, "body"))
        staff_record(EventType.APPEAL_RESOLVED, case=case, actor=actor, at=now, appeal=appeal.pk, resolution=resolution)
    return appeal
