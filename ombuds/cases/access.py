"""The one place that decides which staff may see which case.

Every staff page and API route fetches cases through these functions. A case that does
not exist and a case this person may not see give the same answer (404), so nobody
learns that a case exists by being refused.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.http import Http404

from ombuds.accounts.roles import Role, roles_of
from ombuds.cases.models import Appeal, Attachment, Case


def visible_cases(user: User | AnonymousUser) -> QuerySet[Case]:
    """Lead handlers and oversight see every case; handlers see theirs and the unassigned pool."""
    roles = roles_of(user)
    if roles & {Role.LEAD_HANDLER, Role.OVERSIGHT}:
        return Case.objects.all()
    if Role.HANDLER in roles:
        return Case.objects.filter(Q(assignee=user) | Q(assignee__isnull=True))
    return Case.objects.none()


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
