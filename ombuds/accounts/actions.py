"""Every change to a staff account: invitation, creation, roles, deactivation and reactivation, tokens.

The second-factor reset, with its one-time enrolment link, is in ombuds.accounts.enrolment
(and offered here as `reset_second_factor`); API tokens are made in ombuds.accounts.tokens.

Each is one durable transaction with its audit event. `acting_user` is the staff
member who made the change (an administrator on the administration pages), or None
when it was made on the server (a command run by whoever operates the installation);
the audit trail says which. A change that would change nothing is refused with an
AccountError, never done silently: the pages show it and the commands exit non-zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.accounts import enrolment, mail, tokens
from ombuds.accounts import keys as staff_keys
from ombuds.accounts.models import ApiToken, EnrolmentLink, LinkPurpose
from ombuds.accounts.roles import Role, forget_roles, roles_of
from ombuds.audit import log
from ombuds.audit.models import EventType


class AccountError(ValueError):
    """The change was refused; the message says why and is safe to show."""


@dataclass(frozen=True)
class Invitation:
    user: User
    link: enrolment.IssuedLink
    # False when the mail server refused or could not be reached: the account and the link
    # exist, and the administrator sends the invitation again (a new link voids this one).
    sent: bool


def _actor_id(acting_user: User | None) -> int | None:
    return acting_user.pk if acting_user is not None else None


def _keep_the_oversight_body(user: User) -> None:
    """Refuse to take the oversight role from its last active holder, inside the caller's transaction.

    Otherwise one administrator could silence the body that watches the handling (R2):
    nobody would be told of roles given meanwhile, nor read a case escalated to it.
    """
    holders = User.objects.select_for_update(of=("self",)).filter(is_active=True, groups__name=Role.OVERSIGHT.value)
    members = set(holders.values_list("pk", flat=True))
    if user.pk in members and len(members) == 1:
        raise AccountError(
            _(
                "This is the last active member of the oversight body. Give the role to someone else "
                "first: a case must always have someone to escalate to."
            )
        )


def _not_yourself(user: User, acting_user: User | None, message: str) -> None:
    if acting_user is not None and acting_user.pk == user.pk:
        raise AccountError(message)


def _clean_new_account(email: str, roles: Iterable[Role]) -> tuple[str, list[Role]]:
    email = email.strip().lower()
    if "@" not in email or len(email) > 150:
        raise AccountError(_("Give an e-mail address."))
    chosen = sorted(set(roles))
    if not chosen:
        raise AccountError(_("Give at least one role."))
    return email, chosen


def _split_name(name: str) -> tuple[str, str]:
    first, _sep, last = name.strip().partition(" ")
    return first[:150], last[:150]


def _add_groups(user: User, roles: Iterable[Role]) -> None:
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])


def create_staff(
    *, email: str, name: str, roles: Iterable[Role], password: str, acting_user: User | None = None
) -> User:
    """Create a staff account with its roles; the password must pass the validators."""
    email, chosen = _clean_new_account(email, roles)
    first, last = _split_name(name)
    user = User(username=email, email=email, first_name=first, last_name=last)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from None
    with transaction.atomic(durable=True):
        if User.objects.filter(username=email).exists():
            raise AccountError(_("An account for %(email)s already exists.") % {"email": email})
        user.set_password(password)
        user.save()
        _add_groups(user, chosen)
        log.record_system(
            EventType.STAFF_CREATED, actor_id=_actor_id(acting_user), user=user.pk, roles=[r.value for r in chosen]
        )
        mail.queue_role_notice(user=user, added=chosen, acting_user=acting_user)
    # Her key pair is made now, while the password is at hand: reports filed before her
    # first login are then sealed to her as well.
    staff_keys.unlock(user, password)
    return user


def invite_staff(*, email: str, name: str, roles: Iterable[Role], acting_user: User | None = None) -> Invitation:
    """Create an account without a password and e-mail its holder a one-time link to set one.

    The link's secret is never stored (only its digest), so the e-mail is sent from
    here, after the commit, rather than through the task queue, whose rows would hold
    the link. Whether it went out is in `Invitation.sent`.
    """
    email, chosen = _clean_new_account(email, roles)
    first, last = _split_name(name)
    with transaction.atomic(durable=True):
        if User.objects.filter(username=email).exists():
            raise AccountError(_("An account for %(email)s already exists.") % {"email": email})
        user = User(username=email, email=email, first_name=first, last_name=last)
        user.set_unusable_password()
        user.save()
        _add_groups(user, chosen)
        log.record_system(
            EventType.STAFF_INVITED, actor_id=_actor_id(acting_user), user=user.pk, roles=[r.value for r in chosen]
        )
        link = enrolment.issue_link(
            user=user, purpose=LinkPurpose.INVITATION, actor_id=_actor_id(acting_user), now=timezone.now()
        )
        mail.queue_role_notice(user=user, added=chosen, acting_user=acting_user)
    return Invitation(user=user, link=link, sent=mail.send_invitation(user=user, link=link))


def invitation_pending(user: User) -> bool:
    """Whether this account was invited and its holder has not set a password yet."""
    invited = EnrolmentLink.objects.filter(user=user, purpose=LinkPurpose.INVITATION)
    return not user.has_usable_password() and invited.exists()


def resend_invitation(*, user: User, acting_user: User | None = None) -> Invitation:
    """A new invitation link for an account whose holder has not set a password yet; the old link stops working."""
    if not user.is_active:
        raise AccountError(_("This account is deactivated; reactivate it first."))
    if not invitation_pending(user):
        raise AccountError(_("This account has no invitation waiting: its holder has set a password already."))
    with transaction.atomic(durable=True):
        link = enrolment.issue_link(
            user=user, purpose=LinkPurpose.INVITATION, actor_id=_actor_id(acting_user), now=timezone.now()
        )
    return Invitation(user=user, link=link, sent=mail.send_invitation(user=user, link=link))


def accept_invitation(*, secret: str, password: str) -> User:
    """Set the first password of an invited account with its link; the link is used up.

    The person then logs in with it and sets up the second factor. Her key pair is made
    here, so reports filed from now on are sealed to her even before her first login.
    """
    now = timezone.now()
    found = enrolment.good_link(secret, LinkPurpose.INVITATION, now=now)
    if found is None or not found.user.is_active or found.user.has_usable_password():
        raise AccountError(_("This invitation link does not work any more. Ask your administrator for a new one."))
    try:
        password_validation.validate_password(password, found.user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from None
    with transaction.atomic(durable=True):
        link = enrolment.good_link(secret, LinkPurpose.INVITATION, now=now, lock=True)
        user = User.objects.select_for_update().get(pk=found.user_id)
        if link is None or user.has_usable_password():
            raise AccountError(_("This invitation link does not work any more. Ask your administrator for a new one."))
        user.set_password(password)
        user.save(update_fields=["password"])
        link.used_at = now
        link.save(update_fields=["used_at"])
        log.record_system(
            EventType.STAFF_ENROLMENT_LINK, user=user.pk, link=link.pk, step="password_set", purpose=link.purpose
        )
    staff_keys.unlock(user, password)
    return user


def change_roles(
    *, user: User, add: Iterable[Role] = (), remove: Iterable[Role] = (), acting_user: User | None = None
) -> frozenset[Role]:
    """Add and remove roles; returns the roles the account holds afterwards.

    Refused for a deactivated account, for one's own account (an administrator never
    gives herself a role, not even one to read cases), and when nothing would change.
    The oversight body is told of every role given (ombuds.accounts.mail).
    """
    added, removed = sorted(set(add)), sorted(set(remove))
    if not added and not removed:
        raise AccountError(_("Choose a role to add or remove."))
    if set(added) & set(removed):
        raise AccountError(_("A role cannot be added and removed at once."))
    _not_yourself(
        user, acting_user, _("You cannot change your own roles; another administrator or the server's operator can.")
    )
    with transaction.atomic(durable=True):
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            raise AccountError(_("This account is deactivated; reactivate it before changing its roles."))
        held = set(user.groups.values_list("name", flat=True))
        added = [role for role in added if role.value not in held]
        removed = [role for role in removed if role.value in held]
        if not added and not removed:
            raise AccountError(_("Nothing to change: the account already has these roles and not the others."))
        if Role.OVERSIGHT in removed:
            _keep_the_oversight_body(user)
        _add_groups(user, added)
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
        mail.queue_role_notice(user=user, added=added, acting_user=acting_user)
        if removed:
            mail.queue_account_notice(user=user, change="roles_removed", acting_user=acting_user, roles=removed)
    return roles_of(user)


def deactivate_staff(*, user: User, acting_user: User | None = None) -> int:
    """Stop an account from logging in and revoke its API tokens; returns the tokens revoked.

    The cases assigned to the person are released by the caller
    (ombuds.cases.actions.release_assignments), one case at a time, and her grants
    removed (ombuds.cases.keyring.resync_user).
    """
    _not_yourself(user, acting_user, _("You cannot deactivate your own account."))
    with transaction.atomic(durable=True):
        _keep_the_oversight_body(user)
        if not User.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
            raise AccountError(_("This account is deactivated already."))
        user.is_active = False
        forget_roles(user)
        revoked = tokens.revoke_all(user=user, reason="deactivated")
        log.record_system(EventType.STAFF_DEACTIVATED, actor_id=_actor_id(acting_user), user=user.pk, tokens=revoked)
        mail.queue_account_notice(user=user, change="deactivated", acting_user=acting_user)
    return revoked


def reactivate_staff(*, user: User, acting_user: User | None = None) -> None:
    """Let a deactivated account log in again, with the roles it had.

    Its tokens stay revoked, and its password, second factor and key pair are the ones it
    had; reset the second factor too if the person's phone may have changed hands. Her
    grants come back through ombuds.cases.keyring.resync_user, which the caller runs.
    """
    with transaction.atomic(durable=True):
        if not User.objects.filter(pk=user.pk, is_active=False).update(is_active=True):
            raise AccountError(_("This account is active already."))
        user.is_active = True
        forget_roles(user)
        log.record_system(EventType.STAFF_REACTIVATED, actor_id=_actor_id(acting_user), user=user.pk)
        mail.queue_account_notice(user=user, change="reactivated", acting_user=acting_user)


def reset_second_factor(*, user: User, acting_user: User | None = None) -> enrolment.IssuedLink:
    """Remove the account's second factors and tokens; return the one-time link to set up a new factor.

    Not for one's own account: an administrator who lost her phone asks another one, or
    the server's operator (`ombuds staff reset-mfa`).
    """
    _not_yourself(user, acting_user, _("You cannot reset your own second factor here; another administrator can."))
    if not user.is_active:
        raise AccountError(_("This account is deactivated; reactivate it first."))
    return enrolment.reset_second_factor(user=user, acting_user=acting_user)


def revoke_tokens(
    *, user: User, token_id: int | None = None, acting_user: User | None = None, via: tokens.Via = "command"
) -> int:
    """Revoke one of the account's API tokens, or every one still active; returns how many.

    Refused when there is nothing to revoke (no such token, or none active).
    """
    with transaction.atomic(durable=True):
        active = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        if token_id is not None:
            active = active.filter(pk=token_id)
        ids = list(active.values_list("pk", flat=True))
        if not ids:
            raise AccountError(
                _("No such active token.") if token_id is not None else _("This account has no active tokens.")
            )
        ApiToken.objects.filter(pk__in=ids).update(revoked_at=timezone.now())
        for revoked in ids:
            log.record_system(
                EventType.TOKEN_REVOKED, actor_id=_actor_id(acting_user), user=user.pk, token=revoked, via=via
            )
    return len(ids)
