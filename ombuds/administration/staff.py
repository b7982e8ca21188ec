"""A change to a staff account together with what must follow it in the other apps.

The change itself is an action of ombuds.accounts.actions (one transaction, with its
audit event). What follows touches cases and the directory, which the accounts app may
not import: releasing a leaver's cases, the case keys her roles now open or close,
linking a new account to its directory person. The administration pages and the
`ombuds createstaff` and `ombuds staff` commands call these, so both do the same.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User

from ombuds.accounts import actions as account_actions
from ombuds.accounts.roles import Role
from ombuds.cases import actions, keyring
from ombuds.directory.linking import link_staff_by_email


def _follow_new_account(user: User) -> None:
    if link_staff_by_email():
        # A newly linked account may be conflicted on cases it could otherwise read.
        actions.directory_changed()
    # The cases her roles let her read are granted to her by their other readers.
    keyring.resync_user(user)


def invite(*, email: str, name: str, roles: Iterable[Role], acting_user: User | None) -> account_actions.Invitation:
    invitation = account_actions.invite_staff(email=email, name=name, roles=roles, acting_user=acting_user)
    _follow_new_account(invitation.user)
    return invitation


def create(*, email: str, name: str, roles: Iterable[Role], password: str, acting_user: User | None) -> User:
    user = account_actions.create_staff(email=email, name=name, roles=roles, password=password, acting_user=acting_user)
    _follow_new_account(user)
    return user


def change_roles(
    *, user: User, add: Iterable[Role], remove: Iterable[Role], acting_user: User | None
) -> frozenset[Role]:
    held = account_actions.change_roles(user=user, add=add, remove=remove, acting_user=acting_user)
    # Her grants follow the cases her roles now let her read.
    keyring.resync_user(user)
    return held


def deactivate(*, user: User, acting_user: User | None) -> tuple[int, int]:
    """Returns (tokens revoked, cases unassigned)."""
    revoked = account_actions.deactivate_staff(user=user, acting_user=acting_user)
    released = actions.release_assignments(user=user)
    keyring.resync_user(user)  # an inactive account may read nothing: its grants go
    return revoked, released


def reactivate(*, user: User, acting_user: User | None) -> None:
    account_actions.reactivate_staff(user=user, acting_user=acting_user)
    keyring.resync_user(user)


def link_by_email() -> int:
    """Link every unlinked account to the directory person with its e-mail; returns the links made."""
    linked = link_staff_by_email()
    if linked:
        actions.directory_changed()
    return linked
