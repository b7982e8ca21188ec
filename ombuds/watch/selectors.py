"""The checked fetcher of retaliation flags: missing and forbidden look the same (404)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.http import Http404

from ombuds.cases import access, permissions
from ombuds.cases.models import Case
from ombuds.cases.permissions import Part
from ombuds.watch.models import RetaliationFlag


def case_with_flags(user: User | AnonymousUser, reference: str) -> Case:
    """A case whose flags `user` may read (oversight, not conflicted); 404 otherwise."""
    case = access.case_for_staff(user, reference)
    if not permissions.may_read(user, case, Part.RETALIATION_FLAGS):
        raise Http404("no such case")
    return case


def flag_for_staff(user: User | AnonymousUser, reference: str, flag_id: int) -> RetaliationFlag:
    case = case_with_flags(user, reference)
    flag = RetaliationFlag.objects.filter(case=case, pk=flag_id).select_related("case").first()
    if flag is None:
        raise Http404("no such flag")
    return flag
