"""Staff routes of the retaliation watch and accountability: the same fetchers, rules and actions as the pages.

Flags are the oversight body's: anyone else, and anyone conflicted on the case, gets the
same 404 as for a case that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from ombuds.api import errors as answers
from ombuds.api.errors import field_error, field_errors
from ombuds.api.staff import StaffToken, actor_of, case_of
from ombuds.cases import permissions
from ombuds.cases.actions import MAX_NARRATIVE
from ombuds.directory.models import Person
from ombuds.watch import actions, selectors, watch_view

router = Router(auth=StaffToken(), tags=["staff"])

Text = Annotated[str, Field(max_length=MAX_NARRATIVE)]
EmployeeIds = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=50)]


class ChangeOut(Schema):
    field: str
    old: str
    new: str


class FlagOut(Schema):
    id: int
    case: str
    subject: str
    raised_at: datetime
    import_id: int = Field(description="The directory import: the sequence number of its audit event")
    state: str
    name: str | None
    employee_id: str | None
    changes: list[ChangeOut]
    note: str
    decided_by: str | None
    decided_at: datetime | None
    retaliation_case: str | None


class FlagList(Schema):
    results: list[FlagOut]


class NoteIn(Schema):
    note: str = Field(min_length=1, max_length=MAX_NARRATIVE, description="Why the change is not retaliation")


class LinkedCaseIn(Schema):
    statement: Text = Field("", description="What the oversight body adds to the new case's account")
    others: EmployeeIds = Field(
        default_factory=list, description="Employee ids of others the new case concerns, kept out with their chains"
    )


class ReporterLinkIn(Schema):
    employee_id: str = Field(min_length=1, max_length=64)


class OpenedOut(Schema):
    reference: str


def _flag_out(view: watch_view.FlagView) -> FlagOut:
    return FlagOut(
        id=view.id,
        case=view.case_reference,
        subject=view.subject,
        raised_at=view.raised_at,
        import_id=view.import_id,
        state=view.state,
        name=view.name,
        employee_id=view.employee_id,
        changes=[ChangeOut(field=c.field, old=c.old, new=c.new) for c in view.changes],
        note=view.note,
        decided_by=view.decided_by,
        decided_at=view.decided_at,
        retaliation_case=view.opened_case,
    )


@router.get(
    "/retaliation-flags",
    response={200: FlagList, **answers.AUTH, 404: answers.ProblemOut},
    summary="Open retaliation flags on every case this oversight member may see",
)
def list_flags(request: HttpRequest) -> FlagList:
    user = actor_of(request)
    if not permissions.watches(user):
        raise Http404("no such page")
    return FlagList(results=[_flag_out(view) for view in watch_view.open_flags(user)])


@router.get(
    "/cases/{reference}/retaliation-flags",
    response={200: FlagList, **answers.AUTH, **answers.CASE},
    summary="The retaliation flags of one case, open and decided",
)
def case_flags(request: HttpRequest, reference: str) -> FlagList:
    user = actor_of(request)
    case_of(request, reference)
    case = selectors.case_with_flags(user, reference)
    return FlagList(results=[_flag_out(view) for view in watch_view.for_case(case, user).flags])


@router.post(
    "/cases/{reference}/retaliation-flags/{flag_id}/clear",
    response={200: FlagOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Clear a flag with a note",
)
def clear_flag(request: HttpRequest, reference: str, flag_id: int, payload: NoteIn) -> FlagOut:
    user = actor_of(request)
    case_of(request, reference)
    flag = selectors.flag_for_staff(user, reference, flag_id)
    flag = actions.clear_flag(flag=flag, actor=user, note=payload.note)
    return _flag_out(watch_view.one_flag(flag, user))


@router.post(
    "/cases/{reference}/retaliation-flags/{flag_id}/retaliation-case",
    response={201: OpenedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Open a retaliation case from a flag, linked to the case",
)
def open_retaliation_case(
    request: HttpRequest, reference: str, flag_id: int, payload: LinkedCaseIn
) -> Status[OpenedOut]:
    user = actor_of(request)
    case_of(request, reference)
    flag = selectors.flag_for_staff(user, reference, flag_id)
    new = actions.open_retaliation_case(flag=flag, actor=user, statement=payload.statement, others=payload.others)
    return Status(201, OpenedOut(reference=new.reference))


@router.post(
    "/cases/{reference}/reporter-link",
    response={201: OpenedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Link the named reporter to her directory record, so the retaliation watch follows it",
)
def link_reporter(
    request: HttpRequest, reference: str, payload: ReporterLinkIn
) -> Status[OpenedOut | dict[str, object]]:
    user = actor_of(request)
    case = case_of(request, reference)
    person = Person.objects.filter(employee_id=payload.employee_id.strip()).first()
    if person is None:
        return Status(422, field_errors(field_error("no person in the directory has this employee id", "employee_id")))
    actions.link_reporter(case=case, actor=user, person=person)
    return Status(201, OpenedOut(reference=case.reference))


@router.post(
    "/cases/{reference}/accountability-case",
    response={201: OpenedOut, **answers.BODY, **answers.AUTH, **answers.CASE},
    summary="Open a case against those who let a deadline of this case pass, pre-filled with its escalations",
)
def open_accountability_case(request: HttpRequest, reference: str, payload: LinkedCaseIn) -> Status[OpenedOut]:
    user = actor_of(request)
    case = case_of(request, reference)
    if not permissions.may_take(user, case, permissions.Act.OPEN_ACCOUNTABILITY):
        raise Http404("no such case")
    new = actions.open_accountability_case(case=case, actor=user, statement=payload.statement, others=payload.others)
    return Status(201, OpenedOut(reference=new.reference))
