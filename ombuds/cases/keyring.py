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

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ombuds.accounts import keys as staff_keys
from ombuds.accounts.models import StaffKey
from ombuds.audit import log
from ombuds.audit.models import ActorKind, EventType
from ombuds.cases import access, filing_proof
from ombuds.cases.models import Case, CaseKeyGrant, GrantHolder, Organisation, PendingGrant, Report
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


def seal_for_reporter(receipt: str, key: keys.DataKey, *, proof_random: bytes) -> tuple[bytes, bytes, bytes]:
    """(KDF header, sealed key, sealed random value) for a new report, sealed to the key pair her receipt derives.

    The one Argon2id derivation of filing. The receipt itself is not stored. The random
    value is her proof of filing's (ombuds.cases.filing_proof): only she holds it.
    """
    params = kdf.KdfParams.current()
    pair = keys.receipt_key_pair(receipt, params)
    return params.header(), keys.seal_data_key(pair.public_key, key), keys.seal_to(pair.public_key, proof_random)


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
    mine = CaseKeyGrant.objects.filter(holder=GrantHolder.STAFF, user=user).values("case_id")
    waiting = list(
        PendingGrant.objects.filter(case_id__in=mine, user__staff_key__isnull=False)
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
    return made


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
