"""Keeping a member's decisions in the shared rehire registry, and asking it (docs/registry.md).

A decision of dismissal or "not eligible for rehire" enters the shared registry only once
two people approved it. The identifiers given with the proposal (and the directory's
e-mail address at approval) wait encrypted in a RegistrySubmission; after the approval
commits, a background task submits the blinded entries, so an unreachable registry
never breaks an approval: the task tries again later and the state shows what happened.
A decision replaced by a later one (an appeal, a revision) has its entries withdrawn
the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from ombuds.audit import log
from ombuds.audit.models import ActorKind, EventType
from ombuds.outcomes import registry, shared_registry
from ombuds.outcomes.models import AccusedOutcome, RegistrySubmission, SubmissionState

MAX_ATTEMPTS = 8
REGISTRY_KINDS = ("email", "phone")


def _expiry(today: date) -> date:
    years = settings.OMBUDS_REGISTRY_ENTRY_YEARS
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def hold_identifiers(outcome: AccusedOutcome, given: Mapping[str, str], *, region: str) -> None:
    """At proposal, inside its transaction: keep the registry's identifiers encrypted until approval."""
    if not shared_registry.is_on():
        return
    pairs = []
    for kind, value in given.items():
        if kind not in REGISTRY_KINDS or not value.strip():
            continue
        try:
            pairs.append((kind, registry.normal_phone(value, region) if kind == "phone" else value))
        except registry.InvalidIdentifier:
            continue
    RegistrySubmission.objects.create(
        outcome=outcome,
        state=SubmissionState.AWAITING_APPROVAL,
        sealed_identifiers=shared_registry.seal_identifiers(pairs),
        created_at=timezone.now(),
    )


def queue_submission(outcome: AccusedOutcome, *, directory_email: str, case_id: int, actor_id: int | None) -> None:
    """At approval of a grave decision, inside its transaction: submit its entries once it commits."""
    if not shared_registry.is_on():
        return
    now = timezone.now()
    submission = RegistrySubmission.objects.select_for_update().filter(outcome=outcome).first()
    pairs = shared_registry.open_identifiers(submission.sealed_identifiers) if submission is not None else []
    if directory_email:
        pairs.append(("email", directory_email))
    sealed = shared_registry.seal_identifiers(pairs)
    if submission is None:
        submission = RegistrySubmission.objects.create(
            outcome=outcome, state=SubmissionState.PENDING, sealed_identifiers=sealed, created_at=now
        )
    else:
        submission.state = SubmissionState.PENDING
        submission.sealed_identifiers = sealed
    submission.expires_on = _expiry(now.date())
    submission.save()
    log.record(
        EventType.REGISTRY_ENTRY_QUEUED,
        at=now,
        case_id=case_id,
        actor_kind=ActorKind.STAFF if actor_id else ActorKind.SYSTEM,
        actor_id=actor_id,
        detail={"outcome": outcome.pk, "submission": submission.pk},
    )
    submission_id = submission.pk
    transaction.on_commit(lambda: submit_entries.enqueue(submission_id=submission_id))


def cancel(outcome: AccusedOutcome) -> None:
    """A decision rejected or withdrawn before approval: its identifiers are erased, nothing is sent."""
    RegistrySubmission.objects.filter(outcome=outcome, state=SubmissionState.AWAITING_APPROVAL).update(
        state=SubmissionState.CANCELLED, sealed_identifiers=""
    )


def queue_withdrawal(outcome: AccusedOutcome, *, case_id: int, actor_id: int | None) -> bool:
    """Withdraw a decision's entries (it was replaced, or oversight asks); whether there was anything to withdraw."""
    submission = RegistrySubmission.objects.select_for_update().filter(outcome=outcome).first()
    if submission is None or submission.state in (SubmissionState.WITHDRAWN, SubmissionState.CANCELLED):
        return False
    submission.state = SubmissionState.WITHDRAWING
    submission.sealed_identifiers = ""
    submission.save(update_fields=["state", "sealed_identifiers"])
    log.record(
        EventType.REGISTRY_ENTRY_WITHDRAWN,
        at=timezone.now(),
        case_id=case_id,
        actor_kind=ActorKind.STAFF if actor_id else ActorKind.SYSTEM,
        actor_id=actor_id,
        detail={"outcome": outcome.pk, "submission": submission.pk, "entries": len(submission.entry_ids)},
    )
    submission_id = submission.pk
    transaction.on_commit(lambda: withdraw_entries.enqueue(submission_id=submission_id))
    return True


def _failed(submission: RegistrySubmission, reason: str) -> None:
    submission.attempts += 1
    submission.last_error = reason[:200]
    if submission.state == SubmissionState.PENDING:
        submission.state = SubmissionState.FAILED
    submission.save(update_fields=["attempts", "last_error", "state"])
    log.record(
        EventType.REGISTRY_SUBMISSION_FAILED,
        at=timezone.now(),
        case_id=submission.outcome.case_id,
        actor_kind=ActorKind.SYSTEM,
        detail={"submission": submission.pk, "attempts": submission.attempts, "reason": submission.last_error},
    )


def _retry_later(task_function: object, submission: RegistrySubmission) -> None:
    if submission.attempts >= MAX_ATTEMPTS:
        return  # `ombuds registry-member retry` starts again; the state says it failed
    delay = timedelta(minutes=2**submission.attempts)
    submission_id = submission.pk
    transaction.on_commit(
        lambda: task_function.using(run_after=timezone.now() + delay).enqueue(submission_id=submission_id)  # type: ignore[attr-defined]
    )


def _unavailable(task_function: object, submission_id: int, exc: Exception) -> str:
    """The registry could not be reached: keep why, try again later; the state the submission is in."""
    with transaction.atomic():
        submission = _locked(submission_id)
        assert submission is not None
        _failed(submission, str(exc))
        _retry_later(task_function, submission)
        return submission.state


def _locked(submission_id: int) -> RegistrySubmission | None:
    return RegistrySubmission.objects.select_for_update().select_related("outcome").filter(pk=submission_id).first()


@task()
def submit_entries(*, submission_id: int) -> str:
    """Blind, have evaluated, verify, finalise and submit the entries of one decision; the state it ends in.

    The network is used outside any transaction: a slow registry never holds rows (or,
    on SQLite, the whole database) locked.
    """
    with transaction.atomic():
        submission = _locked(submission_id)
        if submission is None or submission.state not in (SubmissionState.PENDING, SubmissionState.FAILED):
            return submission.state if submission is not None else "missing"
        found = shared_registry.identifiers(shared_registry.open_identifiers(submission.sealed_identifiers))
        expires_on = submission.expires_on
        if not found or expires_on is None:
            _failed(submission, "no e-mail address or phone number to submit")
            return submission.state
    try:
        ids = shared_registry.submit(found, expires_on=expires_on.isoformat())
    except shared_registry.RegistryUnavailable as exc:
        return _unavailable(submit_entries, submission_id, exc)
    with transaction.atomic():
        submission = _locked(submission_id)
        assert submission is not None
        submission.entry_ids = ids
        submission.sealed_identifiers = ""
        if submission.state == SubmissionState.WITHDRAWING:
            # Withdrawn while the entries were on their way: the withdrawal task takes these out too.
            submission.save(update_fields=["entry_ids", "sealed_identifiers"])
            transaction.on_commit(lambda: withdraw_entries.enqueue(submission_id=submission_id))
            return submission.state
        now = timezone.now()
        submission.state = SubmissionState.SUBMITTED
        submission.submitted_at = now
        submission.last_error = ""
        submission.save()
        log.record(
            EventType.REGISTRY_ENTRY_SUBMITTED,
            at=now,
            case_id=submission.outcome.case_id,
            actor_kind=ActorKind.SYSTEM,
            detail={"submission": submission.pk, "entries": ids, "expires_on": expires_on.isoformat()},
        )
        return submission.state


@task()
def withdraw_entries(*, submission_id: int) -> str:
    """Withdraw a decision's entries from the registry; the state it ends in (network outside transactions)."""
    with transaction.atomic():
        submission = _locked(submission_id)
        if submission is None or submission.state != SubmissionState.WITHDRAWING:
            return submission.state if submission is not None else "missing"
        entry_ids = list(submission.entry_ids)
    if entry_ids:
        try:
            shared_registry.withdraw(entry_ids)
        except shared_registry.RegistryUnavailable as exc:
            return _unavailable(withdraw_entries, submission_id, exc)
    with transaction.atomic():
        submission = _locked(submission_id)
        assert submission is not None
        if list(submission.entry_ids) != entry_ids:
            return submission.state  # entries arrived meanwhile; the task queued with them withdraws them
        submission.state = SubmissionState.WITHDRAWN
        submission.withdrawn_at = timezone.now()
        submission.save(update_fields=["state", "withdrawn_at"])
        return submission.state


def retry_all() -> int:
    """Queue again every submission or withdrawal that has not gone through; how many."""
    count = 0
    for submission in RegistrySubmission.objects.filter(
        state__in=[SubmissionState.PENDING, SubmissionState.FAILED, SubmissionState.WITHDRAWING]
    ):
        if submission.state == SubmissionState.WITHDRAWING:
            withdraw_entries.enqueue(submission_id=submission.pk)
        else:
            submit_entries.enqueue(submission_id=submission.pk)
        count += 1
    return count
