"""What staff see of a case's protective measures and outcomes: one read model for the pages, the API and the case file.

Like ombuds.cases.case_view, it returns plain dataclasses, opens content through
ombuds.cases.content with the reader's key, and asks ombuds.cases.permissions what the
reader may read and do. The caller has fetched the case through ombuds.cases.access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from ombuds.cases import content, keyring, permissions
from ombuds.cases.models import Case, InvolvedPerson, PersonRole
from ombuds.cases.permissions import Act, Part
from ombuds.crypto import keys
from ombuds.outcomes.models import (
    AccusedOutcome,
    IdentifierKind,
    Measure,
    MeasureChange,
    MeasureChangeKind,
    MeasureKind,
    OutcomeState,
    Rehire,
    RehireEntry,
    Sanction,
)


@dataclass(frozen=True)
class PersonChoice:
    id: int
    name: str
    role: str
    role_label: str
    directory_id: str | None


@dataclass(frozen=True)
class ChangeRow:
    kind: str
    kind_label: str
    by: str
    at: datetime
    review_on: date | None
    ends_on: date | None
    reason: str


@dataclass(frozen=True)
class MeasureRow:
    id: int
    kind: str
    kind_label: str
    protects_reporter: bool
    protects: list[str]
    restricts: list[str]
    starts_on: date
    review_on: date
    review_overdue: bool
    ends_on: date | None
    ended_on: date | None
    in_force: bool
    over: bool
    description: str
    recorded_by: str
    recorded_at: datetime
    changes: list[ChangeRow]


@dataclass(frozen=True)
class OutcomeRow:
    id: int
    person_id: int
    person: str
    sanctions: list[str]
    sanction_labels: list[str]
    rehire: str
    rehire_label: str
    state: str
    state_label: str
    needs_approval: bool
    reason: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    final_at: datetime | None
    # The kinds of identifier kept (as digests) for the registry; never their values.
    identifiers: list[str]
    in_registry: bool
    may_decide: bool
    may_withdraw: bool


@dataclass(frozen=True)
class CaseOutcomes:
    reference: str
    status: str
    content_locked: bool
    people: list[PersonChoice]
    accused: list[PersonChoice]
    measures: list[MeasureRow]
    outcomes: list[OutcomeRow]
    may_record_measure: bool
    may_change_measure: bool
    may_propose_outcome: bool
    outcome_waiting: bool


@dataclass(frozen=True)
class _Opener:
    case: Case
    key: keys.DataKey | None
    readable: bool

    def __call__(self, value: str, model: type[Any], field: str) -> str:
        if not self.readable:
            return ""
        return content.open(value, key=self.key, case=self.case, model=model, field=field)


def _opener(case: Case, user: User) -> _Opener:
    key = keyring.staff_data_key(user, case)
    locked = case.sealed and key is None
    return _Opener(case, key, permissions.may_read(user, case, Part.CONTENT) and not locked)


def _who(user: User | None) -> str | None:
    return None if user is None else user.email


def _people(case: Case, txt: _Opener) -> list[PersonChoice]:
    people = InvolvedPerson.objects.filter(report__case=case).select_related("person").order_by("report_id", "position")
    return [
        PersonChoice(
            id=p.pk,
            name=txt(p.name, InvolvedPerson, "name") or f"#{p.pk}",
            role=p.role,
            role_label=str(PersonRole(p.role).label),
            directory_id=p.person.employee_id if p.person else None,
        )
        for p in people
    ]


def _change(change: MeasureChange, txt: _Opener) -> ChangeRow:
    return ChangeRow(
        kind=change.kind,
        kind_label=str(MeasureChangeKind(change.kind).label),
        by=change.by.email,
        at=change.at,
        review_on=change.review_on,
        ends_on=change.ends_on,
        reason=txt(change.reason, MeasureChange, "reason"),
    )


def _measures(case: Case, txt: _Opener, names: dict[int, str], now: datetime) -> list[MeasureRow]:
    today = timezone.localdate(now)
    rows = []
    measures = (
        Measure.objects.filter(case=case)
        .select_related("recorded_by")
        .prefetch_related("protects", "restricts", "changes__by")
        .order_by("starts_on", "recorded_at", "kind", "pk")
    )
    for m in measures:
        over = m.is_over(today)
        rows.append(
            MeasureRow(
                id=m.pk,
                kind=m.kind,
                kind_label=str(MeasureKind(m.kind).label),
                protects_reporter=m.protects_reporter,
                protects=[names.get(p.pk, f"#{p.pk}") for p in m.protects.all()],
                restricts=[names.get(p.pk, f"#{p.pk}") for p in m.restricts.all()],
                starts_on=m.starts_on,
                review_on=m.review_on,
                review_overdue=m.ended_at is None and now > m.review_due_at,
                ends_on=m.ends_on,
                ended_on=timezone.localdate(m.ended_at) if m.ended_at else None,
                in_force=m.is_in_force(today),
                over=over,
                description=txt(m.description, Measure, "description"),
                recorded_by=m.recorded_by.email,
                recorded_at=m.recorded_at,
                changes=[_change(c, txt) for c in m.changes.all()],
            )
        )
    return rows


def _outcomes(case: Case, user: User, txt: _Opener, names: dict[int, str]) -> list[OutcomeRow]:
    outcomes = (
        AccusedOutcome.objects.filter(case=case)
        .select_related("proposed_by", "decided_by", "case")
        .prefetch_related("identifiers")
        .order_by("proposed_at", "id")
    )
    listed = set(
        RehireEntry.objects.filter(outcome__case=case, lifted_at__isnull=True).values_list("outcome_id", flat=True)
    )
    return [
        OutcomeRow(
            id=o.pk,
            person_id=o.person_id,
            person=names.get(o.person_id, f"#{o.person_id}"),
            sanctions=list(o.sanctions),
            sanction_labels=[str(Sanction(s).label) for s in o.sanctions],
            rehire=o.rehire,
            rehire_label=str(Rehire(o.rehire).label),
            state=o.state,
            state_label=str(OutcomeState(o.state).label),
            needs_approval=o.needs_approval,
            reason=txt(o.reason, AccusedOutcome, "reason"),
            proposed_by=o.proposed_by.email,
            proposed_at=o.proposed_at,
            decided_by=_who(o.decided_by),
            decided_at=o.decided_at,
            decision_note=txt(o.decision_note, AccusedOutcome, "decision_note"),
            final_at=o.final_at,
            identifiers=sorted({str(IdentifierKind(i.kind).label) for i in o.identifiers.all()}),
            in_registry=o.pk in listed,
            may_decide=permissions.may_decide_outcome(user, o),
            may_withdraw=permissions.may_withdraw_outcome(user, o),
        )
        for o in outcomes
    ]


def for_staff(case: Case, user: User, *, now: datetime | None = None) -> CaseOutcomes:
    """The case's measures and outcomes as `user` may read them."""
    now = now or timezone.now()
    assert permissions.may_read(user, case, Part.METADATA), "fetch cases through ombuds.cases.access"
    txt = _opener(case, user)
    people = _people(case, txt)
    names = {p.id: p.name for p in people}
    return CaseOutcomes(
        reference=case.reference,
        status=case.status,
        content_locked=not txt.readable and permissions.may_read(user, case, Part.CONTENT),
        people=people,
        accused=[p for p in people if p.role == PersonRole.ACCUSED],
        measures=_measures(case, txt, names, now),
        outcomes=_outcomes(case, user, txt, names),
        may_record_measure=permissions.may_take(user, case, Act.RECORD_MEASURE),
        may_change_measure=permissions.may_take(user, case, Act.CHANGE_MEASURE),
        may_propose_outcome=permissions.may_take(user, case, Act.PROPOSE_OUTCOME),
        outcome_waiting=permissions.outcome_waiting(case),
    )


@dataclass(frozen=True)
class Summary:
    measures_in_force: int
    reviews_overdue: int
    outcomes_final: int
    outcomes_waiting: int


def summary(case: Case, *, now: datetime | None = None) -> Summary:
    """Counts for the case page (no content): measures in force, reviews overdue, decisions final and waiting."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    measures = list(Measure.objects.filter(case=case).only("starts_on", "ends_on", "ended_at", "review_due_at"))
    states = list(AccusedOutcome.objects.filter(case=case).values_list("state", flat=True))
    return Summary(
        measures_in_force=sum(m.is_in_force(today) for m in measures),
        reviews_overdue=sum(m.ended_at is None and now > m.review_due_at for m in measures),
        outcomes_final=states.count(OutcomeState.FINAL),
        outcomes_waiting=states.count(OutcomeState.PENDING),
    )


def casefile_context(case: Case, user: User) -> dict[str, Any]:
    """The context of `outcomes/casefile.html`: the case's measures, decisions and approvals, for print.

    For the case file: the caller has fetched the case through ombuds.cases.access and
    records the export in the audit trail.
    """
    view = for_staff(case, user)
    return {
        "outcomes_case": view,
        "measures": view.measures,
        "outcomes": view.outcomes,
        "content_locked": view.content_locked,
    }
