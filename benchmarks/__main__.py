"""`make bench` (`python -m benchmarks [--scale small|full]`): the speed and memory targets, measured as ratios.

Every figure comes from real server processes on 127.0.0.1 (gunicorn with the
production settings) over throw-away installations made here: SQLite files by default,
new databases on the PostgreSQL server of DATABASE_URL when it is set. Each ratio is
measured inside this one run, because the machines are shared and noisy. The result
goes to bench/results/latest.json (which names the database) and a table to standard
output; docs/performance.md explains each figure.

Scales: `small` (CI) compares 1,000 cases with 5,000; `full` compares 1,000 with
BENCH_CASES (1,000,000 unless set). Requests are bounded in number and in time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks import load, registry_check, results
from benchmarks.installation import PROJECT_ROOT, BenchError, Installation, cores

RESULT = PROJECT_ROOT / "bench" / "results" / "latest.json"
HANDLER = "handler1@synthetic.example"
# The inbox page measured: a handler's overdue cases, sorted by deadline (the inbox's order), 50 to a page.
INBOX = "/staff/?" + urlencode({"overdue": "on"})
REPORT = {
    "category": "bullying",
    "role": "affected",
    "narrative": "For three months my team lead has shouted at me in front of the others at the weekly meeting. "
    "Last week he told me I would be moved to the night shift if I complained.",
    "anonymous": True,
}
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Scale:
    small_cases: int
    large_cases: int
    page_requests: int
    filings: int
    single_filings: int
    seconds_per_run: float
    directory_people: int
    registry_entries: int
    # The dashboard's target compares the large history with 10,000 cases (docs/performance.md).
    analytics_small_cases: int

    def people(self, cases: int) -> int:
        # A directory about a fifth the size of the case history, at least big enough for the management tree.
        return max(200, min(cases // 5, 200_000))


SCALES = {
    "small": Scale(1_000, 5_000, 30, 16, 8, 60, 5_000, 20_000, 1_000),
    "full": Scale(1_000, int(os.environ.get("BENCH_CASES", "1000000")), 200, 96, 30, 180, 100_000, 1_000_000, 10_000),
}


def _machine() -> dict[str, Any]:
    memory = 0.0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = next(line for line in meminfo.read_text().splitlines() if line.startswith("MemTotal:"))
        memory = int(total.split()[1]) / 1024 / 1024
    # The load average says how much of the machine was someone else's while the figures were taken.
    return {
        "cores": cores(),
        "ram_gib": round(memory, 1),
        "python": platform.python_version(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def _database(admin_url: str | None) -> str:
    if admin_url is None:
        import sqlite3

        return f"sqlite {sqlite3.sqlite_version}"
    import psycopg

    with psycopg.connect(admin_url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return f"postgresql {row[0] if row else '?'}"


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, scale: Scale, root: Path, admin_url: str | None) -> None:
        self.scale = scale
        self.root = root
        self.admin_url = admin_url
        self.workers = max(3, cores() + 1)
        self.figures: dict[str, float] = {}
        self.details: dict[str, Any] = {}
        self.until = datetime.now(UTC).strftime("%Y-%m-%d")
        self.installations: list[Installation] = []

    def installation(self, name: str, cases: int | None, *extra: str) -> Installation:
        made = Installation(self.root, name, self.admin_url, self.workers)
        self.installations.append(made)
        made.create()
        if cases is not None:
            _say(f"{name}: seeding {cases:,} cases")
            started = time.perf_counter()
            made.command(
                "seed-synthetic", "--cases", str(cases), "--people", str(self.scale.people(cases)),
                "--seed", "1", "--until", self.until, *extra, log="seed",
            )  # fmt: skip
            self.details[f"seed.{name}.seconds"] = time.perf_counter() - started
            self.details[f"seed.{name}"] = made.probe("counts")
        return made

    def pages(self, name: str, site: Installation) -> tuple[float, float]:
        """p95 of the inbox page and of case pages, in seconds, one request at a time."""
        cookies = site.probe("session", HANDLER, str(site.var_dir / "synthetic-logins.txt"))["cookies"]
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        found = site.probe("cases", HANDLER, str(self.scale.page_requests))
        references = found["references"]
        if not references:
            raise BenchError(f"{name}: the handler sees no open case")
        for _warm in range(3):
            load.send(site.port, load.Request("GET", INBOX, headers=headers))
        n = self.scale.page_requests
        inbox = load.run(
            site.port,
            lambda _i: load.Request("GET", INBOX, headers=headers),
            total=n,
            concurrency=1,
            seconds=self.scale.seconds_per_run,
        )
        rows = inbox.answers[-1].count(b"/staff/cases/C-")
        self.details[f"inbox.{name}"] = {
            "p95_ms": inbox.percentile(0.95) * 1000,
            "p50_ms": inbox.percentile(0.5) * 1000,
            "requests": len(inbox.latencies),
            "case_links_on_page": rows,
            "handler_sees_open": found["visible_open"],
        }
        case = load.run(
            site.port,
            lambda i: load.Request("GET", f"/staff/cases/{references[i % len(references)]}/", headers=headers),
            total=n,
            concurrency=1,
            seconds=self.scale.seconds_per_run,
        )
        self.details[f"case_page.{name}"] = {
            "p95_ms": case.percentile(0.95) * 1000,
            "p50_ms": case.percentile(0.5) * 1000,
            "requests": len(case.latencies),
        }
        return inbox.percentile(0.95), case.percentile(0.95)

    def intake(self, site: Installation, kdf_seconds: float) -> None:
        """Filings and receipt logins through the JSON API: at concurrency 8 for the rate, at 1 for the latency."""
        bound = cores() / kdf_seconds
        body = json.dumps(REPORT).encode()
        filing = load.Request("POST", "/api/v1/reports", body, JSON, expect=201)
        single = load.run(
            site.port,
            lambda _i: filing,
            total=self.scale.single_filings,
            concurrency=1,
            seconds=self.scale.seconds_per_run,
        )
        self.figures["intake.p95_ms"] = single.percentile(0.95) * 1000
        self.figures["intake.p50_ms"] = single.percentile(0.5) * 1000
        eight = load.run(
            site.port, lambda _i: filing, total=self.scale.filings, concurrency=8, seconds=self.scale.seconds_per_run
        )
        self.figures["intake.kdf_bound_ratio"] = eight.per_second / bound
        receipts = [json.loads(answer)["receipt"] for answer in single.answers + eight.answers]
        logins = load.run(
            site.port,
            lambda i: load.Request(
                "POST", "/api/v1/reporter/session", json.dumps({"receipt": receipts[i % len(receipts)]}).encode(), JSON
            ),
            total=len(receipts),
            concurrency=8,
            seconds=self.scale.seconds_per_run,
        )
        self.figures["receipt_login.kdf_bound_ratio"] = logins.per_second / bound
        parallel = self.details["kdf"]["parallel_per_second"]
        self.details["intake"] = {
            "kdf_seconds": kdf_seconds,
            "kdf_bound_per_second": bound,
            "filed_per_second_at_8": eight.per_second,
            "filings_at_8": len(eight.latencies),
            "filings_at_1": len(single.latencies),
            "logins_per_second_at_8": logins.per_second,
            "logins_at_8": len(logins.latencies),
            # The same rates against what the cores gave to derivations running at once, in this run.
            "filed_per_parallel_kdf": eight.per_second / parallel,
            "logins_per_parallel_kdf": logins.per_second / parallel,
        }

    def run(self) -> None:
        scale = self.scale
        small = self.installation("small", scale.small_cases)
        large = self.installation("large", scale.large_cases)
        derivations = small.probe("kdf", "5")
        kdf_seconds = float(derivations["seconds"])
        self.details["kdf"] = derivations

        _say("small: serving")
        small.start()
        try:
            small_inbox, small_case = self.pages("small", small)
            _say("small: filings and receipt logins")
            self.intake(small, kdf_seconds)
        finally:
            small.stop()

        _say("large: serving")
        self.figures["startup.seconds"] = large.start()
        try:
            large_inbox, large_case = self.pages("large", large)
            self.figures["memory.web_rss_mb"] = large.worker_rss_mb()
        finally:
            large.stop()
        self.figures["inbox.scale_ratio"] = large_inbox / small_inbox
        self.figures["case_page.scale_ratio"] = large_case / small_case

        _say("escalation passes")
        # 1,000 steps due among 1,000 open cases, against the same among every open case of the large history.
        all_open = self.installation("tick", 1_000, "--closed-share", "0")
        small_tick = all_open.probe("tick", self.until)
        large_tick = large.probe("tick", self.until)
        self.details["deadline_tick"] = {"small": small_tick, "large": large_tick}
        self.figures["deadline_tick.scale_ratio"] = large_tick["seconds"] / small_tick["seconds"]

        _say("analytics dashboard")
        against = small
        if scale.analytics_small_cases != scale.small_cases:
            against = self.installation("analytics", scale.analytics_small_cases)
        small_analytics = against.probe("analytics", self.until)
        small_analytics["cases"] = scale.analytics_small_cases
        large_analytics = large.probe("analytics", self.until)
        self.details["analytics"] = {"small": small_analytics, "large": large_analytics}
        self.figures["analytics.scale_ratio"] = large_analytics["seconds"] / small_analytics["seconds"]

        _say("large: audit verify")
        audit = large.probe("audit")
        self.details["audit_verify"] = audit
        self.figures["audit_verify.hash_ratio"] = audit["ratio"]

        _say(f"shared registry: a check among {scale.registry_entries:,} entries")
        check = registry_check.measure(
            self.root / "shared-registry", entries=scale.registry_entries, checks=scale.page_requests
        )
        self.details["registry_check"] = check
        self.figures["registry.check_ms"] = check["p50_ms"]

        _say("directory import")
        directory = self.installation("directory", None)
        self.details["directory_import"] = directory.probe(
            "directory", str(scale.directory_people), str(directory.root)
        ) | {"people": scale.directory_people}

        # In the same throw-away installation: it seeds 20,000 reports of its own, and rolls back each run.
        _say("linking at filing: match keys, links and the repeat-offender alert")
        filing = directory.probe("linking")
        self.details["linking"] = filing
        self.figures["linking.filing_ms"] = filing["alert"]["ms"]

    def close(self) -> None:
        for made in self.installations:
            made.stop()
            made.drop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    admin_url = os.environ.get("DATABASE_URL") or None
    scale = SCALES[args.scale]
    root = Path(tempfile.mkdtemp(prefix="ombuds-bench-"))
    started = time.perf_counter()
    load_before = _machine()["load_average"]
    bench = Bench(scale, root, admin_url)
    try:
        bench.run()
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        bench.close()
        shutil.rmtree(root, ignore_errors=True)
    result = {
        "database": _database(admin_url),
        "scale": args.scale,
        "cases": {"small": scale.small_cases, "large": scale.large_cases},
        "machine": _machine() | {"load_average_before": load_before},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "figures": bench.figures,
        "details": bench.details,
    }
    try:
        results.write(args.out, result)
    except results.IncompleteResult as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    print(f"{result['database']}, {scale.small_cases:,} and {scale.large_cases:,} cases, {result['machine']}")
    print(results.table(bench.figures))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
