"""The case page's list of linked cases (`{% linked_cases %}`), and oversight's count of held reports."""

from __future__ import annotations

from typing import Any

from django import template

from ombuds.cases import permissions
from ombuds.linking import escrow, selectors

register = template.Library()


@register.inclusion_tag("linking/_linked_cases.html", takes_context=True)
def linked_cases(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    return {"linked": list(selectors.linked_cases(request.user, context["case"].reference))}


@register.inclusion_tag("linking/_held_count.html", takes_context=True)
def held_in_escrow(context: template.Context) -> dict[str, Any]:
    """On oversight's inbox: how many reports wait in escrow. Nothing else of them is shown to anyone."""
    user = context["request"].user
    return {"count": escrow.held_count() if permissions.may_count_held_reports(user) else None}
