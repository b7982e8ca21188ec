"""Requests against a running server, bounded in number and in time, at a fixed concurrency."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.installation import HOST, BenchError


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200


@dataclass
class Run:
    latencies: list[float]
    seconds: float
    answers: list[bytes]

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """The latency below which `share` of the requests fell (nearest rank), in seconds."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def send(port: int, request: Request) -> bytes:
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        conn.request(request.method, request.path, body=request.body, headers=request.headers)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != request.expect:
        raise BenchError(f"{request.method} {request.path} answered {response.status}, not {request.expect}")
    return body


def run(port: int, make: Callable[[int], Request], *, total: int, concurrency: int, seconds: float) -> Run:
    """Send up to `total` requests, `concurrency` at a time, starting none after `seconds`; every one must succeed."""
    lock = threading.Lock()
    taken = 0
    latencies: list[float] = []
    answers: list[bytes] = []
    failures: list[BaseException] = []
    started = time.perf_counter()
    stop_at = started + seconds

    def worker() -> None:
        nonlocal taken
        while True:
            with lock:
                if taken >= total or failures or time.perf_counter() > stop_at:
                    return
                number = taken
                taken += 1
            request = make(number)
            began = time.perf_counter()
            try:
                body = send(port, request)
            except (BenchError, OSError, http.client.HTTPException) as exc:
                with lock:
                    failures.append(exc)
                return
            with lock:
                latencies.append(time.perf_counter() - began)
                answers.append(body)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise BenchError(f"a request failed: {failures[0]}")
    if not latencies:
        raise BenchError("no request finished within the time allowed")
    return Run(latencies, elapsed, answers)
