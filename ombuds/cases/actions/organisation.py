"""The organisation's settings and who handles what: deadlines, names, pools, leavers."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.accounts.roles import ASSIGNABLE, roles_of
from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.cases import keyring, routing
from ombuds.cases.actions._base import ActionError, clean_text, system_record
from ombuds.cases.models import Case, Category, Organisation, PoolMembership, Status
from ombuds.lib.durations import Duration, InvalidDuration


def configure_organisation(
    *,
    name: str | None = None,
    oversight_name: str | None = None,
    fallback_contact: str | None = None,
    ack_deadline: str | None = None,
    feedback_deadline: str | None = None,
    assault_first_action_deadline: str | None = None,
) -> Organisation:
    """Change the organisation's settings; durations are checked before anything is saved."""
    with transaction.atomic(durable=True):
        org = Organisation.objects.select_for_update().get(pk=1)
        for field, value in [
            ("ack_deadline", ack_deadline),
            ("feedback_deadline", feedback_deadline),
            ("assault_first_action_deadline", assault_first_action_deadline),
        ]:
            if value is None:
                continue
            try:
                Duration.parse(value)
            except InvalidDuration as exc:
                raise ActionError(str(exc)) from None
            setattr(org, field, value.strip().upper())
        if name is not None:
            org.name = clean_text(name, name=_("name"), max_length=200, required=True)
        if oversight_name is not None:
            org.oversight_name = clean_text(oversight_name, name=_("name"), max_length=200, required=True)
        if fallback_contact is not None:
            org.fallback_contact = clean_text(fallback_contact, name=_("fallback contact"), max_length=1000)
        org.save()
        log.record_system(
            EventType.ORGANISATION_CONFIGURED,
            ack_deadline=org.ack_deadline,
            feedback_deadline=org.feedback_deadline,
            assault_first_action_deadline=org.assault_first_action_deadline,
        )
    return org


def set_pool_membership(*, category: str, user: User, member: bool) -> None:
    """Put a handler in or out of a category's pool (who sees and hears of new cases)."""
    if category not in Category.values:
        raise ActionError(_("unknown category"))
    if member and not roles_of(user) & ASSIGNABLE:
        raise ActionError(_("only handlers can be in a pool"))
    with transaction.atomic(durable=True):
        if member:
            PoolMembership.objects.get_or_create(category=category, user=user)
        else:
            PoolMembership.objects.filter(category=category, user=user).delete()
        log.record_system(EventType.POOL_CHANGED, category=category, user=user.pk, member=member)
    # A pool decides which handlers see the category's unassigned cases (its first member
    # takes them away from every other handler), so every handler's grants follow.
    for handler in routing.assignable_handlers():
        keyring.resync_user(handler)


def release_assignments(*, user: User) -> int:
    """Unassign every open case of a person who leaves; each case shows "nobody" until reassigned."""
    now = timezone.now()
    released = 0
    for case_id in Case.objects.filter(assignee=user).exclude(status=Status.CLOSED).values_list("pk", flat=True):
        with transaction.atomic(durable=True):
            case = Case.objects.select_for_update().get(pk=case_id)
            case.assignee = None
            case.save(update_fields=["assignee"])
            system_record(EventType.CASE_ASSIGNED, case=case, at=now, assignee=None, previous=user.pk)
            keyring.sync_grants(case, None, now=now)
            released += 1
    return released
