"""Shared fixtures: reporters file through the real actions, never by writing models.

The helpers the fixtures use, and that tests import, are in tests/support.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from ombuds.cases import actions
from ombuds.intake import flood, throttle
from tests.support import FileReport, Personas, release_audit_batch

# Speed is measured by benchmarks, never by a time limit in a test: hypothesis's default
# deadline per example fails tests on a busy machine for nothing they check.
hypothesis_settings.register_profile("ombuds", deadline=None)
hypothesis_settings.load_profile("ombuds")


@pytest.fixture(autouse=True)
def _forget_process_counts() -> None:
    """Counts kept in process memory (wrong receipts, the flood limits) start afresh in every test."""
    throttle.reset()
    flood.reset()


@pytest.fixture(autouse=True)
def _test_hosts(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    # Argon2 is deliberately slow; personas are made in every staff test. Production keeps Argon2
    # (tests/test_staff_login.py checks the configured hasher).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A request in Chinese leaves Chinese active in this thread; every test starts in English.
    translation.activate("en")


@pytest.fixture(scope="session")
def _file_store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("file-stores")


@pytest.fixture(autouse=True)
def _cheap_crypto(settings: Any, _file_store_root: Path) -> None:
    # Argon2id at its production cost takes a sixth of a second and 64 MiB per key; tests
    # that are about the cost set it themselves.
    settings.OMBUDS_KDF_OPSLIMIT = 1
    settings.OMBUDS_KDF_MEMLIMIT_MIB = 1
    # Every test gets its own file store, outside var/; it is created only when a file is stored.
    settings.OMBUDS_FILE_STORE_DIR = _file_store_root / secrets.token_hex(8)
    # And its own rehire registry key (made on first use), never the development key in var/.
    settings.OMBUDS_REHIRE_KEY_FILE = _file_store_root / secrets.token_hex(8) / "rehire_registry_key"


@pytest.fixture
def reporter_client() -> Client:
    return Client()


@pytest.fixture
def file_report(db: None) -> FileReport:
    """File a report through the real action, with defaults a test can override.

    An anonymous report's audit events wait for the next batch boundary
    (tests/test_audit_batches.py tests that); here they are released at once, so the
    tests of everything else see the trail as it stands after the batch.
    """

    def _file(**overrides: Any) -> actions.FiledReport:
        fields: dict[str, Any] = {
            "category": "sexual_harassment",
            "role": "affected",
            "narrative": "My manager kept touching my shoulders in meetings.",
            "anonymous": True,
        }
        fields.update(overrides)
        filed = actions.file_report(**fields)
        release_audit_batch()
        return filed

    return _file


@pytest.fixture
def staff(db: None) -> Personas:
    return Personas()


# --- A real SMTP listener on loopback ---------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes
        from email.policy import default

        message = message_from_bytes(envelope.content, policy=default)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    """Start an SMTP server on 127.0.0.1 and point ombuds' mailer at it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    yield inbox
    controller.stop()
