"""Filters for the login and second-factor pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def groups_of_four(secret: str) -> list[str]:
    """A TOTP secret cut into groups of four characters, as people read and type it."""
    text = str(secret)
    return [text[i : i + 4] for i in range(0, len(text), 4)]
