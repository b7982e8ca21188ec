"""The case file as a PDF: the registered sections as HTML, laid out by WeasyPrint.

Every page carries who produced the file and when (a running header) and its page
number. Chinese text is set in Noto Sans CJK SC (Debian's fonts-noto-cjk), which the
style sheet names first; without that font installed, Pango falls back to any other font
on the system that has the characters, and to empty boxes when none has
(docs/deployment.md). Nothing is fetched while rendering: the document has no link to
follow, and the fetcher refuses any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from ombuds.casefile import sections
from ombuds.cases.models import Case


@dataclass(frozen=True)
class Rendered:
    name: str
    html: SafeString


def producer(user: User) -> str:
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name else user.email


def moment(now: datetime) -> str:
    """The moment of production as every page states it, in the organisation's time zone."""
    local = timezone.localtime(now)
    return f"{local:%Y-%m-%d %H:%M:%S} {settings.TIME_ZONE}"


def html(case: Case, user: User, *, now: datetime) -> str:
    """The whole case file as one HTML document (what the PDF is made from)."""
    rendered = []
    for section in sections.registered():
        context = section.context_fn(case, user)
        if context is not None:
            rendered.append(Rendered(section.name, SafeString(render_to_string(section.template, dict(context)))))
    return render_to_string(
        "casefile/document.html",
        {
            "reference": case.reference,
            "sections": rendered,
            "producer": producer(user),
            "moment": moment(now),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        },
    )


def pdf(case: Case, user: User, *, now: datetime) -> bytes:
    # Imported when a file is made: loading WeasyPrint loads Pango and the fonts.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # No protocol allowed: nothing in a case file is fetched, whatever a text contains.
    fetcher = URLFetcher(allowed_protocols=())
    document: bytes = HTML(string=html(case, user, now=now), url_fetcher=fetcher).write_pdf()
    return document
