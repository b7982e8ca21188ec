"""Bar charts drawn on the server as SVG: no JavaScript, a title and a description, the table beside it as the text."""

from __future__ import annotations

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ombuds.analytics.export import shown_as
from ombuds.analytics.figures import Figure

WIDTH = 480
ROW = 22
LABEL = 190


def bar_chart(figure: Figure, threshold: int) -> SafeString:
    """One horizontal bar per row; a suppressed row gets an outlined stub and its label instead of a length."""
    rows = figure.rows
    if not rows:
        return mark_safe("")
    height = ROW * len(rows) + 8
    largest = max((row.cell.count for row in rows if row.cell.shown), default=0) or 1
    span = WIDTH - LABEL - 80
    ident = f"chart-{figure.key}"
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{}" height="{}" viewBox="0 0 {} {}" '
            'role="img" aria-labelledby="{}-title {}-desc">',
            WIDTH,
            height,
            WIDTH,
            height,
            ident,
            ident,
        ),
        format_html('<title id="{}-title">{}</title>', ident, figure.title),
        format_html(
            '<desc id="{}-desc">{}</desc>',
            ident,
            _("Bar chart. The same numbers are in the table that follows."),
        ),
    ]
    for index, row in enumerate(rows):
        y = 4 + index * ROW
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>', LABEL - 6, y + 14, row.label[:34]
            )
        )
        if row.cell.shown:
            length = round(span * row.cell.count / largest)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="#2f5d8a"></rect>', LABEL, y + 3, length, ROW - 8
                )
            )
            text_x = LABEL + length + 4
        else:
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="12" height="{}" fill="none" stroke="#666" stroke-dasharray="2 2">'
                    "</rect>",
                    LABEL,
                    y + 3,
                    ROW - 8,
                )
            )
            text_x = LABEL + 16
        parts.append(
            format_html('<text x="{}" y="{}" font-size="12">{}</text>', text_x, y + 14, shown_as(row.cell, threshold))
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - every part is escaped by format_html


__all__ = ["bar_chart", "escape"]
