"""Every change to a case, in one place, by subject.

Each entry point is atomic (a durable transaction), takes keyword-only arguments, asks
ombuds.cases.permissions whether the actor may act, and writes its audit event in the
same transaction as the change. Views, the API and commands call these; none of them
writes a case model directly. One action never calls another: they share helpers
(the underscore modules).

- reporter: filing a report, her messages, files and appeals
- steps: the workflow, messages and notes, assignment, appeals
- records: views, exports and downloads recorded in the audit trail
- escalation: the deadline ladder run by the worker
- conflicts: who is kept out of a case
- organisation: settings, pools, leavers
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from ombuds.cases.actions._base import MAX_NARRATIVE, MAX_PEOPLE, MAX_SHORT, ActionError, reporter_moment
from ombuds.cases.actions.conflicts import (
    decide_keep_out,
    directory_changed,
    link_person,
    propose_keep_out,
    propose_let_back_in,
)
from ombuds.cases.actions.escalation import escalate
from ombuds.cases.actions.escrow import release_held_report, sweep_expired, withdraw_held_report
from ombuds.cases.actions.organisation import (
    NothingToChange,
    configure_organisation,
    release_assignments,
    set_pool_membership,
)
from ombuds.cases.actions.records import record_attachment_download, record_case_export, record_case_view
from ombuds.cases.actions.reporter import (
    AnswersNotAccepted,
    FiledReport,
    NewAttachment,
    NewPerson,
    SealedFile,
    add_reporter_attachments,
    file_appeal,
    file_report,
    post_reporter_message,
)
from ombuds.cases.actions.steps import (
    AppealResolution,
    acknowledge_case,
    add_note,
    approve_closure,
    assign_case,
    begin_assessment,
    close_case,
    open_investigation,
    propose_closure,
    record_finding,
    refer_case,
    reject_closure,
    reopen_case,
    resolve_appeal,
    send_staff_message,
    withdraw_closure,
)
from ombuds.cases.models import Case
from ombuds.cases.workflow import Transition

__all__ = [
    "MAX_NARRATIVE",
    "MAX_PEOPLE",
    "MAX_SHORT",
    "ActionError",
    "AnswersNotAccepted",
    "AppealResolution",
    "FiledReport",
    "NewAttachment",
    "NewPerson",
    "NothingToChange",
    "SealedFile",
    "acknowledge_case",
    "add_note",
    "add_reporter_attachments",
    "approve_closure",
    "assign_case",
    "begin_assessment",
    "close_case",
    "configure_organisation",
    "decide_keep_out",
    "directory_changed",
    "escalate",
    "file_appeal",
    "file_report",
    "link_person",
    "open_investigation",
    "post_reporter_message",
    "propose_closure",
    "propose_keep_out",
    "propose_let_back_in",
    "record_attachment_download",
    "record_case_export",
    "record_case_view",
    "record_finding",
    "refer_case",
    "reject_closure",
    "release_assignments",
    "release_held_report",
    "reopen_case",
    "reporter_moment",
    "resolve_appeal",
    "send_staff_message",
    "set_pool_membership",
    "sweep_expired",
    "take_step",
    "withdraw_closure",
    "withdraw_held_report",
]


def take_step(transition: Transition, *, case: Case, actor: User, data: dict[str, Any]) -> None:
    """Run one workflow step with its validated input; the staff pages and the API both call this.

    Not an action itself: it only chooses the one action that the step names.
    """
    match transition:
        case Transition.ACKNOWLEDGE:
            acknowledge_case(case=case, actor=actor, message=data.get("message", ""))
        case Transition.BEGIN_ASSESSMENT:
            begin_assessment(case=case, actor=actor)
        case Transition.INVESTIGATE:
            open_investigation(
                case=case,
                actor=actor,
                investigators=data.get("investigators", ()),
                allegations=data.get("allegations", ()),
            )
        case Transition.REFER:
            refer_case(case=case, actor=actor, referral=data["referral"], message=data["message"])
        case Transition.PROPOSE_CLOSURE:
            propose_closure(
                case=case,
                actor=actor,
                grounds=data["grounds"],
                reason=data["reason"],
                search_done=data["search_done"],
            )
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
