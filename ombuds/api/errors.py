"""The one shape of a field error in the API, the same as the 422s django-ninja gives for bad input."""

from __future__ import annotations

from typing import Any

from ninja import Schema


def field_error(message: str, *loc: str) -> dict[str, Any]:
    return {"type": "value_error", "loc": ["body", *loc], "msg": message}


def field_errors(*errors: dict[str, Any]) -> dict[str, Any]:
    return {"detail": list(errors)}


class FieldErrorOut(Schema):
    type: str
    loc: list[str | int]
    msg: str


class FieldErrorsOut(Schema):
    """422: what was wrong with each field. Nothing was changed."""

    detail: list[FieldErrorOut]


class ProblemOut(Schema):
    """400, 401, 404, 429: one sentence saying what went wrong. Nothing was changed."""

    detail: str


# The answers a route can give besides its success, by what the route takes. Every route
# lists each one it can give, so the OpenAPI document is the whole contract.
BODY = {400: ProblemOut, 422: FieldErrorsOut}  # takes a JSON or form body
QUERY = {422: FieldErrorsOut}  # takes query parameters
AUTH = {401: ProblemOut}  # needs a token
CASE = {404: ProblemOut}  # names a case that may not exist or not be this person's
BUSY = {429: ProblemOut}  # slowed down when too much arrives at once
