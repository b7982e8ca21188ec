"""Storage quotas for files, checked before anything is stored.

Files live in the database. Without a bound, one client stored 300 MiB on one report in
six seconds. A report (a case) holds at most OMBUDS_CASE_ATTACHMENT_BYTES of files, and
the whole installation at most OMBUDS_TOTAL_ATTACHMENT_BYTES. The check runs inside the
action's transaction; on SQLite writers take turns, on PostgreSQL the case row is
locked by the actions that add files to an existing case, so only the installation-wide
total can be overshot, by at most what concurrent uploads bring at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Sum
from django.utils.translation import gettext as _

from ombuds.cases import actions
from ombuds.cases.models import Attachment, Case


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def check(*, case: Case, incoming: int) -> None:
    """Raise ActionError when `incoming` more bytes of files would not fit."""
    if incoming <= 0:
        return
    limit = settings.OMBUDS_CASE_ATTACHMENT_BYTES
    used = Attachment.objects.filter(case=case).aggregate(total=Sum("size"))["total"] or 0
    if used + incoming > limit:
        raise actions.ActionError(
            _(
                "There is no room for these files: a report can hold at most %(limit)s MB of files, and "
                "%(used)s MB are stored with this one. Nothing was saved; send fewer or smaller files, or none."
            )
            % {"limit": _megabytes(limit), "used": _megabytes(used)}
        )
    stored = Attachment.objects.aggregate(total=Sum("size"))["total"] or 0
    if stored + incoming > settings.OMBUDS_TOTAL_ATTACHMENT_BYTES:
        raise actions.ActionError(
            _("There is no room for more files just now. Nothing was saved; send it without files, or try again later.")
        )
