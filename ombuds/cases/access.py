"""The one place that decides which staff may see which case.

Every staff page and API route fetches cases through these functions. A case that does
not exist and a case this person may not see give the same answer (404), so nobody
learns that a case exists by being refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.http import Http404

from ombuds.accounts import mfa
from ombuds.accounts.roles import AUDIT_READERS, SEES_ALL_CASES, Role, roles_of
from ombuds.audit.models import AuditEvent
from ombuds.cases.models import Appeal, Attachment, Case, Conflict, KeepOutProposal, PoolMembership
from ombuds.investigations.models import Investigator


def visible_cases(user: User | AnonymousUser) -> QuerySet[Case]:
    """The cases this person may see.

    Lead handlers and oversight see every case; handlers see the cases assigned to them
    and the unassigned cases of their pools (a category without a pool is everyone's);
    investigators see the cases they are named to investigate, and no other.
    Nobody sees a case on which they are conflicted (R3): named as accused, in an
    accused person's management chain, kept out at the reporter's request or by a
    handler.
    """
    reach = _reach(user)
    if reach is None or not isinstance(user, User):
        return Case.objects.none()
    combined = Q()
    for part in reach:
        combined |= part.walk & part.rest
    return _without_conflicts(Case.objects.filter(combined), user)


def visible_among(user: User | AnonymousUser, case_ids: Iterable[int]) -> set[int]:
    """Which of these cases this person may see (visible_cases asked about a few cases only).

    For lists of a few rows (legal holds, open flags, her tasks): filtering them with
    `case__in=visible_cases(user)` makes the database build every case she may see
    first, a million on a large history, where asking about their own cases costs a
    look-up each.
    """
    wanted = set(case_ids)
    if not wanted:
        return set()
    return set(visible_cases(user).filter(pk__in=wanted).values_list("pk", flat=True))


class _Any:
    """No condition on the assignee (the `walk` of a part is checked in the database)."""


ANY = _Any()


@dataclass(frozen=True)
class CasePart:
    """One part of the cases a person may see (visible_case_parts).

    `cases` are exactly the part's cases. `walk` is a plain condition on the case row
    that every case of the part meets (assigned to her; unassigned; every case), one an
    index serves in deadline order: a list can walk the cases meeting it in that order
    and keep those of the part, stopping after a page, whatever the database expects of
    the part's other conditions. Of the cases meeting `walk`, those in `checked` are the
    part's: the other conditions only, so that the database finds the cases it is asked
    about by their ids. `fixed` names the columns `walk` holds to one value (the
    assignee): ordering by them first changes nothing, and tells the database that the
    index's own order (assignee, deadline, id) is the order asked for, which it does not
    infer from `assignee IS NULL`.
    """

    walk: Q
    checked: QuerySet[Case]
    fixed: tuple[str, ...] = ()
    # When `walk` is "assigned to this user" (None: to nobody), the user's id, so that a
    # case read can be checked again in hand, without asking the database to walk again.
    assignee: int | _Any | None = ANY

    def still_held(self, cases: QuerySet[Case]) -> list[Case]:
        """Those of `cases` (some of `checked`) that meet `walk`: checked in hand when it is an assignee."""
        if self.assignee is ANY:
            return list(cases.filter(self.walk))
        return [case for case in cases if case.assignee_id == self.assignee]

    @property
    def cases(self) -> QuerySet[Case]:
        return self.checked.filter(self.walk)


def visible_case_parts(user: User | AnonymousUser) -> list[CasePart]:
    """The cases of visible_cases, as parts that never share a case and together hold exactly those.

    Each part is one simple condition (assigned to her; unassigned in her pools; ...), so
    the inbox can walk an index in a part's order and stop after a page, where the `OR`
    of them all makes the database collect and sort every match first.
    """
    reach = _reach(user)
    if reach is None or not isinstance(user, User):
        return []
    parts = []
    earlier = Q()
    for part in reach:
        # Each part leaves out what an earlier one holds, so no case is in two.
        rest = part.rest & ~earlier if earlier else part.rest
        checked = _without_conflicts(Case.objects.filter(rest), user)
        parts.append(CasePart(walk=part.walk, checked=checked, fixed=part.fixed, assignee=part.assignee))
        earlier |= part.walk & part.rest
    return parts


class _Part(NamedTuple):
    # The cases a role reaches: those meeting both conditions (CasePart).
    walk: Q
    rest: Q
    fixed: tuple[str, ...] = ()
    assignee: int | _Any | None = ANY


def _reach(user: User | AnonymousUser) -> list[_Part] | None:
    """The conditions (joined by OR) for the cases this person's roles reach; None for nothing at all."""
    roles = roles_of(user)
    if not isinstance(user, User) or not mfa.factor_in_place(user):
        return None
    if roles & SEES_ALL_CASES:
        return [_Part(walk=Q(), rest=Q())]
    if not roles & {Role.HANDLER, Role.INVESTIGATOR}:
        return None
    reach = []
    if Role.HANDLER in roles:
        pooled = PoolMembership.objects.values("category")
        mine = PoolMembership.objects.filter(user=user).values("category")
        in_my_pool = Q(category__in=mine) | ~Q(category__in=pooled)
        reach += [
            _Part(walk=Q(assignee=user), rest=Q(), fixed=("assignee_id",), assignee=user.pk),
            _Part(walk=Q(assignee__isnull=True), rest=in_my_pool, fixed=("assignee_id",), assignee=None),
        ]
    if Role.INVESTIGATOR in roles:
        # The few cases she is named to: walked as they are.
        named = Q(pk__in=Investigator.objects.filter(user=user, released_at__isnull=True).values("case_id"))
        reach.append(_Part(walk=named, rest=Q()))
    return reach


def _without_conflicts(cases: QuerySet[Case], user: User) -> QuerySet[Case]:
    # Conflicts (R3); a report held in escrow is nobody's until it is released
    # (ombuds.linking.escrow); a case whose content was deleted at the end of its retention
    # period has nothing left to read (ombuds.retention), only its statistics.
    return cases.exclude(conflicts__person__user=user).exclude(held_in_escrow=True).filter(erasure__isnull=True)


def visible_audit_events(user: User | AnonymousUser) -> QuerySet[AuditEvent]:
    """The audit trail for auditors and oversight, without events of cases they are conflicted on.

    Nor of a report held in escrow: nobody may hear of it until it is released, oversight
    only counts them (its events enter the log all the same, and show once it is released).
    """
    if not isinstance(user, User) or not roles_of(user) & AUDIT_READERS:
        return AuditEvent.objects.none()
    if not mfa.factor_in_place(user):
        return AuditEvent.objects.none()
    return AuditEvent.objects.exclude(case__conflicts__person__user=user).exclude(case__held_in_escrow=True)


def case_for_staff(user: User | AnonymousUser, reference: str) -> Case:
    case = visible_cases(user).filter(reference=reference).first()
    if case is None:
        raise Http404("no such case")
    return case


def attachment_for_staff(user: User | AnonymousUser, reference: str, attachment_id: int) -> Attachment:
    case = case_for_staff(user, reference)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("no such attachment")
    return attachment


def appeal_for_staff(user: User | AnonymousUser, reference: str, appeal_id: int) -> Appeal:
    case = case_for_staff(user, reference)
    appeal = case.appeals.filter(pk=appeal_id).first()
    if appeal is None:
        raise Http404("no such appeal")
    return appeal


def keep_out_proposal_for_staff(user: User | AnonymousUser, reference: str, proposal_id: int) -> KeepOutProposal:
    case = case_for_staff(user, reference)
    proposal = KeepOutProposal.objects.filter(case=case, pk=proposal_id).select_related("person", "case").first()
    if proposal is None:
        raise Http404("no such request")
    return proposal


def readers(case: Case) -> list[User]:
    """Everyone who may read this case's content now: the same rule as visible_cases, per case.

    Lead handlers and oversight; the assignee, or while nobody is assigned the
    handlers of the case's pool (a category without a pool is everyone's); the
    investigators named on it; never anyone conflicted on it, never an inactive
    account. Their grants follow this list (ombuds.cases.keyring.sync_grants).
    Nobody, while the case is held in escrow.
    """
    if case.held_in_escrow:
        return []
    conflicted = set(
        Conflict.objects.filter(case=case, person__user__isnull=False).values_list("person__user", flat=True)
    )
    staff = User.objects.filter(is_active=True)
    found = {u.pk: u for u in staff.filter(groups__name__in=[r.value for r in SEES_ALL_CASES])}
    if case.assignee_id is not None:
        assignee = staff.filter(pk=case.assignee_id, groups__name=Role.HANDLER.value).first()
        if assignee is not None:
            found[assignee.pk] = assignee
    else:
        handlers = staff.filter(groups__name=Role.HANDLER.value)
        pooled = PoolMembership.objects.filter(category=case.category)
        if pooled.exists():
            handlers = handlers.filter(pools__category=case.category)
        found.update((u.pk, u) for u in handlers)
    named = staff.filter(
        groups__name=Role.INVESTIGATOR.value, investigations__case=case, investigations__released_at__isnull=True
    )
    found.update((u.pk, u) for u in named)
    return [user for pk, user in sorted(found.items()) if pk not in conflicted]
