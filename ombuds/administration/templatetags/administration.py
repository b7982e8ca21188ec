"""`{% admin_sections as sections %}`: the administration navigation, with the current section marked."""

from __future__ import annotations

from typing import Any

from django import template

from ombuds.administration import nav

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_sections(context: dict[str, Any]) -> list[tuple[nav.Section, bool]]:
    request = context.get("request")
    path = request.path_info if request is not None else ""
    return [(section, path.startswith(section.url)) for section in nav.sections()]
