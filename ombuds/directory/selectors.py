"""Reads of the directory."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ombuds.directory.models import Person, PersonStatus

MIN_QUERY = 2
MAX_RESULTS = 8


def search(query: str) -> list[Person]:
    """People whose name contains the query, or whose e-mail or employee id is it (current staff only)."""
    query = query.replace("\x00", "").strip()
    if len(query) < MIN_QUERY:
        return []
    matches = Q(name__icontains=query) | Q(email__iexact=query) | Q(employee_id=query)
    return list(
        Person.objects.filter(matches)
        .exclude(status=PersonStatus.LEFT)
        .select_related("unit")
        .order_by("name", "employee_id")[:MAX_RESULTS]
    )


def by_employee_ids(ids: list[str]) -> QuerySet[Person]:
    clean = [i for i in ids if i and "\x00" not in i]
    return Person.objects.filter(employee_id__in=clean).select_related("unit")


def describe(person: Person) -> str:
    parts = [person.name]
    if person.job_title:
        parts.append(person.job_title)
    if person.unit is not None:
        parts.append(person.unit.path)
    return " — ".join(parts)
