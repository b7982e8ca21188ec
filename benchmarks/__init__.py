"""Timings of ombuds' heavy operations, run with `python -m benchmarks.micro`.

Each benchmark is a function in a module of this package that takes a scratch
directory and returns Measurement rows; benchmarks/micro.py lists them in
`registry()`. They run against a fresh SQLite database in a temporary directory and
never need the network.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measurement:
    name: str
    seconds: float
    # Processor time of this process: on a busy machine it shows what wall time hides.
    cpu_seconds: float
    # ru_maxrss: the most memory the process has held so far, not only in this step.
    peak_rss_mib: float
    note: str = ""


Benchmark = Callable[[Path], list[Measurement]]


@dataclass
class Timing:
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_mib: float = 0.0

    def measurement(self, name: str, note: str = "") -> Measurement:
        return Measurement(name, self.seconds, self.cpu_seconds, self.peak_rss_mib, note)


@contextmanager
def timed() -> Iterator[Timing]:
    """Time the block with perf_counter and process time, and read the peak resident size after it."""
    timing = Timing()
    start, cpu_start = time.perf_counter(), time.process_time()
    yield timing
    timing.seconds = time.perf_counter() - start
    timing.cpu_seconds = time.process_time() - cpu_start
    # Linux reports kibibytes.
    timing.peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
