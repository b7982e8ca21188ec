"""The sections of the case file, and how another app adds its own.

The case file (ombuds.casefile.document) is the case's sections in order. Each section is
a name, an order, a context function and a template: `context_fn(case, user)` returns the
template's context (or None to leave the section out of this case file), and the
template renders semantic HTML, a `<section>` with an `<h2>`, which the case file lays
out for print. An app adds a section from its AppConfig.ready() with one line:

    sections.register("investigation", 45, casefile_context, "investigations/casefile.html")

`user` is the oversight member producing the file; a context function reads what she may
read (ombuds.cases.permissions) and opens content only through the content seam with her
key (ombuds.cases.keyring.staff_data_key), like every other read model. The orders used
here leave room: case 10, report 20, messages 30, decisions 40, investigation 45,
outcomes 55, appeals and notes 60, retaliation watch and linked cases 70, timeline 80,
audit excerpt 90.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User

from ombuds.cases.models import Case

ContextFn = Callable[[Case, User], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Section:
    name: str
    order: int
    context_fn: ContextFn
    template: str


_SECTIONS: dict[str, Section] = {}


def register(name: str, order: int, context_fn: ContextFn, template: str) -> None:
    """Add a section to every case file (registering a name again replaces it, as ready() may run twice)."""
    _SECTIONS[name] = Section(name=name, order=order, context_fn=context_fn, template=template)


def registered() -> list[Section]:
    """Every section, in the order the case file shows them."""
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.name))
