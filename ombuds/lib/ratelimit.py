"""A token bucket: a rate per minute with bursts up to a capacity. Pure; the caller holds any lock."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """`per_minute` units flow in steadily, up to `capacity`; taking needs enough in the bucket.

    The rate and capacity are given on every call, so a changed setting applies at once.
    The bucket starts full: the first burst after a quiet spell is let through.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._level: float | None = None
        self._at = 0.0

    def _refill(self, per_minute: float, capacity: float) -> float:
        now = self._clock()
        if self._level is None:
            self._level = capacity
        else:
            elapsed = max(0.0, now - self._at)  # a clock that stepped back adds nothing
            self._level = min(capacity, self._level + elapsed * per_minute / 60)
        self._at = now
        return self._level

    def wait(self, amount: float, *, per_minute: float, capacity: float) -> float:
        """Seconds until `amount` could be taken; 0 when it can be taken now."""
        level = self._refill(per_minute, capacity)
        missing = min(amount, capacity) - level
        return 0.0 if missing <= 0 else missing * 60 / per_minute

    def take(self, amount: float, *, per_minute: float, capacity: float) -> None:
        """Take `amount` (at most the whole bucket); call after `wait` said 0."""
        level = self._refill(per_minute, capacity)
        self._level = max(0.0, level - min(amount, capacity))
