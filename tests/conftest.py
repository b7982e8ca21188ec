"""Shared fixtures: reporters file through the real actions, never by writing models."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
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


@pytest.fixture
def reporter_client() -> Client:
    return Client()


FileReport = Callable[..., actions.FiledReport]


def release_audit_batch() -> int:
    """Let an anonymous reporter's waiting audit events enter the log, as the next batch boundary would."""
    from datetime import UTC, datetime

    from ombuds.audit import log

    return log.release_pending(datetime(9999, 1, 1, tzinfo=UTC))


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

    from ombuds.accounts import keys as staff_keys

    user = User.objects.create_user(username=email, email=email, password=STAFF_PASSWORD)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if totp:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        user.totp_secret = secret  # type: ignore[attr-defined]
    # As after her first login: her key pair made, and unlocked for what this object does.
    staff_keys.attach(user, staff_keys.unlock(user, STAFF_PASSWORD).key_pair)
    return user


STAFF_PASSWORD = "correct horse battery staple"


def _unlock_in_session(client: Client, request: Any, user: Any) -> None:
    """What the login does with her password: her key in the session, its opener in a cookie."""
    from ombuds.accounts import keys as staff_keys

    pair = staff_keys.attached(user) or staff_keys.unlock(user, STAFF_PASSWORD).key_pair
    client.cookies[staff_keys.COOKIE] = staff_keys.keep_in_session(request.session, user, pair)


def client_for(user) -> Client:
    """A browser session logged in as after password and second factor (a TOTP code).

    ombuds checks that the session itself passed the second factor: allauth records each
    step in the session, and so does this. For a user without TOTP only the password is
    recorded, as after a real login.
    """
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from django.http import HttpRequest

    client = Client()
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    record_authentication(request, user, "password", email=user.email)
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is not None:
        record_authentication(request, user, "mfa", id=totp.pk, type=totp.type)
    _unlock_in_session(client, request, user)
    request.session.save()
    return client


def password_only_client(user) -> Client:
    """A session that typed only the password: logged in, no second factor recorded."""
    from allauth.account.internal.flows.login import record_authentication
    from django.http import HttpRequest

    client = Client()
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    record_authentication(request, user, "password", email=user.email)
    _unlock_in_session(client, request, user)
    request.session.save()
    return client


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
        return client_for(user)


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
