"""A receipt is only handed out for a stored report, even when the server is killed.

Sixteen clients file 200 reports through the API (the flood limit raised out of the
way) while the server's whole process group is killed with SIGKILL twice and started
again. Clients retry when the connection is refused or cut; a retried request may
store a duplicate, which is harmless. Every answer must be 201, and every receipt must
open its report after the last restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.realserver import RealServer, running_server

logger = logging.getLogger(__name__)

TOTAL = 200
CLIENTS = 16
KILL_AFTER = (60, 130)
TIME_LIMIT = 180.0
REQUEST_TIMEOUT = 30.0
RETRY_PAUSE = 0.02

REPORT: dict[str, Any] = {
    "category": "bullying",
    "role": "witness",
    "narrative": "Durability check: a colleague is shouted at in every team meeting.",
    "anonymous": True,
}

# The connection was refused, reset or closed before a whole answer arrived.
RETRYABLE = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


@dataclass
class Tally:
    deadline: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    claimed: int = 0
    statuses: list[int] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    connection_errors: int = 0

    def claim(self) -> bool:
        with self.lock:
            if self.claimed >= TOTAL:
                return False
            self.claimed += 1
            return True

    @property
    def collected(self) -> int:
        with self.lock:
            return len(self.receipts)


def _file_until_answered(base_url: str, tally: Tally, http: requests.Session) -> None:
    """File one report, retrying through connection failures until an HTTP answer comes."""
    while True:
        if time.monotonic() > tally.deadline:
            with tally.lock:
                tally.problems.append("time limit reached while retrying")
            return
        try:
            response = http.post(f"{base_url}/api/v1/reports", json=REPORT, timeout=REQUEST_TIMEOUT)
        except RETRYABLE:
            with tally.lock:
                tally.connection_errors += 1
            time.sleep(RETRY_PAUSE)
            continue
        except requests.RequestException as exc:
            with tally.lock:
                tally.problems.append(f"request failed: {type(exc).__name__}")
            return
        with tally.lock:
            tally.statuses.append(response.status_code)
        if response.status_code != 201:
            return
        receipt = response.json().get("receipt")
        with tally.lock:
            if isinstance(receipt, str) and receipt:
                tally.receipts.append(receipt)
            else:
                tally.problems.append("a 201 answer carried no receipt")
        return


def _client(base_url: str, tally: Tally) -> None:
    with requests.Session() as http:
        while tally.claim():
            _file_until_answered(base_url, tally, http)


def _opens_its_report(base_url: str, receipt: str) -> str | None:
    """None when the receipt opens its case, else what went wrong."""
    with requests.Session() as http:
        session = http.post(f"{base_url}/api/v1/reporter/session", json={"receipt": receipt}, timeout=REQUEST_TIMEOUT)
        if session.status_code != 200:
            return f"session answered {session.status_code}"
        token = session.json()["token"]
        case = http.get(
            f"{base_url}/api/v1/reporter/case", headers={"Authorization": f"Bearer {token}"}, timeout=REQUEST_TIMEOUT
        )
        if case.status_code != 200:
            return f"case answered {case.status_code}"
        if case.json().get("status") != "received":
            return "case is not in status received"
    return None


@pytest.fixture
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """The real server, with the flood limit on new reports far above what this test sends."""
    with running_server(tmp_path_factory.mktemp("real-server"), {"OMBUDS_NEW_REPORTS_PER_MINUTE": "100000"}) as server:
        yield server


@pytest.mark.server
def test_every_receipt_survives_two_kills(busy_server: RealServer) -> None:
    server = busy_server
    started = time.monotonic()
    tally = Tally(deadline=started + TIME_LIMIT)
    clients = [
        threading.Thread(target=_client, args=(server.base_url, tally), name=f"client-{i}", daemon=True)
        for i in range(CLIENTS)
    ]
    for thread in clients:
        thread.start()

    kills: list[tuple[int, float]] = []  # receipts collected when killed, seconds until serving again
    for threshold in KILL_AFTER:
        while tally.collected < threshold and time.monotonic() < tally.deadline:
            if not any(thread.is_alive() for thread in clients):
                break
            time.sleep(0.005)
        collected = tally.collected
        if collected < threshold:
            break
        before = time.monotonic()
        server.restart()
        kills.append((collected, time.monotonic() - before))

    for thread in clients:
        thread.join(timeout=max(0.0, tally.deadline - time.monotonic()) + REQUEST_TIMEOUT)
    filing_took = time.monotonic() - started
    logger.info(
        "filing took %.1fs; kills (receipts collected, seconds until serving again): %s; connection errors: %d",
        filing_took,
        [(collected, round(downtime, 2)) for collected, downtime in kills],
        tally.connection_errors,
    )

    assert not any(thread.is_alive() for thread in clients), f"clients still running after {TIME_LIMIT:.0f}s"
    statuses = Counter(tally.statuses)
    assert set(statuses) == {201}, f"answers other than 201: {dict(statuses)}"
    assert tally.problems == [], Counter(tally.problems)
    assert len(kills) == len(KILL_AFTER), f"the server was killed {len(kills)} times, not {len(KILL_AFTER)}"
    assert all(collected < TOTAL for collected, _ in kills), "a kill came after all reports were filed"
    assert tally.connection_errors > 0, "no client noticed a kill; the test did not exercise a crash"
    assert len(tally.receipts) == TOTAL
    assert len(set(tally.receipts)) == TOTAL, "a receipt was handed out twice"
    assert filing_took < TIME_LIMIT

    stored = server.query("SELECT COUNT(*) FROM cases_report")[0][0]
    logger.info("reports stored: %d (duplicates from retried requests: %d)", stored, stored - TOTAL)
    assert TOTAL <= stored <= TOTAL + tally.connection_errors

    with ThreadPoolExecutor(max_workers=8) as pool:
        failures = [
            result
            for result in pool.map(lambda receipt: _opens_its_report(server.base_url, receipt), tally.receipts)
            if result is not None
        ]
    assert failures == [], f"{len(failures)} receipts do not open their report: {Counter(failures)}"
    assert time.monotonic() - started < TIME_LIMIT + 60
