"""Dates and times in the reader's language, never broken across lines.

"7 December 2026" in English, "2026年12月7日" in Simplified Chinese: ISO dates are for
machines. Reporter pages write every date through these filters (docs/reporting.md).
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

# Per language: (date, date and time, date and time to the second), in Django's date format characters.
FORMATS = {
    "en": ("j F Y", "j F Y, H:i", "j F Y, H:i:s"),
    "zh-hans": ("Y年n月j日", "Y年n月j日 H:i", "Y年n月j日 H:i:s"),
}


def _formats() -> tuple[str, str, str]:
    return FORMATS.get((get_language() or "en").lower(), FORMATS["en"])


def written_date(value: date | datetime) -> str:
    """The date as the reader writes it, as plain text."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return date_format(value, _formats()[0])


@register.filter
def reader_date(value: date | datetime | None) -> SafeString | str:
    """A date in the reader's language, in a span that never wraps."""
    if value is None or value == "":
        return ""
    return format_html('<span class="nowrap">{}</span>', written_date(value))


@register.filter
def reader_datetime(value: datetime | None, precision: str = "") -> SafeString | str:
    """A date and time in the reader's language, in a span that never wraps.

    `|reader_datetime:"seconds"` adds the seconds (the audit trail).
    """
    if value is None or value == "":
        return ""
    shown = timezone.localtime(value) if timezone.is_aware(value) else value
    return format_html(
        '<span class="nowrap">{}</span>', date_format(shown, _formats()[2 if precision == "seconds" else 1])
    )
