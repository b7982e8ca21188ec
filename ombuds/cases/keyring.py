"""Who holds a case's data key, and how a person's request gets hold of it.

Each case has a random data key (ombuds.crypto.keys.DataKey) that encrypts its
content. The server keeps it only sealed: to every staff member who may read the case
(CaseKeyGrant), to the organisation's recovery key, and to the reporter (Report.key_seal,
opened with her receipt). A staff member opens a grant with her private key, unlocked
at login (ombuds.accounts.keys); a reporter's session carries her case's key.

Grants follow ombuds.cases.access.readers: `sync_grants` makes the missing ones (when
the person acting holds the key) or records them as pending, and removes those of
people who may no longer read the case (conflicted, moved off it, gone). Pending
grants are made by the next reader who uses ombuds (`grant_pending`), each an audit
event. Conflicted people never get a grant.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ombuds.accounts import keys as staff_keys
from ombuds.accounts.models import StaffKey
from ombuds.audit import log
from ombuds.audit.models import ActorKind, EventType
from ombuds.cases import access, content, filing_proof
from ombuds.cases.models import (
    Attachment,
    Case,
    CaseKeyGrant,
    GrantHolder,
    Organisation,
    PendingGrant,
    Report,
)
from ombuds.crypto import kdf, keys
from ombuds.crypto.errors import DecryptionError

_CACHE_ATTR = "_ombuds_case_keys"
_REPORT_ATTR = "_ombuds_case_key"


class KeyUnavailable(Exception):
    """This person cannot open the case's content now (no grant yet, or her key is locked)."""


# --- The key of a case, for the person acting ------------------------------------------------


def _cache(holder: object) -> dict[int, keys.DataKey]:
    cache: dict[int, keys.DataKey] | None = getattr(holder, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(holder, _CACHE_ATTR, cache)
    return cache


def staff_data_key(user: User, case: Case) -> keys.DataKey | None:
    """The case's data key as `user` can open it now, or None (no grant, or her key is not unlocked)."""
    cache = _cache(user)
    if case.pk in cache:
        return cache[case.pk]
    pair = staff_keys.attached(user)
    if pair is None:
        return None
    grant = CaseKeyGrant.objects.filter(case_id=case.pk, holder=GrantHolder.STAFF, user=user).first()
    if grant is None:
        return None
    try:
        key = keys.unseal_data_key(pair, bytes(grant.sealed))
    except DecryptionError:
        return None  # a grant made for a key pair she has since replaced
    cache[case.pk] = key
    return key


def attach_to_report(report: Report, key: keys.DataKey) -> None:
    """Give a reporter's request her case's key (from her session, or from filing)."""
    setattr(report, _REPORT_ATTR, key)


def reporter_data_key(report: Report) -> keys.DataKey | None:
    key = getattr(report, _REPORT_ATTR, None)
    return key if isinstance(key, keys.DataKey) else None


def require_staff_key(user: User, case: Case) -> keys.DataKey | None:
    """The key a staff action writes content with; None for a case not yet sealed (its content is in clear)."""
    if not case.sealed:
        return None
    key = staff_data_key(user, case)
    if key is None:
        raise KeyUnavailable
    return key


# --- The reporter's own key ------------------------------------------------------------------


def seal_for_reporter(
    receipt: str, key: keys.DataKey, *, proof_random: bytes | None
) -> tuple[bytes, bytes, bytes | None]:
    """(KDF header, sealed key, sealed random value) for a report, sealed to the key pair her receipt derives.

    The one Argon2id derivation of filing. The receipt itself is not stored. The random
    value is her proof of filing's (ombuds.cases.filing_proof): only she holds it. A
    report filed before proofs of filing has none (None).
    """
    params = kdf.KdfParams.current()
    pair = keys.receipt_key_pair(receipt, params)
    sealed_random = keys.seal_to(pair.public_key, proof_random) if proof_random is not None else None
    return params.header(), keys.seal_data_key(pair.public_key, key), sealed_random


def open_for_reporter(report: Report, receipt: str) -> keys.DataKey | None:
    """Her case's key, opened with the receipt she typed (one Argon2id derivation); her proof's random value too."""
    if report.receipt_kdf is None or report.key_seal is None:
        return None
    params = kdf.KdfParams.from_header(bytes(report.receipt_kdf))
    pair = keys.receipt_key_pair(receipt, params)
    try:
        key = keys.unseal_data_key(pair, bytes(report.key_seal))
    except DecryptionError:
        return None
    # The same derivation opens her proof of filing's random value (ombuds.cases.filing_proof).
    filing_proof.open_random(report, pair)
    return key


# --- Grants ----------------------------------------------------------------------------------


def _public_keys(users: list[User]) -> dict[int, bytes]:
    return {
        user_id: bytes(public)
        for user_id, public in StaffKey.objects.filter(user__in=users).values_list("user_id", "public_key")
    }


def _grant(case: Case, users: list[tuple[User, bytes]], key: keys.DataKey, *, now: datetime, by: User | None) -> None:
    """Seal the key to each (user, public key); one audit event names everyone granted at once."""
    CaseKeyGrant.objects.bulk_create(
        [
            CaseKeyGrant(
                case=case,
                holder=GrantHolder.STAFF,
                user=user,
                sealed=keys.seal_data_key(public_key, key),
                granted_at=now,
            )
            for user, public_key in users
        ]
    )
    PendingGrant.objects.filter(case=case, user__in=[user for user, _public in users]).delete()
    log.record(
        EventType.KEY_GRANTED,
        at=now,
        case_id=case.pk,
        actor_kind=ActorKind.STAFF if by is not None else ActorKind.SYSTEM,
        actor_id=by.pk if by is not None else None,
        detail={"users": sorted(user.pk for user, _public in users)},
    )


def grant_recovery(case: Case, key: keys.DataKey, *, now: datetime) -> None:
    public = Organisation.objects.filter(pk=1).values_list("recovery_public_key", flat=True).first()
    if public is None:
        return
    CaseKeyGrant.objects.update_or_create(
        case=case,
        holder=GrantHolder.RECOVERY,
        defaults={"sealed": keys.seal_data_key(bytes(public), key), "granted_at": now, "user": None},
    )


def sync_grants(case: Case, key: keys.DataKey | None, *, now: datetime, by: User | None = None) -> None:
    """Make the case's grants match who may read it now. Runs inside the caller's transaction.

    With the key at hand (the person acting can open the case, or the case is being
    filed), missing grants are made at once; without it they are recorded as pending
    and made by the next reader who uses ombuds. Grants of people who may no longer
    read the case are removed at once: nobody needs the key for that.
    """
    if not case.sealed:
        return
    eligible = {user.pk: user for user in access.readers(case)}
    stale = CaseKeyGrant.objects.filter(case=case, holder=GrantHolder.STAFF).exclude(user_id__in=eligible)
    revoked = sorted(user_id for user_id in stale.values_list("user_id", flat=True) if user_id is not None)
    if revoked:
        stale.delete()
        log.record(
            EventType.KEY_REVOKED, at=now, case_id=case.pk, actor_kind=ActorKind.SYSTEM, detail={"users": revoked}
        )
    PendingGrant.objects.filter(case=case).exclude(user_id__in=eligible).delete()
    have = set(CaseKeyGrant.objects.filter(case=case, holder=GrantHolder.STAFF).values_list("user_id", flat=True))
    missing = [user for pk, user in eligible.items() if pk not in have]
    if not missing:
        return
    public = _public_keys(missing)
    ready = [(user, public[user.pk]) for user in missing if key is not None and user.pk in public]
    if ready and key is not None:
        _grant(case, ready, key, now=now, by=by)
    granted = {user.pk for user, _public in ready}
    for user in missing:
        if user.pk not in granted:
            PendingGrant.objects.get_or_create(case=case, user=user, defaults={"created_at": now})


def grant_pending(user: User, *, limit: int = 200) -> int:
    """Make pending grants of cases `user` can open, as the key holder using ombuds now. Returns how many.

    Each grant checks again that the person may still read the case, and that they have
    a key pair to seal to (a person who has never logged in since gets hers later).
    """
    if staff_keys.attached(user) is None:
        return 0
    # Asked per pending grant (few), never as the set of every case she holds (all her cases):
    # run on every staff request, an IN over that set grew with the organisation's history.
    mine = CaseKeyGrant.objects.filter(holder=GrantHolder.STAFF, user=user, case_id=OuterRef("case_id"))
    waiting = list(
        PendingGrant.objects.filter(Exists(mine), user__staff_key__isnull=False)
        .select_related("case", "user")
        .order_by("created_at")[:limit]
    )
    made = 0
    now = timezone.now()
    for pending in waiting:
        key = staff_data_key(user, pending.case)
        if key is None:
            continue
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=pending.case_id)
            if pending.user_id not in {u.pk for u in access.readers(case)}:
                PendingGrant.objects.filter(pk=pending.pk).delete()
                continue
            if CaseKeyGrant.objects.filter(case=case, holder=GrantHolder.STAFF, user_id=pending.user_id).exists():
                PendingGrant.objects.filter(pk=pending.pk).delete()
                continue
            public = staff_keys.public_key(pending.user)
            if public is None:
                continue
            _grant(case, [(pending.user, public)], key, now=now, by=user)
            made += 1
    return made + _seal_to_recovery(user, limit=limit - made, now=now)


def _seal_to_recovery(user: User, *, limit: int, now: datetime) -> int:
    """Seal to the recovery key the cases `user` can open that are not yet (filed before it existed)."""
    if limit <= 0 or not Organisation.objects.filter(pk=1, recovery_public_key__isnull=False).exists():
        return 0
    covered = CaseKeyGrant.objects.filter(holder=GrantHolder.RECOVERY).values("case_id")
    mine = (
        CaseKeyGrant.objects.filter(holder=GrantHolder.STAFF, user=user)
        .exclude(case_id__in=covered)
        .select_related("case")[:limit]
    )
    sealed = 0
    for grant in mine:
        key = staff_data_key(user, grant.case)
        if key is not None:
            with transaction.atomic():
                grant_recovery(grant.case, key, now=now)
            sealed += 1
    return sealed


def grant_pending_of_case(case: Case, key: keys.DataKey, *, now: datetime) -> int:
    """Make the pending grants of one case with its key at hand (a reporter back with her receipt).

    She, too, is someone who can read the case: when its staff could not be given the
    key (none had a key pair yet), her return gives it to them. Returns how many were made.
    """
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        eligible = {user.pk for user in access.readers(locked)}
        waiting = list(PendingGrant.objects.filter(case=locked, user__staff_key__isnull=False).select_related("user"))
        ready = []
        for pending in waiting:
            public = staff_keys.public_key(pending.user)
            if pending.user_id in eligible and public is not None:
                ready.append((pending.user, public))
            elif pending.user_id not in eligible:
                PendingGrant.objects.filter(pk=pending.pk).delete()
        if ready:
            _grant(locked, ready, key, now=now, by=None)
    return len(ready)


def queue_for_new_key(user: User, *, now: datetime | None = None) -> int:
    """After `user` made (or replaced) her key pair: drop her old grants and queue the cases she may read.

    Returns how many cases were queued. Her grants are then made by the next reader of
    each case who uses ombuds.
    """
    now = now or timezone.now()
    with transaction.atomic():
        CaseKeyGrant.objects.filter(holder=GrantHolder.STAFF, user=user).delete()
        cases = access.visible_cases(user).filter(sealed=True).values_list("pk", flat=True)
        rows = [PendingGrant(case_id=pk, user=user, created_at=now) for pk in cases]
        PendingGrant.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(rows)


def encode_key(key: keys.DataKey) -> str:
    return base64.urlsafe_b64encode(key.raw).decode("ascii")


def decode_key(text: str) -> keys.DataKey:
    return keys.DataKey(base64.urlsafe_b64decode(text.encode("ascii")))


def resync_user(user: User, *, now: datetime | None = None) -> tuple[int, int]:
    """After `user`'s roles or pools changed: drop her grants of cases she may no longer read, queue the new ones.

    Returns (grants removed, cases queued). The queued grants are made by the next
    reader of each case who uses ombuds.
    """
    now = now or timezone.now()
    with transaction.atomic():
        visible = access.visible_cases(user).filter(sealed=True) if user.is_active else Case.objects.none()
        stale = CaseKeyGrant.objects.filter(holder=GrantHolder.STAFF, user=user).exclude(case__in=visible)
        removed_cases = sorted(stale.values_list("case_id", flat=True))
        stale.delete()
        PendingGrant.objects.filter(user=user).exclude(case__in=visible).delete()
        for case_id in removed_cases:
            log.record(
                EventType.KEY_REVOKED, at=now, case_id=case_id, actor_kind=ActorKind.SYSTEM, detail={"users": [user.pk]}
            )
        have = CaseKeyGrant.objects.filter(holder=GrantHolder.STAFF, user=user).values("case_id")
        rows = [
            PendingGrant(case_id=pk, user=user, created_at=now)
            for pk in visible.exclude(pk__in=have).values_list("pk", flat=True)
        ]
        PendingGrant.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(removed_cases), len(rows)


def retire(user: User, *, now: datetime | None = None) -> int:
    """Remove every sealed key of a staff member who leaves, and her key pair. Returns the grants removed."""
    now = now or timezone.now()
    with transaction.atomic():
        grants = CaseKeyGrant.objects.filter(holder=GrantHolder.STAFF, user=user)
        removed = grants.count()
        grants.delete()
        PendingGrant.objects.filter(user=user).delete()
        StaffKey.objects.filter(user=user).delete()
        log.record_system(EventType.STAFF_RETIRED, user=user.pk, grants_removed=removed)
    return removed


def rotate(user: User, *, now: datetime | None = None) -> int:
    """Throw away a staff member's key pair and every grant made to it (say, a device she used was lost).

    She gets a new key pair at her next login, and her cases are granted to it again by
    their other readers (or by her reporters' returns). Returns the grants removed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        grants = CaseKeyGrant.objects.filter(holder=GrantHolder.STAFF, user=user)
        removed = grants.count()
        grants.delete()
        StaffKey.objects.filter(user=user).delete()
        log.record_system(EventType.STAFF_KEY_ROTATED, user=user.pk, grants_removed=removed)
    queue_for_new_key(user, now=now)
    return removed


# --- The organisation's recovery key ------------------------------------------------------------


def create_recovery_key(*, replace: bool = False) -> keys.KeyPair:
    """Make the organisation's recovery key pair and store its public half; return the pair (to print once).

    Every case filed from now on is sealed to it too. Cases filed before are sealed to
    it as their readers use ombuds (`grant_pending` seals the recovery key as well).
    """
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=1)
        if org.recovery_public_key is not None and not replace:
            raise ValueError("the organisation already has a recovery key; replacing it needs --replace")
        pair = keys.KeyPair.generate()
        org.recovery_public_key = pair.public_key
        org.save(update_fields=["recovery_public_key"])
        if replace:
            CaseKeyGrant.objects.filter(holder=GrantHolder.RECOVERY).delete()
        log.record_system(EventType.RECOVERY_KEY_CREATED, replaced=replace)
    return pair


def recover_access(recovery: keys.KeyPair, user: User, *, now: datetime | None = None) -> tuple[int, int]:
    """With the recovery key, grant `user` every case she may read that the recovery key opens.

    For an oversight member who lost her password (her new key pair was made at her next
    login), or when every reader of some cases lost theirs. Conflicted cases are skipped:
    the rules of who may read hold for recovery too. Returns (granted, could not open).
    """
    now = now or timezone.now()
    public = staff_keys.public_key(user)
    if public is None:
        raise ValueError("the staff member has no key pair yet: she must log in once first")
    granted = failed = 0
    readable = access.visible_cases(user).filter(sealed=True).values_list("pk", flat=True)
    for case_id in list(readable):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            if CaseKeyGrant.objects.filter(case=case, holder=GrantHolder.STAFF, user=user).exists():
                continue
            grant = CaseKeyGrant.objects.filter(case=case, holder=GrantHolder.RECOVERY).first()
            if grant is None:
                failed += 1
                continue
            try:
                key = keys.unseal_data_key(recovery, bytes(grant.sealed))
            except DecryptionError:
                failed += 1
                continue
            _grant(case, [(user, public)], key, now=now, by=None)
            granted += 1
    with transaction.atomic():
        log.record_system(EventType.ACCESS_RECOVERED, user=user.pk, granted=granted, unopened=failed)
    return granted, failed


# --- Cases stored before encryption at rest -----------------------------------------------------


def _rows_of(case: Case) -> list[tuple[type[Any], Any]]:
    """Every row of a case that holds content, with its model."""
    found: list[tuple[type[Any], Any]] = [(Case, case)]
    for model in content.CONTENT:
        if model is Case:
            continue
        rows = list(model._default_manager.filter(**{content.case_path(model): case}))
        found.extend((model, row) for row in rows)
    return found


def seal_legacy_case(case: Case, *, receipt: str | None = None, now: datetime | None = None) -> keys.DataKey:
    """Encrypt the content of a case stored before encryption at rest, in one transaction.

    With the reporter's receipt (she has just come back with it) her report is sealed to
    her too; without it (`ombuds keys seal-existing`), only to staff and the recovery key,
    and her status page can no longer show what was written before.
    """
    now = now or timezone.now()
    key = keys.DataKey.generate()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.sealed:
            raise ValueError("this case is already sealed")
        case.sealed = True  # from here, content.seal encrypts for this case
        for model, row in _rows_of(case):
            changed = []
            for field in sorted(content.CONTENT[model] - {"legacy_data", "file_key"}):
                value = getattr(row, field)
                if value:
                    setattr(row, field, content.seal(value, key=key, case=case, model=model, field=field))
                    changed.append(field)
            if model is Attachment and row.legacy_data is not None and not row.blob_id:
                row.blob_id, row.file_key = content.seal_file([bytes(row.legacy_data)], key=key, case=case)
                row.legacy_data = None
                changed += ["blob_id", "file_key", "legacy_data"]
            if changed and model is not Case:
                row.save(update_fields=changed)
        case.save()
        if receipt is not None:
            report = case.reports.order_by("submitted_at", "id").first()
            if report is not None and report.key_seal is None:
                # Filed before proofs of filing: the log holds no commitment to prove.
                report.receipt_kdf, report.key_seal, _ = seal_for_reporter(receipt, key, proof_random=None)
                report.save(update_fields=["receipt_kdf", "key_seal"])
        sync_grants(case, key, now=now)
        grant_recovery(case, key, now=now)
        log.record(EventType.CASE_SEALED, at=now, case_id=case.pk, actor_kind=ActorKind.SYSTEM, detail={})
    return key
