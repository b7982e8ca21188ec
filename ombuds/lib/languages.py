"""The languages the organisation offers, in one place.

Policies need a text in each of them before a version can be published, and support
resources are written in each. Today they are the installation's OMBUDS_LANGUAGES.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings


def offered() -> list[tuple[str, str]]:
    """(code, name) of each offered language, English first as configured."""
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def codes() -> list[str]:
    return [code for code, _name in offered()]


def pick(available: Iterable[str], wanted: str) -> str | None:
    """The language to show from those `available`: the wanted one, else the first offered, else any."""
    keys = list(available)
    if not keys:
        return None
    if wanted in keys:
        return wanted
    for code in codes():
        if code in keys:
            return code
    return keys[0]
