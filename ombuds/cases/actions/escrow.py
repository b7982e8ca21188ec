"""Reports held in escrow (ombuds.linking.escrow): their release to handling, and their end without one.

A held case is released when another reporter's report completes its escrow (in that
report's filing transaction, `release_matched`) or when its reporter releases it
herself; from then on it is a case like any other, and its deadlines start then. It
ends without release when she withdraws it or its time runs out (the sweeper): then
every copy of its key and what it says are deleted, and only the fact that it ended
stays, for her status page.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.audit import log
from ombuds.audit.models import ActorKind, EventType
from ombuds.cases import keyring, notify, routing, units
from ombuds.cases.actions._base import ActionError, refresh_deadlines, reporter_moment, reporter_record
from ombuds.cases.actions._routing import recompute_conflicts
from ombuds.cases.deadlines import initial_deadlines
from ombuds.cases.models import Appeal, Attachment, Case, InvolvedPerson, Message, Report
from ombuds.cases.selectors import current_organisation
from ombuds.crypto import filestore, keys
from ombuds.linking import escrow
from ombuds.linking.models import HeldReport, HoldState, Mention, NamedReporter


def release(held: HeldReport, key: keys.DataKey, *, at: datetime, state: HoldState) -> None:
    """Hand a held case to handling with its key at hand. Runs in the caller's transaction, which holds no case lock."""
    case = Case.objects.select_for_update().get(pk=held.case_id)
    deadlines = initial_deadlines(current_organisation(), received_at=at, category=case.category)
    case.held_in_escrow = False
    case.ack_due_at = deadlines.ack_due_at
    case.feedback_due_at = deadlines.feedback_due_at
    case.first_action_due_at = deadlines.first_action_due_at
    refresh_deadlines(case)
    case.save(
        update_fields=["held_in_escrow", "ack_due_at", "feedback_due_at", "first_action_due_at", "next_deadline_at"]
    )
    escrow.end(held, state, at=at)
    log.record(
        EventType.ESCROW_RELEASED,
        at=at,
        case_id=case.pk,
        actor_kind=ActorKind.REPORTER if state == HoldState.RELEASED_BY_REPORTER else ActorKind.SYSTEM,
        detail={"report": held.report_id, "how": state.value},
    )
    # From here on, as at the filing of any report: conflicts, grants, the pool's notice.
    recompute_conflicts(case, at=at)
    keyring.sync_grants(case, key, now=at)
    keyring.grant_recovery(case, key, now=at)
    if not case.routed_to_oversight:
        notify.queue(notify.Kind.NEW_CASE, case=case, recipients=routing.pool(case) or routing.leads(case))


def _held_of(report: Report) -> HeldReport:
    # Locked: a filing that completes it, or the sweeper, may be ending it at this moment.
    held = HeldReport.objects.select_for_update().filter(report=report).first()
    if held is None or held.state != HoldState.HELD:
        raise ActionError(_("This report is not being held."))
    return held


def release_held_report(*, report: Report) -> None:
    """She releases her held report herself: it goes to handling now, as if she had not asked to hold it."""
    key = keyring.reporter_data_key(report)
    if key is None:
        raise ActionError(_("Your session has ended. Open your report again with your receipt."))
    at = reporter_moment(anonymous=report.anonymous)
    with log.deferred(report.anonymous), transaction.atomic(durable=True):
        held = _held_of(report)
        release(held, key, at=at, state=HoldState.RELEASED_BY_REPORTER)


def withdraw_held_report(*, report: Report) -> None:
    """She withdraws her held report: what it says and every copy of its key are deleted."""
    at = reporter_moment(anonymous=report.anonymous)
    with log.deferred(report.anonymous), transaction.atomic(durable=True):
        held = _held_of(report)
        _erase(held, at=at, state=HoldState.WITHDRAWN)
        reporter_record(EventType.ESCROW_ENDED, case=held.case, at=at, report=report.pk, how=HoldState.WITHDRAWN.value)


def sweep_expired(now: datetime | None = None) -> int:
    """Delete the held reports whose time ran out (OMBUDS_ESCROW_DAYS); run by the sweeper. Returns how many."""
    now = now or timezone.now()
    ended = 0
    for held in list(escrow.expired(now)[:500]):
        with transaction.atomic():
            locked = HeldReport.objects.select_for_update().get(pk=held.pk)
            if locked.state != HoldState.HELD:
                continue
            _erase(locked, at=now, state=HoldState.EXPIRED)
            log.record(
                EventType.ESCROW_ENDED,
                at=now,
                case_id=locked.case_id,
                actor_kind=ActorKind.SYSTEM,
                detail={"report": locked.report_id, "how": HoldState.EXPIRED.value},
            )
        ended += 1
    return ended


def _erase(held: HeldReport, *, at: datetime, state: HoldState) -> None:
    """Delete a held case's content and every copy of its key; the case and report rows stay, empty.

    Its key was never granted to anyone, so once the escrow shares and the copy sealed to
    her receipt are gone, nothing anywhere can open what might be left; the content is
    deleted as well, and its files from the file store.
    """
    case = Case.objects.select_for_update().get(pk=held.case_id)
    escrow.end(held, state, at=at)
    store = filestore.FileStore()
    attachments = Attachment.objects.filter(case=case)
    blobs = [blob_id for blob_id in attachments.values_list("blob_id", flat=True) if blob_id]
    attachments.delete()
    Message.objects.filter(case=case).delete()
    Appeal.objects.filter(case=case).delete()
    InvolvedPerson.objects.filter(report__case=case).delete()
    units.refresh(case.pk)
    Mention.objects.filter(case=case).delete()
    NamedReporter.objects.filter(report__case=case).delete()
    Report.objects.filter(case=case).update(
        key_seal=None,
        proof_seal=None,
        narrative="",
        occurred="",
        location="",
        reporter_name="",
        reporter_contact="",
        answers="",
    )
    # After the rows: should the transaction fail, the files are orphans the sweeper removes anyway.
    transaction.on_commit(lambda: [store.delete(blob_id) for blob_id in blobs])
