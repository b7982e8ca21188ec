"""Shared fixtures: reporters file through the real actions, never by writing models."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from ombuds.cases import actions
from ombuds.intake import flood, throttle


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


# --- Staff personas -------------------------------------------------------------------


def make_staff(email: str, *roles: str, totp: bool = True):
    """A staff user with roles and (by default) TOTP set up, as after a real first login."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username=email, email=email, password="correct horse battery staple")
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if totp:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        user.totp_secret = secret  # type: ignore[attr-defined]
    return user


class Personas:
    def __init__(self) -> None:
        self.handler = make_staff("handler@example.org", "handler")
        self.handler2 = make_staff("handler2@example.org", "handler")
        self.lead = make_staff("lead@example.org", "handler", "lead_handler")
        self.oversight = make_staff("oversight@example.org", "oversight")
        self.admin = make_staff("admin@example.org", "administrator", totp=False)
        self.auditor = make_staff("auditor@example.org", "auditor")
        self.outsider = make_staff("outsider@example.org", totp=False)

    def client_for(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client


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
