"""Reads for the administration pages and `ombuds staff list`: staff accounts as an administrator sees them."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import User
from django.db.models import QuerySet

from ombuds.accounts.models import ApiToken, EnrolmentLink, LinkPurpose, MfaState
from ombuds.accounts.roles import Role
from ombuds.directory.models import Person


class SecondFactor:
    """What a staff account's second factor is; the values are shown by the command as they are."""

    APP = "app"
    KEY = "security key"
    NONE = "none"
    RESET = "reset, waiting for the link"


@dataclass(frozen=True)
class StaffRow:
    user: User
    roles: list[Role]
    second_factor: str
    # Invited, and the password not set yet.
    invited: bool
    person: Person | None
    active_tokens: int

    @property
    def name(self) -> str:
        return self.user.get_full_name()


def staff_accounts() -> QuerySet[User]:
    return User.objects.order_by("-is_active", "email")


def staff_rows(users: QuerySet[User] | None = None) -> list[StaffRow]:
    """One row per account, in a fixed number of queries whatever the number of accounts."""
    users = staff_accounts() if users is None else users
    listed = list(users.prefetch_related("groups"))
    ids = [user.pk for user in listed]
    factors: dict[int, set[str]] = {}
    for user_id, kind in Authenticator.objects.filter(user_id__in=ids).values_list("user_id", "type"):
        factors.setdefault(user_id, set()).add(kind)
    waiting = set(MfaState.objects.filter(user_id__in=ids, needs_enrolment_link=True).values_list("user_id", flat=True))
    invited = set(
        EnrolmentLink.objects.filter(user_id__in=ids, purpose=LinkPurpose.INVITATION).values_list("user_id", flat=True)
    )
    people = {person.user_id: person for person in Person.objects.filter(user_id__in=ids).select_related("unit")}
    tokens: dict[int, int] = {}
    for user_id in ApiToken.objects.filter(user_id__in=ids, revoked_at__isnull=True).values_list("user_id", flat=True):
        tokens[user_id] = tokens.get(user_id, 0) + 1
    rows = []
    for user in listed:
        names = {group.name for group in user.groups.all()}
        kinds = factors.get(user.pk, set())
        if user.pk in waiting:
            factor = SecondFactor.RESET
        elif Authenticator.Type.TOTP in kinds:
            factor = SecondFactor.APP
        elif Authenticator.Type.WEBAUTHN in kinds:
            factor = SecondFactor.KEY
        else:
            factor = SecondFactor.NONE
        rows.append(
            StaffRow(
                user=user,
                roles=[role for role in Role if role.value in names],
                second_factor=factor,
                invited=user.pk in invited and not user.has_usable_password(),
                person=people.get(user.pk),
                active_tokens=tokens.get(user.pk, 0),
            )
        )
    return rows


def unlinked_staff() -> list[StaffRow]:
    """Active accounts that no directory person is linked to: they are kept out of nothing."""
    return staff_rows(staff_accounts().filter(is_active=True, person__isnull=True))


def matching_person(user: User) -> Person | None:
    """The directory person with the account's e-mail who has no account yet (the next import links them)."""
    if not user.email:
        return None
    return Person.objects.filter(email__iexact=user.email, user__isnull=True).first()
