"""The case page's list of linked cases: `{% load linking %}{% linked_cases %}` in cases/case.html."""

from __future__ import annotations

from typing import Any

from django import template

from ombuds.linking import selectors

register = template.Library()


@register.inclusion_tag("linking/_linked_cases.html", takes_context=True)
def linked_cases(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    return {"linked": list(selectors.linked_cases(request.user, context["case"].reference))}
