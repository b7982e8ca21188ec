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


def same_person(match_ids: Iterable[bytes | memoryview]) -> set[tuple[int, int]]:
    """Every (report id, position) naming the person these match identifiers stand for.

    Followed through the reports: one that gives both an e-mail address and a phone
    number joins the reports that gave only one of them.
    """
    wanted = {bytes(match_id) for match_id in match_ids}
    found: set[tuple[int, int]] = set()
    for _round in range(MAX_ROUNDS):
        rows = set(Mention.objects.filter(match_id__in=list(wanted)).values_list("report_id", "position"))
        new = rows - found
        if not new:
            break
        found |= new
        for report_id, position, match_id in Mention.objects.filter(
            report_id__in={report_id for report_id, _position in new}
        ).values_list("report_id", "position", "match_id"):
            if (report_id, position) in new:
                wanted.add(bytes(match_id))
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
    reports = {report_id for report_id, _position in same_person(named_here)}
    return (
        visible.filter(reports__in=reports).exclude(reference=reference).distinct().order_by("received_at", "reference")
    )
