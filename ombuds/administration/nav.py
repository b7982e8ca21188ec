"""The administration pages' navigation: every section, this app's and other apps', in one list.

Another app adds its own administration page with one line in its AppConfig.ready():

    from ombuds.administration.nav import register
    register("policies_admin:index", _("Policies"), _("Publish policies ..."), order=50)

This module imports nothing of ombuds, so an app on any layer may fill it
(tests/test_layers.py places it at the bottom). The URL name must reverse without arguments; its view must be wrapped in
`ombuds.administration.access.administrator_required`, and its template should extend
"administration/base.html" (which draws this navigation and marks the current section).
docs/administration.md says the same for developers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class Section:
    url_name: str
    label: str | Promise
    description: str | Promise
    order: int

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_SECTIONS: dict[str, Section] = {}


def register(url_name: str, label: str | Promise, description: str | Promise = "", *, order: int = 100) -> None:
    """Add (or replace) a section; sections are listed by `order`, then by label."""
    _SECTIONS[url_name] = Section(url_name, label, description, order)


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, str(section.label)))
