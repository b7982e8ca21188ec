"""What a reporter does: file a report, write to the handlers, add files, appeal.

She has no account; these actions are reached with her receipt (ombuds.intake). Every
time stored for an anonymous reporter is only the day (reporter_moment).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from ombuds.audit import log, tree_heads
from ombuds.audit.models import ActorKind, EventType
from ombuds.cases import content, filing_proof, keyring, notify, quota, routing, units
from ombuds.cases.actions import escrow as escrow_actions
from ombuds.cases.actions._base import (
    MAX_NARRATIVE,
    MAX_PEOPLE,
    MAX_SHORT,
    ActionError,
    Box,
    clean_text,
    next_position,
    reporter_box,
    reporter_moment,
    reporter_record,
)
from ombuds.cases.actions._routing import recompute_conflicts
from ombuds.cases.deadlines import initial_deadlines
from ombuds.cases.models import (
    Appeal,
    Attachment,
    Case,
    Category,
    InvolvedPerson,
    Message,
    Organisation,
    PersonRole,
    Report,
    ReporterRole,
    Sender,
)
from ombuds.cases.selectors import current_organisation
from ombuds.crypto import keys
from ombuds.directory.models import Person
from ombuds.lib import receipts
from ombuds.lib.ids import random_id
from ombuds.linking import escrow as linking_escrow
from ombuds.linking import matching
from ombuds.linking.models import HoldState, Mention
from ombuds.questionnaire import answers as questionnaire_answers
from ombuds.questionnaire import selectors as questionnaire
from ombuds.questionnaire.models import Version

# Crockford's alphabet: no I, L, O or U, so a reference read over the phone is unambiguous.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class SealedFile:
    """A file already encrypted into the file store as it was uploaded (too large for memory)."""

    blob_id: str
    file_key: keys.DataKey = field(repr=False)
    size: int


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    data: bytes
    sealed: SealedFile | None = None

    @property
    def size(self) -> int:
        return self.sealed.size if self.sealed is not None else len(self.data)


@dataclass(frozen=True)
class NewPerson:
    name: str
    role: str
    # When the reporter picked the person from the directory.
    employee_id: str = ""
    # What identifies an accused person for linking reports (ombuds.linking): turned into
    # match identifiers at filing and never stored.
    email: str = field(default="", repr=False)
    phone: str = field(default="", repr=False)
    employee_number: str = field(default="", repr=False)


@dataclass(frozen=True)
class FiledReport:
    receipt: str
    report: Report
    case: Case = field(repr=False)


def _identified_in_directory(people: list[NewPerson]) -> dict[int, Person]:
    """The directory person of each accused or kept-out person she identified without picking them, by position.

    An employee number the directory holds, or else an e-mail address exactly one directory
    person has (capitalisation aside), links the name as her pick would. Otherwise an
    accused staff member she identified so would read her report, with her name, until a
    handler linked it, and could link his own name to someone else first.
    """
    found: dict[int, Person] = {}
    for index, person in enumerate(people, start=1):
        if person.employee_id or person.role not in (PersonRole.ACCUSED, PersonRole.KEEP_OUT):
            continue
        match = None
        if person.employee_number:
            match = Person.objects.filter(employee_id=person.employee_number).first()
        if match is None and person.email:
            same = list(Person.objects.filter(email__iexact=person.email)[:2])
            match = same[0] if len(same) == 1 else None
        if match is not None:
            found[index] = match
    return found


def _link_as_named_elsewhere(report: Report, matched: matching.Prepared) -> None:
    """Link an accused she did not pick to the directory person other reports link the same identifiers to.

    The phone number she gives for him, say, is the one another reporter gave when she
    picked him from the directory: the match identifiers say it is the same person, so he
    and his chain are kept out of her case too (R3). Only when all such reports point to
    one directory person; reports held in escrow are not looked at (nobody may know them).
    """
    for position, match_ids in matched.people.items():
        mention = InvolvedPerson.objects.filter(report=report, position=position, person__isnull=True).first()
        if mention is None or not match_ids:
            continue
        elsewhere = (
            Mention.objects.filter(match_id__in=match_ids)
            .exclude(report=report)
            .exclude(case__held_in_escrow=True)
            .values_list("report_id", "position")
        )
        people: set[int] = set()
        for report_id, their_position in set(elsewhere):
            people |= set(
                InvolvedPerson.objects.filter(
                    report_id=report_id, position=their_position, role=PersonRole.ACCUSED, person__isnull=False
                ).values_list("person_id", flat=True)
            )
        if len(people) == 1:
            mention.person_id = people.pop()
            mention.save(update_fields=["person"])


def new_reference() -> str:
    return "C-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def store_attachments(
    *,
    case: Case,
    report: Report | None,
    message: Message | None,
    files: list[NewAttachment],
    sender: str,
    at: datetime,
    box: Box,
) -> list[Attachment]:
    if len(files) > settings.OMBUDS_MAX_ATTACHMENTS:
        raise ActionError(_("at most %(n)d files can be attached") % {"n": settings.OMBUDS_MAX_ATTACHMENTS})
    quota.check(case=case, incoming=sum(item.size for item in files))
    stored = []
    for item in files:
        if item.size > settings.OMBUDS_MAX_ATTACHMENT_BYTES:
            raise ActionError(_("each file must be at most %(n)d bytes") % {"n": settings.OMBUDS_MAX_ATTACHMENT_BYTES})
        if item.size == 0:
            raise ActionError(_("an attached file is empty"))
        filename = clean_text(item.filename or "file", name=_("file name"), max_length=255, required=True)
        content_type = clean_text(item.content_type or "application/octet-stream", name=_("file type"), max_length=127)
        attachment_id = random_id()
        legacy = None
        if item.sealed is not None:
            blob_id, file_key = item.sealed.blob_id, content.seal_file_key(item.sealed.file_key, key=box.key, case=case)
        elif case.sealed:
            # Encrypted into the file store before the row is written: the file is on disk
            # (fsynced) before the transaction that refers to it commits.
            blob_id, file_key = content.seal_file([item.data], key=box.key, case=case)
        else:
            blob_id, file_key, legacy = "", "", item.data
        stored.append(
            Attachment.objects.create(
                id=attachment_id,
                case=case,
                position=next_position(case),
                report=report,
                message=message,
                sender=sender,
                uploaded_at=at,
                size=item.size,
                blob_id=blob_id,
                file_key=file_key,
                legacy_data=legacy,
                filename=box.seal(filename, Attachment, "filename"),
                content_type=box.seal(content_type, Attachment, "content_type"),
            )
        )
    return stored


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
    answers: Mapping[str, object] | None = None,
    questionnaire_version: int | None = None,
    escrow: bool = False,
) -> FiledReport:
    """Store a report and open its case in one transaction; return the receipt.

    No evidence is asked for: the narrative alone opens a case (R1). The receipt is
    returned only after the commit, so a reporter never holds a receipt for a report
    that was not stored.

    `answers` are her answers to the category's questionnaire, keyed by question, checked
    against the version she was shown (`questionnaire_version`, its number; the current
    version when None). The report keeps that version for good.

    With `escrow` she asks to hold the report until another reporter names a person she
    names as accused (ombuds.linking.escrow): it needs at least one identifier of that
    person. It is held only if no such report was filed already.
    """
    if category not in Category.values:
        raise ActionError(_("unknown category"))
    if role not in ReporterRole.values:
        raise ActionError(_("unknown reporter role"))
    narrative = clean_text(narrative, name=_("what happened"), max_length=MAX_NARRATIVE, required=True)
    occurred = clean_text(occurred, name=_("when"), max_length=MAX_SHORT)
    location = clean_text(location, name=_("where"), max_length=MAX_SHORT)
    reporter_name = clean_text(reporter_name, name=_("name"), max_length=MAX_SHORT)
    reporter_contact = clean_text(reporter_contact, name=_("contact"), max_length=MAX_SHORT)
    language = clean_text(language or "en", name=_("language"), max_length=16)
    if anonymous and reporter_name:
        raise ActionError(_("an anonymous report cannot carry the reporter's name"))
    if anonymous and reporter_contact:
        # A phone number or an e-mail address identifies her as surely as her name.
        raise ActionError(_("an anonymous report cannot carry a way to reach the reporter"))
    version, answered = _questionnaire(category, questionnaire_version, answers or {})
    people = people or []
    if len(people) > MAX_PEOPLE:
        raise ActionError(_("at most %(n)d people can be named") % {"n": MAX_PEOPLE})
    cleaned_people = []
    for person in people:
        if person.role not in PersonRole.values:
            raise ActionError(_("unknown role for a person involved"))
        cleaned_people.append(
            NewPerson(
                name=clean_text(person.name, name=_("person's name"), max_length=MAX_SHORT, required=True),
                role=person.role,
                employee_id=person.employee_id.replace("\x00", "").strip()[:64],
                email=person.email.strip(),
                phone=person.phone.strip(),
                employee_number=person.employee_number.strip(),
            )
        )
    matched = _match_identifiers(cleaned_people, anonymous=anonymous, name=reporter_name, contact=reporter_contact)
    if escrow and not matched.keys:
        raise ActionError(
            _(
                "To hold your report until someone else names the same person, give an e-mail address, phone "
                "number or employee number of a person you name as accused, or pick them from the directory."
            )
        )

    receipt = receipts.new_receipt()
    digest = receipts.digest(receipt)
    assert digest is not None  # a fresh receipt is always well-formed
    key = keys.DataKey.generate()
    proof_random = filing_proof.new_random()
    # The one slow step of filing (Argon2id), before any lock is taken.
    receipt_kdf, key_seal, proof_seal = keyring.seal_for_reporter(receipt, key, proof_random=proof_random)
    at = reporter_moment(anonymous=anonymous)
    with log.deferred(anonymous), transaction.atomic(durable=True):
        org = current_organisation()
        deadlines = initial_deadlines(org, received_at=at, category=category)
        case = Case.objects.create(
            reference=new_reference(),
            category=category,
            anonymous=anonymous,
            received_at=at,
            ack_due_at=deadlines.ack_due_at,
            feedback_due_at=deadlines.feedback_due_at,
            first_action_due_at=deadlines.first_action_due_at,
            next_deadline_at=min(d for d in [deadlines.ack_due_at, deadlines.first_action_due_at] if d is not None),
        )
        box = Box(case, key)
        report = Report.objects.create(
            case=case,
            receipt_digest=digest,
            receipt_kdf=receipt_kdf,
            key_seal=key_seal,
            proof_seal=proof_seal,
            role=role,
            anonymous=anonymous,
            language=language,
            submitted_at=at,
            narrative=box.seal(narrative, Report, "narrative"),
            occurred=box.seal(occurred, Report, "occurred"),
            location=box.seal(location, Report, "location"),
            reporter_name=box.seal(reporter_name, Report, "reporter_name"),
            reporter_contact=box.seal(reporter_contact, Report, "reporter_contact"),
            questionnaire=version,
            answers=box.seal(questionnaire_answers.dumps(answered), Report, "answers"),
        )
        picked = {
            person.employee_id: person
            for person in Person.objects.filter(
                employee_id__in=[p.employee_id for p in cleaned_people if p.employee_id]
            )
        }
        identified = _identified_in_directory(cleaned_people)
        InvolvedPerson.objects.bulk_create(
            [
                InvolvedPerson(
                    report=report,
                    position=index,
                    name=box.seal(p.name, InvolvedPerson, "name"),
                    role=p.role,
                    person=picked.get(p.employee_id) or identified.get(index),
                )
                for index, p in enumerate(cleaned_people, start=1)
            ]
        )
        _link_as_named_elsewhere(report, matched)
        units.refresh(case.pk)
        held = _escrow_step(matched, escrow=escrow, case=case, report=report, key=key, at=at)
        matching.record(matched, case=case, report=report, at=at)
        stored = store_attachments(
            case=case, report=report, message=None, files=attachments or [], sender=Sender.REPORTER, at=at, box=box
        )
        reporter_record(
            EventType.REPORT_FILED,
            case=case,
            at=at,
            report=report.pk,
            attachments=len(stored),
            people=len(cleaned_people),
            # Her proof of filing: ties this event to her text, for whoever she gives the random value.
            commitment=filing_proof.commitment(narrative, proof_random),
            questionnaire=version.pk if version is not None else None,
            answers=len(answered),
        )
        if not anonymous:
            # Her proof of filing is ready on the receipt page; an anonymous report's waits for its batch.
            tree_heads.sign_after_commit()
        recompute_conflicts(case, at=at)
        if held:
            # Nobody's but hers until another report names the same person: no grant, no notice.
            reporter_record(EventType.ESCROW_HELD, case=case, at=at, report=report.pk)
            keyring.attach_to_report(report, key)
            filing_proof.attach_random(report, proof_random)
            return FiledReport(receipt=receipt, report=report, case=case)
        # Sealed to everyone who may read it (never the conflicted) and to the recovery key;
        # `at` is the day only for an anonymous reporter, here as everywhere.
        keyring.sync_grants(case, key, now=at)
        keyring.grant_recovery(case, key, now=at)
        if not case.routed_to_oversight:
            # The category's pool, or the lead handlers when all of the pool is conflicted.
            notify.queue(notify.Kind.NEW_CASE, case=case, recipients=routing.pool(case) or routing.leads(case))
    keyring.attach_to_report(report, key)
    filing_proof.attach_random(report, proof_random)
    return FiledReport(receipt=receipt, report=report, case=case)


def _escrow_step(
    matched: matching.Prepared, *, escrow: bool, case: Case, report: Report, key: keys.DataKey, at: datetime
) -> bool:
    """Release the held reports this one completes; hold this one if she asked and it completes nothing.

    Returns whether this report is held. Runs in the filing transaction, after the
    organisation's lock that matching.record takes too (taken here first).
    """
    if not matched.keys:
        return False
    list(Organisation.objects.select_for_update().all())
    opened = linking_escrow.opened_by(matched, report=report, key=key)
    for waiting, waiting_key in opened:
        escrow_actions.release(waiting, waiting_key, at=at, state=HoldState.RELEASED_BY_MATCH)
    if not escrow:
        return False
    if opened or linking_escrow.named_elsewhere(matched, report=report):
        # Someone else has named that person: her report goes to handling at once, and her
        # status page says why.
        linking_escrow.released_at_filing(case=case, report=report, at=at)
        log.record(
            EventType.ESCROW_RELEASED,
            at=at,
            case_id=case.pk,
            actor_kind=ActorKind.SYSTEM,
            detail={"report": report.pk, "how": HoldState.RELEASED_BY_MATCH.value},
        )
        return False
    Case.objects.filter(pk=case.pk).update(held_in_escrow=True, next_deadline_at=None)
    case.held_in_escrow, case.next_deadline_at = True, None
    linking_escrow.hold(matched, case=case, report=report, key=key, at=at)
    return True


class AnswersNotAccepted(ActionError):
    """Her answers do not fit the questions; `problems` names each field, e.g. ("answers", "ongoing")."""

    def __init__(self, problems: list[tuple[tuple[str, ...], str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(where)}: {message}" for where, message in problems))
        self.problems = problems


def _questionnaire(
    category: str, number: int | None, answers: Mapping[str, object]
) -> tuple[Version | None, dict[str, questionnaire_answers.Answer]]:
    """The version her answers are checked against and kept with, and the answers as stored."""
    version = questionnaire.current(category) if number is None else questionnaire.published(category, number)
    if number is not None and version is None:
        raise AnswersNotAccepted([(("questionnaire_version",), _("no such questionnaire version for this category"))])
    try:
        return version, questionnaire_answers.clean(questionnaire.questions(version), answers)
    except questionnaire_answers.AnswersRefused as refused:
        raise AnswersNotAccepted([(("answers", p.key), p.message) for p in refused.problems]) from None


def _match_identifiers(people: list[NewPerson], *, anonymous: bool, name: str, contact: str) -> matching.Prepared:
    """The match identifiers of the accused people (ombuds.linking), before the transaction: the OPRF takes a moment."""
    accused = [
        matching.Accused(
            position=index, employee_id=p.employee_id, email=p.email, phone=p.phone, employee_number=p.employee_number
        )
        for index, p in enumerate(people, start=1)
        if p.role == PersonRole.ACCUSED
    ]
    try:
        # An anonymous reporter's contact is not used: it would tie her reports together.
        return matching.prepare(accused=accused, reporter_name=name, reporter_contact="" if anonymous else contact)
    except matching.InvalidIdentifier as exc:
        raise ActionError(str(exc)) from None


def post_reporter_message(*, report: Report, body: str, attachments: list[NewAttachment] | None = None) -> Message:
    """The reporter writes to the handlers, optionally adding files (information added later)."""
    attachments = attachments or []
    body = clean_text(body, name=_("message"), max_length=MAX_NARRATIVE, required=not attachments)
    at = reporter_moment(anonymous=report.anonymous)
    with log.deferred(report.anonymous), transaction.atomic(durable=True):
        case = Case.objects.select_for_update().get(pk=report.case_id)
        box = reporter_box(report, case)
        message = Message.objects.create(
            case=case,
            position=next_position(case),
            sender=Sender.REPORTER,
            sent_at=at,
            body=box.seal(body, Message, "body"),
        )
        stored = store_attachments(
            case=case, report=report, message=message, files=attachments, sender=Sender.REPORTER, at=at, box=box
        )
        if not case.held_in_escrow:
            notify.queue(notify.Kind.REPORTER_MESSAGE, case=case, recipients=routing.responsible(case))
        reporter_record(EventType.REPORTER_MESSAGE, case=case, at=at, message=message.pk, attachments=len(stored))
    return message


def file_appeal(*, report: Report, reason: str) -> Appeal:
    """The reporter appeals to the independent oversight body (R4)."""
    reason = clean_text(reason, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    at = reporter_moment(anonymous=report.anonymous)
    with log.deferred(report.anonymous), transaction.atomic(durable=True):
        case = Case.objects.select_for_update().get(pk=report.case_id)
        if case.held_in_escrow:
            raise ActionError(_("A report held until someone else names the same person cannot be appealed."))
        box = reporter_box(report, case)
        appeal = Appeal.objects.create(
            case=case,
            position=next_position(case),
            filed_at=at,
            reason=box.seal(reason, Appeal, "reason"),
        )
        notify.queue(notify.Kind.APPEAL, case=case, recipients=routing.oversight(case))
        reporter_record(EventType.APPEAL_FILED, case=case, at=at, appeal=appeal.pk)
    return appeal


def add_reporter_attachments(*, report: Report, attachments: list[NewAttachment]) -> list[Attachment]:
    """The reporter adds files to her report after filing it."""
    if not attachments:
        raise ActionError(_("choose at least one file"))
    at = reporter_moment(anonymous=report.anonymous)
    with log.deferred(report.anonymous), transaction.atomic(durable=True):
        case = Case.objects.select_for_update().get(pk=report.case_id)
        box = reporter_box(report, case)
        stored = store_attachments(
            case=case, report=report, message=None, files=attachments, sender=Sender.REPORTER, at=at, box=box
        )
        reporter_record(EventType.REPORTER_ATTACHMENT, case=case, at=at, attachments=[a.pk for a in stored])
    return stored
