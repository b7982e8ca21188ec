"""Limit receipt guessing without keeping anything about anyone's address.

Wrong receipts are counted per client address and fixed time window, in this process's
memory only: nothing derived from an address is ever written to the database or a file,
where a copy together with the receipt key could be searched for it. Each web process
counts on its own, so with N gunicorn workers a client can make up to N times
OMBUDS_RECEIPT_ATTEMPTS wrong tries per window; a restart forgets every count.

A correct receipt always opens its report, however many wrong ones came from the same
address: colleagues behind one corporate address must not lock each other out. Only
failures are counted and limited. What keeps a receipt from being guessed is its
entropy (about 93 bits); the limit answers a flood of wrong guesses with 429.
"""

from __future__ import annotations

import ipaddress
import threading

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

# Past this many addresses in one window (a spray from many IPv6 addresses), further
# new addresses share one count, so memory stays bounded.
MAX_CLIENTS = 100_000
_OVERFLOW = "overflow"

_lock = threading.Lock()
_window = -1
_failures: dict[str, int] = {}


def client_address(request: HttpRequest) -> str:
    """The client's address, trusting as many X-Forwarded-For hops as configured. Never stored."""
    address = str(request.META.get("REMOTE_ADDR", ""))
    hops = settings.OMBUDS_TRUSTED_PROXIES
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    return address


def _client_key(address: str) -> str:
    """One key per IPv4 address, and per /64 for IPv6, where one client usually holds the whole /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def count_failure(request: HttpRequest) -> bool:
    """Count a wrong receipt from this client; False when it is over the limit (answer 429).

    Counting and comparing happen under one lock, so concurrent requests cannot all see
    the count below the limit.
    """
    global _window
    key = _client_key(client_address(request))
    window = int(timezone.now().timestamp()) // settings.OMBUDS_RECEIPT_WINDOW_SECONDS
    with _lock:
        if window != _window:
            # Counts of a past window are worth nothing: forget them all.
            _failures.clear()
            _window = window
        if key not in _failures and len(_failures) >= MAX_CLIENTS:
            key = _OVERFLOW
        _failures[key] = _failures.get(key, 0) + 1
        return _failures[key] <= settings.OMBUDS_RECEIPT_ATTEMPTS


def reset() -> None:
    """Forget every count (tests start from nothing; a restart does the same)."""
    global _window
    with _lock:
        _failures.clear()
        _window = -1
