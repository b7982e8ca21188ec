"""Limit receipt guessing without keeping anyone's address."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from ombuds.intake.models import ReceiptThrottle


def client_address(request: HttpRequest) -> str:
    """The client's address, trusting as many X-Forwarded-For hops as configured. Never stored."""
    address = str(request.META.get("REMOTE_ADDR", ""))
    hops = settings.OMBUDS_TRUSTED_PROXIES
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    return address


def _bucket(address: str, now: datetime) -> tuple[str, datetime]:
    window = settings.OMBUDS_RECEIPT_WINDOW_SECONDS
    number = int(now.timestamp()) // window
    key = settings.OMBUDS_RECEIPT_KEY.encode()
    digest = hmac.new(key, f"throttle:{number}:{address}".encode(), hashlib.sha256).hexdigest()
    return digest, datetime.fromtimestamp((number + 1) * window, tz=UTC)


def is_blocked(request: HttpRequest) -> bool:
    bucket, _ = _bucket(client_address(request), timezone.now())
    row = ReceiptThrottle.objects.filter(bucket=bucket).first()
    return row is not None and row.failures >= settings.OMBUDS_RECEIPT_ATTEMPTS


def record_failure(request: HttpRequest) -> None:
    now = timezone.now()
    bucket, ends = _bucket(client_address(request), now)
    with transaction.atomic():
        updated = ReceiptThrottle.objects.filter(bucket=bucket).update(failures=F("failures") + 1)
        if not updated:
            ReceiptThrottle.objects.get_or_create(bucket=bucket, defaults={"window_ends_at": ends, "failures": 1})
        # Old windows carry no information worth keeping.
        ReceiptThrottle.objects.filter(window_ends_at__lt=now).delete()


def purge_expired(now: datetime) -> int:
    """Receipt-attempt counters carry nothing worth keeping once their window is over."""
    deleted, _ = ReceiptThrottle.objects.filter(window_ends_at__lt=now).delete()
    return deleted
