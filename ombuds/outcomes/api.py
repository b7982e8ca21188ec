"""Staff API routes for measures, outcomes and rehire checks, under /api/v1/staff/.

The same personal tokens, access rules, actions and read model as the pages: a case is
fetched through ombuds.cases.access (404 for people without a case role and for the
conflicted), a rehire check is asked by hr only and read by oversight only (404 for
everyone else).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from ombuds.accounts.roles import CASE_READERS, roles_of
from ombuds.api import errors as answers
from ombuds.api.staff import StaffToken
from ombuds.cases import access, permissions
from ombuds.cases import actions as case_actions
from ombuds.cases.actions import MAX_NARRATIVE
from ombuds.cases.models import Case, InvolvedPerson
from ombuds.outcomes import actions, outcome_view
from ombuds.outcomes.models import AccusedOutcome, Measure, RehireCheck

router = Router(auth=StaffToken(), tags=["staff: measures, outcomes, rehire checks"])

Text = Annotated[str, Field(max_length=MAX_NARRATIVE)]
RequiredText = Annotated[str, Field(min_length=1, max_length=MAX_NARRATIVE)]
Identifier = Annotated[str, Field(max_length=254)]
MeasureKindName = Literal["no_contact", "separation", "suspension", "travel_safety", "reporter_support", "other"]
SanctionName = Literal["none", "warning", "training", "written_warning", "demotion", "suspension", "dismissal"]
RehireName = Literal["eligible", "not_eligible", "review_needed"]


def _actor(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _case(request: HttpRequest, reference: str) -> Case:
    user = _actor(request)
    if not roles_of(user) & CASE_READERS:
        raise Http404("no such case")
    return access.case_for_staff(user, reference)


# --- Schemas ----------------------------------------------------------------------------------


class PersonRef(Schema):
    id: int
    name: str
    role: str


class MeasureChangeOut(Schema):
    kind: Literal["extended", "ended"]
    by: str
    at: datetime
    review_on: date | None
    ends_on: date | None
    reason: str


class MeasureOut(Schema):
    id: int
    kind: MeasureKindName
    protects_reporter: bool
    protects: list[str]
    restricts: list[str]
    starts_on: date
    review_on: date
    review_overdue: bool
    ends_on: date | None = Field(description="Null: until further notice")
    ended_on: date | None = Field(description="Set when the measure was ended early")
    in_force: bool
    description: str
    recorded_by: str
    recorded_at: datetime
    changes: list[MeasureChangeOut]


class MeasuresOut(Schema):
    people: list[PersonRef] = Field(
        description="The people of the case's reports, to name in `protects` and `restricts`"
    )
    measures: list[MeasureOut]


class MeasureIn(Schema):
    kind: MeasureKindName
    protects_reporter: bool = Field(True, description="Whether it protects the reporter")
    protects: list[int] = Field(default_factory=list, max_length=50, description="Ids of people it also protects")
    restricts: list[int] = Field(default_factory=list, max_length=50, description="Ids of people it restricts")
    starts_on: date
    review_on: date = Field(description="Reviewed by this day; a missed review escalates like any deadline")
    ends_on: date | None = None
    description: Text = ""


class ExtendMeasureIn(Schema):
    review_on: date
    ends_on: date | None = Field(None, description="Null: until further notice")
    reason: RequiredText


class ReasonIn(Schema):
    reason: RequiredText


class CreatedOut(Schema):
    id: int


class OutcomeOut(Schema):
    id: int
    person_id: int
    person: str
    sanctions: list[SanctionName]
    rehire: RehireName
    state: Literal["pending", "final", "rejected", "withdrawn", "superseded"]
    needs_approval: bool
    reason: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    final_at: datetime | None
    identifiers: list[str] = Field(description="The kinds of identifier kept as digests for the registry")
    in_registry: bool


class OutcomesOut(Schema):
    accused: list[PersonRef]
    outcomes: list[OutcomeOut]


class IdentifiersIn(Schema):
    email: Identifier = ""
    phone: Identifier = ""
    employee_number: Identifier = ""
    national_id: Identifier = ""


class OutcomeIn(IdentifiersIn):
    person: int = Field(description="The id of a person accused in the case (see GET .../outcomes)")
    sanctions: list[SanctionName] = Field(min_length=1, max_length=7, description='["none"], or one or more sanctions')
    rehire: RehireName
    reason: RequiredText


class NoteIn(Schema):
    note: Text = ""


class RequiredNoteIn(Schema):
    note: RequiredText


class OutcomeStateOut(Schema):
    id: int
    state: Literal["pending", "final", "rejected", "withdrawn", "superseded"]


class RehireCheckIn(IdentifiersIn):
    """One or more of the candidate's identifiers."""


class RegistryHolderOut(Schema):
    member: str
    oversight_contact: str


class RehireAnswerOut(Schema):
    result: RehireName
    check_reference: str
    # Members of the shared registry holding an entry for the candidate (never a case or a reason).
    registry_hits: list[RegistryHolderOut] = []


class RehireCheckRow(Schema):
    check_reference: str
    asked_at: datetime
    asked_by: str
    kinds: list[str] = Field(description="Which kinds of identifier were given; their values are not kept")
    result: RehireName


class RehireChecksOut(Schema):
    count: int
    page: int
    results: list[RehireCheckRow]


class MatchedEntryOut(Schema):
    entry: int
    result: RehireName
    listed_at: datetime
    lifted_at: datetime | None
    case: str | None = Field(description="The case's reference; null for a case this person may not see")


class RehireCheckDetail(RehireCheckRow):
    matched: list[MatchedEntryOut]


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100_000)


# --- Measures ---------------------------------------------------------------------------------


def _person_refs(people: list[outcome_view.PersonChoice]) -> list[PersonRef]:
    return [PersonRef(id=p.id, name=p.name, role=p.role) for p in people]


def _measure(case: Case, measure_id: int) -> Measure:
    measure = Measure.objects.filter(case=case, pk=measure_id).first()
    if measure is None:
        raise Http404("no such measure")
    return measure


@router.get(
    "/staff/cases/{reference}/measures",
    response={200: MeasuresOut, **answers.AUTH, **answers.CASE},
    summary="The case's protective measures (the view is recorded in the audit trail)",
)
def list_measures(request: HttpRequest, reference: str) -> MeasuresOut:
    user = _actor(request)
    case = _case(request, reference)
    case_actions.record_case_view(case=case, actor=user, via="api")
    view = outcome_view.for_staff(case, user)
    return MeasuresOut(
        people=_person_refs(view.people),
        measures=[
            MeasureOut(
                id=m.id,
                kind=m.kind,  # type: ignore[arg-type]
                protects_reporter=m.protects_reporter,
                protects=m.protects,
                restricts=m.restricts,
                starts_on=m.starts_on,
                review_on=m.review_on,
                review_overdue=m.review_overdue,
                ends_on=m.ends_on,
                ended_on=m.ended_on,
                in_force=m.in_force,
                description=m.description,
                recorded_by=m.recorded_by,
                recorded_at=m.recorded_at,
                changes=[
                    MeasureChangeOut(
                        kind=c.kind,  # type: ignore[arg-type]
                        by=c.by,
                        at=c.at,
                        review_on=c.review_on,
                        ends_on=c.ends_on,
                        reason=c.reason,
                    )
                    for c in m.changes
                ],
            )
            for m in view.measures
        ],
    )


@router.post(
    "/staff/cases/{reference}/measures",
    response={201: CreatedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Record a protective measure",
)
def record_measure(request: HttpRequest, reference: str, payload: MeasureIn) -> Status[CreatedOut]:
    case = _case(request, reference)
    measure = actions.record_measure(case=case, actor=_actor(request), **payload.dict())
    return Status(201, CreatedOut(id=measure.pk))


@router.post(
    "/staff/cases/{reference}/measures/{measure_id}/extend",
    response={200: CreatedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Keep a measure: its next review date and end, with the reason",
)
def extend_measure(request: HttpRequest, reference: str, measure_id: int, payload: ExtendMeasureIn) -> CreatedOut:
    measure = _measure(_case(request, reference), measure_id)
    actions.extend_measure(measure=measure, actor=_actor(request), **payload.dict())
    return CreatedOut(id=measure.pk)


@router.post(
    "/staff/cases/{reference}/measures/{measure_id}/end",
    response={200: CreatedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="End a measure now, with the reason",
)
def end_measure(request: HttpRequest, reference: str, measure_id: int, payload: ReasonIn) -> CreatedOut:
    measure = _measure(_case(request, reference), measure_id)
    actions.end_measure(measure=measure, actor=_actor(request), reason=payload.reason)
    return CreatedOut(id=measure.pk)


# --- Outcomes ---------------------------------------------------------------------------------


def _outcome(case: Case, outcome_id: int) -> AccusedOutcome:
    outcome = AccusedOutcome.objects.filter(case=case, pk=outcome_id).select_related("case").first()
    if outcome is None:
        raise Http404("no such outcome")
    return outcome


@router.get(
    "/staff/cases/{reference}/outcomes",
    response={200: OutcomesOut, **answers.AUTH, **answers.CASE},
    summary="The decisions about each person accused (the view is recorded in the audit trail)",
)
def list_outcomes(request: HttpRequest, reference: str) -> OutcomesOut:
    user = _actor(request)
    case = _case(request, reference)
    case_actions.record_case_view(case=case, actor=user, via="api")
    view = outcome_view.for_staff(case, user)
    return OutcomesOut(
        accused=_person_refs(view.accused),
        outcomes=[
            OutcomeOut(
                id=o.id,
                person_id=o.person_id,
                person=o.person,
                sanctions=o.sanctions,  # type: ignore[arg-type]
                rehire=o.rehire,  # type: ignore[arg-type]
                state=o.state,  # type: ignore[arg-type]
                needs_approval=o.needs_approval,
                reason=o.reason,
                proposed_by=o.proposed_by,
                proposed_at=o.proposed_at,
                decided_by=o.decided_by,
                decided_at=o.decided_at,
                decision_note=o.decision_note,
                final_at=o.final_at,
                identifiers=o.identifiers,
                in_registry=o.in_registry,
            )
            for o in view.outcomes
        ],
    )


@router.post(
    "/staff/cases/{reference}/outcomes",
    response={201: OutcomeStateOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Decide sanctions and rehire eligibility for a person accused",
    description="Dismissal or not_eligible comes back `pending`: a lead handler or oversight member other than "
    "the proposer approves it. Identifiers are kept only as keyed digests.",
)
def propose_outcome(request: HttpRequest, reference: str, payload: OutcomeIn) -> Status[OutcomeStateOut]:
    case = _case(request, reference)
    person = InvolvedPerson.objects.filter(report__case=case, pk=payload.person).select_related("report").first()
    if person is None:
        raise actions.ActionError("no such person accused in this case")
    outcome = actions.propose_outcome(
        case=case,
        actor=_actor(request),
        person=person,
        sanctions=payload.sanctions,
        rehire=payload.rehire,
        reason=payload.reason,
        identifiers=payload.dict(include={"email", "phone", "employee_number", "national_id"}),
    )
    return Status(201, OutcomeStateOut(id=outcome.pk, state=outcome.state))  # type: ignore[arg-type]


@router.post(
    "/staff/cases/{reference}/outcomes/{outcome_id}/approve",
    response={200: OutcomeStateOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Approve a decision that waits (never your own)",
)
def approve_outcome(request: HttpRequest, reference: str, outcome_id: int, payload: NoteIn) -> OutcomeStateOut:
    outcome = _outcome(_case(request, reference), outcome_id)
    outcome = actions.approve_outcome(outcome=outcome, actor=_actor(request), note=payload.note)
    return OutcomeStateOut(id=outcome.pk, state=outcome.state)  # type: ignore[arg-type]


@router.post(
    "/staff/cases/{reference}/outcomes/{outcome_id}/reject",
    response={200: OutcomeStateOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Reject a decision that waits, saying why (never your own)",
)
def reject_outcome(request: HttpRequest, reference: str, outcome_id: int, payload: RequiredNoteIn) -> OutcomeStateOut:
    outcome = _outcome(_case(request, reference), outcome_id)
    outcome = actions.reject_outcome(outcome=outcome, actor=_actor(request), note=payload.note)
    return OutcomeStateOut(id=outcome.pk, state=outcome.state)  # type: ignore[arg-type]


@router.post(
    "/staff/cases/{reference}/outcomes/{outcome_id}/withdraw",
    response={200: OutcomeStateOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Withdraw your own decision while it waits",
)
def withdraw_outcome(request: HttpRequest, reference: str, outcome_id: int) -> OutcomeStateOut:
    outcome = _outcome(_case(request, reference), outcome_id)
    outcome = actions.withdraw_outcome(outcome=outcome, actor=_actor(request))
    return OutcomeStateOut(id=outcome.pk, state=outcome.state)  # type: ignore[arg-type]


# --- Rehire checks ------------------------------------------------------------------------------

NOT_FOUND = {404: answers.ProblemOut}  # not a route for this person


@router.post(
    "/staff/rehire-checks",
    response={201: RehireAnswerOut, **answers.BODY, **answers.AUTH, **NOT_FOUND},
    summary="Ask whether a candidate may be hired (hr only)",
    description="The answer is only `eligible`, `not_eligible` or `review_needed` and a reference oversight can "
    "look up: never the case, the finding or the reason. `eligible` when nothing matches.",
)
def ask_rehire(request: HttpRequest, payload: RehireCheckIn) -> Status[RehireAnswerOut]:
    user = _actor(request)
    if not permissions.may_check_rehire(user):
        raise Http404("no such route")
    found = actions.check_rehire(actor=user, identifiers=payload.dict())
    return Status(
        201,
        RehireAnswerOut(
            result=found.result,  # type: ignore[arg-type]
            check_reference=found.reference,
            registry_hits=[RegistryHolderOut(**holder) for holder in found.registry_holders],
        ),
    )


def _row(found: RehireCheck) -> dict[str, object]:
    return {
        "check_reference": found.reference,
        "asked_at": found.asked_at,
        "asked_by": found.asked_by.email,
        "kinds": list(found.kinds),
        "result": found.result,
    }


@router.get(
    "/staff/rehire-checks",
    response={200: RehireChecksOut, **answers.QUERY, **answers.AUTH, **NOT_FOUND},
    summary="Every rehire check, newest first (oversight only)",
)
def list_rehire_checks(request: HttpRequest, query: Query[PageQuery]) -> RehireChecksOut:
    if not permissions.may_read_rehire_checks(_actor(request)):
        raise Http404("no such route")
    pages = Paginator(RehireCheck.objects.select_related("asked_by"), 50)
    page = pages.get_page(query.page)
    return RehireChecksOut(
        count=pages.count,
        page=page.number,
        results=[RehireCheckRow(**_row(c)) for c in page],  # type: ignore[arg-type]
    )


@router.get(
    "/staff/rehire-checks/{check_reference}",
    response={200: RehireCheckDetail, **answers.AUTH, **NOT_FOUND},
    summary="One rehire check and the registry entries it matched (oversight only; recorded in the audit trail)",
)
def get_rehire_check(request: HttpRequest, check_reference: str) -> RehireCheckDetail:
    user = _actor(request)
    if not permissions.may_read_rehire_checks(user):
        raise Http404("no such route")
    found = RehireCheck.objects.filter(reference=check_reference).select_related("asked_by").first()
    if found is None:
        raise Http404("no such check")
    actions.record_rehire_check_view(rehire_check=found, actor=user)
    visible = set(access.visible_cases(user).values_list("pk", flat=True))
    matched = [
        MatchedEntryOut(
            entry=e.pk,
            result=e.result,  # type: ignore[arg-type]
            listed_at=e.listed_at,
            lifted_at=e.lifted_at,
            case=e.outcome.case.reference if e.outcome.case_id in visible else None,
        )
        for e in found.matched.select_related("outcome__case").order_by("listed_at")
    ]
    return RehireCheckDetail(**_row(found), matched=matched)  # type: ignore[arg-type]
