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

from ombuds.accounts.roles import (
    APPEAL_READERS,
    APPROVERS,
    ASSIGNABLE,
    CASE_READERS,
    CASE_WORKERS,
    QUESTIONNAIRE_EDITORS,
    Role,
    roles_of,
)
from ombuds.cases import access, conflicts
from ombuds.cases.models import Case, KeepOutProposal
from ombuds.cases.workflow import RULES, Transition


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


Step = Transition | Act


class Part(enum.StrEnum):
    """The parts of a case that are read separately."""

    METADATA = "metadata"  # reference, category, status, deadlines, who is responsible
    CONTENT = "content"  # what the reporter wrote and the messages with her
    APPEAL_REASONS = "appeal_reasons"  # why she appealed: for the oversight body only
    NOTES = "notes"  # internal notes


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
    Act.EXPORT: CASE_READERS,
    Act.DOWNLOAD: CASE_READERS,
}

_PART_ROLES: dict[Part, frozenset[Role]] = {
    Part.METADATA: CASE_READERS,
    Part.CONTENT: CASE_READERS,
    Part.APPEAL_REASONS: APPEAL_READERS,
    Part.NOTES: CASE_READERS,
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
        allowed = bool(roles & _ACT_ROLES[step])
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


def may_decide_keep_out(user: User | AnonymousUser, proposal: KeepOutProposal) -> bool:
    """A lead handler or oversight member decides a keep-out proposal: never its proposer, never its subject."""
    if not isinstance(user, User) or not roles_of(user) & APPROVERS:
        return False
    if proposal.proposed_by_id == user.pk or proposal.person.user_id == user.pk:
        return False
    return not conflicts.is_conflicted(user, proposal.case) and _can_see(user, proposal.case)


# --- The organisation's configuration -----------------------------------------------------


def may_edit_questionnaire(user: User | AnonymousUser) -> bool:
    """Whether `user` may see, change and publish the questionnaire. Never about reading a case."""
    return isinstance(user, User) and bool(roles_of(user) & QUESTIONNAIRE_EDITORS)
