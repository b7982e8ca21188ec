"""Every change to an investigation, and every access to its evidence.

Each entry point is one durable transaction: it locks the case, asks
ombuds.cases.permissions whether the actor may act, seals what people wrote with the
case's key (ombuds.cases.content), and writes its audit event with the change. Opening
the investigation itself is the workflow step (ombuds.cases.actions.open_investigation);
naming investigators and alleging share their helpers with it
(ombuds.investigations.helpers).
"""

from __future__ import annotations

import base64
import re
from datetime import date, datetime
from typing import Literal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.audit import log
from ombuds.audit.models import EventType
from ombuds.cases import content, keyring, notify, permissions, routing
from ombuds.cases.actions import NewAttachment
from ombuds.cases.actions._base import (
    MAX_NARRATIVE,
    ActionError,
    clean_text,
    locked,
    reporter_box,
    reporter_moment,
    reporter_record,
    staff_box,
    staff_record,
)
from ombuds.cases.actions._routing import recompute_conflicts, refuse_keeping_out_approvers
from ombuds.cases.models import Attachment, Case, Finding, InvolvedPerson, Report, Status
from ombuds.cases.permissions import Act, Part
from ombuds.investigations import evidence, fetch
from ombuds.investigations.helpers import NewAllegation, allege, name_investigator, next_number
from ombuds.investigations.models import (
    Allegation,
    ConcernedResponse,
    EvidenceItem,
    EvidenceKind,
    Informing,
    InformingKind,
    InformingMethod,
    Integrity,
    Interview,
    IntervieweeKind,
    InvestigationPolicy,
    Investigator,
    MinutesAnswer,
    StandardOfProof,
    Task,
    end_of_day,
)

__all__ = [
    "ActionError",
    "NewAllegation",
    "add_allegation",
    "add_evidence",
    "add_task",
    "answer_minutes",
    "check_evidence",
    "configure_investigations",
    "name_investigators",
    "record_allegation_finding",
    "record_evidence_access",
    "record_evidence_export",
    "record_informing",
    "record_interview",
    "record_investigation_view",
    "record_response",
    "release_investigator",
    "revise_minutes",
    "set_task_done",
]

Via = Literal["web", "api", "casefile"]
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _check(actor: User, case: Case, act: Act) -> None:
    """Refuse unless the actor may take `act` now, saying why when the case's state is the reason."""
    if permissions.may_take(actor, case, act):
        return
    if (
        act != Act.RELEASE_INVESTIGATOR
        and case.status != Status.INVESTIGATION
        and permissions.may_read(actor, case, Part.INVESTIGATION)
    ):
        raise ActionError(_("This can be done only while the case is under investigation."))
    if act == Act.ALLEGE and permissions.pending_proposal_by(case) is not None:
        raise ActionError(
            _(
                "A proposal to end the case is waiting for a decision: the allegations and their findings stay "
                "as they are."
            )
        )
    raise ActionError(_("This step is not possible for this case now."))


def _today() -> date:
    return timezone.localdate()


def _subject_of_allegation(case: Case, subject_id: int) -> InvolvedPerson:
    found = InvolvedPerson.objects.filter(report__case=case, pk=subject_id, allegations__case=case)
    subject = found.first() if fetch.known(subject_id) else None
    if subject is None:
        raise ActionError(_("Choose a person an allegation is about."))
    return subject


# --- Investigators -------------------------------------------------------------------------------


def name_investigators(*, case: Case, actor: User, investigators: list[User]) -> list[Investigator]:
    """Name more investigators on a case under investigation; each is given the case's key at once."""
    now = timezone.now()
    if not investigators:
        raise ActionError(_("Choose at least one investigator."))
    with transaction.atomic(durable=True):
        case = locked(case)
        _check(actor, case, Act.NAME_INVESTIGATOR)
        named = [
            found
            for user in investigators
            if (found := name_investigator(case, actor=actor, user=user, now=now)) is not None
        ]
        keyring.sync_grants(case, keyring.staff_data_key(actor, case), now=now, by=actor)
    return named


def release_investigator(*, case: Case, actor: User, investigator: Investigator) -> Investigator:
    """End an investigator's part in a case: they no longer see it, and their copy of its key is removed."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        case = locked(case)
        _check(actor, case, Act.RELEASE_INVESTIGATOR)
        investigator = Investigator.objects.select_for_update().get(pk=investigator.pk, case=case)
        if investigator.released_at is not None:
            raise ActionError(_("This investigator has already been released."))
        investigator.released_at = now
        investigator.released_by = actor
        investigator.save(update_fields=["released_at", "released_by"])
        staff_record(EventType.INVESTIGATOR_RELEASED, case=case, actor=actor, at=now, investigator=investigator.user_id)
        keyring.sync_grants(case, keyring.staff_data_key(actor, case), now=now, by=actor)
    return investigator


# --- Allegations and findings ---------------------------------------------------------------------


def add_allegation(*, case: Case, actor: User, allegation: NewAllegation) -> Allegation:
    """Record another allegation; a person added now is kept out of the case with their chain (R3)."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        case = locked(case)
        _check(actor, case, Act.ALLEGE)
        box = staff_box(actor, case)
        recorded, added = allege(case, allegation, actor=actor, now=now, box=box)
        if added:
            refuse_keeping_out_approvers(case, actor=actor)
            recompute_conflicts(case, at=now, actor=actor)
    return recorded


def record_allegation_finding(*, allegation: Allegation, actor: User, finding: str, reasoning: str) -> Allegation:
    """Decide one allegation, with the reasoning and the organisation's standard of proof.

    A finding may be revised while the case is under investigation and no proposed
    ending waits; the case's own finding follows from these (ombuds.investigations.helpers).
    """
    now = timezone.now()
    if finding not in Finding.values:
        raise ActionError(_("Choose a finding."))
    reasoning = clean_text(reasoning, name=_("reasoning"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case = locked(allegation.case)
        _check(actor, case, Act.ALLEGE)
        box = staff_box(actor, case)
        allegation = Allegation.objects.select_for_update().get(pk=allegation.pk, case=case)
        revised = bool(allegation.finding)
        allegation.finding = finding
        allegation.finding_reasoning = box.seal(reasoning, Allegation, "finding_reasoning")
        allegation.standard = InvestigationPolicy.objects.get(pk=1).standard_of_proof
        allegation.found_by = actor
        allegation.found_at = now
        allegation.save()
        staff_record(
            EventType.ALLEGATION_FOUND,
            case=case,
            actor=actor,
            at=now,
            allegation=allegation.pk,
            finding=finding,
            standard=allegation.standard,
            revised=revised,
        )
    return allegation


# --- The plan -------------------------------------------------------------------------------------


def add_task(*, case: Case, actor: User, title: str, owner: User, due_on: date) -> Task:
    """Add a task to the plan: what to do, who does it, by when. It climbs the escalation ladder if late."""
    now = timezone.now()
    title = clean_text(title, name=_("task"), max_length=1000, required=True)
    if due_on < _today():
        raise ActionError(_("The due date must not be in the past."))
    with transaction.atomic(durable=True):
        case = locked(case)
        _check(actor, case, Act.WORK_INVESTIGATION)
        if not permissions.may_own_task(owner, case):
            raise ActionError(_("A task can be given only to an investigator or a case worker on this case."))
        box = staff_box(actor, case)
        task = Task.objects.create(
            case=case,
            number=next_number(Task, case),
            owner=owner,
            due_on=due_on,
            due_at=end_of_day(due_on),
            created_by=actor,
            created_at=now,
            title=box.seal(title, Task, "title"),
        )
        staff_record(
            EventType.TASK_ADDED,
            case=case,
            actor=actor,
            at=now,
            task=task.pk,
            owner=owner.pk,
            due_on=due_on.isoformat(),
        )
        if owner.pk != actor.pk:
            notify.queue(notify.Kind.TASK_GIVEN, case=case, recipients=[owner], now=now)
    return task


def set_task_done(*, task: Task, actor: User, done: bool, due_on: date | None = None) -> Task:
    """Mark a task done, or open it again (optionally with a new due date)."""
    now = timezone.now()
    if due_on is not None and due_on < _today():
        raise ActionError(_("The due date must not be in the past."))
    with transaction.atomic(durable=True):
        case = locked(task.case)
        _check(actor, case, Act.WORK_INVESTIGATION)
        task = Task.objects.select_for_update().get(pk=task.pk, case=case)
        if done == (task.done_at is not None):
            raise ActionError(_("This task is already done.") if done else _("This task is already open."))
        if done:
            task.done_at, task.done_by = now, actor
            staff_record(EventType.TASK_DONE, case=case, actor=actor, at=now, task=task.pk)
        else:
            task.done_at, task.done_by = None, None
            if due_on is not None:
                task.due_on, task.due_at = due_on, end_of_day(due_on)
            staff_record(
                EventType.TASK_REOPENED, case=case, actor=actor, at=now, task=task.pk, due_on=task.due_on.isoformat()
            )
        task.save()
    return task


# --- Interviews -----------------------------------------------------------------------------------


def record_interview(
    *,
    case: Case,
    actor: User,
    interviewee: str,
    held_at: datetime,
    present: str,
    minutes: str,
    person_id: int | None = None,
    name: str = "",
) -> Interview:
    """Record an interview: who (the reporter, a person involved, or someone else), when, who was present, minutes.

    The minutes of the reporter's own interview are shown to her on her status page,
    where she agrees or asks for corrections; no other minutes ever are.
    """
    now = timezone.now()
    if interviewee not in IntervieweeKind.values:
        raise ActionError(_("Choose who was interviewed."))
    if held_at > now:
        raise ActionError(_("An interview is recorded once it has been held: its time must not be in the future."))
    present = clean_text(present, name=_("who was present"), max_length=2000, required=True)
    minutes = clean_text(minutes, name=_("minutes"), max_length=MAX_NARRATIVE, required=True)
    name = clean_text(name, name=_("name"), max_length=200, required=interviewee == IntervieweeKind.OTHER)
    with transaction.atomic(durable=True):
        case = locked(case)
        _check(actor, case, Act.WORK_INVESTIGATION)
        box = staff_box(actor, case)
        report: Report | None = None
        person: InvolvedPerson | None = None
        if interviewee == IntervieweeKind.REPORTER:
            report = case.reports.order_by("submitted_at", "id").first()
        elif interviewee == IntervieweeKind.PERSON:
            if person_id is not None and fetch.known(person_id):
                person = InvolvedPerson.objects.filter(report__case=case, pk=person_id).first()
            if person is None:
                raise ActionError(_("Choose a person named on this case."))
        interview = Interview.objects.create(
            case=case,
            number=next_number(Interview, case),
            interviewee_kind=interviewee,
            interviewee_report=report,
            interviewee_person=person,
            interviewee_name=box.seal(
                name if interviewee == IntervieweeKind.OTHER else "", Interview, "interviewee_name"
            ),
            held_at=held_at,
            present=box.seal(present, Interview, "present"),
            minutes=box.seal(minutes, Interview, "minutes"),
            recorded_by=actor,
            recorded_at=now,
        )
        staff_record(
            EventType.INTERVIEW_RECORDED,
            case=case,
            actor=actor,
            at=now,
            interview=interview.pk,
            interviewee=interviewee,
        )
    return interview


def revise_minutes(*, interview: Interview, actor: User, minutes: str) -> Interview:
    """Replace the minutes with a new version: for the reporter's own interview, one she answers afresh."""
    now = timezone.now()
    minutes = clean_text(minutes, name=_("minutes"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case = locked(interview.case)
        _check(actor, case, Act.WORK_INVESTIGATION)
        box = staff_box(actor, case)
        interview = Interview.objects.select_for_update().get(pk=interview.pk, case=case)
        interview.minutes = box.seal(minutes, Interview, "minutes")
        interview.minutes_version += 1
        interview.revised_at = now
        interview.save(update_fields=["minutes", "minutes_version", "revised_at"])
        staff_record(
            EventType.MINUTES_REVISED,
            case=case,
            actor=actor,
            at=now,
            interview=interview.pk,
            version=interview.minutes_version,
        )
    return interview


def answer_minutes(*, report: Report, interview_id: int, agree: bool, corrections: str = "") -> MinutesAnswer:
    """The reporter agrees with the minutes of her interview, or asks for corrections in her own words.

    Her answer is kept next to the version of the minutes she read (Directive 2019/1937
    art. 18(4)); the case's handlers and investigators are told. Only the day is kept
    for an anonymous reporter, as for everything she does.
    """
    corrections = clean_text(corrections, name=_("corrections"), max_length=MAX_NARRATIVE, required=not agree)
    if agree and corrections:
        raise ActionError(
            _("You chose to agree but also wrote corrections. To send the corrections, choose to ask for them.")
        )
    at = reporter_moment(anonymous=report.anonymous)
    with log.deferred(report.anonymous), transaction.atomic(durable=True):
        case = Case.objects.select_for_update().get(pk=report.case_id)
        interview = Interview.objects.filter(
            case=case, pk=interview_id, interviewee_kind=IntervieweeKind.REPORTER, interviewee_report=report
        ).first()
        if interview is None:
            raise ActionError(_("There are no such minutes for you to answer."))
        box = reporter_box(report, case)
        if MinutesAnswer.objects.filter(interview=interview, version=interview.minutes_version).exists():
            raise ActionError(_("You have already answered these minutes. If they are changed, you can answer again."))
        answer = MinutesAnswer.objects.create(
            case=case,
            interview=interview,
            version=interview.minutes_version,
            agreed=agree,
            answered_at=at,
            corrections=box.seal(corrections, MinutesAnswer, "corrections"),
        )
        investigators = [named.user for named in Investigator.objects.filter(case=case, released_at__isnull=True)]
        notify.queue(notify.Kind.MINUTES_ANSWERED, case=case, recipients=[*routing.responsible(case), *investigators])
        reporter_record(
            EventType.MINUTES_ANSWERED,
            case=case,
            at=at,
            interview=interview.pk,
            version=interview.minutes_version,
            agreed=agree,
        )
    return answer


# --- Evidence -------------------------------------------------------------------------------------


def _room_for(size: int) -> None:
    """Files of the register count against the installation's total with the reporters' files."""
    stored = (Attachment.objects.aggregate(total=Sum("size"))["total"] or 0) + (
        EvidenceItem.objects.aggregate(total=Sum("size"))["total"] or 0
    )
    if stored + size > settings.OMBUDS_TOTAL_ATTACHMENT_BYTES:
        raise ActionError(_("There is no room for more files just now. Nothing was saved."))


def add_evidence(
    *,
    case: Case,
    actor: User,
    kind: str,
    description: str,
    source: str,
    location: str = "",
    file: NewAttachment | None = None,
    sha256: str = "",
) -> EvidenceItem:
    """Add an item to the evidence register: E-1, E-2 ... with where it came from and, for a file, its SHA-256.

    A file is kept exactly as handed in, encrypted in the file store; its SHA-256 is
    taken from the bytes received and sealed with the case's content. An item held
    elsewhere is described, with where it is kept, and may carry the SHA-256 its holder gives.
    """
    now = timezone.now()
    if kind not in EvidenceKind.values:
        raise ActionError(_("Choose what kind of item this is."))
    description = clean_text(description, name=_("description"), max_length=MAX_NARRATIVE, required=True)
    source = clean_text(source, name=_("where it came from"), max_length=2000, required=True)
    location = clean_text(
        location, name=_("where it is held"), max_length=2000, required=kind == EvidenceKind.HELD_ELSEWHERE
    )
    sha256 = sha256.strip().lower()
    if kind == EvidenceKind.FILE:
        if file is None:
            raise ActionError(_("Choose the file."))
        if file.size == 0:
            raise ActionError(_("an attached file is empty"))
        if file.size > settings.OMBUDS_MAX_ATTACHMENT_BYTES:
            raise ActionError(_("each file must be at most %(n)d bytes") % {"n": settings.OMBUDS_MAX_ATTACHMENT_BYTES})
        filename = clean_text(file.filename or "file", name=_("file name"), max_length=255, required=True)
        content_type = clean_text(file.content_type or "application/octet-stream", name=_("file type"), max_length=127)
    else:
        if file is not None:
            raise ActionError(_("An item held elsewhere has no file here; choose “a file” to keep one."))
        if sha256 and not _SHA256.fullmatch(sha256):
            raise ActionError(_("A SHA-256 is 64 hexadecimal digits."))
        filename = content_type = ""
    # Asked before the file is written, so a refused request leaves nothing to sweep up.
    _check(actor, Case.objects.get(pk=case.pk), Act.WORK_INVESTIGATION)
    blob_id, blob_key, size = "", None, 0
    if file is not None:
        _room_for(file.size)
        blob_id, blob_key, sha256 = evidence.take_in(file)
        size = file.size
    with transaction.atomic(durable=True):
        case = locked(case)
        _check(actor, case, Act.WORK_INVESTIGATION)
        box = staff_box(actor, case)
        sealed_key = ""
        if blob_key is not None and case.sealed:
            sealed_key = content.seal_file_key(blob_key, key=box.key, case=case, model=EvidenceItem, field="blob_key")
        elif blob_key is not None:
            # A case stored before encryption at rest keeps its content in clear until it is
            # sealed; keyring.seal_legacy_case then seals this field with the others.
            encoded = base64.b64encode(blob_key.raw).decode("ascii")
            sealed_key = box.seal(encoded, EvidenceItem, "blob_key")
        item = EvidenceItem.objects.create(
            case=case,
            number=next_number(EvidenceItem, case),
            kind=kind,
            added_by=actor,
            added_at=now,
            size=size,
            blob_id=blob_id,
            description=box.seal(description, EvidenceItem, "description"),
            source=box.seal(source, EvidenceItem, "source"),
            location=box.seal(location, EvidenceItem, "location"),
            filename=box.seal(filename, EvidenceItem, "filename"),
            content_type=box.seal(content_type, EvidenceItem, "content_type"),
            blob_key=sealed_key,
            sha256=box.seal(sha256, EvidenceItem, "sha256"),
        )
        staff_record(EventType.EVIDENCE_ADDED, case=case, actor=actor, at=now, evidence=item.pk, kind=kind, size=size)
    return item


def record_evidence_access(
    *, item: EvidenceItem, actor: User, access: Literal["viewed", "downloaded"], via: Via = "web"
) -> None:
    """Record that an item was opened or its file downloaded: a link of its chain of custody (no content)."""
    event = EventType.EVIDENCE_VIEWED if access == "viewed" else EventType.EVIDENCE_DOWNLOADED
    with transaction.atomic(durable=True):
        staff_record(event, case=item.case, actor=actor, at=timezone.now(), evidence=item.pk, via=via)


def record_evidence_export(*, case: Case, actor: User, items: list[EvidenceItem], via: Via) -> None:
    """Record that the register's items left in an export (the register's JSON, the case file).

    One event per item, so each item's chain of custody lists it. Runs in the caller's
    transaction if there is one (the case file records its own event with these).
    """
    now = timezone.now()
    with transaction.atomic():
        for item in items:
            staff_record(EventType.EVIDENCE_EXPORTED, case=case, actor=actor, at=now, evidence=item.pk, via=via)


def check_evidence(*, item: EvidenceItem, actor: User, via: Via = "web") -> Integrity:
    """Read the stored file through, compare it with its SHA-256 at intake, and record the result.

    A file that no longer matches is flagged on the item until a later check finds it
    intact. Every download runs this check first.
    """
    case = item.case
    if not permissions.may_read(actor, case, Part.INVESTIGATION):
        raise ActionError(_("This step is not possible for this case now."))
    if item.kind != EvidenceKind.FILE:
        raise ActionError(_("Only a file kept here can be checked."))
    key = keyring.staff_data_key(actor, case)
    if case.sealed and key is None:
        raise ActionError(_("You cannot open this case's content yet."))
    # Outside the transaction: a large file takes a while to read, and nothing is locked meanwhile.
    result = evidence.verify(item, key=key, case=case)
    now = timezone.now()
    with transaction.atomic(durable=True):
        EvidenceItem.objects.filter(pk=item.pk).update(integrity=result, checked_at=now)
        staff_record(
            EventType.EVIDENCE_VERIFIED, case=case, actor=actor, at=now, evidence=item.pk, result=result, via=via
        )
    item.integrity, item.checked_at = result, now
    return Integrity(result)


# --- The people concerned -------------------------------------------------------------------------


def record_informing(
    *,
    case: Case,
    actor: User,
    subject_id: int,
    kind: str,
    informed_on: date | None = None,
    method: str = "",
    details: str = "",
    reason: str = "",
    review_on: date | None = None,
) -> Informing:
    """Record that a person concerned was told of the allegations (when and how), or why telling them waits.

    A deferral needs its reason and a review date; the review date climbs the
    escalation ladder until informing is recorded or deferred again. The newest record
    for a person is the one in force.
    """
    now = timezone.now()
    if kind not in InformingKind.values:
        raise ActionError(_("Choose whether the person was informed or informing is deferred."))
    details = clean_text(details, name=_("how they were informed"), max_length=MAX_NARRATIVE)
    reason = clean_text(reason, name=_("why informing is deferred"), max_length=MAX_NARRATIVE)
    if kind == InformingKind.INFORMED:
        if informed_on is None or informed_on > _today():
            raise ActionError(_("Give the day they were informed (not in the future)."))
        if method not in InformingMethod.values:
            raise ActionError(_("Choose how they were informed."))
        reason, review_on = "", None
    else:
        if not reason:
            raise ActionError(_("Say why informing is deferred."))
        if review_on is None or review_on <= _today():
            raise ActionError(_("Give a review date after today."))
        informed_on, method = None, ""
    with transaction.atomic(durable=True):
        case = locked(case)
        _check(actor, case, Act.WORK_INVESTIGATION)
        subject = _subject_of_allegation(case, subject_id)
        box = staff_box(actor, case)
        Informing.objects.filter(case=case, subject=subject, superseded_at__isnull=True).update(superseded_at=now)
        record = Informing.objects.create(
            case=case,
            subject=subject,
            kind=kind,
            informed_on=informed_on,
            method=method,
            review_on=review_on,
            review_at=end_of_day(review_on) if review_on else None,
            recorded_by=actor,
            recorded_at=now,
            details=box.seal(details, Informing, "details"),
            reason=box.seal(reason, Informing, "reason"),
        )
        if kind == InformingKind.INFORMED:
            staff_record(
                EventType.CONCERNED_INFORMED, case=case, actor=actor, at=now, informing=record.pk, person=subject.pk
            )
        else:
            assert review_on is not None
            staff_record(
                EventType.INFORMING_DEFERRED,
                case=case,
                actor=actor,
                at=now,
                informing=record.pk,
                person=subject.pk,
                review_on=review_on.isoformat(),
            )
    return record


def record_response(*, case: Case, actor: User, subject_id: int, received_on: date, response: str) -> ConcernedResponse:
    """Keep what a person concerned answered to the allegations, with the case (the right to be heard)."""
    now = timezone.now()
    response = clean_text(response, name=_("response"), max_length=MAX_NARRATIVE, required=True)
    if received_on > _today():
        raise ActionError(_("The day it was received must not be in the future."))
    with transaction.atomic(durable=True):
        case = locked(case)
        _check(actor, case, Act.WORK_INVESTIGATION)
        subject = _subject_of_allegation(case, subject_id)
        box = staff_box(actor, case)
        recorded = ConcernedResponse.objects.create(
            case=case,
            subject=subject,
            received_on=received_on,
            recorded_by=actor,
            recorded_at=now,
            response=box.seal(response, ConcernedResponse, "response"),
        )
        staff_record(
            EventType.CONCERNED_RESPONDED, case=case, actor=actor, at=now, response=recorded.pk, person=subject.pk
        )
    return recorded


# --- Reading and the organisation's rules ---------------------------------------------------------


def record_investigation_view(*, case: Case, actor: User, via: Via = "web") -> None:
    """Record a view of the investigation (its page or the API's document)."""
    with transaction.atomic(durable=True):
        staff_record(EventType.INVESTIGATION_VIEWED, case=case, actor=actor, at=timezone.now(), via=via)


def configure_investigations(*, standard_of_proof: str) -> InvestigationPolicy:
    """Set the standard of proof findings are measured against (from now on; each finding keeps its own)."""
    if standard_of_proof not in StandardOfProof.values:
        raise ActionError(
            _("The standard of proof is one of: %(choices)s.") % {"choices": ", ".join(StandardOfProof.values)}
        )
    with transaction.atomic(durable=True):
        policy = InvestigationPolicy.objects.select_for_update().get(pk=1)
        policy.standard_of_proof = standard_of_proof
        policy.save(update_fields=["standard_of_proof"])
        log.record_system(EventType.INVESTIGATION_POLICY_CONFIGURED, standard_of_proof=standard_of_proof)
    return policy
