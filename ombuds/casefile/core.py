"""The case file's own sections: the case, the report, messages, decisions, appeals and notes, timeline, audit excerpt.

Each reads through ombuds.cases.case_view (the staff read model, which asks
ombuds.cases.permissions and opens content with the reader's key), or, for the decided
proposals and the audit trail that the case page does not show whole, opens content
through ombuds.cases.content the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User

from ombuds.audit.models import AuditEvent, EventType
from ombuds.casefile import sections
from ombuds.cases import case_view, content, keyring, permissions
from ombuds.cases.models import (
    Case,
    ClosureGrounds,
    ClosureProposal,
    Finding,
    KeepOutAction,
    KeepOutProposal,
    ProposalKind,
)
from ombuds.cases.permissions import Part

_VIEW_ATTR = "_ombuds_casefile_views"


def staff_view(case: Case, user: User) -> case_view.CaseView:
    """The case as `user` reads it, made once per case file (every core section reads it)."""
    views: dict[int, case_view.CaseView] = getattr(case, _VIEW_ATTR, {})
    if user.pk not in views:
        views[user.pk] = case_view.for_staff(case, user)
        setattr(case, _VIEW_ATTR, views)
    return views[user.pk]


def _who(user: User | None) -> str:
    if user is None:
        return ""
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name else user.email


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value else ""


def case_context(case: Case, user: User) -> Mapping[str, Any]:
    return {"case": staff_view(case, user)}


def report_context(case: Case, user: User) -> Mapping[str, Any] | None:
    view = staff_view(case, user)
    return {"reports": view.reports} if view.reports else None


def messages_context(case: Case, user: User) -> Mapping[str, Any] | None:
    if not permissions.may_read(user, case, Part.CONTENT):
        return None
    return {"messages": staff_view(case, user).messages, "anonymous": case.anonymous}


@dataclass(frozen=True)
class ClosureRow:
    kind: str
    grounds: str
    finding: str
    referral: str
    reason: str
    search_done: str
    proposed_by: str
    proposed_at: datetime
    decision: str  # approved, rejected, withdrawn or waiting
    decided_by: str
    decided_at: datetime | None
    decision_note: str


@dataclass(frozen=True)
class KeepOutRow:
    action: str
    person: str
    note: str
    proposed_by: str
    proposed_at: datetime
    decision: str
    decided_by: str
    decided_at: datetime | None
    decision_note: str


def _decision(approved: bool | None, decided_at: datetime | None) -> str:
    if decided_at is None:
        return "waiting"
    if approved is None:
        return "withdrawn"  # by its proposer
    return "approved" if approved else "rejected"


def decisions_context(case: Case, user: User) -> Mapping[str, Any] | None:
    """Every proposal one person made and another decided (closures, referrals, findings, keep-outs)."""
    if not permissions.may_read(user, case, Part.CONTENT):
        return None
    key = keyring.staff_data_key(user, case)

    def txt(value: str, model: type[Any], field: str) -> str:
        return content.open(value, key=key, case=case, model=model, field=field)

    closures = [
        ClosureRow(
            kind=_label(ProposalKind, p.kind),
            grounds=_label(ClosureGrounds, p.grounds),
            finding=_label(Finding, p.finding),
            referral=txt(p.referral, ClosureProposal, "referral"),
            reason=txt(p.reason, ClosureProposal, "reason"),
            search_done=txt(p.search_done, ClosureProposal, "search_done"),
            proposed_by=_who(p.proposed_by),
            proposed_at=p.proposed_at,
            decision=_decision(p.approved, p.decided_at),
            decided_by=_who(p.decided_by),
            decided_at=p.decided_at,
            decision_note=txt(p.decision_note, ClosureProposal, "decision_note"),
        )
        for p in ClosureProposal.objects.filter(case=case)
        .select_related("proposed_by", "decided_by")
        .order_by("proposed_at", "id")
    ]
    keep_outs = [
        KeepOutRow(
            action=_label(KeepOutAction, p.action),
            person=f"{p.person.name} ({p.person.employee_id})",
            note=txt(p.note, KeepOutProposal, "note"),
            proposed_by=_who(p.proposed_by),
            proposed_at=p.proposed_at,
            decision=_decision(p.approved, p.decided_at),
            decided_by=_who(p.decided_by),
            decided_at=p.decided_at,
            decision_note=txt(p.decision_note, KeepOutProposal, "decision_note"),
        )
        for p in KeepOutProposal.objects.filter(case=case)
        .select_related("person", "proposed_by", "decided_by")
        .order_by("proposed_at", "id")
    ]
    if not closures and not keep_outs:
        return None
    return {"closures": closures, "keep_outs": keep_outs}


def appeals_and_notes_context(case: Case, user: User) -> Mapping[str, Any] | None:
    view = staff_view(case, user)
    if not view.appeals and not view.notes:
        return None
    return {"appeals": view.appeals, "notes": view.notes}


def timeline_context(case: Case, user: User) -> Mapping[str, Any]:
    view = staff_view(case, user)
    return {"timeline": view.timeline, "views": view.views, "anonymous": case.anonymous}


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    action: str
    actor: str
    detail: str


def audit_context(case: Case, user: User) -> Mapping[str, Any]:
    """The case's events in the audit trail, by sequence number: identifiers and counts, never content."""
    events = AuditEvent.objects.filter(case_id=case.pk).select_related("actor").order_by("seq")
    rows = [
        AuditRow(
            seq=event.seq,
            # Stored coarse already: an anonymous reporter's events keep only their day.
            at=event.at,
            action=EventType(event.event_type).name.lower(),
            actor=event.actor.email if event.actor else event.actor_kind,
            detail=json.dumps(details, sort_keys=True, separators=(",", ":")) if (details := event.details()) else "",
        )
        for event in events
    ]
    return {"events": rows}


def register_sections() -> None:
    sections.register("case", 10, case_context, "casefile/case.html")
    sections.register("report", 20, report_context, "casefile/report.html")
    sections.register("messages", 30, messages_context, "casefile/messages.html")
    sections.register("decisions", 40, decisions_context, "casefile/decisions.html")
    sections.register("appeals_and_notes", 60, appeals_and_notes_context, "casefile/appeals_and_notes.html")
    sections.register("timeline", 80, timeline_context, "casefile/timeline.html")
    sections.register("audit", 90, audit_context, "casefile/audit.html")
