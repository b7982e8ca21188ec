"""Argon2id at the configured cost: one derivation, and several at once as under concurrent sign-ins.

The cost comes from OMBUDS_KDF_OPSLIMIT and OMBUDS_KDF_MEMLIMIT_MIB, so an operator can
try a value before setting it: `OMBUDS_KDF_OPSLIMIT=6 python -m benchmarks.micro kdf`. Aim for
0.1 to 0.5 seconds per derivation (docs/security.md).
"""

from __future__ import annotations

import statistics
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks import Measurement, Timing, timed

RUNS = 9
CONCURRENT_RUNS = 5


def _median(timings: list[Timing]) -> Timing:
    ordered = sorted(timings, key=lambda timing: timing.seconds)
    return ordered[len(ordered) // 2]


def derivations(scratch: Path) -> list[Measurement]:
    from django.conf import settings

    from ombuds.crypto import kdf

    cost = f"opslimit {settings.OMBUDS_KDF_OPSLIMIT}, {settings.OMBUDS_KDF_MEMLIMIT_MIB} MiB"
    kdf.derive_key("warm-up", kdf.KdfParams.current())

    timings: list[Timing] = []
    for run in range(RUNS):
        params = kdf.KdfParams.current()
        with timed() as timing:
            kdf.derive_key(f"correct horse battery staple {run}", params)
        timings.append(timing)
    seconds = [timing.seconds for timing in timings]
    spread = f"min {min(seconds):.3f}, max {max(seconds):.3f}, stdev {statistics.stdev(seconds):.3f}"
    rows = [_median(timings).measurement("kdf: one derivation", f"{cost}; median of {RUNS} ({spread})")]

    # libsodium runs without the GIL, so threads stand in for web workers deriving at once.
    for at_once in (2, 4):
        timings = []
        with ThreadPoolExecutor(max_workers=at_once) as pool:
            for _ in range(CONCURRENT_RUNS):
                batch = [kdf.KdfParams.current() for _ in range(at_once)]
                with timed() as timing:
                    list(pool.map(lambda params: kdf.derive_key("correct horse battery staple", params), batch))
                timings.append(timing)
        rows.append(
            _median(timings).measurement(
                f"kdf: {at_once} derivations at once", f"until the last one ends; median of {CONCURRENT_RUNS}"
            )
        )
    return rows
