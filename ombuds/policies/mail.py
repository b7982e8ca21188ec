"""The e-mails that ask employees to acknowledge a policy, and remind them.

Queued by the send action and by the sweeper's reminders, in their transaction, with
request ids only; sent by the task worker. The worker makes each e-mail's personal link
when it sends it, so the link's secret is in the e-mail and nowhere else (not in the
task queue, not in the database). The e-mail is written in every offered language, one
after the other: the directory does not know which one each person reads.
"""

from __future__ import annotations

import logging
from smtplib import SMTPRecipientsRefused

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ombuds.directory.models import PersonStatus
from ombuds.lib import languages
from ombuds.policies import links
from ombuds.policies.models import AcknowledgementRequest

logger = logging.getLogger(__name__)


def compose(*, titles: dict[str, str], number: int, link: str, reminder: bool) -> tuple[str, str]:
    """Subject and body, in each offered language that the version has a title in."""
    subjects: list[str] = []
    blocks: list[str] = []
    for code in languages.codes():
        title = titles.get(code)
        if not title:
            continue
        with translation.override(code):
            if reminder:
                subjects.append(_("Reminder: please acknowledge “%(title)s”") % {"title": title})
                opening = _(
                    "This is a reminder: you have not yet confirmed that you have read the policy “%(title)s” "
                    "(version %(number)d)."
                ) % {"title": title, "number": number}
            else:
                subjects.append(_("Please read and acknowledge “%(title)s”") % {"title": title})
                opening = _(
                    "Please read the policy “%(title)s” (version %(number)d) and confirm that you have read it."
                ) % {"title": title, "number": number}
            blocks.append(
                "\n\n".join(
                    [
                        opening,
                        _("Read it and acknowledge it here: %(link)s") % {"link": link},
                        _(
                            "This link is yours alone and works once. You do not need an account. You are receiving "
                            "this e-mail because you are in your organisation's staff directory."
                        ),
                    ]
                )
            )
    return " / ".join(subjects), "\n\n— — —\n\n".join(blocks) + "\n"


@task()
def send_requests(*, request_ids: list[int], reminder: bool) -> int:
    """Send one e-mail per request that still waits; returns how many were sent.

    Checked again now: someone may have acknowledged, left, lost her e-mail address, or
    the version may have been superseded, since the e-mail was queued.
    """
    base = settings.OMBUDS_BASE_URL.rstrip("/")
    sent = 0
    for request_id in request_ids:
        with transaction.atomic():
            request = (
                AcknowledgementRequest.objects.select_for_update()
                .select_related("version", "person")
                .filter(pk=request_id)
                .first()
            )
            if (
                request is None
                or request.acknowledged_at is not None
                or request.version.superseded_at is not None
                or request.person.status != PersonStatus.ACTIVE
                or not request.person.email
            ):
                continue
            token = links.new_link(request)
            titles = {text.language: text.title for text in request.version.texts.all()}
            address = request.person.email
            number = request.version.number
        link = base + reverse("policies:acknowledge", kwargs={"token": token})
        subject, body = compose(titles=titles, number=number, link=link, reminder=reminder)
        try:
            sent += send_mail(subject, body, None, [address])
        except SMTPRecipientsRefused:
            # One bad address in the directory must not stop the others' e-mails.
            logger.warning("the mail server refused the address of acknowledgement request %s", request_id)
    return sent
