"""The one shape of a field error in the API, the same as the 422s django-ninja gives for bad input."""

from __future__ import annotations

from typing import Any


def field_error(message: str, *loc: str) -> dict[str, Any]:
    return {"type": "value_error", "loc": ["body", *loc], "msg": message}


def field_errors(*errors: dict[str, Any]) -> dict[str, Any]:
    return {"detail": list(errors)}
