"""Who is watched, and for how long: the protection window after a case was filed.

A named reporter linked to her directory record (ReporterLink) and every witness linked
to the directory are watched from the day the case was received until
OMBUDS_RETALIATION_WINDOW after it (24 months by default). Reads only; the observer of
the directory import (ombuds.watch.watcher) and the case page ask here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from ombuds.cases.models import Case, InvolvedPerson, PersonRole
from ombuds.directory.models import PersonStatus
from ombuds.directory.observers import FieldChange, RecordChange
from ombuds.lib.durations import Duration
from ombuds.watch.models import ReporterLink, Subject

# The changes that may be adverse: a new manager or unit, a changed job title, and any
# status but active (left the organisation, suspended, sent on leave). A new name,
# e-mail address or country is not.
ADVERSE_FIELDS = ("manager", "unit", "job_title", "status")


def window() -> Duration:
    return Duration.parse(settings.OMBUDS_RETALIATION_WINDOW)


def protected_until(case: Case) -> datetime:
    return window().after(case.received_at)


def _received_since(at: datetime) -> datetime:
    """A moment before the earliest filing still protected at `at` (the exact check follows in Python)."""
    span = window()
    return at - span.exact - timedelta(days=31 * span.months + 1)


@dataclass(frozen=True)
class Watched:
    """One watched person on one case: a witness by directory id, the reporter by digest."""

    case_id: int
    subject: str
    person_id: int | None
    digest: str | None


def watched_now(at: datetime) -> list[Watched]:
    """Everyone watched at `at`: few rows (people linked on cases filed within the window)."""
    span = window()
    since = _received_since(at)
    found: list[Watched] = []
    witnesses = InvolvedPerson.objects.filter(
        role=PersonRole.WITNESS, person__isnull=False, report__case__received_at__gte=since
    ).values_list("report__case_id", "report__case__received_at", "person_id")
    for case_id, received_at, person_id in witnesses:
        if span.after(received_at) >= at:
            found.append(Watched(case_id, Subject.WITNESS, person_id, None))
    reporters = ReporterLink.objects.filter(case__received_at__gte=since).values_list(
        "case_id", "case__received_at", "person_digest"
    )
    for case_id, received_at, digest in reporters:
        if span.after(received_at) >= at:
            found.append(Watched(case_id, Subject.REPORTER, None, digest))
    return found


def adverse(record: RecordChange) -> list[FieldChange]:
    return [
        change
        for change in record.changes
        if change.field in ADVERSE_FIELDS and not (change.field == "status" and change.new == PersonStatus.ACTIVE)
    ]
