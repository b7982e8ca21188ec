"""Who is responsible for a case now, and who hears of it: pools, lead handlers, oversight.

Every list leaves out the people conflicted on the case (R3) and inactive accounts.
The mail module, the actions and the escalation ladder all ask here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db.models import QuerySet

from ombuds.accounts.roles import APPEAL_READERS, APPROVERS, ASSIGNABLE, Role
from ombuds.cases.conflicts import unconflicted
from ombuds.cases.models import Case, PoolMembership


def users_with(roles: Iterable[Role]) -> QuerySet[User]:
    """Active staff holding any of `roles`."""
    return User.objects.filter(is_active=True, groups__name__in=[r.value for r in roles]).distinct()


def assignable_handlers() -> QuerySet[User]:
    """Everyone a case may be assigned to (conflicts are checked when assigning)."""
    return users_with(ASSIGNABLE).order_by("email")


def approvers(case: Case, *, exclude: User) -> list[User]:
    """Who may approve what `exclude` proposed: lead handlers and oversight, never the proposer."""
    return [u for u in unconflicted(list(users_with(APPROVERS)), case) if u.pk != exclude.pk]


def leads(case: Case) -> list[User]:
    return unconflicted(list(users_with({Role.LEAD_HANDLER})), case)


def oversight(case: Case) -> list[User]:
    return unconflicted(list(users_with(APPEAL_READERS)), case)


def oversight_conflicted(case: Case) -> bool:
    """The oversight body has members, and every one of them is conflicted on this case."""
    members = list(users_with(APPEAL_READERS))
    return bool(members) and not unconflicted(members, case)


def pool(case: Case) -> list[User]:
    """The handlers of the case's category (everyone's, if it has no pool) who are not conflicted."""
    members = set(PoolMembership.objects.filter(category=case.category).values_list("user_id", flat=True))
    handlers = list(users_with(ASSIGNABLE))
    if members:
        handlers = [u for u in handlers if u.pk in members]
    return unconflicted(handlers, case)


def responsible(case: Case) -> list[User]:
    """The assignee, or the pool while nobody is assigned."""
    if case.assignee is not None:
        return unconflicted([case.assignee], case) or pool(case)
    return pool(case)


def nobody_can_handle(case: Case) -> bool:
    """No unconflicted handler or lead handler could take the case: it goes to oversight."""
    return not pool(case) and not leads(case)
