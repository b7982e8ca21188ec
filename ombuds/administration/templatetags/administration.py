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
    sections = nav.sections()
    # The longest matching address is the current one: /staff/admin/policies/acknowledgements/
    # is the acknowledgements' page, not the policies'.
    matching = [section.url for section in sections if path.startswith(section.url)]
    current = max(matching, key=len, default=None)
    return [(section, section.url == current) for section in sections]
