"""The case state machine, in one place.

received → acknowledged → assessment → investigation → decided → closed, with reopen.
From assessment a case may also, with a second person's approval, be referred
elsewhere or closed without investigation. Each transition names the states it leaves
from, the state it reaches, and the roles that may take it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ombuds.accounts.roles import Role, roles_of
from ombuds.cases.models import Case, Status


class Transition(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    BEGIN_ASSESSMENT = "begin_assessment"
    INVESTIGATE = "investigate"
    REFER = "refer"
    PROPOSE_CLOSURE = "propose_closure"
    APPROVE_CLOSURE = "approve_closure"
    REJECT_CLOSURE = "reject_closure"
    WITHDRAW_CLOSURE = "withdraw_closure"
    DECIDE = "decide"
    CLOSE = "close"
    REOPEN = "reopen"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status | None  # None: the state does not change (a proposal, a rejection)
    roles: frozenset[Role]
    label: Promise


_WORKERS = frozenset({Role.HANDLER, Role.LEAD_HANDLER, Role.OVERSIGHT})
_SENIOR = frozenset({Role.LEAD_HANDLER, Role.OVERSIGHT})

RULES: dict[Transition, Rule] = {
    Transition.ACKNOWLEDGE: Rule(frozenset({Status.RECEIVED}), Status.ACKNOWLEDGED, _WORKERS, _("Acknowledge")),
    Transition.BEGIN_ASSESSMENT: Rule(
        frozenset({Status.ACKNOWLEDGED}), Status.ASSESSMENT, _WORKERS, _("Begin assessment")
    ),
    Transition.INVESTIGATE: Rule(
        frozenset({Status.ASSESSMENT}), Status.INVESTIGATION, _WORKERS, _("Open an investigation")
    ),
    # A referral ends the case without an investigation: it is a proposal a second person approves.
    Transition.REFER: Rule(frozenset({Status.ASSESSMENT}), None, _WORKERS, _("Propose referring elsewhere")),
    Transition.PROPOSE_CLOSURE: Rule(
        frozenset({Status.ASSESSMENT}), None, _WORKERS, _("Propose closing without investigation")
    ),
    Transition.APPROVE_CLOSURE: Rule(frozenset({Status.ASSESSMENT}), Status.CLOSED, _SENIOR, _("Approve closure")),
    Transition.REJECT_CLOSURE: Rule(frozenset({Status.ASSESSMENT}), None, _SENIOR, _("Reject closure")),
    Transition.WITHDRAW_CLOSURE: Rule(frozenset({Status.ASSESSMENT}), None, _WORKERS, _("Withdraw my proposal")),
    Transition.DECIDE: Rule(frozenset({Status.INVESTIGATION}), Status.DECIDED, _WORKERS, _("Record the finding")),
    Transition.CLOSE: Rule(frozenset({Status.DECIDED}), Status.CLOSED, _WORKERS, _("Close with feedback")),
    Transition.REOPEN: Rule(frozenset({Status.CLOSED, Status.DECIDED}), Status.ASSESSMENT, _SENIOR, _("Reopen")),
}


_DECISIONS = (Transition.APPROVE_CLOSURE, Transition.REJECT_CLOSURE)


def may(user: User, case: Case, transition: Transition) -> bool:
    """Whether `user` may take `transition` on `case` now: state, role, and for a closure
    decision, a pending proposal made by someone else (R5)."""
    rule = RULES[transition]
    if case.status not in rule.sources or not roles_of(user) & rule.roles:
        return False
    if transition in _DECISIONS:
        proposal = case.closure_proposals.filter(decided_at__isnull=True).first()
        return proposal is not None and proposal.proposed_by_id != user.pk
    if transition == Transition.WITHDRAW_CLOSURE:
        # Only the proposer: without this, a case whose only other senior is conflicted
        # would wait for a decision nobody can take.
        proposal = case.closure_proposals.filter(decided_at__isnull=True).first()
        return proposal is not None and proposal.proposed_by_id == user.pk
    if transition in (Transition.INVESTIGATE, Transition.PROPOSE_CLOSURE, Transition.REFER):
        # While a proposal waits for its decision, the case stays where it is.
        return not case.closure_proposals.filter(decided_at__isnull=True).exists()
    return True


def allowed(user: User, case: Case) -> list[Transition]:
    return [transition for transition in Transition if may(user, case, transition)]
