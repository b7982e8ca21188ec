"""Personal one-time links: 256 random bits, of which only a SHA-256 digest is kept.

The secret has enough entropy that an unsalted fast digest is safe, as for API tokens.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from django.utils import timezone

from ombuds.policies.models import AcknowledgementLink, AcknowledgementRequest

# token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_link(request: AcknowledgementRequest) -> str:
    """Make a link for `request` and return its secret, which is stored nowhere."""
    token = secrets.token_urlsafe(32)
    AcknowledgementLink.objects.create(request=request, digest=digest(token), created_at=timezone.now())
    return token


def find(token: str) -> AcknowledgementLink | None:
    """The link a secret opens; a malformed secret and an unknown one look the same."""
    if not TOKEN.fullmatch(token):
        return None
    return AcknowledgementLink.objects.filter(digest=digest(token)).first()
