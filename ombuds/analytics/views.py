"""The analytics dashboard at /staff/analytics/, its CSV downloads and the evidence pack button.

Oversight sees every figure; a lead handler a reduced set (figures.REDUCED); everyone else
gets 404, as for a page that does not exist. Opening the page and every download is an
audit event.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from ombuds.accounts import mfa
from ombuds.accounts.roles import EVIDENCE_PACK_MAKERS, roles_of
from ombuds.analytics import actions, evidence, export, figures, query, svg
from ombuds.analytics.figures import Units


def _reader(request: HttpRequest) -> tuple[User, bool]:
    user = request.user
    reduced = figures.reduced_for(roles_of(user))
    if reduced is None or not isinstance(user, User):
        raise Http404("no such page")
    return user, reduced


@require_GET
@mfa.second_factor_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user, reduced = _reader(request)
    units = Units.load(figures.threshold())
    try:
        choice = query.read(request.GET, units)
    except query.BadQuery as bad:
        return render(
            request,
            "analytics/dashboard.html",
            {"errors": bad.errors, "units": units.choices(), "params": request.GET},
            status=400,
        )
    board = figures.build(period=choice.period, scope=choice.unit, reduced=reduced, units=units)
    actions.record_view(actor=user, choice=choice, reduced=reduced)
    charts = [(figure, svg.bar_chart(figure, board.threshold)) for figure in board.figures]
    return render(
        request,
        "analytics/dashboard.html",
        {
            "board": board,
            "charts": charts,
            "choice": choice,
            "merged": choice.asked_unit != choice.unit,
            "units": units.choices(),
            "params": request.GET,
            "query": request.GET.urlencode(),
            "rates": [
                (key, export.RATE_TITLES[key], value, reference) for key, (value, reference) in board.rates.items()
            ],
            "may_make_pack": bool(roles_of(user) & EVIDENCE_PACK_MAKERS),
        },
    )


@require_GET
@mfa.second_factor_required
def download(request: HttpRequest, key: str) -> HttpResponse:
    user, reduced = _reader(request)
    units = Units.load(figures.threshold())
    try:
        choice = query.read(request.GET, units)
    except query.BadQuery as bad:
        return HttpResponse(str(bad), status=400, content_type="text/plain; charset=utf-8")
    board = figures.build(period=choice.period, scope=choice.unit, reduced=reduced, units=units)
    files = export.csv_files(board)
    name = f"{key}.csv"
    if name not in files:
        raise Http404("no such figure")
    actions.record_download(actor=user, choice=choice, figure=key)
    response = HttpResponse(files[name], content_type="text/csv; charset=utf-8")
    period = f"{choice.period.first:%Y-%m}-{choice.period.end:%Y-%m}"
    response["Content-Disposition"] = f'attachment; filename="analytics-{key}-{period}.csv"'
    return response


@require_POST
@mfa.second_factor_required
def evidence_pack(request: HttpRequest) -> HttpResponse:
    user, _reduced = _reader(request)
    if not roles_of(user) & EVIDENCE_PACK_MAKERS:
        raise Http404("no such page")
    units = Units.load(figures.threshold())
    try:
        choice = query.read(request.POST, units)
    except query.BadQuery as bad:
        return HttpResponse(str(bad), status=400, content_type="text/plain; charset=utf-8")
    pack = evidence.produce(period=choice.period, actor=user)
    stem = f"evidence-pack-{choice.period.first:%Y-%m}-{choice.period.end:%Y-%m}"
    response = HttpResponse(pack.bundle(stem), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{stem}.zip"'
    return response
