"""Wrong receipts are limited in memory: never racing past the limit, never locking out a right receipt,
and never leaving anything derived from the client's address in the database."""

from __future__ import annotations

import hashlib
import hmac
import os
import threading

from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from ombuds.intake import throttle
from tests.support import FileReport

WRONG = "1111-2222-3333-4444-5555-6666-7777"
OFFICE = "198.51.100.7"  # one corporate address shared by many colleagues


class YieldingCounts(dict[str, int]):
    """The count table, handing the processor to another thread between reading a count and writing it.

    Without a lock around increment-then-compare, concurrent guesses would then all read the
    same count and slip past the limit together.
    """

    def get(self, key: str, default: int | None = None) -> int | None:  # type: ignore[override]
        value = super().get(key, default)
        os.sched_yield()
        return value


def test_concurrent_wrong_receipts_cannot_exceed_the_limit(settings, monkeypatch) -> None:
    settings.OMBUDS_RECEIPT_ATTEMPTS = 10
    monkeypatch.setattr(throttle, "_failures", YieldingCounts())
    request = RequestFactory().post("/return/", REMOTE_ADDR=OFFICE)
    threads = 64
    start = threading.Barrier(threads)
    allowed: list[bool] = []

    def guess() -> None:
        start.wait()
        for _ in range(20):
            allowed.append(throttle.count_failure(request))

    workers = [threading.Thread(target=guess) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(allowed) == threads * 20
    assert allowed.count(True) == 10


def test_a_right_receipt_opens_from_an_address_over_the_limit(settings, file_report: FileReport) -> None:
    settings.OMBUDS_RECEIPT_ATTEMPTS = 2
    receipt = file_report().receipt
    colleague, reporter = Client(REMOTE_ADDR=OFFICE), Client(REMOTE_ADDR=OFFICE)
    assert [colleague.post("/return/", {"receipt": WRONG}).status_code for _ in range(4)] == [400, 400, 429, 429]
    opened = reporter.post("/return/", {"receipt": receipt})
    assert opened.status_code == 302
    assert opened["Location"] == "/status/"
    assert reporter.get("/status/").status_code == 200
    # Her success lifts nothing for the guesser.
    assert colleague.post("/return/", {"receipt": WRONG}).status_code == 429


def test_a_right_receipt_opens_a_session_through_the_api_from_an_address_over_the_limit(
    settings, file_report: FileReport
) -> None:
    settings.OMBUDS_RECEIPT_ATTEMPTS = 1
    receipt = file_report().receipt
    client = Client(REMOTE_ADDR=OFFICE)

    def session(value: str) -> int:
        return client.post("/api/v1/reporter/session", {"receipt": value}, content_type="application/json").status_code

    assert [session(WRONG), session(WRONG), session(WRONG)] == [401, 429, 429]
    assert session(receipt) == 200


def test_other_addresses_are_counted_apart(settings, file_report: FileReport) -> None:
    settings.OMBUDS_RECEIPT_ATTEMPTS = 1
    file_report()
    assert Client(REMOTE_ADDR=OFFICE).post("/return/", {"receipt": WRONG}).status_code == 400
    assert Client(REMOTE_ADDR=OFFICE).post("/return/", {"receipt": WRONG}).status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.9").post("/return/", {"receipt": WRONG}).status_code == 400


def test_one_ipv6_client_is_counted_by_its_64_prefix(settings) -> None:
    settings.OMBUDS_RECEIPT_ATTEMPTS = 1
    factory = RequestFactory()
    assert throttle.count_failure(factory.post("/", REMOTE_ADDR="2001:db8:1:2::1"))
    assert not throttle.count_failure(factory.post("/", REMOTE_ADDR="2001:db8:1:2:ffff::9"))
    assert throttle.count_failure(factory.post("/", REMOTE_ADDR="2001:db8:1:3::1"))


def _everything_stored() -> dict[str, list[tuple[object, ...]]]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        stored = {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (names from the schema)
            stored[table] = sorted(map(repr, cursor.fetchall()))
    return stored  # type: ignore[return-value]


def test_wrong_receipts_store_nothing_derived_from_the_address(settings, file_report: FileReport) -> None:
    settings.OMBUDS_RECEIPT_ATTEMPTS = 3
    file_report()
    before = _everything_stored()
    client = Client(REMOTE_ADDR=OFFICE)
    for _ in range(5):
        client.post("/return/", {"receipt": WRONG})
        client.post("/api/v1/reporter/session", {"receipt": WRONG}, content_type="application/json")
    after = _everything_stored()
    assert after == before, "a wrong receipt changed the database"
    # The digest the old table kept, which the receipt key turned back into the address.
    window = int(timezone.now().timestamp()) // settings.OMBUDS_RECEIPT_WINDOW_SECONDS
    digest = hmac.new(
        settings.OMBUDS_RECEIPT_KEY.encode(), f"throttle:{window}:{OFFICE}".encode(), hashlib.sha256
    ).hexdigest()
    assert digest not in repr(after)
    assert OFFICE not in repr(after)
