"""What `make bench` reports: the keys of bench/results/latest.json, their targets, and the writer that checks them.

A run that lost a figure must fail loudly rather than write a file that looks complete:
`write` refuses a result without every key of KEYS (CI runs the small scale for this).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Key:
    name: str
    what: str
    # "<=" or ">=" and the bound; None for a figure that is reported, not judged.
    target: tuple[str, float] | None


KEYS: tuple[Key, ...] = (
    Key("intake.kdf_bound_ratio", "reports filed per second at concurrency 8 ÷ (cores ÷ KDF seconds)", (">=", 0.8)),
    Key("intake.p95_ms", "one filing at concurrency 1, 95th percentile", None),
    Key("intake.p50_ms", "one filing at concurrency 1, median", None),
    Key(
        "receipt_login.kdf_bound_ratio",
        "receipt logins per second at concurrency 8 ÷ (cores ÷ KDF seconds)",
        (">=", 0.8),
    ),
    Key("inbox.scale_ratio", "p95 of a handler's overdue inbox page, large ÷ small database", ("<=", 2.0)),
    Key("case_page.scale_ratio", "p95 of opening one case page, large ÷ small database", ("<=", 1.5)),
    Key("deadline_tick.scale_ratio", "one escalation pass with 1,000 steps due, large ÷ small database", ("<=", 2.0)),
    Key(
        "analytics.scale_ratio",
        "the oversight dashboard for the whole organisation over one year, large ÷ small database",
        ("<=", 2.0),
    ),
    Key("audit_verify.hash_ratio", "events verified per second ÷ leaves hashed per second by hashlib", (">=", 0.33)),
    Key("memory.web_rss_mb", "resident memory of one web worker after the inbox benchmark", ("<=", 150.0)),
    Key("startup.seconds", "from starting the server to the first page", None),
    Key(
        "linking.filing_ms",
        "match keys and linking added to one filing that raises a repeat-offender alert, median",
        ("<=", 10.0),
    ),
    Key(
        "registry.check_ms",
        "one shared-registry check on 127.0.0.1 (VOPRF round trip and lookup), median",
        ("<=", 50.0),
    ),
)


class IncompleteResult(ValueError):
    """A result lacks a key of KEYS, or holds one that is not a finite number."""


def missing(figures: dict[str, Any]) -> list[str]:
    """The keys of KEYS that `figures` lacks or holds as something other than a finite number."""
    return [
        key.name
        for key in KEYS
        if not isinstance(figures.get(key.name), int | float)
        or isinstance(figures.get(key.name), bool)
        or not math.isfinite(figures[key.name])
    ]


def meets(key: Key, value: float) -> bool | None:
    if key.target is None:
        return None
    sign, bound = key.target
    return value <= bound if sign == "<=" else value >= bound


def write(path: Path, result: dict[str, Any]) -> None:
    """Write the result as JSON, refusing one whose "figures" lack a key (nothing is written then)."""
    lacking = missing(result.get("figures", {}))
    if lacking:
        raise IncompleteResult(f"the benchmark result lacks {', '.join(lacking)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def table(figures: dict[str, Any]) -> str:
    """The figures as a readable table: key, value, target, and whether it is met."""
    rows = [("key", "value", "target", "")]
    for key in KEYS:
        value = figures.get(key.name)
        shown = "missing" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
        target = "reported" if key.target is None else f"{key.target[0]} {key.target[1]:g}"
        verdict = "" if value is None else {True: "met", False: "MISSED", None: ""}[meets(key, float(value))]
        rows.append((key.name, shown, target, verdict))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
