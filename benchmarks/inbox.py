"""The staff inbox over 100,000 cases: first page, filters, and how many queries each takes."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks import Measurement, timed

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.test import Client

CASES = 100_000
BATCH = 5_000


def _seed() -> tuple[User, User]:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from ombuds.cases.models import Case, Category, Status

    lead = User.objects.create_user(username="lead@bench.example", email="lead@bench.example")
    lead.groups.add(Group.objects.get_or_create(name="lead_handler")[0])
    handler = User.objects.create_user(username="h@bench.example", email="h@bench.example")
    handler.groups.add(Group.objects.get_or_create(name="handler")[0])
    for user in (lead, handler):
        TOTP.activate(user, generate_totp_secret())
    rng = random.Random(7)  # noqa: S311 - repeatable benchmark data, nothing secret
    now = timezone.now()
    statuses = [Status.RECEIVED, Status.ACKNOWLEDGED, Status.ASSESSMENT, Status.INVESTIGATION, Status.CLOSED]
    # Rows are inserted in bulk: going through actions.file_report 100,000 times would
    # measure the seeding, not the inbox.
    for start in range(0, CASES, BATCH):
        rows = []
        for number in range(start, min(start + BATCH, CASES)):
            received = now - timedelta(days=rng.randint(0, 700))
            status = rng.choice(statuses)
            ack_due = received + timedelta(days=7)
            rows.append(
                Case(
                    reference=f"B-{number:08d}",
                    category=rng.choice(Category.values),
                    status=status,
                    anonymous=rng.random() < 0.6,
                    received_at=received,
                    ack_due_at=ack_due,
                    feedback_due_at=ack_due + timedelta(days=90),
                    next_deadline_at=None if status == Status.CLOSED else ack_due,
                    assignee=handler if rng.random() < 0.05 else None,
                )
            )
        Case.objects.bulk_create(rows)
    return lead, handler


def _logged_in(user: User) -> Client:
    """A session that passed the password and the second factor, as staff pages demand."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from django.http import HttpRequest
    from django.test import Client

    client = Client()
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    record_authentication(request, user, "mfa", id=totp.pk, type=totp.type)
    request.session.save()
    return client


def inbox_100k(scratch: Path) -> list[Measurement]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with timed() as seeding:
        lead, handler = _seed()
    results = [seeding.measurement(f"seed {CASES:,} cases (bulk insert)")]
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    views = [
        ("inbox, lead, first page", lead, "/staff/"),
        ("inbox, lead, page 1000", lead, "/staff/?page=1000"),
        ("inbox, lead, overdue", lead, "/staff/?overdue=on"),
        ("inbox, lead, category + due in 7 days", lead, "/staff/?category=bullying&due_within=7"),
        ("inbox, handler, own + pool", handler, "/staff/"),
        ("inbox, handler, assigned to me", handler, "/staff/?mine=on"),
    ]
    for name, user, path in views:
        client = _logged_in(user)
        client.get(path)  # warm the connection and template caches
        best = None
        for _ in range(5):
            with timed() as timing, CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            if best is None or timing.seconds < best.seconds:
                best = timing
                count = len(queries.captured_queries)
        assert best is not None
        results.append(best.measurement(name, f"{count} queries, best of 5"))
    return results
