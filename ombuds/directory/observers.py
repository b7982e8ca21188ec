"""Who hears of the changes a directory import makes to people's records.

The import is bulk: it compares the whole file with the directory in memory and writes
in batches. An observer (the retaliation watch, ombuds.watch) registers here from its
app's ready(). Inside the import's transaction it is asked which of the people whose
record changes it watches, and then given, for those people only, each change as the
import records it: the old and the new value, the import's id (the sequence number of
its audit event) and its moment. Nobody else's change is looked at twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ombuds.directory.importer import ImportResult

# The fields of a person's record an import can change, as observers see them: the
# manager and the unit by employee id and path, the others as stored.
FIELDS = ("name", "email", "manager", "unit", "job_title", "country", "status")


@dataclass(frozen=True)
class FieldChange:
    field: str  # one of FIELDS
    old: str  # "" for none
    new: str


@dataclass(frozen=True)
class RecordChange:
    """What one import changed in one existing person's record."""

    person_id: int
    employee_id: str
    name: str  # the name after the import
    changes: tuple[FieldChange, ...]


class Observer(Protocol):
    def watched(self, person_ids: Collection[int], *, at: datetime) -> Collection[int]:
        """Which of these people (whose record the import changes) this observer watches at `at`."""
        ...

    def changed(self, changes: list[RecordChange], *, import_id: int, at: datetime) -> None:
        """The changes to the watched people; runs in the import's transaction, after its audit event."""
        ...


_OBSERVERS: dict[type, Observer] = {}


def register(observer: Observer) -> None:
    """Add an observer (called from an app's ready(); registering the same kind again replaces it)."""
    _OBSERVERS[type(observer)] = observer


def registered() -> list[Observer]:
    return list(_OBSERVERS.values())


class ImportListener(Protocol):
    def imported(self, result: ImportResult, *, actor_id: int | None) -> None:
        """An import was written (its counts and its moves of managers); runs in its transaction, after its event."""
        ...


_LISTENERS: dict[type, ImportListener] = {}


def listen(listener: ImportListener) -> None:
    """Add a listener to every written import (called from an app's ready(); the same kind again replaces it)."""
    _LISTENERS[type(listener)] = listener


def listeners() -> list[ImportListener]:
    return list(_LISTENERS.values())
