"""Policies are written in Markdown and rendered here, safely.

markdown-it-py with raw HTML switched off: a `<script>` or `<img onerror=…>` typed into
a policy comes out as visible text, and links whose scheme is javascript:, vbscript:,
file: or data: are not made into links (the library's own link check). Images are
switched off too: a policy has no business loading pictures from elsewhere, and the
CSP would block them anyway.
"""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_RENDERER = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable(["table", "strikethrough"])
    .disable("image")
)


def render(text: str) -> SafeString:
    """HTML for a policy's Markdown text. Safe to put into a page as it is."""
    # The renderer escapes every character of the source it does not turn into markup.
    html: str = _RENDERER.render(text)
    return mark_safe(html)  # noqa: S308
