"""Canonical JSON: the one byte string for a value, so that its hash never depends on who wrote it.

The audit log hashes and signs these bytes, and people check them with their own
code, so the rules are few and exact (docs/audit-log.md states them for verifiers):
UTF-8; object keys sorted by code point; no white space (separators "," and ":");
non-ASCII characters written as themselves, never as \\u escapes; only the escapes
json.dumps makes (\\" \\\\ \\b \\f \\n \\r \\t, and \\u00xx in lower case for the other
control characters below U+0020).

Values are limited to what every JSON implementation reads back identically:
objects with string keys, arrays, strings, integers within ±(2**53 - 1), true, false
and null. Floats (and NaN and infinities) are refused, because their text form
differs between implementations; so are strings that are not valid Unicode (lone
surrogates).
"""

from __future__ import annotations

import json

# Integers beyond this lose precision in JavaScript and other JSON readers that use
# doubles (RFC 7493, I-JSON), and would then read back as a different number.
MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonical(ValueError):
    """The value cannot be written as canonical JSON. The message names where, never the value."""


def canonical(value: object) -> bytes:
    """The canonical JSON bytes of `value`."""
    _check(value, "the value")
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise NotCanonical("a string is not valid Unicode (it holds a lone surrogate)") from None


def _check(value: object, where: str) -> None:
    # bool before int: bool is a subclass of int, and both are allowed as they are.
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise NotCanonical(f"{where} is an integer outside ±(2**53 - 1)")
        return
    if isinstance(value, float):
        raise NotCanonical(f"{where} is a float; only integers are allowed")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical(f"{where} has a key that is not a string ({type(key).__name__})")
            _check(item, f"{where}[{key!r}]")
        return
    if isinstance(value, list):
        for position, item in enumerate(value):
            _check(item, f"{where}[{position}]")
        return
    raise NotCanonical(f"{where} is a {type(value).__name__}, which JSON cannot hold")
