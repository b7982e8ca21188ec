"""Producing a case file: who may, and the audit event that records it."""

from __future__ import annotations

from typing import Literal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.audit.models import EventType
from ombuds.casefile import document
from ombuds.cases import keyring
from ombuds.cases.actions import ActionError
from ombuds.cases.actions._base import check, locked, staff_record
from ombuds.cases.models import Case
from ombuds.cases.permissions import Act


def produce_case_file(*, case: Case, actor: User, via: Literal["web", "api"]) -> bytes:
    """The case file of `case` as a PDF, for an oversight member (legal counsel holds that role).

    The audit event is written first, in its own transaction: a file that was asked for
    and made is in the trail even if sending it fails. Refused while her key cannot open
    the case's content, since the file would lack it.
    """
    now = timezone.now()
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Act.CASE_FILE)
        if case.sealed and keyring.staff_data_key(actor, case) is None:
            raise ActionError(_("You cannot open this case's content yet, so its case file cannot be made."))
        staff_record(EventType.CASE_FILE_PRODUCED, case=case, actor=actor, at=now, via=via)
    return document.pdf(case, actor, now=now)
