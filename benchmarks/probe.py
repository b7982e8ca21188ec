"""The parts of `make bench` that run inside one installation: `python -m benchmarks.probe WHAT ARGS`.

benchmarks/__main__.py runs each in a process of its own with the installation's
environment (benchmarks/installation.py), and reads the one line of JSON it prints last.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.installation import cores

# One escalation pass: this many cases get a feedback deadline one minute before the
# pass, so that two steps (the reminder and the lead handler) are due on each.
TICK_CASES = 500
# The audit probe reads and hashes the leaves this many at a time.
AUDIT_CHUNK = 500_000


def kdf(runs: str) -> dict[str, Any]:
    """Seconds of one receipt key derivation at the configured cost (the median of RUNS)."""
    from ombuds.crypto import kdf as derivation

    derivation.derive_key("warm-up", derivation.KdfParams.current())
    seconds = []
    for run in range(int(runs)):
        params = derivation.KdfParams.current()
        started = time.perf_counter()
        derivation.derive_key(f"{run:028d}", params)
        seconds.append(time.perf_counter() - started)
    # As many derivations at once as there are cores (libsodium lets go of the interpreter): what
    # the cores really give together, which on a shared or memory-bound machine is less than cores ÷ one.
    from concurrent.futures import ThreadPoolExecutor

    at_once = cores()
    rounds = []
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        for _round in range(3):
            batch = [derivation.KdfParams.current() for _ in range(at_once)]
            started = time.perf_counter()
            list(pool.map(lambda params: derivation.derive_key("0" * 28, params), batch))
            rounds.append(time.perf_counter() - started)
    return {
        "seconds": statistics.median(seconds),
        "runs": len(seconds),
        "parallel_per_second": at_once / statistics.median(rounds),
    }


def session(email: str, logins_file: str) -> dict[str, Any]:
    """Cookies of a staff session as after her password and second factor, her key unlocked with her password.

    The password comes from the file seed-synthetic wrote. The session is made here, as
    the login would make it, so the benchmark measures the pages and not the login.
    """
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.http import HttpRequest
    from django.test import Client

    from ombuds.accounts import keys as staff_keys

    password = next(line.split()[1] for line in Path(logins_file).read_text().splitlines() if line.split()[0] == email)
    user = User.objects.get(username=email)
    client = Client()
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    record_authentication(request, user, "password", email=user.email)
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    record_authentication(request, user, "mfa", id=totp.pk, type=totp.type)
    pair = staff_keys.unlock(user, password).key_pair
    cookie = staff_keys.keep_in_session(request.session, user, pair)
    request.session.save()
    return {"cookies": {settings.SESSION_COOKIE_NAME: request.session.session_key, staff_keys.COOKIE: cookie}}


def cases(email: str, count: str) -> dict[str, Any]:
    """References of open cases this staff member may open, spread over the whole table."""
    from django.contrib.auth.models import User

    from ombuds.cases import access
    from ombuds.cases.models import Status

    user = User.objects.get(username=email)
    visible = access.visible_cases(user).exclude(status=Status.CLOSED).order_by("id")
    total = visible.count()
    step = max(1, total // int(count))
    references = list(visible.values_list("reference", flat=True)[: step * int(count) : step])
    return {"references": references, "visible_open": total}


def counts() -> dict[str, Any]:
    from ombuds.audit.models import AuditEvent
    from ombuds.cases.models import Case, Status

    return {
        "cases": Case.objects.count(),
        "open": Case.objects.exclude(status=Status.CLOSED).count(),
        "events": AuditEvent.objects.count(),
    }


def tick(until: str) -> dict[str, Any]:
    """Time one escalation pass at the end of the synthetic history, two steps made due on TICK_CASES cases.

    The synthetic history took every step due before its end, so the pass finds only
    the ones made due here: a feedback deadline a minute before the pass on open cases
    spread over the table.
    """
    from django.db import transaction

    from ombuds.cases import sweeps
    from ombuds.cases.models import Case, Status

    now = datetime.fromisoformat(until)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)  # `make bench` passes the day the history ends, as seed-synthetic takes it
    already = len(sweeps.due_steps(now))
    open_cases = Case.objects.exclude(status=Status.CLOSED).order_by("id")
    total = open_cases.count()
    step = max(1, total // TICK_CASES)
    chosen = list(open_cases.values_list("id", flat=True)[: step * TICK_CASES : step])
    with transaction.atomic():
        Case.objects.filter(id__in=chosen).update(
            feedback_due_at=now - timedelta(minutes=1), feedback_given_at=None, next_deadline_at=now
        )
    started = time.perf_counter()
    result = sweeps.sweep(now)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "steps": result.steps, "due_before": already, "open": total}


def audit() -> dict[str, Any]:
    """`ombuds audit verify`'s pass against hashlib over the same leaves, best of three rounds each.

    The leaves are read and hashed a chunk at a time (each chunk's loop timed three times,
    the fastest counted), so that memory stays bounded at twelve million events and more.
    """
    from django.db import connection

    from ombuds.audit import signing_key, verify
    from ombuds.audit.models import AuditEvent

    key = signing_key.read_key_file(signing_key.key_path()).verify_key
    sha256 = hashlib.sha256
    hashed, events = 0.0, 0
    table = AuditEvent._meta.db_table
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT leaf FROM {table} WHERE seq >= %s AND seq < %s ORDER BY seq",  # noqa: S608 - the model's table
                [events, events + AUDIT_CHUNK],
            )
            leaves = [row[0].encode() for row in cursor.fetchall()]
        if not leaves:
            break
        rounds = []
        for _round in range(3):
            started = time.perf_counter()
            for leaf in leaves:
                sha256(leaf).digest()
            rounds.append(time.perf_counter() - started)
        hashed += min(rounds)
        events += len(leaves)
        del leaves
    verifying, cpu = [], []
    for _round in range(3):
        started, cpu_started = time.perf_counter(), time.process_time()
        verdict = verify.verify(key)
        verifying.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        if not verdict.ok or verdict.events != events:
            raise RuntimeError(f"the synthetic audit log does not verify: {verdict.problems[:3]}")
    verified = min(verifying)
    return {
        "events": events,
        "hash_seconds": hashed,
        "verify_seconds": verified,
        "verify_cpu_seconds": min(cpu),
        "ratio": hashed / verified,
    }


def directory(people: str, scratch: str) -> dict[str, Any]:
    """Seconds to import a directory of PEOPLE people into an empty database, then a reorganisation of it."""
    from benchmarks.directory_import import write_directory
    from ombuds.directory.importer import import_directory

    first, second = Path(scratch) / "directory.csv", Path(scratch) / "reorganised.csv"
    write_directory(first, people=int(people))
    write_directory(second, people=int(people), reorganised=True)
    started = time.perf_counter()
    result = import_directory(first)
    imported = time.perf_counter() - started
    if not result.ok or result.created != int(people):
        raise RuntimeError(f"the directory import did not create {people} people: {result.errors[:3]}")
    started = time.perf_counter()
    result = import_directory(second)
    reorganised = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"the reorganisation did not import: {result.errors[:3]}")
    return {"import_seconds": imported, "reorganisation_seconds": reorganised, "moves": len(result.manager_changes)}


def analytics(until: str) -> dict[str, Any]:
    """Seconds to compute the oversight dashboard for the whole organisation over the year before `until`.

    The median of three runs in this process: the grouped queries and the suppression, not the page.
    seed-synthetic decides and keeps the months' sheets (ombuds.analytics.sheets) as the
    sweeper does ahead of a real dashboard; the first run decides whatever is left (the
    present, if its counts moved since, or a month the preparation's period did not
    cover) and its time is reported as `first_seconds`.
    """
    from datetime import date

    from ombuds.analytics import figures
    from ombuds.analytics.suppress import ROOT

    period = figures.Period.last_twelve_months(date.fromisoformat(until[:10]) - timedelta(days=1))
    seconds = []
    for _run in range(3):
        started = time.perf_counter()
        board = figures.build(period=period, scope=ROOT, reduced=False)
        seconds.append(time.perf_counter() - started)
    total = board.figure("category").total
    return {
        "seconds": statistics.median(seconds),
        "first_seconds": seconds[0],
        "cases_in_year": total.count if total else 0,
    }


def linking() -> dict[str, Any]:
    """What match keys and linking add to one filing (benchmarks/linking.py), over 20,000 reports naming someone."""
    from benchmarks import linking as filing

    figures, _rows = filing.measure()
    return figures


PROBES: dict[str, Callable[..., dict[str, Any]]] = {
    "analytics": analytics,
    "linking": linking,
    "kdf": kdf,
    "session": session,
    "cases": cases,
    "counts": counts,
    "tick": tick,
    "audit": audit,
    "directory": directory,
}


def main() -> int:
    import django

    django.setup()
    what, *args = sys.argv[1:]
    print(json.dumps(PROBES[what](*args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
