"""The reporter's receipt: her only credential, shown once, never stored.

A receipt is 28 random decimal digits shown in seven groups of four (about 93 bits).
Digits type easily on any phone keypad and read the same in every language. The
server keeps only a keyed digest, which finds the report but cannot be reversed; a
database copy without the key is of no use for guessing, and with 93 bits of entropy
an online guess is hopeless even before rate limiting.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

from django.conf import settings

GROUPS = 7
GROUP_SIZE = 4
DIGITS = GROUPS * GROUP_SIZE


def new_receipt() -> str:
    digits = "".join(str(secrets.randbelow(10)) for _ in range(DIGITS))
    return "-".join(digits[i : i + GROUP_SIZE] for i in range(0, DIGITS, GROUP_SIZE))


def normalise(text: str) -> str | None:
    """The receipt's digits, tolerant of spaces, dashes and full-width digits; None if malformed."""
    folded = unicodedata.normalize("NFKC", text)
    digits = "".join(ch for ch in folded if ch.isascii() and ch.isdigit())
    others = [ch for ch in folded if not (ch.isascii() and ch.isdigit()) and ch not in " -\t\n\r."]
    if others or len(digits) != DIGITS:
        return None
    return digits


def digest(text: str) -> str | None:
    """The stored lookup digest for a receipt, or None if it cannot be a receipt."""
    digits = normalise(text)
    if digits is None:
        return None
    key = settings.OMBUDS_RECEIPT_KEY.encode()
    return hmac.new(key, b"ombuds-receipt-v1:" + digits.encode(), hashlib.sha256).hexdigest()
