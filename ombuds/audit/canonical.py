"""Canonical JSON: the one byte encoding of an audit event.

UTF-8, keys sorted, no insignificant white space, no floats. The same value always
gives the same bytes, so an event's bytes can be hashed into the Merkle log and
checked later by anyone with their own JSON library (docs/audit-log.md).
"""

from __future__ import annotations

import json
from typing import Any


class NotCanonical(TypeError):
    """The value holds something canonical JSON does not encode (a float, a non-string key)."""


def _check(value: Any) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return
    if isinstance(value, float):
        raise NotCanonical("floats have no canonical encoding; store integers or strings")
    if isinstance(value, list | tuple):
        for item in value:
            _check(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical(f"object keys must be strings, not {type(key).__name__}")
            _check(item)
        return
    raise NotCanonical(f"{type(value).__name__} has no canonical encoding")


def canonical(value: Any) -> bytes:
    """The canonical bytes of `value` (dicts, lists, strings, integers, booleans, None)."""
    _check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
