"""Who is conflicted on a case (R3), computed from the directory.

A case's conflict set is every person named as accused, everyone in their management
chain up to the top, anyone the reporter asked to keep out, and anyone a handler
added. Access (cases.access), assignment, approvals, notifications and escalation all
leave conflicted people out; this module only says who they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet

from ombuds.cases.models import Case, Conflict, ConflictReason, InvolvedPerson, PersonRole
from ombuds.directory.models import Person

COMPUTED = (ConflictReason.ACCUSED, ConflictReason.MANAGER, ConflictReason.KEEP_OUT)


def management_chain(person: Person) -> list[Person]:
    """The person's managers, nearest first, up to the top (a cycle in bad data ends the walk)."""
    chain: list[Person] = []
    seen = {person.pk}
    current = person
    while current.manager_id is not None and current.manager_id not in seen:
        manager = Person.objects.get(pk=current.manager_id)
        chain.append(manager)
        seen.add(manager.pk)
        current = manager
    return chain


@dataclass(frozen=True)
class Entry:
    person_id: int
    reason: str
    via_id: int | None


def compute(case: Case) -> set[Entry]:
    """The computed part of the conflict set, from the case's linked people and the directory."""
    entries: dict[tuple[int, str], Entry] = {}

    def add(person_id: int, reason: str, via_id: int | None) -> None:
        entries.setdefault((person_id, reason), Entry(person_id, reason, via_id))

    mentions = InvolvedPerson.objects.filter(report__case=case, person__isnull=False).select_related("person")
    for mention in mentions:
        person = mention.person
        assert person is not None
        if mention.role == PersonRole.ACCUSED:
            add(person.pk, ConflictReason.ACCUSED, None)
            for manager in management_chain(person):
                add(manager.pk, ConflictReason.MANAGER, person.pk)
        elif mention.role == PersonRole.KEEP_OUT:
            add(person.pk, ConflictReason.KEEP_OUT, None)
    return set(entries.values())


def stored(case: Case) -> set[Entry]:
    return {
        Entry(person_id, reason, via_id)
        for person_id, reason, via_id in Conflict.objects.filter(case=case, reason__in=COMPUTED).values_list(
            "person_id", "reason", "via_id"
        )
    }


def conflicted_users(case: Case) -> QuerySet[User]:
    return User.objects.filter(person__conflicts__case=case)


def is_conflicted(user: User, case: Case) -> bool:
    return Conflict.objects.filter(case=case, person__user=user).exists()


def unconflicted(users: list[User], case: Case) -> list[User]:
    blocked = set(conflicted_users(case).values_list("pk", flat=True))
    return [user for user in users if user.pk not in blocked]
