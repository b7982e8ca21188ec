"""Every change to a case, in one place.

Each action is atomic, takes keyword-only arguments, and writes its audit event in
the same transaction as the change. Views, the API and commands call these; none of
them writes a case model directly.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.audit import log
from ombuds.audit.models import ActorKind, EventType
from ombuds.cases.deadlines import initial_deadlines
from ombuds.cases.models import (
    Appeal,
    Attachment,
    Case,
    Category,
    InvolvedPerson,
    Message,
    PersonRole,
    Report,
    ReporterRole,
    Sender,
)
from ombuds.cases.selectors import current_organisation
from ombuds.lib import receipts

# Crockford's alphabet: no I, L, O or U, so a reference read over the phone is unambiguous.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class ActionError(ValueError):
    """The action was refused; the message is safe to show to the person who asked."""


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class NewPerson:
    name: str
    role: str


@dataclass(frozen=True)
class FiledReport:
    receipt: str
    report: Report
    case: Case = field(repr=False)


def reporter_moment(*, anonymous: bool, now: datetime | None = None) -> datetime:
    """The time stored for something a reporter did.

    For an anonymous reporter only the day is kept (the start of that day in the
    organisation's time zone): an exact time could be matched against door logs,
    badge readers or calendars and name her.
    """
    now = now or timezone.now()
    if not anonymous:
        return now
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date(), time.min), timezone.get_current_timezone())


def _new_reference() -> str:
    return "C-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def _clean_text(value: str, *, name: str, max_length: int, required: bool = False) -> str:
    text = value.strip()
    if required and not text:
        raise ActionError(_("%(field)s must not be empty") % {"field": name})
    if len(text) > max_length:
        raise ActionError(_("%(field)s is longer than %(max)d characters") % {"field": name, "max": max_length})
    if "\x00" in text:
        raise ActionError(_("%(field)s contains a character that cannot be stored") % {"field": name})
    return text


def _store_attachments(
    *, case: Case, report: Report | None, message: Message | None, files: list[NewAttachment], sender: str, at: datetime
) -> list[Attachment]:
    if len(files) > settings.OMBUDS_MAX_ATTACHMENTS:
        raise ActionError(_("at most %(n)d files can be attached") % {"n": settings.OMBUDS_MAX_ATTACHMENTS})
    stored = []
    for item in files:
        if len(item.data) > settings.OMBUDS_MAX_ATTACHMENT_BYTES:
            raise ActionError(_("each file must be at most %(n)d bytes") % {"n": settings.OMBUDS_MAX_ATTACHMENT_BYTES})
        if len(item.data) == 0:
            raise ActionError(_("an attached file is empty"))
        stored.append(
            Attachment.objects.create(
                case=case,
                report=report,
                message=message,
                sender=sender,
                uploaded_at=at,
                size=len(item.data),
                sha256=hashlib.sha256(item.data).hexdigest(),
                filename=_clean_text(item.filename or "file", name=_("file name"), max_length=255, required=True),
                content_type=_clean_text(
                    item.content_type or "application/octet-stream", name=_("file type"), max_length=127
                ),
                data=item.data,
            )
        )
    return stored


MAX_NARRATIVE = 50_000
MAX_SHORT = 200
MAX_PEOPLE = 20


def file_report(
    *,
    category: str,
    role: str,
    narrative: str,
    anonymous: bool,
    occurred: str = "",
    location: str = "",
    people: list[NewPerson] | None = None,
    language: str = "en",
    reporter_name: str = "",
    reporter_contact: str = "",
    attachments: list[NewAttachment] | None = None,
) -> FiledReport:
    """Store a report and open its case in one transaction; return the receipt.

    No evidence is asked for: the narrative alone opens a case (R1). The receipt is
    returned only after the commit, so a reporter never holds a receipt for a report
    that was not stored.
    """
    if category not in Category.values:
        raise ActionError(_("unknown category"))
    if role not in ReporterRole.values:
        raise ActionError(_("unknown reporter role"))
    narrative = _clean_text(narrative, name=_("what happened"), max_length=MAX_NARRATIVE, required=True)
    occurred = _clean_text(occurred, name=_("when"), max_length=MAX_SHORT)
    location = _clean_text(location, name=_("where"), max_length=MAX_SHORT)
    reporter_name = _clean_text(reporter_name, name=_("name"), max_length=MAX_SHORT)
    reporter_contact = _clean_text(reporter_contact, name=_("contact"), max_length=MAX_SHORT)
    language = _clean_text(language or "en", name=_("language"), max_length=16)
    if anonymous and reporter_name:
        raise ActionError(_("an anonymous report cannot carry the reporter's name"))
    people = people or []
    if len(people) > MAX_PEOPLE:
        raise ActionError(_("at most %(n)d people can be named") % {"n": MAX_PEOPLE})
    cleaned_people = []
    for person in people:
        if person.role not in PersonRole.values:
            raise ActionError(_("unknown role for a person involved"))
        cleaned_people.append(
            NewPerson(
                name=_clean_text(person.name, name=_("person's name"), max_length=MAX_SHORT, required=True),
                role=person.role,
            )
        )

    receipt = receipts.new_receipt()
    digest = receipts.digest(receipt)
    assert digest is not None  # a fresh receipt is always well-formed
    at = reporter_moment(anonymous=anonymous)
    with transaction.atomic():
        org = current_organisation()
        deadlines = initial_deadlines(org, received_at=at, category=category)
        case = Case.objects.create(
            reference=_new_reference(),
            category=category,
            anonymous=anonymous,
            received_at=at,
            ack_due_at=deadlines.ack_due_at,
            feedback_due_at=deadlines.feedback_due_at,
            first_action_due_at=deadlines.first_action_due_at,
        )
        report = Report.objects.create(
            case=case,
            receipt_digest=digest,
            role=role,
            anonymous=anonymous,
            language=language,
            submitted_at=at,
            narrative=narrative,
            occurred=occurred,
            location=location,
            reporter_name=reporter_name,
            reporter_contact=reporter_contact,
        )
        InvolvedPerson.objects.bulk_create(
            [InvolvedPerson(report=report, name=p.name, role=p.role) for p in cleaned_people]
        )
        stored = _store_attachments(
            case=case, report=report, message=None, files=attachments or [], sender=Sender.REPORTER, at=at
        )
        log.record(
            EventType.REPORT_FILED,
            at=at,
            case=case,
            actor_kind=ActorKind.REPORTER,
            detail={"report": report.pk, "attachments": len(stored), "people": len(cleaned_people)},
        )
    return FiledReport(receipt=receipt, report=report, case=case)


def post_reporter_message(*, report: Report, body: str, attachments: list[NewAttachment] | None = None) -> Message:
    """The reporter writes to the handlers, optionally adding files (information added later)."""
    attachments = attachments or []
    body = _clean_text(body, name=_("message"), max_length=MAX_NARRATIVE, required=not attachments)
    at = reporter_moment(anonymous=report.anonymous)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=report.case_id)
        message = Message.objects.create(case=case, sender=Sender.REPORTER, sent_at=at, body=body)
        stored = _store_attachments(
            case=case, report=report, message=message, files=attachments, sender=Sender.REPORTER, at=at
        )
        log.record(
            EventType.REPORTER_MESSAGE,
            at=at,
            case=case,
            actor_kind=ActorKind.REPORTER,
            detail={"message": message.pk, "attachments": len(stored)},
        )
    return message


def file_appeal(*, report: Report, reason: str) -> Appeal:
    """The reporter appeals to the independent oversight body (R4)."""
    reason = _clean_text(reason, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    at = reporter_moment(anonymous=report.anonymous)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=report.case_id)
        appeal = Appeal.objects.create(case=case, filed_at=at, reason=reason)
        log.record(
            EventType.APPEAL_FILED,
            at=at,
            case=case,
            actor_kind=ActorKind.REPORTER,
            detail={"appeal": appeal.pk},
        )
    return appeal


def add_reporter_attachments(*, report: Report, attachments: list[NewAttachment]) -> list[Attachment]:
    """The reporter adds files to her report after filing it."""
    if not attachments:
        raise ActionError(_("choose at least one file"))
    at = reporter_moment(anonymous=report.anonymous)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=report.case_id)
        stored = _store_attachments(
            case=case, report=report, message=None, files=attachments, sender=Sender.REPORTER, at=at
        )
        log.record(
            EventType.REPORTER_ATTACHMENT,
            at=at,
            case=case,
            actor_kind=ActorKind.REPORTER,
            detail={"attachments": [a.pk for a in stored]},
        )
    return stored
