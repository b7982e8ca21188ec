"""Headers for handing a file from a reporter to a browser safely.

The file is untrusted: it is always a download (never shown in the site's origin),
with a content type that cannot be abused to run script, and a file name that cannot
break out of its header.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_MIME_PART = r"[A-Za-z0-9!#$&^_.+-]{1,64}"
_MIME = re.compile(rf"{_MIME_PART}/{_MIME_PART}")
# Types a browser might render or run even in a download's context; they are handed out
# as plain bytes instead.
_ACTIVE = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def content_type(declared: str) -> str:
    """The declared type if it is a plain, inert MIME type; otherwise application/octet-stream."""
    value = declared.split(";", 1)[0].strip().lower()
    if not _MIME.fullmatch(value) or value in _ACTIVE:
        return "application/octet-stream"
    return value


def disposition(filename: str, fallback: str) -> str:
    """A Content-Disposition that makes a download named like the original (RFC 6266 and 5987)."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", filename)).strip(" .") or fallback
    name = name[:150]
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_") or fallback
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
