"""Every change to protective measures, outcomes per accused and the rehire registry.

Like ombuds.cases.actions: each entry point is atomic (one durable transaction), takes
keyword-only arguments, asks ombuds.cases.permissions whether the actor may act, seals
what is written about the case with its data key, and writes its audit event (ids and
labels, never content) in the same transaction. One action never calls another.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime

import phonenumbers
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ombuds.accounts.mail import queue_settings_notice
from ombuds.audit import log
from ombuds.audit.models import ActorKind, EventType
from ombuds.cases import notify, permissions, routing
from ombuds.cases.actions._base import (
    MAX_NARRATIVE,
    ActionError,
    check,
    clean_text,
    locked,
    staff_box,
    staff_record,
)
from ombuds.cases.models import Case, InvolvedPerson, PersonRole
from ombuds.cases.permissions import Act
from ombuds.outcomes import registry, registry_sync, shared_registry
from ombuds.outcomes.ladder import review_due
from ombuds.outcomes.models import (
    RESTRICTING_KINDS,
    AccusedOutcome,
    IdentifierKind,
    Measure,
    MeasureChange,
    MeasureChangeKind,
    MeasureKind,
    OutcomePolicy,
    OutcomeState,
    Rehire,
    RehireCheck,
    RehireEntry,
    RehireIdentifier,
    Sanction,
)
from ombuds.outcomes.telling import WORDING_KEYS

__all__ = [
    "ActionError",
    "approve_outcome",
    "check_rehire",
    "configure_policy",
    "end_measure",
    "extend_measure",
    "propose_outcome",
    "record_measure",
    "record_rehire_check_view",
    "reject_outcome",
    "withdraw_outcome",
]


# --- Protective measures ------------------------------------------------------------------------


def _people(case: Case, ids: Iterable[int]) -> list[InvolvedPerson]:
    wanted = set(ids)
    found = list(InvolvedPerson.objects.filter(report__case=case, pk__in=wanted))
    if len(found) != len(wanted):
        raise ActionError(_("Choose people named in this case."))
    return found


def _check_dates(*, starts_on: date, review_on: date, ends_on: date | None, today: date) -> None:
    if review_on < today:
        raise ActionError(_("The review date must be today or later."))
    if review_on < starts_on:
        raise ActionError(_("The review date cannot be before the start."))
    if ends_on is not None and ends_on < starts_on:
        raise ActionError(_("The end cannot be before the start."))
    if ends_on is not None and review_on > ends_on:
        raise ActionError(_("The review date cannot be after the end."))


def record_measure(
    *,
    case: Case,
    actor: User,
    kind: str,
    protects_reporter: bool,
    protects: Iterable[int] = (),
    restricts: Iterable[int] = (),
    starts_on: date,
    review_on: date,
    ends_on: date | None = None,
    description: str = "",
) -> Measure:
    """Record an interim measure: whom it protects and restricts, from when, its review date and end."""
    now = timezone.now()
    if kind not in MeasureKind.values:
        raise ActionError(_("Choose the kind of measure."))
    description = clean_text(description, name=_("description"), max_length=MAX_NARRATIVE)
    _check_dates(starts_on=starts_on, review_on=review_on, ends_on=ends_on, today=timezone.localdate(now))
    protects, restricts = set(protects), set(restricts)
    if protects & restricts:
        raise ActionError(_("A person cannot be both protected and restricted by one measure."))
    if not protects_reporter and not protects:
        raise ActionError(_("Say whom the measure protects."))
    if kind == MeasureKind.REPORTER_SUPPORT and not protects_reporter:
        raise ActionError(_("Leave or support for the reporter must protect the reporter."))
    if kind in RESTRICTING_KINDS and not restricts:
        raise ActionError(_("Say whom this measure restricts."))
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Act.RECORD_MEASURE)
        box = staff_box(actor, case)
        protected, restricted = _people(case, protects), _people(case, restricts)
        measure = Measure.objects.create(
            case=case,
            kind=kind,
            protects_reporter=protects_reporter,
            starts_on=starts_on,
            review_on=review_on,
            review_due_at=review_due(review_on),
            ends_on=ends_on,
            recorded_by=actor,
            recorded_at=now,
            description=box.seal(description, Measure, "description"),
        )
        measure.protects.set(protected)
        measure.restricts.set(restricted)
        staff_record(
            EventType.MEASURE_RECORDED,
            case=case,
            actor=actor,
            at=now,
            measure=measure.pk,
            kind=kind,
            protects_reporter=protects_reporter,
            protects=len(protected),
            restricts=len(restricted),
            review_on=review_on.isoformat(),
        )
    return measure


def _measure_to_change(measure: Measure, actor: User) -> tuple[Case, Measure]:
    """The case and the measure, both locked, once `actor` may change it; a refusal otherwise."""
    case = locked(measure.case)
    check(actor, case, Act.CHANGE_MEASURE)
    measure = Measure.objects.select_for_update().get(pk=measure.pk, case=case)
    if measure.ended_at is not None:
        raise ActionError(_("This measure has already ended."))
    return case, measure


def extend_measure(
    *, measure: Measure, actor: User, review_on: date, ends_on: date | None, reason: str
) -> MeasureChange:
    """Keep a measure after its review: a new review date and end (None: until further notice), with a reason."""
    now = timezone.now()
    reason = clean_text(reason, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case, measure = _measure_to_change(measure, actor)
        _check_dates(starts_on=measure.starts_on, review_on=review_on, ends_on=ends_on, today=timezone.localdate(now))
        box = staff_box(actor, case)
        change = MeasureChange.objects.create(
            measure=measure,
            kind=MeasureChangeKind.EXTENDED,
            by=actor,
            at=now,
            previous_review_on=measure.review_on,
            previous_ends_on=measure.ends_on,
            review_on=review_on,
            ends_on=ends_on,
            reason=box.seal(reason, MeasureChange, "reason"),
        )
        measure.review_on = review_on
        measure.review_due_at = review_due(review_on)
        measure.ends_on = ends_on
        measure.save(update_fields=["review_on", "review_due_at", "ends_on"])
        staff_record(
            EventType.MEASURE_EXTENDED,
            case=case,
            actor=actor,
            at=now,
            measure=measure.pk,
            change=change.pk,
            review_on=review_on.isoformat(),
            ends_on=ends_on.isoformat() if ends_on else None,
        )
    return change


def end_measure(*, measure: Measure, actor: User, reason: str) -> MeasureChange:
    """End a measure now, with a reason; its review is no longer due."""
    now = timezone.now()
    reason = clean_text(reason, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case, measure = _measure_to_change(measure, actor)
        box = staff_box(actor, case)
        change = MeasureChange.objects.create(
            measure=measure,
            kind=MeasureChangeKind.ENDED,
            by=actor,
            at=now,
            previous_review_on=measure.review_on,
            previous_ends_on=measure.ends_on,
            reason=box.seal(reason, MeasureChange, "reason"),
        )
        measure.ended_at = now
        measure.save(update_fields=["ended_at"])
        staff_record(EventType.MEASURE_ENDED, case=case, actor=actor, at=now, measure=measure.pk, change=change.pk)
    return change


# --- Outcomes per accused ------------------------------------------------------------------------


def _clean_sanctions(sanctions: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(sanctions))
    if not chosen:
        raise ActionError(_("Choose the sanctions, or none."))
    if any(s not in Sanction.values for s in chosen):
        raise ActionError(_("Choose the sanctions from the list."))
    if Sanction.NONE in chosen and len(chosen) > 1:
        raise ActionError(_("“None” cannot be chosen together with a sanction."))
    # In the list's order, so the same decision is always stored the same way.
    return [s for s in Sanction.values if s in chosen]


def _is_grave(sanctions: Iterable[str], rehire: str) -> bool:
    """Dismissal or "not eligible": one person may not decide it alone, nor undo it alone."""
    return Sanction.DISMISSAL in sanctions or rehire == Rehire.NOT_ELIGIBLE


def _policy_region() -> str:
    policy = OutcomePolicy.objects.filter(pk=1).first()
    return policy.phone_region if policy is not None else ""


def _registry_key(actor: User | None) -> registry.RegistryKey:
    try:
        key = registry.registry_key()
    except registry.RegistryKeyError as exc:
        raise ActionError(
            _("The rehire registry cannot be used: its key is missing or wrong. Tell the administrator.")
        ) from exc
    if key.created:
        log.record(
            EventType.REHIRE_KEY_CREATED,
            at=timezone.now(),
            case_id=None,
            actor_kind=ActorKind.STAFF if actor is not None else ActorKind.SYSTEM,
            actor_id=actor.pk if actor is not None else None,
        )
    return key


def _store_identifiers(outcome: AccusedOutcome, found: Mapping[str, str]) -> int:
    stored = 0
    for kind, digest in found.items():
        _row, made = RehireIdentifier.objects.get_or_create(outcome=outcome, kind=kind, digest=digest)
        stored += int(made)
    return stored


def _finalise(outcome: AccusedOutcome, *, case: Case, actor: User, now: datetime) -> None:
    """Make an outcome final, inside the caller's transaction: supersede the last one, list it in the registry."""
    previous = (
        AccusedOutcome.objects.select_for_update()
        .filter(person=outcome.person, state=OutcomeState.FINAL)
        .exclude(pk=outcome.pk)
        .first()
    )
    if previous is not None:
        previous.state = OutcomeState.SUPERSEDED
        previous.save(update_fields=["state"])
        lifted = RehireEntry.objects.filter(outcome=previous, lifted_at__isnull=True).update(lifted_at=now)
        if lifted:
            staff_record(EventType.REHIRE_LIFTED, case=case, actor=actor, at=now, outcome=previous.pk)
        # A revised decision (an appeal upheld, a new finding) takes the old one out of the shared registry.
        registry_sync.queue_withdrawal(previous, case_id=case.pk, actor_id=actor.pk)
    outcome.state = OutcomeState.FINAL
    outcome.final_at = now
    outcome.save(update_fields=["state", "final_at", "decided_by", "decided_at", "decision_note"])
    if _is_grave(outcome.sanctions, outcome.rehire):
        directory_person = outcome.person.person
        registry_sync.queue_submission(
            outcome,
            directory_email=directory_person.email if directory_person is not None else "",
            case_id=case.pk,
            actor_id=actor.pk,
        )
    if outcome.rehire == Rehire.ELIGIBLE:
        return
    # The directory's identifiers as they are now, next to those entered with the decision.
    directory = outcome.person.person
    if directory is not None:
        key = _registry_key(actor)
        found = {
            kind: digest
            for kind, value in [
                (IdentifierKind.EMAIL.value, directory.email),
                (IdentifierKind.EMPLOYEE_NUMBER.value, directory.employee_id),
            ]
            # A malformed e-mail in the directory could never be typed into a check either.
            if (digest := registry.digest_if_valid(key, kind, value, region="")) is not None
        }
        _store_identifiers(outcome, found)
    entry = RehireEntry.objects.create(outcome=outcome, result=outcome.rehire, listed_at=now)
    staff_record(
        EventType.REHIRE_LISTED,
        case=case,
        actor=actor,
        at=now,
        outcome=outcome.pk,
        entry=entry.pk,
        result=outcome.rehire,
        identifiers=outcome.identifiers.count(),
    )


def propose_outcome(
    *,
    case: Case,
    actor: User,
    person: InvolvedPerson,
    sanctions: Iterable[str],
    rehire: str,
    reason: str,
    identifiers: Mapping[str, str] | None = None,
) -> AccusedOutcome:
    """Decide sanctions and rehire eligibility for one accused person of a decided case.

    Dismissal or "not eligible" (or replacing a decision that had either) waits for a lead
    handler or oversight member other than the proposer; anything else is final at once.
    Identifiers (e-mail, phone, employee number, national identifier) given with a decision
    of "not eligible" or "review needed" are kept only as keyed digests, for the registry.
    """
    now = timezone.now()
    chosen = _clean_sanctions(sanctions)
    if rehire not in Rehire.values:
        raise ActionError(_("Choose the rehire eligibility."))
    reason = clean_text(reason, name=_("reason"), max_length=MAX_NARRATIVE, required=True)
    given = {k: v for k, v in (identifiers or {}).items() if v and v.strip()}
    if rehire == Rehire.ELIGIBLE:
        given = {}  # nothing to remember about someone who may be rehired
    with transaction.atomic(durable=True):
        case = locked(case)
        check(actor, case, Act.PROPOSE_OUTCOME)
        if person.report.case_id != case.pk or person.role != PersonRole.ACCUSED:
            raise ActionError(_("An outcome is decided for a person accused in this case."))
        if AccusedOutcome.objects.filter(person=person, state=OutcomeState.PENDING).exists():
            raise ActionError(_("A decision about this person is already waiting for approval."))
        if rehire != Rehire.ELIGIBLE and not given and person.person_id is None:
            raise ActionError(
                _(
                    "Give at least one identifier (e-mail, phone, employee number or national identifier), "
                    "or link the person to the directory, so the rehire registry can recognise them."
                )
            )
        box = staff_box(actor, case)
        previous = AccusedOutcome.objects.filter(person=person, state=OutcomeState.FINAL).first()
        needs_approval = _is_grave(chosen, rehire) or (
            previous is not None and _is_grave(previous.sanctions, previous.rehire)
        )
        found: dict[str, str] = {}
        if given:
            key = _registry_key(actor)
            try:
                found = registry.digests(key, given, region=_policy_region())
            except registry.InvalidIdentifier as exc:
                raise ActionError(str(exc)) from None
        outcome = AccusedOutcome.objects.create(
            case=case,
            person=person,
            sanctions=chosen,
            rehire=rehire,
            state=OutcomeState.PENDING,
            needs_approval=needs_approval,
            proposed_by=actor,
            proposed_at=now,
            reason=box.seal(reason, AccusedOutcome, "reason"),
        )
        _store_identifiers(outcome, found)
        if _is_grave(chosen, rehire):
            registry_sync.hold_identifiers(outcome, given, region=_policy_region())
        detail = {
            "outcome": outcome.pk,
            "person": person.pk,
            "sanctions": chosen,
            "rehire": rehire,
            "identifiers": len(found),
        }
        if needs_approval:
            staff_record(EventType.OUTCOME_PROPOSED, case=case, actor=actor, at=now, **detail)
            notify.queue(
                notify.Kind.OUTCOME_PROPOSED, case=case, recipients=routing.approvers(case, exclude=actor), now=now
            )
        else:
            staff_record(EventType.OUTCOME_DECIDED, case=case, actor=actor, at=now, **detail)
            _finalise(outcome, case=case, actor=actor, now=now)
    return outcome


def _outcome_to_decide(outcome: AccusedOutcome, actor: User) -> tuple[Case, AccusedOutcome]:
    """The case and the pending outcome, locked, once `actor` may decide it; a refusal that says why."""
    case = locked(outcome.case)
    outcome = AccusedOutcome.objects.select_for_update().select_related("case", "person").get(pk=outcome.pk)
    if not outcome.is_pending:
        raise ActionError(_("This decision is not waiting for approval."))
    if outcome.proposed_by_id == actor.pk:
        raise ActionError(_("A decision must be approved by someone other than the person who proposed it."))
    if not permissions.may_decide_outcome(actor, outcome):
        raise ActionError(_("Only a lead handler or oversight member decides this."))
    return case, outcome


def approve_outcome(*, outcome: AccusedOutcome, actor: User, note: str = "") -> AccusedOutcome:
    """The second person approves a decision: it becomes final, and enters the rehire registry if it says so."""
    now = timezone.now()
    note = clean_text(note, name=_("note"), max_length=MAX_NARRATIVE)
    with transaction.atomic(durable=True):
        case, outcome = _outcome_to_decide(outcome, actor)
        box = staff_box(actor, case)
        outcome.decided_by = actor
        outcome.decided_at = now
        outcome.decision_note = box.seal(note, AccusedOutcome, "decision_note")
        staff_record(EventType.OUTCOME_APPROVED, case=case, actor=actor, at=now, outcome=outcome.pk)
        _finalise(outcome, case=case, actor=actor, now=now)
    return outcome


def reject_outcome(*, outcome: AccusedOutcome, actor: User, note: str) -> AccusedOutcome:
    """The second person rejects a decision, saying why; a new one can then be proposed."""
    now = timezone.now()
    note = clean_text(note, name=_("note"), max_length=MAX_NARRATIVE, required=True)
    with transaction.atomic(durable=True):
        case, outcome = _outcome_to_decide(outcome, actor)
        box = staff_box(actor, case)
        outcome.state = OutcomeState.REJECTED
        outcome.decided_by = actor
        outcome.decided_at = now
        outcome.decision_note = box.seal(note, AccusedOutcome, "decision_note")
        outcome.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        staff_record(EventType.OUTCOME_REJECTED, case=case, actor=actor, at=now, outcome=outcome.pk)
        registry_sync.cancel(outcome)
    return outcome


def withdraw_outcome(*, outcome: AccusedOutcome, actor: User) -> AccusedOutcome:
    """The proposer takes back a decision that waits for approval."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        case = locked(outcome.case)
        outcome = AccusedOutcome.objects.select_for_update().select_related("case").get(pk=outcome.pk)
        if not permissions.may_withdraw_outcome(actor, outcome):
            raise ActionError(_("Only the person who proposed a decision can withdraw it, while it waits."))
        outcome.state = OutcomeState.WITHDRAWN
        outcome.decided_by = actor
        outcome.decided_at = now
        outcome.save(update_fields=["state", "decided_by", "decided_at"])
        staff_record(EventType.OUTCOME_WITHDRAWN, case=case, actor=actor, at=now, outcome=outcome.pk)
        registry_sync.cancel(outcome)
    return outcome


# --- The rehire check ----------------------------------------------------------------------------

_CHECK_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_SEVERITY: dict[str, int] = {Rehire.NOT_ELIGIBLE: 2, Rehire.REVIEW_NEEDED: 1}


def _new_check_reference() -> str:
    return "RC-" + "".join(secrets.choice(_CHECK_ALPHABET) for _ in range(10))


def check_rehire(*, actor: User, identifiers: Mapping[str, str]) -> RehireCheck:
    """Ask the registry about a candidate; the answer is only eligible, not eligible or review needed.

    Every identifier given is looked up; the gravest entry found decides, and "eligible"
    is the answer when nothing matches. The check is recorded with its reference and
    answer (and, for oversight, the entries it matched); the identifiers are not kept,
    not even as digests.
    """
    now = timezone.now()
    if not permissions.may_check_rehire(actor):
        raise ActionError(_("Only HR staff ask the rehire registry."))
    given = {k: v for k, v in identifiers.items() if v and v.strip()}
    if not given:
        raise ActionError(_("Give at least one identifier of the candidate."))
    holders = _ask_shared_registry(actor, given, region=_policy_region())
    with transaction.atomic(durable=True):
        key = _registry_key(actor)
        try:
            found = registry.digests(key, given, region=_policy_region())
        except registry.InvalidIdentifier as exc:
            raise ActionError(str(exc)) from None
        wanted = Q()
        for kind, digest in found.items():
            wanted |= Q(outcome__identifiers__kind=kind, outcome__identifiers__digest=digest)
        entries = list(RehireEntry.objects.filter(wanted, lifted_at__isnull=True).distinct())
        results = [e.result for e in entries] + ([Rehire.REVIEW_NEEDED] if holders else [])
        result = max(results, key=lambda r: _SEVERITY.get(r, 0), default=Rehire.ELIGIBLE)
        rehire_check = RehireCheck.objects.create(
            reference=_new_check_reference(),
            asked_by=actor,
            asked_at=now,
            kinds=sorted(found),
            result=result,
            registry_holders=[{"member": h.member, "oversight_contact": h.oversight_contact} for h in holders],
        )
        rehire_check.matched.set(entries)
        if shared_registry.is_on():
            log.record(
                EventType.REGISTRY_HIT if holders else EventType.REGISTRY_QUERIED,
                at=now,
                case_id=None,
                actor_kind=ActorKind.STAFF,
                actor_id=actor.pk,
                detail={"check": rehire_check.reference, "members": sorted(h.member for h in holders)},
            )
        # No case and no identifier: the trail says who asked, when, under which reference, and the answer.
        log.record(
            EventType.REHIRE_CHECKED,
            at=now,
            case_id=None,
            actor_kind=ActorKind.STAFF,
            actor_id=actor.pk,
            detail={"check": rehire_check.reference, "result": result},
        )
    return rehire_check


def _ask_shared_registry(actor: User, given: Mapping[str, str], *, region: str) -> list[shared_registry.Holder]:
    """The members of the shared registry holding an entry for the candidate; [] while the registry is off.

    Asked before the check's transaction: the network is never waited on while rows are locked.
    A registry that cannot be asked, or whose answer is not proven under its published key,
    gives no answer at all: "eligible" must never stand in for "could not ask".
    """
    if not shared_registry.is_on():
        return []
    pairs = []
    for kind, value in given.items():
        if kind == "email":
            pairs.append((kind, value))
        elif kind == "phone":
            try:
                pairs.append((kind, registry.normal_phone(value, region)))
            except registry.InvalidIdentifier:
                continue
    found = shared_registry.identifiers(pairs)
    if not found:
        return []
    try:
        return shared_registry.lookup(found)
    except shared_registry.RegistryUnavailable as exc:
        with transaction.atomic(durable=True):
            log.record(
                EventType.REGISTRY_QUERY_FAILED,
                at=timezone.now(),
                case_id=None,
                actor_kind=ActorKind.STAFF,
                actor_id=actor.pk,
                detail={"reason": str(exc)[:200]},
            )
        raise ActionError(
            _("The shared rehire registry could not be asked, so there is no answer yet. Try again later.")
        ) from exc


def withdraw_from_shared_registry(*, outcome: AccusedOutcome, actor: User) -> None:
    """Oversight takes a decision's entries out of the shared registry (an appeal, an error), whatever its state."""
    if not permissions.may_read_rehire_checks(actor):
        raise ActionError(_("Only oversight withdraws entries from the shared rehire registry."))
    with transaction.atomic(durable=True):
        if not registry_sync.queue_withdrawal(outcome, case_id=outcome.case_id, actor_id=actor.pk):
            raise ActionError(_("This decision has no entries in the shared rehire registry."))


def record_rehire_check_view(*, rehire_check: RehireCheck, actor: User) -> None:
    """Oversight looked a check up, and so saw which registry entry (and case) it matched."""
    if not permissions.may_read_rehire_checks(actor):
        raise ActionError(_("Only oversight looks up rehire checks."))
    with transaction.atomic(durable=True):
        log.record(
            EventType.REHIRE_CHECK_VIEWED,
            at=timezone.now(),
            case_id=None,
            actor_kind=ActorKind.STAFF,
            actor_id=actor.pk,
            detail={"check": rehire_check.reference},
        )


# --- The organisation's policy ---------------------------------------------------------------------


def configure_policy(
    *,
    tell_sanctions: bool | None = None,
    phone_region: str | None = None,
    wording: Mapping[tuple[str, str], str] | None = None,
    languages: Iterable[str] = (),
    acting_user: User | None = None,
) -> OutcomePolicy:
    """Change what reporters are told of outcomes, and the default phone region of the registry.

    `wording` maps (wording key, language) to the organisation's text; an empty text
    goes back to the default wording. `languages` are the languages ombuds serves.
    The audit event names the administrator who made the change on the administration
    pages (`acting_user`), or the system for a command run on the server.
    """
    known = set(languages)
    with transaction.atomic(durable=True):
        policy, _made = OutcomePolicy.objects.select_for_update().get_or_create(pk=1)
        told_before, wording_before = policy.tell_sanctions, policy.wording
        if tell_sanctions is not None:
            policy.tell_sanctions = tell_sanctions
        if phone_region is not None:
            region = phone_region.strip().upper()
            if region and region not in phonenumbers.SUPPORTED_REGIONS:
                raise ActionError(_("%(region)s is not a region code such as CN, GB or US.") % {"region": region})
            policy.phone_region = region
        texts = dict(policy.wording)
        for (key, language), text in (wording or {}).items():
            if key not in WORDING_KEYS:
                raise ActionError(
                    _("Unknown wording %(key)s; choose one of %(keys)s.")
                    % {"key": key, "keys": ", ".join(WORDING_KEYS)}
                )
            if known and language not in known:
                raise ActionError(_("Unknown language %(language)s.") % {"language": language})
            text = clean_text(text, name=_("wording"), max_length=2000)
            per_language = dict(texts.get(key, {}))
            if text:
                per_language[language] = text
            else:
                per_language.pop(language, None)
            texts[key] = per_language
        policy.wording = {k: v for k, v in texts.items() if v}
        policy.save()
        facts: list[tuple[str, dict[str, str]]] = []
        if policy.tell_sanctions != told_before:
            facts.append(("outcome_sanctions_on" if policy.tell_sanctions else "outcome_sanctions_off", {}))
        reworded = sorted(
            key
            for key in set(wording_before) | set(policy.wording)
            if wording_before.get(key) != policy.wording.get(key)
        )
        if reworded:
            facts.append(("outcome_wording", {"keys": ", ".join(reworded)}))
        queue_settings_notice(facts=facts, acting_user=acting_user)
        log.record_system(
            EventType.OUTCOME_POLICY_CONFIGURED,
            actor_id=acting_user.pk if acting_user is not None else None,
            tell_sanctions=policy.tell_sanctions,
            phone_region=policy.phone_region,
            wordings=sorted(f"{k}:{lang}" for k, v in policy.wording.items() for lang in v),
        )
    return policy
