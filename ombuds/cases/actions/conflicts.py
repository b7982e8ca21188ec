"""Who is kept out of a case (R3): linking named people to the directory, keep-out requests, directory changes."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.audit.models import EventType
from ombuds.cases import keyring, notify, permissions, routing, units
from ombuds.cases.actions._base import MAX_NARRATIVE, ActionError, check, clean_text, locked, staff_box, staff_record
from ombuds.cases.actions._routing import recompute_conflicts, refuse_keeping_out_approvers, route_around_conflicts
from ombuds.cases.models import Case, Conflict, ConflictReason, InvolvedPerson, KeepOutAction, KeepOutProposal
from ombuds.cases.permissions import Act
from ombuds.directory.models import Person


def link_person(*, mention: InvolvedPerson, actor: User, person: Person) -> InvolvedPerson:
    """A handler links a typed name to a directory person; the conflict set follows."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        case = locked(mention.report.case)
        check(actor, case, Act.LINK_PERSON)
        mention = InvolvedPerson.objects.select_for_update().get(pk=mention.pk)
        if mention.person_id is not None:
            # A link, above all the reporter's own pick, is never replaced: that would let
            # one handler take the accused and their chain out of the conflict set.
            raise ActionError(_("This name is already linked to the directory."))
        mention.person = person
        mention.save(update_fields=["person"])
        units.refresh(case.pk)
        refuse_keeping_out_approvers(case, actor=actor)
        staff_record(EventType.PERSON_LINKED, case=case, actor=actor, at=now, mention=mention.pk, person=person.pk)
        recompute_conflicts(case, at=now, actor=actor)
    return mention


def _recompute_all(now: datetime) -> int:
    changed = 0
    # Closed cases too: a new manager of the accused must not read an old case either.
    case_ids = InvolvedPerson.objects.filter(person__isnull=False).values_list("report__case_id", flat=True).distinct()
    for case_id in list(case_ids):
        with transaction.atomic(durable=True):
            case = Case.objects.select_for_update().get(pk=case_id)
            if recompute_conflicts(case, at=now):
                changed += 1
    return changed


def directory_changed(*, now: datetime | None = None) -> int:
    """Recompute the conflict set of every case that names a directory person.

    Called after a directory import or a new staff link: a new manager of an accused
    person loses access at once, and each case's reporting unit follows its accused.
    Returns the number of cases whose set changed. Each case is its own transaction, so
    a long recomputation never holds the others up.
    """
    changed = _recompute_all(now or timezone.now())
    units.refresh_all()  # people may have moved to other units
    return changed


# --- Keep-out requests by staff: a second person decides (R2, R3) ----------------------------


def _pending_keep_out(case: Case, person: Person) -> bool:
    return KeepOutProposal.objects.filter(case=case, person=person, decided_at__isnull=True).exists()


def propose_keep_out(*, case: Case, actor: User, person: Person, note: str) -> KeepOutProposal:
    """A staff member asks to keep someone out of a case, with a reason.

    It takes effect when a lead handler or oversight member who is neither the proposer
    nor the person concerned approves it: one person alone cannot shut colleagues, least
    of all the oversight body, out of a case.
    """
    now = timezone.now()
    note = clean_text(note, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Act.ADD_CONFLICT)
        box = staff_box(actor, case)
        if Conflict.objects.filter(case=case, person=person).exists():
            raise ActionError(_("This person is already kept out of the case."))
        if _pending_keep_out(case, person):
            raise ActionError(_("A request about this person is already waiting for a decision."))
        proposal = KeepOutProposal.objects.create(
            case=case,
            person=person,
            action=KeepOutAction.ADD,
            proposed_by=actor,
            proposed_at=now,
            note=box.seal(note, KeepOutProposal, "note"),
        )
        staff_record(
            EventType.KEEP_OUT_PROPOSED, case=case, actor=actor, at=now, proposal=proposal.pk, person=person.pk
        )
        deciders = [u for u in routing.approvers(case, exclude=actor) if u.pk != person.user_id]
        notify.queue(notify.Kind.KEEP_OUT_PROPOSED, case=case, recipients=deciders, now=now)
    return proposal


def propose_let_back_in(*, case: Case, actor: User, person: Person, note: str) -> KeepOutProposal:
    """A staff member asks to lift a keep-out added by staff (a mistake, or one no longer needed).

    Only keep-outs added by staff can be lifted: the reporter's own requests and the
    conflicts computed from the directory follow the report and the directory.
    """
    now = timezone.now()
    note = clean_text(note, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Act.ADD_CONFLICT)
        box = staff_box(actor, case)
        if not Conflict.objects.filter(case=case, person=person, reason=ConflictReason.HANDLER).exists():
            raise ActionError(_("Only a keep-out added by staff can be lifted."))
        if _pending_keep_out(case, person):
            raise ActionError(_("A request about this person is already waiting for a decision."))
        proposal = KeepOutProposal.objects.create(
            case=case,
            person=person,
            action=KeepOutAction.REMOVE,
            proposed_by=actor,
            proposed_at=now,
            note=box.seal(note, KeepOutProposal, "note"),
        )
        staff_record(
            EventType.KEEP_OUT_PROPOSED,
            case=case,
            actor=actor,
            at=now,
            proposal=proposal.pk,
            person=person.pk,
            action=KeepOutAction.REMOVE,
        )
        notify.queue(
            notify.Kind.KEEP_OUT_PROPOSED, case=case, recipients=routing.approvers(case, exclude=actor), now=now
        )
    return proposal


def decide_keep_out(*, proposal: KeepOutProposal, actor: User, approve: bool, note: str = "") -> KeepOutProposal:
    """Approve or reject a keep-out request. Approval never leaves the case without oversight."""
    now = timezone.now()
    note = clean_text(note, name=_("note"), max_length=MAX_NARRATIVE, required=not approve)
    with transaction.atomic(durable=True):
        case = locked(proposal.case)
        proposal = KeepOutProposal.objects.select_for_update().select_related("person", "case").get(pk=proposal.pk)
        if not proposal.is_pending:
            raise ActionError(_("This request has already been decided."))
        if not permissions.may_decide_keep_out(actor, proposal):
            raise ActionError(_("Only a lead handler or oversight member, not its author or subject, decides this."))
        box = staff_box(actor, case)
        person = proposal.person
        if approve and proposal.action == KeepOutAction.ADD:
            if not [u for u in routing.oversight(case) if u.pk != person.user_id]:
                raise ActionError(_("Refused: this would leave the case without anyone on the oversight body."))
            Conflict.objects.get_or_create(
                case=case,
                person=person,
                reason=ConflictReason.HANDLER,
                defaults={
                    "added_by": proposal.proposed_by,
                    "note": box.seal(box.open(proposal.note, KeepOutProposal, "note"), Conflict, "note"),
                },
            )
        elif approve:
            Conflict.objects.filter(case=case, person=person, reason=ConflictReason.HANDLER).delete()
        proposal.decided_by = actor
        proposal.decided_at = now
        proposal.approved = approve
        proposal.decision_note = box.seal(note, KeepOutProposal, "decision_note")
        proposal.save()
        staff_record(
            EventType.KEEP_OUT_DECIDED,
            case=case,
            actor=actor,
            at=now,
            proposal=proposal.pk,
            person=person.pk,
            approved=approve,
        )
        if approve:
            event = EventType.CONFLICT_ADDED if proposal.action == KeepOutAction.ADD else EventType.CONFLICT_REMOVED
            staff_record(event, case=case, actor=actor, at=now, person=person.pk)
            route_around_conflicts(case, at=now)
            keyring.sync_grants(case, box.key, now=now, by=actor)
    return proposal
