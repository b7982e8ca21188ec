"""GET /api/v1/analytics: the dashboard's figures for a period and unit, with the same suppression and access."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from ombuds.accounts.roles import roles_of
from ombuds.analytics import actions, export, figures, query
from ombuds.analytics.figures import Units
from ombuds.api import errors as answers
from ombuds.api.staff import StaffToken, actor_of

router = Router(auth=StaffToken(), tags=["staff"])


class AnalyticsQuery(Schema):
    from_: str = Field("", alias="from", description="First day (YYYY-MM-DD), widened to its month's start")
    to: str = Field("", description="Last day (YYYY-MM-DD), widened to its month's end")
    unit: str = Field("", description="A directory unit's id; 0 or empty: the whole organisation")


class CellOut(Schema):
    count: int | None = Field(description="The count, or null when it is not shown")
    state: str = Field(description="shown, small (below the threshold) or suppressed (would reveal a small one)")


class RowOut(CellOut):
    key: str
    label: str


class FigureOut(Schema):
    key: str
    title: str
    rows: list[RowOut]
    total: CellOut | None
    reference: str
    note: str


class DurationOut(Schema):
    key: str
    title: str
    median_days: float | None
    p90_days: float | None
    reference: str


class RateOut(Schema):
    value: float | None
    reference: str


class PeriodOut(Schema):
    from_: str = Field(alias="from")
    to: str


class UnitOut(Schema):
    id: int
    label: str
    head_count: int


class AnalyticsOut(Schema):
    period: PeriodOut
    unit: UnitOut
    threshold: int
    reduced: bool
    figures: list[FigureOut]
    durations: list[DurationOut]
    rates: dict[str, RateOut]


@router.get(
    "/analytics",
    response={200: AnalyticsOut, 404: answers.ProblemOut, **answers.QUERY, **answers.AUTH},
    summary="Oversight analytics for a period and unit, small counts suppressed (recorded in the audit trail)",
    by_alias=True,
)
def analytics(request: HttpRequest, params: Query[AnalyticsQuery]) -> Status[dict[str, Any]]:
    user = actor_of(request)
    reduced = figures.reduced_for(roles_of(user))
    if reduced is None or not isinstance(user, User):
        raise Http404("no such page")
    units = Units.load(figures.threshold())
    try:
        choice = query.read({"from": params.from_, "to": params.to, "unit": params.unit}, units)
    except query.BadQuery as bad:
        return Status(
            422,
            answers.field_errors(
                *({"type": "value_error", "loc": ["query", key], "msg": text} for key, text in bad.errors.items())
            ),
        )
    board = figures.build(period=choice.period, scope=choice.unit, reduced=reduced, units=units)
    actions.record_api_read(actor=user, choice=choice, reduced=reduced)
    return Status(200, export.as_data(board))
