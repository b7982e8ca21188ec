"""The retaliation watch as an observer of the directory import (ombuds.directory.observers).

The import asks which of the people it changes are watched, then hands over their
changes; the watch raises a flag for each watched person whose change may be adverse.
Both run inside the import's transaction, so a flag exists exactly when its import does.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from ombuds.directory.observers import RecordChange
from ombuds.watch import actions, protection, secrecy


class RetaliationWatch:
    def watched(self, person_ids: Collection[int], *, at: datetime) -> Collection[int]:
        entries = protection.watched_now(at)
        if not entries:
            return set()
        witnesses = {entry.person_id for entry in entries if entry.person_id is not None}
        found = {pk for pk in person_ids if pk in witnesses}
        digests = {entry.digest for entry in entries if entry.digest is not None}
        if digests:
            # One HMAC per changed person, and only when some reporter is watched at all.
            found |= {pk for pk in person_ids if secrecy.person_digest(pk) in digests}
        return found

    def changed(self, changes: list[RecordChange], *, import_id: int, at: datetime) -> None:
        actions.raise_flags(changes, entries=protection.watched_now(at), import_id=import_id, at=at)
