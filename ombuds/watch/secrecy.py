"""The watch key: what lets the directory import find watched reporters without naming them in the database.

A staff member links a named reporter to her directory record with the case's key at
hand, but the import that later changes her record runs with no case's key. So the link
is kept as a keyed digest of the directory person (HMAC-SHA256), which the import can
compute for the people it changes and compare, and the change it records is encrypted
under a key derived the same way until oversight decides the flag. Both keys derive from
OMBUDS_RECEIPT_KEY, which never changes for an installation: a copy of the database alone
names no reporter; with that key as well, it can tell which directory person is the
named reporter of a watched case, and read the changes of flags still open
(docs/security.md says so).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings

from ombuds.crypto import keys


def _derived(purpose: str) -> bytes:
    return hmac.new(
        settings.OMBUDS_RECEIPT_KEY.encode(), f"ombuds-watch-v1:{purpose}".encode(), hashlib.sha256
    ).digest()


def person_digest(person_id: int) -> str:
    """The keyed digest a ReporterLink keeps of a directory person."""
    return hmac.new(_derived("person"), str(person_id).encode("ascii"), hashlib.sha256).hexdigest()


def _change_key() -> keys.DataKey:
    return keys.DataKey(_derived("change"))


def _context(case_id: int, flag_id: int) -> bytes:
    return keys.context("watch-change", case_id, flag_id)


def encrypt_change(change: dict[str, Any], *, case_id: int, flag_id: int) -> bytes:
    plain = json.dumps(change, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return keys.encrypt(_change_key(), plain, _context(case_id, flag_id))


def decrypt_change(ciphertext: bytes, *, case_id: int, flag_id: int) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(keys.decrypt(_change_key(), ciphertext, _context(case_id, flag_id)))
    return document
