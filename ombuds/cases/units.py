"""A case's reporting unit: the directory unit of the first accused person linked to the directory.

Stored on the case (Case.reporting_unit) so that the analytics group cases by unit with
an index instead of looking for each case's first accused person (docs/analytics.md).
Every action that changes who a case names, or links a name to the directory, calls
refresh; a directory import (conflicts.directory_changed) calls refresh_all. A case
whose unit changes is an UPDATE of its row: the database's own triggers then record its
days for the analytics' stored monthly totals (ombuds.analytics.stored).
"""

from __future__ import annotations

from django.db.models import OuterRef, Q, Subquery

from ombuds.cases.models import Case, InvolvedPerson, PersonRole


def unit_of_case(case_ref: str = "pk") -> Subquery:
    """The directory unit of the first accused person linked to the directory, as a subquery."""
    return Subquery(
        InvolvedPerson.objects.filter(report__case=OuterRef(case_ref), role=PersonRole.ACCUSED, person__isnull=False)
        .order_by("report__submitted_at", "position", "pk")
        .values("person__unit")[:1]
    )


def refresh(case_id: int) -> None:
    """Set one case's reporting unit from the people it names now."""
    Case.objects.filter(pk=case_id).update(reporting_unit=unit_of_case())


def refresh_all() -> int:
    """Set the reporting unit of every case that has one or names a linked accused (after a directory import)."""
    named = InvolvedPerson.objects.filter(role=PersonRole.ACCUSED, person__isnull=False).values("report__case")
    return Case.objects.filter(Q(pk__in=named) | Q(reporting_unit__isnull=False)).update(reporting_unit=unit_of_case())
