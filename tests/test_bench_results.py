"""The benchmark result writer: a result lacking a key of the targets (docs/performance.md) is never written."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from benchmarks import results


def _complete() -> dict[str, object]:
    return {"database": "sqlite", "figures": {key.name: 1.0 for key in results.KEYS}}


def test_it_writes_a_result_that_has_every_key(tmp_path: Path) -> None:
    path = tmp_path / "results" / "latest.json"

    results.write(path, _complete())

    written = json.loads(path.read_text())
    assert set(written["figures"]) == {key.name for key in results.KEYS}
    assert written["database"] == "sqlite"


@pytest.mark.parametrize("key", [key.name for key in results.KEYS])
def test_it_refuses_a_result_missing_a_key(tmp_path: Path, key: str) -> None:
    result = _complete()
    figures = result["figures"]
    assert isinstance(figures, dict)
    del figures[key]
    path = tmp_path / "latest.json"

    with pytest.raises(results.IncompleteResult, match=re.escape(key)):
        results.write(path, result)
    assert not path.exists()


@pytest.mark.parametrize("value", [None, "fast", math.nan, True])
def test_it_refuses_a_figure_that_is_not_a_number(tmp_path: Path, value: object) -> None:
    result = _complete()
    figures = result["figures"]
    assert isinstance(figures, dict)
    figures["startup.seconds"] = value

    with pytest.raises(results.IncompleteResult, match=r"startup\.seconds"):
        results.write(tmp_path / "latest.json", result)


def test_the_keys_are_those_the_targets_name() -> None:
    assert [key.name for key in results.KEYS] == [
        "intake.kdf_bound_ratio",
        "intake.p95_ms",
        "intake.p50_ms",
        "receipt_login.kdf_bound_ratio",
        "inbox.scale_ratio",
        "case_page.scale_ratio",
        "deadline_tick.scale_ratio",
        "analytics.scale_ratio",
        "audit_verify.hash_ratio",
        "memory.web_rss_mb",
        "startup.seconds",
        "linking.filing_ms",
        "registry.check_ms",
    ]
