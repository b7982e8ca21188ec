"""Reads of links between cases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import QuerySet

from ombuds.cases import access
from ombuds.cases.models import Case
from ombuds.linking.models import Mention, NamedReporter

# How far a chain of identifiers is followed; far beyond any real person's number of identifiers.
MAX_ROUNDS = 20


@dataclass(frozen=True)
class Naming:
    """A person named on a report: the report's case, and whether that case is held in escrow."""

    case_id: int
    held: bool


def naming_reports(match_ids: Iterable[bytes | memoryview]) -> dict[tuple[int, int], Naming]:
    """Every (report id, position) naming the person these match identifiers stand for, with its case.

    Followed through the reports: one that gives both an e-mail address and a phone
    number joins the reports that gave only one of them. One statement per round: the
    mentions of every (report, position) that carries one of the identifiers looked
    for, with their cases' escrow flag. It runs at filing time (matching.record), so it
    is written in SQL rather than built by the ORM on every report.
    """
    mention, case = Mention._meta.db_table, Case._meta.db_table
    wanted = {bytes(match_id) for match_id in match_ids}
    looking = set(wanted)
    found: dict[tuple[int, int], Naming] = {}
    with connection.cursor() as cursor:
        for _round in range(MAX_ROUNDS):
            if not looking:
                break
            marks = ", ".join(["%s"] * len(looking))
            cursor.execute(
                f"SELECT DISTINCT other.report_id, other.position, other.case_id, other.match_id, c.held_in_escrow "  # noqa: S608 - table names from the models, values as parameters
                f"FROM {mention} AS named "
                f"JOIN {mention} AS other ON other.report_id = named.report_id AND other.position = named.position "
                f"JOIN {case} AS c ON c.id = other.case_id "
                f"WHERE named.match_id IN ({marks})",
                [*sorted(looking)],
            )
            more: set[bytes] = set()
            for report_id, position, case_id, match_id, held in cursor.fetchall():
                found.setdefault((report_id, position), Naming(case_id=case_id, held=bool(held)))
                more.add(bytes(match_id))
            looking = more - wanted
            wanted |= more
    return found


def same_person(match_ids: Iterable[bytes | memoryview]) -> dict[tuple[int, int], int]:
    """Every (report id, position) naming the person these match identifiers stand for, with its case id."""
    return {key: naming.case_id for key, naming in naming_reports(match_ids).items()}


def named_reporters(report_ids: Iterable[int]) -> dict[int, set[bytes]]:
    """The match identifiers of the named reporters of these reports, per report."""
    ids = sorted(set(report_ids))
    found: dict[int, set[bytes]] = {}
    if not ids:
        return found
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT report_id, match_id FROM {NamedReporter._meta.db_table} WHERE report_id IN ({marks})",  # noqa: S608 - table name from the model
            ids,
        )
        for report_id, match_id in cursor.fetchall():
            found.setdefault(report_id, set()).add(bytes(match_id))
    return found


def linked_cases(user: User | AnonymousUser, reference: str) -> QuerySet[Case]:
    """The cases whose reports name a person named in this case's, that this person may see as well as this one.

    A link is shown only to someone who may see both cases (cases.access): nobody
    learns from a link that a case they are kept out of exists.
    """
    visible = access.visible_cases(user)
    if not visible.filter(reference=reference).exists():
        return Case.objects.none()
    named_here = Mention.objects.filter(case__reference=reference).values_list("match_id", flat=True)
    cases = set(same_person(named_here).values())
    return visible.filter(pk__in=cases).exclude(reference=reference).order_by("received_at", "reference")
