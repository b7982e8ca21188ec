"""Linking at filing time over 20,000 reports that already name someone (the budget is 10 ms per report).

What filing adds for a report naming one accused person by e-mail, phone and employee
number, from a named reporter: `matching.prepare` (directory lookup, four match keys
evaluated under the key file) and `matching.record` in the filing transaction (its
rows, the reports naming the same person, and the alert with its audit event, which a
named reporter's filing appends to the log at once). The person is already named by ten
other reports, so every run raises an alert: the dearest path. Each run is rolled
back, so every run meets the same database.
"""

from __future__ import annotations

import random
import statistics
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import Measurement, Timing, timed

if TYPE_CHECKING:
    from ombuds.cases.models import Case, Report

REPORTS = 20_000
BATCH = 5_000
ALREADY_NAMED = 10
RUNS = 101


def _case(number: int, received: datetime) -> tuple[Case, Report]:
    from ombuds.cases.models import Case, Report

    case = Case(
        reference=f"L-{number:08d}",
        category="bullying",
        anonymous=True,
        received_at=received,
        ack_due_at=received,
        feedback_due_at=received,
    )
    report = Report(case=case, receipt_digest=f"{number:064x}", role="affected", anonymous=True, submitted_at=received)
    return case, report


def _seed() -> list[bytes]:
    """20,000 cases whose reports name someone; the first ten name the person the runs name."""
    from django.utils import timezone

    from ombuds.cases.models import Case, Report
    from ombuds.crypto import match_keys, threshold
    from ombuds.linking import matching
    from ombuds.linking.models import Mention

    rng = random.Random(16)  # noqa: S311 - repeatable benchmark data, nothing secret
    now = timezone.now()
    scope = matching.scope()
    named = [
        match_keys.email("max.mustermann@example.com"),
        match_keys.phone("+442079460958"),
        match_keys.employee_number("E-1001", organisation=scope),
    ]
    his = [threshold.match_id(key) for key in match_keys.derive_here(named)]
    for start in range(0, REPORTS, BATCH):
        pairs = [_case(number, now - timedelta(days=rng.randint(0, 700))) for number in range(start, start + BATCH)]
        Case.objects.bulk_create([case for case, _report in pairs])
        Report.objects.bulk_create([report for _case, report in pairs])
        Mention.objects.bulk_create(
            [
                Mention(
                    match_id=his[0] if start + index < ALREADY_NAMED else rng.randbytes(32),
                    case=case,
                    report=report,
                    position=1,
                )
                for index, (case, report) in enumerate(pairs)
            ]
        )
    return his


def _median_row(timings: list[Timing], name: str, what: str) -> Measurement:
    ordered = sorted(timings, key=lambda timing: timing.seconds)
    cpu = statistics.median(timing.cpu_seconds * 1000 for timing in timings)
    wall = [timing.seconds * 1000 for timing in ordered]
    note = (
        f"{wall[RUNS // 2]:.2f} ms wall, {cpu:.2f} ms CPU: medians of {RUNS} "
        f"(wall min {wall[0]:.2f}, max {wall[-1]:.2f}); {REPORTS} reports stored, {what}"
    )
    return ordered[RUNS // 2].measurement(name, note)


def _runs(accused: list[Any]) -> tuple[list[Timing], int]:
    from django.db import transaction
    from django.utils import timezone

    from ombuds.cases.models import Case, Report
    from ombuds.linking import matching

    timings: list[Timing] = []
    alerts = 0
    for run in range(RUNS + 1):
        with transaction.atomic():
            case, report = _case(REPORTS + run, timezone.now())
            Case.objects.bulk_create([case])
            Report.objects.bulk_create([report])
            with timed() as timing:
                prepared = matching.prepare(accused=accused, reporter_name="Anna Example", reporter_contact="")
                alert = matching.record(prepared, case=case, report=report, at=timezone.now())
            transaction.set_rollback(True)
        if run:  # the first run warms up: imports, the key file
            timings.append(timing)
            alerts += alert is not None
    return timings, alerts


def _medians(timings: list[Timing]) -> dict[str, float]:
    return {
        "ms": statistics.median(timing.seconds for timing in timings) * 1000,
        "cpu_ms": statistics.median(timing.cpu_seconds for timing in timings) * 1000,
    }


def measure() -> tuple[dict[str, Any], list[Measurement]]:
    """Both paths over the seeded reports: their medians (for `make bench`) and the table rows."""
    from ombuds.linking import matching

    _seed()
    known = matching.Accused(
        position=1, email="Max.Mustermann@example.com", phone="+44 20 7946 0958", employee_number="E-1001"
    )
    with_alert, alerts = _runs([known])
    assert alerts == RUNS, "every run should have raised an alert"
    unknown = matching.Accused(position=1, email="nobody.yet@example.com", phone="+4930123456")
    without_alert, alerts = _runs([unknown])
    assert alerts == 0
    figures = {
        "reports": REPORTS,
        "runs": RUNS,
        "alert": _medians(with_alert),
        "no_alert": _medians(without_alert),
    }
    rows = [
        _median_row(with_alert, "linking: one report naming a person named 10 times (alert)", "an alert every run"),
        _median_row(without_alert, "linking: one report naming a person nobody named", "no alert"),
    ]
    return figures, rows


def at_filing(scratch: Path) -> list[Measurement]:
    return measure()[1]
