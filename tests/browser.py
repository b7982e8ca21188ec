"""Driving Debian's chromium through Playwright, for the browser tests.

Shared by every browser test: the launch (headless, no sandbox, nothing but the
loopback server resolves), and the staff helpers (accounts made in the real server's
database, the password and TOTP login, the case page's steps). Without /usr/bin/chromium
the tests fail, unless OMBUDS_SKIP_BROWSER=1 says the browser is knowingly absent.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from playwright.sync_api import expect, sync_playwright

from tests.realserver import PROJECT_ROOT, RealServer

CHROMIUM = Path("/usr/bin/chromium")


SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"


TIMEOUT_MS = 15_000


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Nothing but the loopback server resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


@contextmanager
def chromium(args: list[str] = CHROMIUM_ARGS) -> Iterator[Any]:
    """Debian's chromium, headless, with `args`; fails clearly when it is not installed."""
    if not CHROMIUM.exists():
        if os.environ.get("OMBUDS_SKIP_BROWSER") == "1":
            pytest.skip("OMBUDS_SKIP_BROWSER=1 and /usr/bin/chromium is not installed")
        pytest.fail(
            "/usr/bin/chromium is not installed: install Debian's chromium package "
            "(apt-get install chromium), or set OMBUDS_SKIP_BROWSER=1 to skip the browser tests"
        )

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


# A code is typed only with this many seconds of its 30-second window left, so it is
# still valid when the server checks it (allauth accepts the current window only).
CODE_MARGIN_S = 5.0


CODE_WAIT_S = 35.0


# (secret, counter) pairs already sent: allauth refuses a code used before.
_USED_CODES: set[tuple[str, int]] = set()


# Runs in the server's environment, so the users land in the server's database.
_CREATE_STAFF = """
import json, sys
import django
django.setup()
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from ombuds.accounts.actions import create_staff
from ombuds.accounts.roles import Role
secrets = {}
for email, password, roles in json.loads(sys.argv[1]):
    user = create_staff(email=email, name="", roles=[Role(r) for r in roles], password=password)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    secrets[email] = secret
print("STAFF " + json.dumps(secrets))
"""


@dataclass(frozen=True)
class StaffLogin:
    email: str
    password: str
    totp_secret: str


def create_staff(server: RealServer, people: dict[str, tuple[str, ...]]) -> dict[str, StaffLogin]:
    """Staff users with roles, a password and TOTP, created in the server's own database."""
    passwords = {email: "pw-" + secrets.token_urlsafe(18) for email in people}
    spec = [[email, passwords[email], list(roles)] for email, roles in people.items()]
    result = subprocess.run(
        [sys.executable, "-c", _CREATE_STAFF, json.dumps(spec)],
        cwd=PROJECT_ROOT,
        env=server.environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"creating staff failed ({result.returncode}):\n{result.stderr[-3000:]}"
    lines = [line for line in result.stdout.splitlines() if line.startswith("STAFF ")]
    assert len(lines) == 1, "creating staff printed no secrets"
    totp = json.loads(lines[0].removeprefix("STAFF "))
    return {email: StaffLogin(email, passwords[email], totp[email]) for email in people}


def totp_code(secret: str) -> str:
    """The code for the current window, never one already sent; waits for a fresh window if needed."""
    period: int = mfa_settings.TOTP_PERIOD
    deadline = time.monotonic() + CODE_WAIT_S
    while True:
        now = time.time()
        counters = list(yield_hotp_counters_from_time())
        counter = counters[len(counters) // 2]
        left = period - (now % period)
        if counter == int(now) // period and left >= CODE_MARGIN_S and (secret, counter) not in _USED_CODES:
            _USED_CODES.add((secret, counter))
            code: str = format_hotp_value(hotp_value(secret, counter))
            return code
        if time.monotonic() > deadline:
            pytest.fail(f"no unused TOTP window came within {CODE_WAIT_S:.0f}s")
        time.sleep(0.2)


def wrong_code(secret: str) -> str:
    """A well-formed code that no window near now accepts."""
    now = int(time.time()) // mfa_settings.TOTP_PERIOD
    near = {format_hotp_value(hotp_value(secret, now + step)) for step in range(-2, 3)}
    while True:
        code = f"{secrets.randbelow(10**mfa_settings.TOTP_DIGITS):0{mfa_settings.TOTP_DIGITS}}"
        if code not in near:
            return code


def new_page(browser: Any, *, javascript: bool) -> tuple[Any, Any]:
    context = browser.new_context(java_script_enabled=javascript, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def submit(page: Any, button: Any) -> int:
    """Click a form's submit button; the status of the POST, once the page it leads to has loaded."""
    with (
        page.expect_navigation(),
        page.expect_response(
            lambda response: response.request.method == "POST" and response.request.resource_type == "document"
        ) as posted,
    ):
        button.click()
    status: int = posted.value.status
    return status


def flash(page: Any) -> Any:
    return page.locator("ul.flash")


def step(page: Any, label: str) -> Any:
    """The <details class="step"> whose summary is exactly `label`."""
    summary = page.locator("summary").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    return page.locator("details.step").filter(has=summary)


def open_step(page: Any, label: str) -> Any:
    details = step(page, label)
    expect(details).to_have_count(1)
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    expect(details).to_have_attribute("open", "")
    return details


def take_step(page: Any, label: str, fields: dict[str, str] | None = None, *, expected: int = 302) -> None:
    details = open_step(page, label)
    for name, value in (fields or {}).items():
        # each step's form fields carry the step's prefix, e.g. "propose_closure-reason"
        field = details.locator(f'[name$="-{name}"]')
        if field.first.get_attribute("type") == "radio":
            details.locator(f'[name$="-{name}"][value="{value}"]').check()
        else:
            field.fill(value)
    status = submit(page, details.get_by_role("button", name=label, exact=True))
    assert status == expected, f"{label!r} answered {status}"
    if expected == 302:
        expect(flash(page)).to_contain_text(f"{label} — done.")


def status_label(page: Any) -> str:
    text: str = page.locator(".status-label").inner_text()
    return text.strip()


def enter_password(page: Any, who: StaffLogin) -> None:
    """The first login step, on the login page; ends on the second-factor page."""
    page.locator('input[name="login"]').fill(who.email)
    page.locator('input[name="password"]').fill(who.password)
    status = submit(page, page.get_by_role("button", name="Sign In", exact=True))
    assert status == 302, f"the password step answered {status}"
    page.wait_for_url(re.compile(r"/staff/accounts/2fa/authenticate/$"))


def log_in(page: Any, base: str, who: StaffLogin) -> None:
    """Password, then the TOTP code; ends on the inbox."""
    page.goto(base + "/staff/")
    page.wait_for_url(re.compile(r"/staff/accounts/login/"))
    enter_password(page, who)
    page.locator('input[name="code"]').fill(totp_code(who.totp_secret))
    status = submit(page, page.get_by_role("button", name="Sign In", exact=True))
    assert status == 302, f"the TOTP step answered {status}"
    page.wait_for_url(base + "/staff/")
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()


def open_case(page: Any, base: str, reference: str) -> None:
    page.goto(base + "/staff/")
    link = page.get_by_role("link", name=reference, exact=True)
    expect(link).to_have_count(1)
    with page.expect_navigation():
        link.click()
    page.wait_for_url(base + f"/staff/cases/{reference}/")
    expect(page.get_by_role("heading", name=f"Case {reference}", level=1)).to_be_visible()
