"""Staff notifications by e-mail: a case reference and a link, never report content.

Who receives a notice is decided by ombuds.cases.routing; this module only stores and
sends. A notice is stored in the same transaction as the change that caused it and handed to
the background worker's task queue by `send_due`, so a failed or slow mail server never
blocks or undoes a case action, and a notice is never sent for a change that rolled back.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from ombuds.cases.conflicts import unconflicted
from ombuds.cases.models import Case, Notice
from ombuds.lib import batching


class Kind(enum.StrEnum):
    NEW_CASE = "new_case"
    ASSIGNED = "assigned"
    REPORTER_MESSAGE = "reporter_message"
    CLOSURE_PROPOSED = "closure_proposed"
    APPEAL = "appeal"
    DEADLINE_NEAR = "deadline_near"
    ESCALATED = "escalated"
    KEEP_OUT_PROPOSED = "keep_out_proposed"
    OUTCOME_PROPOSED = "outcome_proposed"
    RETALIATION_FLAG = "retaliation_flag"
    # The investigation (ombuds.investigations).
    INVESTIGATOR_NAMED = "investigator_named"
    TASK_GIVEN = "task_given"
    MINUTES_ANSWERED = "minutes_answered"
    REPEAT_OFFENDER = "repeat_offender"
    LEGAL_HOLD_REVIEW = "legal_hold_review"


SUBJECTS = {
    Kind.NEW_CASE: "New case {ref} in your pool",
    Kind.ASSIGNED: "Case {ref} is assigned to you",
    Kind.REPORTER_MESSAGE: "New message from the reporter on case {ref}",
    Kind.CLOSURE_PROPOSED: "Case {ref}: a proposal to end the case needs your decision",
    Kind.APPEAL: "Case {ref}: the reporter appealed to oversight",
    Kind.DEADLINE_NEAR: "Case {ref}: a deadline is near",
    Kind.ESCALATED: "Case {ref} was escalated to you",
    Kind.KEEP_OUT_PROPOSED: "Case {ref}: a request to keep someone out needs your decision",
    Kind.OUTCOME_PROPOSED: "Case {ref}: a decision about a person needs your approval",
    Kind.RETALIATION_FLAG: "Case {ref}: a change in the directory may be retaliation and needs oversight",
    Kind.INVESTIGATOR_NAMED: "Case {ref}: you are named to investigate it",
    Kind.TASK_GIVEN: "Case {ref}: a task of the investigation plan is yours",
    Kind.MINUTES_ANSWERED: "Case {ref}: the reporter answered the minutes of her interview",
    Kind.REPEAT_OFFENDER: "Case {ref} names a person already named in other reports",
    Kind.LEGAL_HOLD_REVIEW: "Case {ref}: a legal hold has reached its review date",
}


def send_after(case: Case, now: datetime) -> datetime:
    """When a notice about `case` may go out.

    For an anonymous case, the next batch boundary: staff then learn that something
    happened within the batch window, never the minute, which could identify her.
    """
    if not case.anonymous:
        return now
    return batching.next_boundary(now)


def queue(kind: Kind, *, case: Case, recipients: Iterable[User], now: datetime | None = None) -> Notice | None:
    """Queue a notice in the caller's transaction; the worker sends it (see send_due)."""
    ids = sorted({user.pk for user in recipients if user.email})
    if not ids:
        return None
    now = now or timezone.now()
    return Notice.objects.create(case=case, kind=kind.value, recipients=ids, send_after=send_after(case, now))


def send_due(now: datetime) -> int:
    """Hand due notices to the task queue. Safe with several workers: each notice is claimed once."""
    # In the order of their ids: hand_over_new_cases claims many in one transaction, and two
    # workers claiming the same notices in different orders would each wait for the other.
    due = list(Notice.objects.filter(sent=False, send_after__lte=now).select_related("case").order_by("pk")[:500])
    handed = hand_over_new_cases([notice for notice in due if notice.kind == Kind.NEW_CASE])
    for notice in due:
        if notice.kind == Kind.NEW_CASE:
            continue  # handed over above, one by one or in digests
        with transaction.atomic():
            if not Notice.objects.filter(pk=notice.pk, sent=False).update(sent=True):
                continue  # another worker claimed it
            send_notification.enqueue(kind=notice.kind, reference=notice.case.reference, user_ids=notice.recipients)
            handed += 1
    return handed


def hand_over_new_cases(notices: list[Notice]) -> int:
    """Hand over new-case notices; whoever is due more than OMBUDS_NEW_CASE_DIGEST_AFTER gets one digest.

    A flood of reports must not turn into a flood of e-mail to every handler of a pool.
    The notices are claimed and their tasks queued in one transaction, so each is handed
    over exactly once, whether as its own e-mail or as a line of a digest.
    """
    if not notices:
        return 0
    with transaction.atomic():
        claimed = [notice for notice in notices if Notice.objects.filter(pk=notice.pk, sent=False).update(sent=True)]
        references: dict[int, list[str]] = defaultdict(list)
        for notice in claimed:
            for user_id in notice.recipients:
                references[user_id].append(notice.case.reference)
        digested = {
            user_id for user_id, refs in references.items() if len(refs) > settings.OMBUDS_NEW_CASE_DIGEST_AFTER
        }
        for notice in claimed:
            single = [user_id for user_id in notice.recipients if user_id not in digested]
            if single:
                send_notification.enqueue(kind=Kind.NEW_CASE.value, reference=notice.case.reference, user_ids=single)
        for user_id in sorted(digested):
            send_new_case_digest.enqueue(user_id=user_id, references=sorted(references[user_id]))
    return len(claimed)


@task()
def send_new_case_digest(*, user_id: int, references: list[str]) -> int:
    """One e-mail listing new cases, in place of one e-mail each; returns how many were sent (0 or 1)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return 0
    # Checked again now, case by case: someone may have become conflicted since the notices were queued.
    cases = [
        case
        for case in Case.objects.filter(reference__in=references).order_by("reference")
        if unconflicted([user], case)
    ]
    if not cases:
        return 0
    base = settings.OMBUDS_BASE_URL.rstrip("/")
    lines = "".join(f"  {case.reference}  {base}/staff/cases/{case.reference}/\n" for case in cases)
    subject = f"[ombuds] {len(cases)} new cases in your pool"
    body = (
        f"{len(cases)} new cases arrived in your pool, too many at once for one e-mail each:\n\n"
        f"{lines}\n"
        f"Open your inbox (you will be asked to log in): {base}/staff/\n\n"
        "This message deliberately contains no details of the cases.\n"
    )
    return send_mail(subject, body, None, [user.email])


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
    case = Case.objects.filter(reference=reference).first()
    if case is None:
        return 0
    # Checked again now: someone may have become conflicted since the notice was queued.
    recipients = unconflicted(list(User.objects.filter(pk__in=user_ids, is_active=True)), case)
    sent = 0
    for user in recipients:
        sent += send_mail(subject, body, None, [user.email])
    return sent
