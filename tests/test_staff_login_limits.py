"""Wrong staff passwords: locked per account and address, slowed down per account, records kept a while.

A stranger must not be able to lock a staff member out of her account: a lock holds
only for the address the wrong passwords came from, and what holds for the account
itself is a short wait, never a lock.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client

from ombuds.accounts.sweep import purge_login_records
from ombuds.core.sweep import run as sweep
from tests.support import make_staff

pytestmark = pytest.mark.django_db

LOGIN = "/staff/accounts/login/"
PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WAIT = re.compile(r"Wait (\d+) seconds? and try again")


def _attempt(address: str, password: str, email: str = "h@example.org"):
    return Client(REMOTE_ADDR=address).post(LOGIN, {"login": email, "password": password})


def _accepted(response) -> bool:
    """The password was right: the login goes on to the second factor (or is done)."""
    return response.status_code == 302 and response["Location"] in ("/staff/accounts/2fa/authenticate/", "/staff/")


def _wait(response) -> int | None:
    found = WAIT.search(response.content.decode())
    return int(found.group(1)) if found else None


def test_wrong_passwords_from_one_address_do_not_lock_out_the_right_one_from_another(settings) -> None:
    make_staff("h@example.org", "handler")
    with time_machine.travel(T0, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            last = _attempt("198.51.100.7", "wrong")
        assert last.status_code == 429  # that address is locked for this account
        assert not _accepted(_attempt("198.51.100.7", PASSWORD))
        assert _accepted(_attempt("203.0.113.5", PASSWORD))


def test_guessing_from_many_addresses_is_slowed_down_per_account_never_locked(settings, time_machine) -> None:
    settings.OMBUDS_LOGIN_SLOWDOWN_AFTER = 3
    settings.OMBUDS_LOGIN_SLOWDOWN_MAX_SECONDS = 8
    make_staff("h@example.org", "handler")
    time_machine.move_to(T0, tick=False)
    for i in range(3):
        assert _wait(_attempt(f"198.51.100.{i}", "wrong")) is None
    told = _attempt("203.0.113.5", PASSWORD)
    assert _wait(told) == 1
    assert not _accepted(told)
    # Each further failure doubles the wait, up to the maximum.
    waits = []
    now = T0
    for i in range(5):
        now += timedelta(seconds=8)
        time_machine.move_to(now, tick=False)
        assert _wait(_attempt(f"198.51.101.{i}", "wrong")) is None
        waits.append(_wait(_attempt("198.51.102.1", "wrong")))
    assert waits == [2, 4, 8, 8, 8]
    # A refused attempt is not counted, and once the wait is over the right password works.
    failures = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    _attempt("198.51.102.2", "wrong")
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == failures
    time_machine.move_to(now + timedelta(seconds=8), tick=False)
    assert _accepted(_attempt("203.0.113.5", PASSWORD))


def test_an_address_she_logged_in_from_before_is_not_slowed_down(settings, time_machine) -> None:
    settings.OMBUDS_LOGIN_SLOWDOWN_AFTER = 3
    make_staff("a@example.org", "administrator", totp=False)
    time_machine.move_to(T0 - timedelta(days=2), tick=False)
    assert _accepted(_attempt("203.0.113.5", PASSWORD, "a@example.org"))
    time_machine.move_to(T0, tick=False)
    for i in range(6):
        _attempt(f"198.51.100.{i}", "wrong", "a@example.org")
    assert _wait(_attempt("192.0.2.1", PASSWORD, "a@example.org")) is not None
    assert _accepted(_attempt("203.0.113.5", PASSWORD, "a@example.org"))


def test_the_sweeper_deletes_login_records_after_the_retention_period(settings) -> None:
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    settings.OMBUDS_LOGIN_RECORD_RETENTION_DAYS = 30
    make_staff("a@example.org", "administrator", totp=False)
    with time_machine.travel(T0, tick=False):
        assert _accepted(_attempt("203.0.113.5", PASSWORD, "a@example.org"))
        _attempt("198.51.100.7", "wrong", "a@example.org")
    kinds = (AccessLog, AccessAttempt, AccessFailureLog)
    assert all(model.objects.filter(attempt_time=T0).exists() for model in kinds)
    sweep(T0 + timedelta(days=29))
    assert all(model.objects.filter(attempt_time=T0).exists() for model in kinds)
    sweep(T0 + timedelta(days=31))
    assert not any(model.objects.exists() for model in kinds)


def test_purging_says_how_many_records_went(settings) -> None:
    make_staff("a@example.org", "administrator", totp=False)
    with time_machine.travel(T0, tick=False):
        assert _accepted(_attempt("203.0.113.5", PASSWORD, "a@example.org"))
        _attempt("198.51.100.7", "wrong", "a@example.org")
    later = T0 + timedelta(days=settings.OMBUDS_LOGIN_RECORD_RETENTION_DAYS, seconds=1)
    assert purge_login_records(later - timedelta(seconds=2)) == 0
    assert purge_login_records(later) >= 2
