"""E-mail about staff accounts and settings: the invitation to a new account, and the notices to oversight.

The invitation carries a one-time link whose secret is stored nowhere, so it is sent
at once, from the request that made it, never through the task queue (whose rows
would keep the link). The notices to oversight (of changes to accounts, and of changes
to the settings that decide who sees reports, when cases escalate and how long they
are kept) hold no secret and go through the queue like every other staff e-mail,
queued in the transaction of the change, to the members active at that moment.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.tasks import task
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ombuds.accounts.enrolment import IssuedLink
from ombuds.accounts.roles import Role

logger = logging.getLogger(__name__)


def send_invitation(*, user: User, link: IssuedLink) -> bool:
    """Send the invitation, in the language of the page the administrator used; False if it could not be sent."""
    subject = _("[ombuds] Your staff account")
    base = settings.OMBUDS_BASE_URL.rstrip("/")
    body = "\n\n".join(
        [
            _("An administrator of ombuds, the reporting channel for misconduct, made a staff account for you."),
            _("Open this link to choose your password. It works once, until %(expires)s (UTC):")
            % {"expires": formats.date_format(link.expires_at, "Y-m-d H:i")},
            link.url,
            _(
                "Then log in at %(login)s and set up two-factor authentication with an authenticator app "
                "on your phone. If you did not expect this e-mail, do not open the link and tell your administrator."
            )
            % {"login": f"{base}/staff/"},
        ]
    )
    try:
        send_mail(subject, body + "\n", None, [user.email])
    except (OSError, smtplib.SMTPException) as exc:
        # The administrator is told on the page and sends it again; the link is not logged.
        logger.warning("the invitation to staff account %s could not be sent: %s", user.pk, type(exc).__name__)
        return False
    return True


def queue_role_notice(*, user: User, added: Iterable[Role], acting_user: User | None) -> None:
    """Queue an e-mail to the oversight body about roles given; run inside the change's transaction.

    Whoever administers ombuds can give roles that read reports: the oversight body hears
    of each one, so such a grant is never silent (docs/security.md).
    """
    roles = sorted(role.value for role in added)
    if roles:
        send_role_notice.enqueue(
            user_id=user.pk,
            roles=roles,
            actor_id=acting_user.pk if acting_user is not None else None,
            recipient_ids=_oversight_now(user),
        )


def _oversight_now(user: User | None = None) -> list[int]:
    """The active oversight members (apart from `user`), chosen when a change is made, not when its notice goes."""
    members = User.objects.filter(is_active=True, groups__name=Role.OVERSIGHT.value)
    if user is not None:
        members = members.exclude(pk=user.pk)
    return sorted(set(members.exclude(email="").values_list("pk", flat=True)))


@task()
def send_role_notice(
    *, user_id: int, roles: list[str], actor_id: int | None, recipient_ids: list[int] | None = None
) -> int:
    """Tell the oversight members chosen when the roles were given (all active ones for a notice queued before)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return 0
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    if recipient_ids is None:
        recipient_ids = _oversight_now(user)
    labels = ", ".join(Role(role).label for role in roles)
    return _tell_oversight(
        recipient_ids,
        _("[ombuds] Roles given to %(email)s") % {"email": user.email},
        [
            _("%(email)s was given these roles: %(roles)s.") % {"email": user.email, "roles": labels},
            _("Given by: %(by)s.") % {"by": _by(actor)},
            _(
                "You receive this because you are on the oversight body: every role given in ombuds is "
                "reported to you. If it was not expected, ask the administrator why; the audit trail "
                "lists every change to staff accounts: %(trail)s"
            )
            % {"trail": _trail()},
        ],
    )


def _by(actor: User | None) -> str:
    return actor.email if actor is not None else _("the server's operator, with a command")


def _trail() -> str:
    return settings.OMBUDS_BASE_URL.rstrip("/") + "/staff/audit/"


def _tell_oversight(recipient_ids: Iterable[int], subject: str, paragraphs: list[str]) -> int:
    """Send one notice to the oversight members given (those still with an address); how many were sent."""
    recipients = sorted(
        set(User.objects.filter(pk__in=list(recipient_ids)).exclude(email="").values_list("email", flat=True))
    )
    if not recipients:
        return 0
    return send_mail(subject, "\n\n".join(paragraphs) + "\n", None, recipients)


# What the oversight body is told of each change to an account that is not a role given.
ACCOUNT_CHANGES = {
    "deactivated": gettext_lazy("%(email)s was deactivated: the account can no longer log in."),
    "reactivated": gettext_lazy("%(email)s was reactivated: the account can log in again, with its roles."),
    "second_factor_reset": gettext_lazy(
        "The second factor of %(email)s was reset: the account cannot log in until a new one is set up "
        "with a one-time link."
    ),
    "roles_removed": gettext_lazy("%(email)s no longer has these roles: %(roles)s."),
}


def queue_account_notice(*, user: User, change: str, acting_user: User | None, roles: Iterable[Role] = ()) -> None:
    """Queue an e-mail to the oversight body about a change to an account; run inside the change's transaction.

    Who is told is decided now, not when the task runs: a change made while the body's
    members are deactivated would otherwise reach nobody.
    """
    if change not in ACCOUNT_CHANGES:
        raise ValueError(f"unknown change {change!r}")
    recipients = _oversight_now(user)
    if recipients:
        send_account_notice.enqueue(
            user_id=user.pk,
            change=change,
            roles=sorted(role.value for role in roles),
            actor_id=acting_user.pk if acting_user is not None else None,
            recipient_ids=recipients,
        )


@task()
def send_account_notice(
    *, user_id: int, change: str, roles: list[str], actor_id: int | None, recipient_ids: list[int]
) -> int:
    """Tell the oversight members chosen when the change was made (those still with an address) of it."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return 0
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    labels = ", ".join(Role(role).label for role in roles)
    return _tell_oversight(
        recipient_ids,
        _("[ombuds] Change to the staff account %(email)s") % {"email": user.email},
        [
            str(ACCOUNT_CHANGES[change]) % {"email": user.email, "roles": labels},
            _("Changed by: %(by)s.") % {"by": _by(actor)},
            _(
                "You receive this because you are on the oversight body: every change to a staff account "
                "is reported to you. If it was not expected, ask the administrator why; the audit trail "
                "lists every change to staff accounts: %(trail)s"
            )
            % {"trail": _trail()},
        ],
    )


# --- Changes to the settings ----------------------------------------------------------------

# What the oversight body is told of each change to a setting that decides who sees
# reports, what reporters are told, when cases escalate, or how long content is kept.
# One administrator can make each of these alone (R8): the body hears of every one.
SETTINGS_CHANGES = {
    "oversight_contact": gettext_lazy(
        "The contact reporters are shown to reach the oversight body is now: %(text)s (it was: %(old)s)."
    ),
    "fallback_contact": gettext_lazy(
        "The contact reporters are shown when the oversight body is conflicted is now: %(text)s (it was: %(old)s)."
    ),
    "deadline": gettext_lazy("%(deadline)s is now %(new)s (it was %(old)s)."),
    "directory_search_on": gettext_lazy("Reporters may now search the directory for the people they report."),
    "directory_search_off": gettext_lazy("Reporters may no longer search the directory for the people they report."),
    "pool_in": gettext_lazy(
        "%(email)s was put in the pool of %(category)s: they see its new cases that nobody handles yet, "
        "and hear of each one. While a category has a pool, only its members do."
    ),
    "pool_out": gettext_lazy(
        "%(email)s was taken out of the pool of %(category)s. When a pool is left empty, every handler "
        "sees the category's new cases again."
    ),
    "retention": gettext_lazy(
        "The retention periods of %(category)s are now %(without)s for a case closed without an "
        "investigation and %(after)s after a decision (they were %(old_without)s and %(old_after)s). "
        "Until %(until)s nothing is deleted earlier than the old periods would have deleted it: "
        "a legal hold keeps a case's content for as long as it is needed."
    ),
    "directory_imported": gettext_lazy(
        "The directory was imported (%(rows)s rows): %(created)s people added, %(updated)s changed, "
        "%(moves)s given a new manager. A person's managers are kept out of reports about them, and "
        "a change of manager changes who may read those reports."
    ),
    "directory_staff_moved": gettext_lazy("Staff accounts whose own manager the import changed: %(emails)s."),
    "directory_staff_released": gettext_lazy(
        "Staff accounts the import made no longer someone's manager: %(emails)s. Unless something else "
        "keeps them out, they may read reports about those people again."
    ),
    "directory_staff_managing": gettext_lazy(
        "Staff accounts the import made the new manager of someone: %(emails)s. They are kept out of "
        "reports about the people below them from now on."
    ),
    "questionnaire_published": gettext_lazy(
        "Version %(version)s of the report form for %(category)s was published: %(questions)s questions, "
        "%(required)s of them required. Every reporter of this category sees it; a question asking who she "
        "is, or for her evidence, can put her at risk."
    ),
    "questionnaire_questions": gettext_lazy("Its questions (those she must answer marked *): %(texts)s"),
    "support_entry": gettext_lazy(
        "A support entry reporters are shown was %(change)s: %(name)s, telephone %(phone)s, website "
        "%(website)s, %(shown)s."
    ),
    "support_settings": gettext_lazy(
        "The quick exit of every reporter's page now opens %(url)s; the support page shows %(country)s first."
    ),
    "policy_published": gettext_lazy(
        "Version %(number)s of the policy «%(title)s» was published: it is what reporters and staff are "
        "told at %(address)s."
    ),
    "outcome_sanctions_on": gettext_lazy("Reporters are now told which disciplinary action was taken."),
    "outcome_sanctions_off": gettext_lazy("Reporters are no longer told which disciplinary action was taken."),
    "outcome_wording": gettext_lazy(
        "The organisation's wording of what reporters are told of outcomes changed: %(keys)s."
    ),
}


def queue_settings_notice(*, facts: list[tuple[str, dict[str, str]]], acting_user: User | None) -> None:
    """Queue an e-mail to the oversight body about changes to settings; run inside the change's transaction.

    `facts` are keys of SETTINGS_CHANGES with their values, as text (no report content).
    """
    unknown = [key for key, _values in facts if key not in SETTINGS_CHANGES]
    if unknown:
        raise ValueError(f"unknown settings change {unknown[0]!r}")
    recipients = _oversight_now()
    if facts and recipients:
        send_settings_notice.enqueue(
            facts=[[key, values] for key, values in facts],
            actor_id=acting_user.pk if acting_user is not None else None,
            recipient_ids=recipients,
        )


@task()
def send_settings_notice(*, facts: list[list[object]], actor_id: int | None, recipient_ids: list[int]) -> int:
    """Tell the oversight members chosen when the settings were changed (those still with an address) of it."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    lines = [str(SETTINGS_CHANGES[str(key)]) % values for key, values in facts]
    return _tell_oversight(
        recipient_ids,
        _("[ombuds] Change to the settings"),
        [
            *lines,
            _("Changed by: %(by)s.") % {"by": _by(actor)},
            _(
                "You receive this because you are on the oversight body: every change to who sees "
                "reports, what reporters are told, when cases escalate and how long content is kept is "
                "reported to you. If it was not expected, ask the administrator why; the audit trail "
                "lists every change: %(trail)s"
            )
            % {"trail": _trail()},
        ],
    )
