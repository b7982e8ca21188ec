"""The case file page: GET /staff/cases/<ref>/case-file.pdf, for oversight only (404 for everyone else)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from ombuds.accounts import mfa
from ombuds.casefile.actions import produce_case_file
from ombuds.cases import access, permissions
from ombuds.cases.actions import ActionError
from ombuds.cases.permissions import Act


def pdf_response(data: bytes, reference: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-file-{reference}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _case_file_producer(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Only those who may produce the case file reach it; the check comes before anything else,
    the method check included, so that nobody else learns whether the case exists."""

    @mfa.second_factor_required
    def wrapper(request: HttpRequest, reference: str) -> HttpResponseBase:
        case = access.case_for_staff(request.user, reference)
        if not permissions.may_take(request.user, case, Act.CASE_FILE):
            raise Http404("no such page")
        return view(request, reference)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@_case_file_producer
@require_GET
def case_file(request: HttpRequest, reference: str) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    case = access.case_for_staff(user, reference)
    try:
        data = produce_case_file(case=case, actor=user, via="web")
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("cases:case", reference=reference)
    return pdf_response(data, case.reference)
