"""Every change of retention: deleting a case's content when its time is up, legal holds,
the retention rules, the rehire registry's expiry. Each is atomic and writes its audit
event (identifiers and dates only) in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from ombuds.accounts.mail import queue_settings_notice
from ombuds.accounts.roles import Role, roles_of
from ombuds.audit import log
from ombuds.audit.models import ActorKind, EventType
from ombuds.cases import content, notify
from ombuds.cases.actions import ActionError, NothingToChange
from ombuds.cases.actions._base import clean_text, staff_box, staff_record
from ombuds.cases.models import (
    Attachment,
    Case,
    CaseKeyGrant,
    Category,
    Conflict,
    InvolvedPerson,
    KeepOutProposal,
    Message,
    Note,
    PendingGrant,
    PersonRole,
    Report,
    Status,
)
from ombuds.crypto import filestore
from ombuds.investigations.models import EvidenceItem
from ombuds.lib.durations import Duration, InvalidDuration, describe, describe_text, longer_than
from ombuds.linking.models import Mention, NamedReporter
from ombuds.outcomes.models import RehireEntry, RehireIdentifier
from ombuds.retention import rules
from ombuds.retention.models import MINIMUM_PERIOD, Erasure, LegalHold, RetentionRule

BATCH = 200
MAX_REASON = 4000


# --- Deleting a case's content ---------------------------------------------------------------


def due_for_deletion(now: datetime, *, limit: int = BATCH) -> list[int]:
    """Ids of closed cases whose retention period has ended, with no legal hold in force and not yet erased.

    One indexed query per category and kind of closing; the exact month arithmetic is
    checked again per case in erase_case.
    """
    in_force = LegalHold.objects.filter(case=models.OuterRef("pk"), lifted_at__isnull=True)
    found: list[int] = []
    for category, held in rules.erasing_periods(now).items():
        for investigated in (False, True):
            kind = rules.INVESTIGATED if investigated else ~rules.INVESTIGATED
            # Every period that holds content back must have passed (a recent change: both).
            cutoff = min(
                rules.before(
                    now, Duration.parse(chosen.after_decision if investigated else chosen.without_investigation)
                )
                for chosen in held
            )
            cases = (
                Case.objects.filter(
                    kind,
                    status=Status.CLOSED,
                    category=category,
                    held_in_escrow=False,
                    closed_at__lte=cutoff,
                    erasure__isnull=True,
                )
                .exclude(models.Exists(in_force))
                .order_by("closed_at")
                .values_list("pk", flat=True)[: limit - len(found)]
            )
            found.extend(cases)
            if len(found) >= limit:
                return found
    return found


def _blank(model: type[models.Model], field: str) -> object:
    return None if model._meta.get_field(field).null else ""


def erase_case(case_id: int, *, now: datetime) -> bool:
    """Delete a closed case's content and every copy of its key; False when it is not (or no longer) due.

    Crypto-shredding first: the grants to staff and to the recovery key, pending grants
    and the copy sealed to the reporter's receipt go, so no key anywhere opens what might
    be left. Then the content itself: every content field of every row of the case is
    emptied (the seam's list, so a new content field is covered without a change here),
    messages, notes and attachments are deleted, people are unlinked from the directory,
    and the files leave the file store once the transaction commits. The case row keeps
    its category, dates, status, outcome and finding for the statistics; the unit of the
    accused is kept on the erasure record.
    """
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if (
            Erasure.objects.filter(case=case).exists()
            or case.held_in_escrow
            or LegalHold.objects.filter(case=case, lifted_at__isnull=True).exists()
        ):
            return False
        ends = rules.delete_after(case, now)
        if ends is None or ends > now:
            return False
        accused = (
            InvolvedPerson.objects.filter(report__case=case, role=PersonRole.ACCUSED, person__isnull=False)
            .order_by("report__submitted_at", "position", "pk")
            .values_list("person__unit", flat=True)
            .first()
        )
        blobs = [b for b in Attachment.objects.filter(case=case).values_list("blob_id", flat=True) if b]
        blobs += [b for b in EvidenceItem.objects.filter(case=case).values_list("blob_id", flat=True) if b]
        # The keys.
        CaseKeyGrant.objects.filter(case=case).delete()
        PendingGrant.objects.filter(case=case).delete()
        Report.objects.filter(case=case).update(key_seal=None, proof_seal=None)
        # The content, field by field, as the seam lists it.
        for model, fields in content.CONTENT.items():
            if not fields:
                continue
            lookup = {"pk": case.pk} if model is Case else {content.case_path(model): case}
            rows = model._default_manager.filter(**lookup)
            rows.update(**{field: _blank(model, field) for field in fields})
        # Rows that are nothing but content, and the links from the case to people.
        Attachment.objects.filter(case=case).delete()
        Message.objects.filter(case=case).delete()
        Note.objects.filter(case=case).delete()
        EvidenceItem.objects.filter(case=case).update(blob_id="")
        InvolvedPerson.objects.filter(report__case=case).update(person=None)
        Conflict.objects.filter(case=case).delete()
        KeepOutProposal.objects.filter(case=case).delete()
        Mention.objects.filter(case=case).delete()
        NamedReporter.objects.filter(report__case=case).delete()
        Erasure.objects.create(case=case, erased_at=now, unit_id=accused)
        log.record(
            EventType.CASE_CONTENT_DELETED,
            at=now,
            case_id=case.pk,
            actor_kind=ActorKind.SYSTEM,
            detail={"files": len(blobs)},
        )
        store = filestore.FileStore()
        # After the rows: should the transaction fail, the files stay with the case that still refers to them.
        transaction.on_commit(lambda: [store.delete(blob_id) for blob_id in blobs])
    return True


def erase_due(now: datetime) -> int:
    """Delete the content of every case whose time is up (one transaction each); run by the sweeper."""
    return sum(erase_case(case_id, now=now) for case_id in due_for_deletion(now))


def erasure_of(case: Case) -> Erasure | None:
    return Erasure.objects.filter(case=case).first()


# --- Legal holds ---------------------------------------------------------------------------------


def _oversight(actor: User) -> None:
    if Role.OVERSIGHT not in roles_of(actor):
        raise ActionError(_("Only the oversight body can place or lift a legal hold."))


def place_hold(*, case: Case, actor: User, reason: str, review_on: date) -> LegalHold:
    """Keep a case's content past its retention period until the hold is lifted; reviewed by `review_on`."""
    _oversight(actor)
    reason = clean_text(reason, name=_("reason"), max_length=MAX_REASON, required=True)
    now = timezone.now()
    if review_on <= timezone.localdate(now):
        raise ActionError(_("The review date must be in the future."))
    with transaction.atomic(durable=True):
        case = Case.objects.select_for_update().get(pk=case.pk)
        if Erasure.objects.filter(case=case).exists():
            raise ActionError(_("This case's content has already been deleted."))
        if LegalHold.objects.filter(case=case, lifted_at__isnull=True).exists():
            raise ActionError(_("A legal hold is already in force on this case."))
        box = staff_box(actor, case)
        hold = LegalHold.objects.create(
            case=case,
            placed_by=actor,
            placed_at=now,
            review_on=review_on,
            reason=box.seal(reason, LegalHold, "reason"),
        )
        staff_record(
            EventType.LEGAL_HOLD_PLACED, case=case, actor=actor, at=now, hold=hold.pk, review_on=review_on.isoformat()
        )
    return hold


def lift_hold(*, case: Case, actor: User) -> LegalHold:
    """Lift the hold in force: the case is deleted at the next sweep if its period has ended meanwhile."""
    _oversight(actor)
    now = timezone.now()
    with transaction.atomic(durable=True):
        hold = LegalHold.objects.select_for_update().filter(case=case, lifted_at__isnull=True).first()
        if hold is None:
            raise ActionError(_("No legal hold is in force on this case."))
        hold.lifted_at = now
        hold.lifted_by = actor
        hold.save(update_fields=["lifted_at", "lifted_by"])
        staff_record(EventType.LEGAL_HOLD_LIFTED, case=case, actor=actor, at=now, hold=hold.pk)
    return hold


def hold_in_force(case: Case) -> LegalHold | None:
    return LegalHold.objects.filter(case=case, lifted_at__isnull=True).first()


def holds_due_for_review(today: date) -> models.QuerySet[LegalHold]:
    return LegalHold.objects.filter(lifted_at__isnull=True, review_on__lte=today).select_related("case")


def notify_reviews_due(now: datetime) -> int:
    """Tell oversight, once per hold, that a hold has reached its review date; run by the sweeper."""
    today = timezone.localdate(now)
    told = 0
    oversight = list(User.objects.filter(is_active=True, groups__name=Role.OVERSIGHT.value))
    for hold in holds_due_for_review(today).filter(review_noticed_at__isnull=True)[:BATCH]:
        with transaction.atomic():
            if not LegalHold.objects.filter(pk=hold.pk, review_noticed_at__isnull=True).update(review_noticed_at=now):
                continue  # another worker told them
            log.record(
                EventType.LEGAL_HOLD_REVIEW_DUE,
                at=now,
                case_id=hold.case_id,
                actor_kind=ActorKind.SYSTEM,
                detail={"hold": hold.pk},
            )
            notify.queue(notify.Kind.LEGAL_HOLD_REVIEW, case=hold.case, recipients=oversight, now=now)
        told += 1
    return told


# --- Rules -----------------------------------------------------------------------------------------


def configure_rule(*, category: str, without_investigation: str, after_decision: str, acting_user: User) -> None:
    """Set one category's retention periods (ISO 8601 durations); refused when not one, or below MINIMUM_PERIOD.

    The periods before the change are kept beside it: for rules.NOTICE, they still hold
    content back (rules.erasing_periods).
    """
    if category not in Category.values:
        raise ActionError(_("There is no such category."))
    minimum = Duration.parse(MINIMUM_PERIOD)
    for value in (without_investigation, after_decision):
        try:
            duration = Duration.parse(value)
        except InvalidDuration:
            raise ActionError(_("Write each period as an ISO 8601 duration, such as P2M or P5Y.")) from None
        # Never shorter than the minimum from any day: a calendar month, or as many days as the longest month has.
        if longer_than(minimum, duration):
            raise ActionError(
                _("A retention period may not be shorter than %(minimum)s.") % {"minimum": describe(minimum)}
            )
    without_investigation = without_investigation.strip().upper()
    after_decision = after_decision.strip().upper()
    current = rules.periods()[category]
    if (current.without_investigation, current.after_decision) == (without_investigation, after_decision):
        raise NothingToChange(_("Nothing to change."))
    now = timezone.now()
    with transaction.atomic(durable=True):
        held_back = _held_back(category, current, now)
        RetentionRule.objects.update_or_create(
            category=category,
            defaults={
                "without_investigation": without_investigation,
                "after_decision": after_decision,
                "previous_without_investigation": held_back.without_investigation,
                "previous_after_decision": held_back.after_decision,
                "changed_at": now,
                "changed_by": acting_user,
            },
        )
        # In the server's language, as the worker writes the rest of the e-mail.
        with translation.override(settings.LANGUAGE_CODE):
            until = formats.date_format(timezone.localdate(now + rules.NOTICE), "DATE_FORMAT")
            periods = {
                "without": describe_text(without_investigation),
                "after": describe_text(after_decision),
                "old_without": describe_text(held_back.without_investigation),
                "old_after": describe_text(held_back.after_decision),
            }
            label = str(Category(category).label)
        queue_settings_notice(
            facts=[("retention", {"category": label, "until": until, **periods})], acting_user=acting_user
        )
        log.record_system(
            EventType.RETENTION_RULE_CHANGED,
            actor_id=acting_user.pk,
            category=category,
            without_investigation=without_investigation,
            after_decision=after_decision,
        )


def _held_back(category: str, current: rules.Periods, now: datetime) -> rules.Periods:
    """The periods that hold content back for rules.NOTICE after this change: those set until now, or longer ones.

    A second change within the notice of the first must not end it: otherwise one
    administrator could shorten a period, change it again a minute later, and have the
    periods before the first change forgotten. Each period kept is the longer of the one
    still holding content back and the one set until now.
    """
    rule = RetentionRule.objects.select_for_update().filter(category=category).first()
    if rule is None or not rule.previous_without_investigation or rule.changed_at <= now - rules.NOTICE:
        return current

    def longer(held: str, set_now: str) -> str:
        try:
            return held if longer_than(Duration.parse(held), Duration.parse(set_now)) else set_now
        except InvalidDuration:
            return set_now

    return rules.Periods(
        category,
        longer(rule.previous_without_investigation, current.without_investigation),
        longer(rule.previous_after_decision, current.after_decision),
    )


# --- The rehire registry ---------------------------------------------------------------------------


def expire_rehire_entries(now: datetime) -> int:
    """Lift registry entries older than OMBUDS_REHIRE_RETENTION and delete their identifiers' digests.

    The entry row stays lifted, so a past check still says which entry it matched; with
    its digests gone no check can find the person any more.
    """
    cutoff = rules.before(now, Duration.parse(settings.OMBUDS_REHIRE_RETENTION))
    expired = 0
    for entry in RehireEntry.objects.filter(lifted_at__isnull=True, listed_at__lte=cutoff).select_related("outcome")[
        :BATCH
    ]:
        with transaction.atomic():
            if not RehireEntry.objects.filter(pk=entry.pk, lifted_at__isnull=True).update(lifted_at=now):
                continue
            RehireIdentifier.objects.filter(outcome_id=entry.outcome_id).delete()
            log.record(
                EventType.REHIRE_ENTRY_EXPIRED,
                at=now,
                case_id=entry.outcome.case_id,
                actor_kind=ActorKind.SYSTEM,
                detail={"entry": entry.pk},
            )
        expired += 1
    return expired


def sweep(now: datetime) -> int:
    """The retention part of the sweeper: reviews due, expired registry entries, then deletions."""
    notify_reviews_due(now)
    expire_rehire_entries(now)
    return erase_due(now)
