"""The case state machine, in one place.

received → acknowledged → assessment → investigation → decided → closed, with reopen.
Every ending that leaves the conduct unaddressed needs a second person's approval:
from assessment, referring elsewhere or closing without investigation; from
investigation, a finding of "not substantiated" or "inconclusive". Each transition names the states it leaves
from, the state it reaches, and the roles that may take it; ombuds.cases.permissions
adds the rules that depend on people (conflicts, who proposed what) and the actions
take each new status from here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ombuds.accounts.roles import APPROVERS, CASE_WORKERS, Role
from ombuds.cases.models import Finding, ProposalKind, Status


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


_WORKERS = CASE_WORKERS
_SENIOR = APPROVERS
# Where a proposal to end the case can be waiting for its decision.
_PROPOSAL_STATES = frozenset({Status.ASSESSMENT, Status.INVESTIGATION})

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
    # Deciding on a proposal to end the case: what approval leads to depends on what was
    # proposed (PROPOSAL_TARGETS).
    Transition.APPROVE_CLOSURE: Rule(_PROPOSAL_STATES, None, _SENIOR, _("Approve the proposal")),
    Transition.REJECT_CLOSURE: Rule(_PROPOSAL_STATES, None, _SENIOR, _("Reject the proposal")),
    Transition.WITHDRAW_CLOSURE: Rule(_PROPOSAL_STATES, None, _WORKERS, _("Withdraw my proposal")),
    # A finding of "not substantiated" or "inconclusive" ends the case for the reporter, so
    # it becomes a proposal too (FINDINGS_NEEDING_APPROVAL); "substantiated" is decided at once.
    Transition.DECIDE: Rule(frozenset({Status.INVESTIGATION}), Status.DECIDED, _WORKERS, _("Record the finding")),
    Transition.CLOSE: Rule(frozenset({Status.DECIDED}), Status.CLOSED, _WORKERS, _("Close with feedback")),
    Transition.REOPEN: Rule(frozenset({Status.CLOSED, Status.DECIDED}), Status.ASSESSMENT, _SENIOR, _("Reopen")),
}


# What an approved proposal leads to.
PROPOSAL_TARGETS: dict[ProposalKind, Status] = {
    ProposalKind.CLOSE: Status.CLOSED,
    ProposalKind.REFER: Status.CLOSED,
    ProposalKind.FINDING: Status.DECIDED,
}

# Findings that end the case for the reporter without anything done about the conduct:
# one person may not record them alone (R5), and the reporter may appeal them.
FINDINGS_NEEDING_APPROVAL = frozenset({Finding.NOT_SUBSTANTIATED, Finding.INCONCLUSIVE})
