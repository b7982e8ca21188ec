"""What the shared registry does: its key, its members, and the four things a member may ask."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from django.db import transaction
from django.utils import timezone

from ombuds.crypto import oprf
from ombuds.crypto.errors import DeserializeError
from ombuds.crypto.ristretto255 import Element
from ombuds.registry_service import protocol
from ombuds.registry_service import settings as registry_settings
from ombuds.registry_service.models import Entry, Hit, LogEntry, LogKind, Member

_ENTRY_KEY = re.compile(r"[0-9a-f]{64}")


@cache
def server() -> oprf.VOPRFServer:
    """The registry's VOPRF key; never made here (`ombuds registry keygen` makes it once)."""
    seed = protocol.read_key_file(
        registry_settings.OMBUDS_REGISTRY_SERVICE_KEY_FILE, protocol.SEED_BYTES, "registry key"
    )
    return protocol.voprf_server(seed)


def create_key() -> oprf.VOPRFServer:
    """A new key file; FileExistsError when there is one (a new key would hit nothing stored before)."""
    raw = secrets.token_bytes(protocol.SEED_BYTES)
    protocol.write_new_key_file(registry_settings.OMBUDS_REGISTRY_SERVICE_KEY_FILE, raw)
    return protocol.voprf_server(raw)


def public_key_text() -> str:
    return protocol.b64(server().public_key.to_bytes())


# --- Members -------------------------------------------------------------------------------------


def add_member(*, name: str, public_key: str, oversight_contact: str) -> Member:
    protocol.unb64(public_key, size=32)
    if not name.strip() or not oversight_contact.strip():
        raise protocol.ProtocolError("a member needs a name and an oversight contact")
    return Member.objects.create(
        name=name.strip(), public_key=public_key, oversight_contact=oversight_contact.strip(), added_at=timezone.now()
    )


def remove_member(member: Member) -> int:
    """Remove a member and withdraw its entries; how many were withdrawn."""
    now = timezone.now()
    with transaction.atomic():
        member.removed_at = now
        member.save(update_fields=["removed_at"])
        withdrawn: int = Entry.objects.filter(member=member, withdrawn_at__isnull=True).update(withdrawn_at=now, key="")
        return withdrawn


def authenticate(public_key: str, method: str, path: str, timestamp: str, body: bytes, signature: str) -> Member:
    """The active member that signed this request; ProtocolError for anyone else."""
    member = Member.objects.filter(public_key=public_key, removed_at__isnull=True).first()
    if member is None:
        raise protocol.ProtocolError("not a member")
    protocol.verify(
        protocol.unb64(public_key, size=32), method, path, timestamp, body, signature, timezone.now().timestamp()
    )
    return member


def log_refused() -> None:
    LogEntry.objects.create(at=timezone.now(), kind=LogKind.REFUSED)


# --- What members ask ------------------------------------------------------------------------------


def evaluate(member: Member, blinded: list[str]) -> tuple[list[str], str]:
    """VOPRF BlindEvaluate of a batch, with one proof under the published key."""
    if not 0 < len(blinded) <= protocol.MAX_BATCH:
        raise protocol.ProtocolError(f"send 1 to {protocol.MAX_BATCH} blinded elements")
    try:
        elements = [Element.from_bytes(protocol.unb64(item)) for item in blinded]
    except DeserializeError:
        raise protocol.ProtocolError("not a valid element") from None
    evaluated, proof = server().blind_evaluate_batch(elements)
    LogEntry.objects.create(at=timezone.now(), kind=LogKind.EVALUATE, member=member, count=len(elements))
    return [protocol.b64(e.to_bytes()) for e in evaluated], protocol.b64(proof.to_bytes())


def _keys(keys: list[str]) -> list[str]:
    if not 0 < len(keys) <= protocol.MAX_BATCH:
        raise protocol.ProtocolError(f"send 1 to {protocol.MAX_BATCH} keys")
    if not all(isinstance(k, str) and _ENTRY_KEY.fullmatch(k) for k in keys):
        raise protocol.ProtocolError("a key is 64 lower-case hexadecimal digits")
    return list(dict.fromkeys(keys))


def submit(member: Member, keys: list[str], expires_on: date) -> list[int]:
    """Store one entry per key for the member; ids the member keeps to withdraw them."""
    keys = _keys(keys)
    today = timezone.now().date()
    latest = today.replace(year=today.year + registry_settings.OMBUDS_REGISTRY_SERVICE_MAX_YEARS)
    if not today < expires_on <= latest:
        raise protocol.ProtocolError("the expiry must be in the future and within the registry's maximum")
    with transaction.atomic():
        entries = [Entry.objects.create(member=member, key=k, created_on=today, expires_on=expires_on) for k in keys]
        LogEntry.objects.create(at=timezone.now(), kind=LogKind.SUBMIT, member=member, count=len(entries))
    return [e.pk for e in entries]


def lookup(member: Member, keys: list[str]) -> list[Member]:
    """The members holding a live entry for any of the keys; the query and each hit are logged."""
    keys = _keys(keys)
    today = timezone.now().date()
    found = list(
        Entry.objects.filter(key__in=keys, withdrawn_at__isnull=True, expires_on__gt=today).select_related("member")
    )
    with transaction.atomic():
        log = LogEntry.objects.create(
            at=timezone.now(), kind=LogKind.LOOKUP, member=member, count=len(keys), hits=len(found)
        )
        Hit.objects.bulk_create([Hit(log=log, entry=entry) for entry in found])
    holders = {entry.member_id: entry.member for entry in found}
    return sorted(holders.values(), key=lambda m: m.pk)


def withdraw(member: Member, entry_ids: list[int]) -> int:
    if not entry_ids or not all(isinstance(i, int) for i in entry_ids):
        raise protocol.ProtocolError("send the ids of the entries to withdraw")
    with transaction.atomic():
        count = Entry.objects.filter(pk__in=entry_ids, member=member, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now(), key=""
        )
        LogEntry.objects.create(at=timezone.now(), kind=LogKind.WITHDRAW, member=member, count=count)
    return count


def hits_on(member: Member, since: datetime | None = None) -> list[Hit]:
    """The lookups that hit the member's entries, newest first."""
    hits = Hit.objects.filter(entry__member=member).select_related("log", "log__member", "entry")
    if since is not None:
        hits = hits.filter(log__at__gte=since)
    return list(hits.order_by("-log__at")[:1000])


def purge(today: date) -> tuple[int, int]:
    """Empty the keys of expired entries, and erase the log's lines older than the log is kept; how many of each.

    An expired entry's row stays, so the log can still name its holder. A log line
    older than OMBUDS_REGISTRY_SERVICE_LOG_DAYS days goes with the hits it found: who
    asked, and which entry it hit, is kept no longer than that.
    """
    days = registry_settings.OMBUDS_REGISTRY_SERVICE_LOG_DAYS
    kept_from = datetime.combine(today - timedelta(days=days), time.min, UTC)
    with transaction.atomic():
        count = Entry.objects.filter(expires_on__lte=today).exclude(key="").update(key="")
        old = LogEntry.objects.filter(at__lt=kept_from)
        Hit.objects.filter(log__in=old).delete()
        erased, _by_model = old.delete()
        LogEntry.objects.create(at=timezone.now(), kind=LogKind.PURGE, count=count)
    return count, erased
