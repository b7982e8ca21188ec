"""Staff notifications by e-mail: a case reference and a link, never report content.

Notifications are queued only after the transaction that caused them commits, and
sent by the background worker, so a failed or slow mail server never blocks or undoes
a case action.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task

from ombuds.accounts.roles import Role
from ombuds.cases.models import Case


class Kind(enum.StrEnum):
    NEW_CASE = "new_case"
    ASSIGNED = "assigned"
    REPORTER_MESSAGE = "reporter_message"
    CLOSURE_PROPOSED = "closure_proposed"
    APPEAL = "appeal"
    DEADLINE_NEAR = "deadline_near"
    ESCALATED = "escalated"


SUBJECTS = {
    Kind.NEW_CASE: "New case {ref} in your pool",
    Kind.ASSIGNED: "Case {ref} is assigned to you",
    Kind.REPORTER_MESSAGE: "New message from the reporter on case {ref}",
    Kind.CLOSURE_PROPOSED: "Case {ref}: a closure without investigation needs your decision",
    Kind.APPEAL: "Case {ref}: the reporter appealed to oversight",
    Kind.DEADLINE_NEAR: "Case {ref}: a deadline is near",
    Kind.ESCALATED: "Case {ref} was escalated to you",
}


def _users_with(roles: set[Role]) -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name__in=[r.value for r in roles]).distinct())


def approvers(*, exclude: User) -> list[User]:
    return [u for u in _users_with({Role.LEAD_HANDLER, Role.OVERSIGHT}) if u.pk != exclude.pk]


def oversight() -> list[User]:
    return _users_with({Role.OVERSIGHT})


def pool(case: Case) -> list[User]:
    """Who hears about a case nobody is responsible for yet."""
    return _users_with({Role.HANDLER, Role.LEAD_HANDLER})


def on_commit(kind: Kind, *, case: Case, recipients: Iterable[User]) -> None:
    ids = sorted({user.pk for user in recipients if user.email})
    if not ids:
        return
    reference = case.reference
    transaction.on_commit(lambda: send_notification.enqueue(kind=kind.value, reference=reference, user_ids=ids))


@task()
def send_notification(*, kind: str, reference: str, user_ids: list[int]) -> int:
    """Send one e-mail per recipient; returns how many were sent."""
    subject = "[ombuds] " + SUBJECTS[Kind(kind)].format(ref=reference)
    link = f"{settings.OMBUDS_BASE_URL.rstrip('/')}/staff/cases/{reference}/"
    body = (
        f"{SUBJECTS[Kind(kind)].format(ref=reference)}.\n\n"
        f"Open the case (you will be asked to log in): {link}\n\n"
        "This message deliberately contains no details of the case.\n"
    )
    sent = 0
    for user in User.objects.filter(pk__in=user_ids, is_active=True):
        sent += send_mail(subject, body, None, [user.email])
    return sent
