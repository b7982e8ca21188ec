"""Reads of links between cases."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from ombuds.cases import access
from ombuds.cases.models import Case
from ombuds.linking.models import Mention

# How far a chain of identifiers is followed; far beyond any real person's number of identifiers.
MAX_ROUNDS = 20


def same_person(match_ids: Iterable[bytes | memoryview]) -> dict[tuple[int, int], int]:
    """Every (report id, position) naming the person these match identifiers stand for, with its case id.

    Followed through the reports: one that gives both an e-mail address and a phone
    number joins the reports that gave only one of them.
    """
    wanted = {bytes(match_id) for match_id in match_ids}
    found: dict[tuple[int, int], int] = {}
    for _round in range(MAX_ROUNDS):
        rows = Mention.objects.filter(match_id__in=list(wanted)).values_list("report_id", "position", "case_id")
        new = {
            (report_id, position): case_id
            for report_id, position, case_id in rows
            if (report_id, position) not in found
        }
        if not new:
            break
        found |= new
        more = {
            bytes(match_id)
            for report_id, position, match_id in Mention.objects.filter(
                report_id__in={report_id for report_id, _position in new}
            ).values_list("report_id", "position", "match_id")
            if (report_id, position) in new
        }
        if more <= wanted:
            break  # nothing new to look for: another round would find the same rows
        wanted |= more
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
