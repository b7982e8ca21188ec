"""The case file through the API: the same PDF, the same rule (oversight only), the same audit event."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router

from ombuds.api import errors as answers
from ombuds.api.staff import StaffToken, actor_of, case_of
from ombuds.casefile.actions import produce_case_file
from ombuds.casefile.views import pdf_response
from ombuds.cases import permissions
from ombuds.cases.permissions import Act

router = Router(auth=StaffToken(), tags=["staff"])


@router.get(
    "/cases/{reference}/case-file",
    response={200: None, 422: answers.FieldErrorsOut, **answers.AUTH, **answers.CASE},
    summary="The case file: the whole case as a PDF, for oversight (recorded in the audit trail)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The case file (application/pdf)",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def case_file(request: HttpRequest, reference: str) -> HttpResponse:
    user = actor_of(request)
    case = case_of(request, reference)
    if not permissions.may_take(user, case, Act.CASE_FILE):
        raise Http404("no such case")
    return pdf_response(produce_case_file(case=case, actor=user, via="api"), case.reference)
