"""Shared fixtures: reporters file through the real actions, never by writing models."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ombuds.cases import actions


@pytest.fixture(autouse=True)
def _test_hosts(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]


@pytest.fixture
def reporter_client() -> Client:
    return Client()


FileReport = Callable[..., actions.FiledReport]


@pytest.fixture
def file_report(db: None) -> FileReport:
    """File a report through the real action, with defaults a test can override."""

    def _file(**overrides: Any) -> actions.FiledReport:
        fields: dict[str, Any] = {
            "category": "sexual_harassment",
            "role": "affected",
            "narrative": "My manager kept touching my shoulders in meetings.",
            "anonymous": True,
        }
        fields.update(overrides)
        return actions.file_report(**fields)

    return _file


RECEIPT_RE = re.compile(r'id="receipt"[^>]*>\s*([0-9-]+)\s*<')


def receipt_from(html: bytes) -> str:
    match = RECEIPT_RE.search(html.decode())
    assert match, "the page shows no receipt"
    return match.group(1)
