"""Every change to a staff account: creation, roles, deactivation.

The second-factor reset, with its one-time enrolment link, is in ombuds.accounts.enrolment;
API tokens are made and revoked in ombuds.accounts.tokens.

Each is one durable transaction with its audit event. `acting_user` is the staff
member who made the change, or None when it was made on the server (a command run by
whoever operates the installation); the audit trail says which.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction

from ombuds.accounts import keys as staff_keys
from ombuds.accounts import tokens
from ombuds.accounts.roles import Role, forget_roles, roles_of
from ombuds.audit import log
from ombuds.audit.models import EventType


class AccountError(ValueError):
    """The change was refused; the message says why and is safe to show."""


def _actor_id(acting_user: User | None) -> int | None:
    return acting_user.pk if acting_user is not None else None


def create_staff(
    *, email: str, name: str, roles: Iterable[Role], password: str, acting_user: User | None = None
) -> User:
    """Create a staff account with its roles; the password must pass the validators."""
    email = email.strip().lower()
    roles = sorted(set(roles))
    if "@" not in email:
        raise AccountError("give an e-mail address")
    if not roles:
        raise AccountError("give at least one role")
    first, _, last = name.strip().partition(" ")
    user = User(username=email, email=email, first_name=first, last_name=last)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from None
    with transaction.atomic(durable=True):
        if User.objects.filter(username=email).exists():
            raise AccountError(f"{email} already exists")
        user.set_password(password)
        user.save()
        for role in roles:
            user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        log.record_system(
            EventType.STAFF_CREATED, actor_id=_actor_id(acting_user), user=user.pk, roles=[r.value for r in roles]
        )
    # Her key pair is made now, while the password is at hand: reports filed before her
    # first login are then sealed to her as well.
    staff_keys.unlock(user, password)
    return user


def change_roles(
    *, user: User, add: Iterable[Role] = (), remove: Iterable[Role] = (), acting_user: User | None = None
) -> frozenset[Role]:
    """Add and remove roles; returns the roles the account holds afterwards."""
    added, removed = sorted(set(add)), sorted(set(remove))
    if set(added) & set(removed):
        raise AccountError("a role cannot be added and removed at once")
    with transaction.atomic(durable=True):
        for role in added:
            user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        for role in removed:
            user.groups.remove(*Group.objects.filter(name=role.value))
        forget_roles(user)
        log.record_system(
            EventType.STAFF_ROLES_CHANGED,
            actor_id=_actor_id(acting_user),
            user=user.pk,
            added=[r.value for r in added],
            removed=[r.value for r in removed],
        )
    return roles_of(user)


def deactivate_staff(*, user: User, acting_user: User | None = None) -> int:
    """Stop an account from logging in and revoke its API tokens; returns the tokens revoked.

    The cases assigned to the person are released by the caller
    (ombuds.cases.actions.release_assignments), one case at a time.
    """
    with transaction.atomic(durable=True):
        user.is_active = False
        user.save(update_fields=["is_active"])
        revoked = tokens.revoke_all(user=user, reason="deactivated")
        log.record_system(EventType.STAFF_DEACTIVATED, actor_id=_actor_id(acting_user), user=user.pk, tokens=revoked)
    return revoked
