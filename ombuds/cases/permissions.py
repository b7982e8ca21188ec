"""The one place that decides who may act on a case, and which parts of it they may read.

`may_take(user, case, step)` answers for every workflow transition and every other
act on a case (a message, a note, an assignment...); `may_read(user, case, part)` for
each part of a case. Actions, views, the API and the read models all ask here, so a
rule is changed in one place. Who may *see* a case at all is `cases.access`, which this
module consults; conflicts (R3) are checked here for every act and every part.
"""

from __future__ import annotations

import enum

from django.contrib.auth.models import AnonymousUser, User

from ombuds.accounts import mfa
from ombuds.accounts.roles import (
    APPEAL_READERS,
    APPROVERS,
    ASSIGNABLE,
    CASE_FILE_READERS,
    CASE_OPENERS,
    CASE_WORKERS,
    INVESTIGATION_WORKERS,
    QUESTIONNAIRE_EDITORS,
    REHIRE_CHECK_READERS,
    REHIRE_CHECKERS,
    WATCHERS,
    Role,
    roles_of,
)
from ombuds.cases import access, conflicts
from ombuds.cases.models import Case, KeepOutProposal, Status
from ombuds.cases.workflow import RULES, Transition
from ombuds.outcomes.models import AccusedOutcome, OutcomeState


class Act(enum.StrEnum):
    """What staff do on a case besides moving it through the workflow."""

    MESSAGE = "message"
    NOTE = "note"
    ASSIGN = "assign"
    LINK_PERSON = "link_person"
    ADD_CONFLICT = "add_conflict"
    RESOLVE_APPEAL = "resolve_appeal"
    EXPORT = "export"
    DOWNLOAD = "download"
    # Protective measures and the outcome per accused (ombuds.outcomes).
    RECORD_MEASURE = "record_measure"
    CHANGE_MEASURE = "change_measure"
    PROPOSE_OUTCOME = "propose_outcome"
    # The retaliation watch, accountability and the case file (ombuds.watch, ombuds.casefile).
    LINK_REPORTER = "link_reporter"  # link a named reporter to her directory record
    DECIDE_FLAG = "decide_flag"  # clear a retaliation flag, or open a retaliation case from it
    OPEN_ACCOUNTABILITY = "open_accountability"  # open a case against those who let a deadline pass
    CASE_FILE = "case_file"  # produce the case file (PDF)
    # The investigation (ombuds.investigations): naming and releasing investigators; the
    # plan, interviews, evidence and the people concerned; allegations and their findings.
    NAME_INVESTIGATOR = "name_investigator"
    RELEASE_INVESTIGATOR = "release_investigator"
    WORK_INVESTIGATION = "work_investigation"
    ALLEGE = "allege"


Step = Transition | Act


class Part(enum.StrEnum):
    """The parts of a case that are read separately."""

    METADATA = "metadata"  # reference, category, status, deadlines, who is responsible
    CONTENT = "content"  # what the reporter wrote and the messages with her
    APPEAL_REASONS = "appeal_reasons"  # why she appealed: for the oversight body only
    NOTES = "notes"  # internal notes
    RETALIATION_FLAGS = "retaliation_flags"  # the retaliation watch's flags and their notes
    INVESTIGATION = "investigation"  # allegations, plan, interviews, evidence, people concerned, findings


# Decisions on a proposal that one person made and another must decide (R5).
DECISIONS = frozenset({Transition.APPROVE_CLOSURE, Transition.REJECT_CLOSURE})
# Steps that start a proposal or leave assessment: not while a proposal waits for its decision.
_BLOCKED_BY_PROPOSAL = frozenset(
    {Transition.INVESTIGATE, Transition.PROPOSE_CLOSURE, Transition.REFER, Transition.DECIDE}
)

_ACT_ROLES: dict[Act, frozenset[Role]] = {
    Act.MESSAGE: CASE_WORKERS,
    Act.NOTE: CASE_WORKERS,
    Act.ASSIGN: CASE_WORKERS,  # narrowed in _may_assign
    Act.LINK_PERSON: CASE_WORKERS,
    Act.ADD_CONFLICT: CASE_WORKERS,
    Act.RESOLVE_APPEAL: APPEAL_READERS,
    Act.EXPORT: CASE_OPENERS,
    Act.DOWNLOAD: CASE_OPENERS,
    Act.RECORD_MEASURE: CASE_WORKERS,
    Act.CHANGE_MEASURE: CASE_WORKERS,
    Act.PROPOSE_OUTCOME: CASE_WORKERS,
    Act.LINK_REPORTER: CASE_WORKERS,
    Act.DECIDE_FLAG: WATCHERS,
    Act.OPEN_ACCOUNTABILITY: WATCHERS,
    Act.CASE_FILE: CASE_FILE_READERS,
    Act.NAME_INVESTIGATOR: CASE_WORKERS,
    Act.RELEASE_INVESTIGATOR: CASE_WORKERS,
    Act.WORK_INVESTIGATION: INVESTIGATION_WORKERS,
    Act.ALLEGE: INVESTIGATION_WORKERS,
}

# Acts possible only in some states of the case. Measures are recorded, extended and ended
# from assessment on, while the case is open (a closed case's measures stay as they were
# left); an outcome per accused follows the finding.
_MEASURE_STATES = frozenset({Status.ASSESSMENT, Status.INVESTIGATION, Status.DECIDED})
_ACT_STATES: dict[Act, frozenset[Status]] = {
    Act.RECORD_MEASURE: _MEASURE_STATES,
    Act.CHANGE_MEASURE: _MEASURE_STATES,
    Act.PROPOSE_OUTCOME: frozenset({Status.DECIDED}),
}
# Acts that change the investigation: only while the case is under investigation.
_DURING_INVESTIGATION = frozenset({Act.NAME_INVESTIGATOR, Act.WORK_INVESTIGATION, Act.ALLEGE})

# Investigators read the cases they are named on (access.visible_cases gives them no other):
# the report, the messages and the notes, and the investigation itself.
_PART_ROLES: dict[Part, frozenset[Role]] = {
    Part.METADATA: CASE_OPENERS,
    Part.CONTENT: CASE_OPENERS,
    Part.APPEAL_REASONS: APPEAL_READERS,
    Part.NOTES: CASE_OPENERS,
    Part.RETALIATION_FLAGS: WATCHERS,
    Part.INVESTIGATION: INVESTIGATION_WORKERS,
}


def _can_see(user: User, case: Case) -> bool:
    return access.visible_cases(user).filter(pk=case.pk).exists()


def pending_proposal_by(case: Case) -> int | None:
    """The id of whoever made the proposal waiting for a decision, or None when none waits."""
    proposal = case.closure_proposals.filter(decided_at__isnull=True).only("proposed_by_id").first()
    return proposal.proposed_by_id if proposal is not None else None


_UNKNOWN = object()


def _may_transition(
    user: User, roles: frozenset[Role], case: Case, step: Transition, proposer: object = _UNKNOWN
) -> bool:
    rule = RULES[step]
    if case.status not in rule.sources or not roles & rule.roles:
        return False
    if step == Transition.CLOSE and outcome_waiting(case):
        return False
    if step not in DECISIONS and step != Transition.WITHDRAW_CLOSURE and step not in _BLOCKED_BY_PROPOSAL:
        return True
    if proposer is _UNKNOWN:
        proposer = pending_proposal_by(case)
    if step in DECISIONS:
        return proposer is not None and proposer != user.pk
    if step == Transition.WITHDRAW_CLOSURE:
        # Only the proposer: without this, a case whose only other senior is conflicted
        # would wait for a decision nobody can take.
        return proposer == user.pk
    return proposer is None


def _may_assign(user: User, roles: frozenset[Role], case: Case, assignee: User | None) -> bool:
    """Lead handlers and oversight assign anyone; a handler may take an unassigned case for herself."""
    if not case.is_open():
        return False
    if assignee is None:
        return bool(roles & (APPROVERS | ASSIGNABLE))
    if roles & APPROVERS:
        return True
    return Role.HANDLER in roles and assignee.pk == user.pk and case.assignee_id is None


def may_take(user: User | AnonymousUser, case: Case, step: Step, *, assignee: User | None = None) -> bool:
    """Whether `user` may take `step` on `case` now: role, state, conflicts and who proposed what."""
    if not isinstance(user, User):
        return False
    roles = roles_of(user)
    if isinstance(step, Transition):
        allowed = _may_transition(user, roles, case, step)
    elif step == Act.ASSIGN:
        allowed = _may_assign(user, roles, case, assignee)
    else:
        states = _ACT_STATES.get(step)
        allowed = bool(roles & _ACT_ROLES[step]) and (states is None or case.status in states)
        if step in _DURING_INVESTIGATION:
            allowed = allowed and case.status == Status.INVESTIGATION
        if step == Act.ALLEGE:
            # The case's finding follows from the allegations' findings: they stay as they
            # are while a proposed ending waits for its decision.
            allowed = allowed and pending_proposal_by(case) is None
    return allowed and not conflicts.is_conflicted(user, case) and _can_see(user, case)


def may_read(user: User | AnonymousUser, case: Case, part: Part) -> bool:
    """Whether `user` may read `part` of `case`: the one rule behind every page, export and API answer."""
    if not isinstance(user, User) or not roles_of(user) & _PART_ROLES[part]:
        return False
    return not conflicts.is_conflicted(user, case) and _can_see(user, case)


def allowed_transitions(user: User | AnonymousUser, case: Case) -> list[Transition]:
    """Every transition `user` may take now (the same rule as may_take, with fewer queries)."""
    if not isinstance(user, User) or conflicts.is_conflicted(user, case) or not _can_see(user, case):
        return []
    roles = roles_of(user)
    proposer = pending_proposal_by(case)
    return [t for t in Transition if _may_transition(user, roles, case, t, proposer)]


def may_be_assigned(user: User, case: Case) -> bool:
    """Whether a case may be given to `user`: a handler or lead handler who is not conflicted."""
    return bool(roles_of(user) & ASSIGNABLE) and user.is_active and not conflicts.is_conflicted(user, case)


def watches(user: User | AnonymousUser) -> bool:
    """Whether `user` holds a role that watches for retaliation (the list of flags across cases).

    Which cases' flags she then sees is still per case: may_read(..., Part.RETALIATION_FLAGS).
    """
    return isinstance(user, User) and bool(roles_of(user) & WATCHERS)


def may_be_investigator(user: User, case: Case) -> bool:
    """Whether `user` may be named to investigate `case`: an active investigator who is not conflicted (R3)."""
    return Role.INVESTIGATOR in roles_of(user) and user.is_active and not conflicts.is_conflicted(user, case)


def may_own_task(user: User, case: Case) -> bool:
    """Whether a task of the plan (or a reminder about it) may be given to `user`.

    An investigator named on the case, or a case worker who sees it: never anyone
    conflicted on it, never an inactive account.
    """
    if not user.is_active or not roles_of(user) & INVESTIGATION_WORKERS:
        return False
    return not conflicts.is_conflicted(user, case) and _can_see(user, case)


def may_decide_keep_out(user: User | AnonymousUser, proposal: KeepOutProposal) -> bool:
    """A lead handler or oversight member decides a keep-out proposal: never its proposer, never its subject."""
    if not isinstance(user, User) or not roles_of(user) & APPROVERS:
        return False
    if proposal.proposed_by_id == user.pk or proposal.person.user_id == user.pk:
        return False
    return not conflicts.is_conflicted(user, proposal.case) and _can_see(user, proposal.case)


# --- Outcomes per accused and the rehire registry (ombuds.outcomes) -----------------------------


def outcome_waiting(case: Case) -> bool:
    """Whether an outcome of this case waits for a second person's approval (the case cannot close then)."""
    return AccusedOutcome.objects.filter(case=case, state=OutcomeState.PENDING).exists()


def may_decide_outcome(user: User | AnonymousUser, outcome: AccusedOutcome) -> bool:
    """A lead handler or oversight member approves or rejects an outcome: never its proposer (R5)."""
    if not isinstance(user, User) or not roles_of(user) & APPROVERS:
        return False
    if not outcome.is_pending or outcome.proposed_by_id == user.pk or outcome.case.status != Status.DECIDED:
        return False
    return not conflicts.is_conflicted(user, outcome.case) and _can_see(user, outcome.case)


def may_withdraw_outcome(user: User | AnonymousUser, outcome: AccusedOutcome) -> bool:
    """Only the proposer takes back an outcome that waits for approval."""
    if not isinstance(user, User) or not outcome.is_pending or outcome.proposed_by_id != user.pk:
        return False
    return not conflicts.is_conflicted(user, outcome.case) and _can_see(user, outcome.case)


def may_check_rehire(user: User | AnonymousUser) -> bool:
    """Who may ask the rehire registry about a candidate: the hr role, with its second factor."""
    return isinstance(user, User) and bool(roles_of(user) & REHIRE_CHECKERS) and mfa.factor_in_place(user)


def may_read_rehire_checks(user: User | AnonymousUser) -> bool:
    """Who lists the rehire checks and sees which registry entry (and case) one matched: oversight."""
    return isinstance(user, User) and bool(roles_of(user) & REHIRE_CHECK_READERS) and mfa.factor_in_place(user)


def may_count_held_reports(user: User | AnonymousUser) -> bool:
    """Who is told how many reports are held in escrow (a number, nothing of any one of them): oversight."""
    return isinstance(user, User) and bool(roles_of(user) & APPEAL_READERS) and mfa.factor_in_place(user)


# --- The organisation's configuration -----------------------------------------------------


def may_edit_questionnaire(user: User | AnonymousUser) -> bool:
    """Whether `user` may see, change and publish the questionnaire. Never about reading a case."""
    return isinstance(user, User) and bool(roles_of(user) & QUESTIONNAIRE_EDITORS)
