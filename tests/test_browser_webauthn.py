"""A security key as the second factor, in a real browser against the real server.

A handler who already has TOTP signs in with password and code, adds a security key on
allauth's MFA pages, logs out, and signs in again with the password and the key instead
of a code. The key is a virtual CTAP2 authenticator set up through the Chrome DevTools
Protocol, so the browser runs the real WebAuthn ceremonies with allauth's own scripts.

WebAuthn refuses IP addresses as relying party IDs, so the browser opens the server as
http://localhost:PORT (a secure context to Chromium) rather than the usual 127.0.0.1.

Drives Debian's chromium through Playwright, like tests/test_browser_reporter.py. Without
/usr/bin/chromium these tests fail, unless OMBUDS_SKIP_BROWSER=1 says the browser is
knowingly absent.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import CHROMIUM_ARGS, SCREENSHOTS, chromium, create_staff, enter_password, log_in, new_page, submit
from tests.realserver import RealServer, running_server

pytestmark = [pytest.mark.server, pytest.mark.browser]

# The shared arguments resolve nothing but 127.0.0.1, so localhost would not resolve. Here
# localhost is sent to 127.0.0.1 (where gunicorn listens; never ::1), and nothing else resolves.
_RESOLVER = "--host-resolver-rules="
LOCALHOST_ARGS = [arg for arg in CHROMIUM_ARGS if not arg.startswith(_RESOLVER)] + [
    _RESOLVER + "MAP localhost 127.0.0.1 , MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
]
# A ceremony that the virtual key answers at once; anything longer is a failure.
CEREMONY_TIMEOUT_MS = 10_000


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium(LOCALHOST_ARGS) as launched:
        yield launched


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with running_server(tmp_path_factory.mktemp("webauthn-server")) as running:
        yield running


def localhost_url(server: RealServer) -> str:
    return f"http://localhost:{server.port}"


def add_virtual_key(context: Any, page: Any) -> tuple[Any, str]:
    """A USB security key that is always present and verifies its user; the CDP session and its id."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    authenticator_id: str = added["authenticatorId"]
    return cdp, authenticator_id


def key_credentials(cdp: Any, authenticator_id: str) -> list[dict[str, Any]]:
    credentials: list[dict[str, Any]] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})[
        "credentials"
    ]
    return credentials


def watch_page(page: Any) -> list[str]:
    """Script errors and blocked resources seen on the page, as they happen."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" or "Content Security Policy" in message.text
            else None
        ),
    )
    return problems


def stored_keys(server: RealServer, email: str) -> list[tuple[str, Any]]:
    """The user's security keys on the server: (name, last used)."""
    rows = server.query(
        "SELECT a.data, a.last_used_at FROM mfa_authenticator a JOIN auth_user u ON u.id = a.user_id "
        "WHERE u.email = %s AND a.type = %s",
        (email, "webauthn"),
    )
    # JSON arrives parsed from PostgreSQL and as text from SQLite.
    return [((json.loads(data) if isinstance(data, str) else data)["name"], used) for data, used in rows]


def use_security_key(page: Any, base: str) -> Any:
    """Click "Use a security key" on the code step; the POST it leads to, once its page has loaded."""
    with (
        page.expect_navigation(timeout=CEREMONY_TIMEOUT_MS),
        page.expect_response(
            lambda response: (
                response.request.method == "POST" and response.url == base + "/staff/accounts/2fa/authenticate/"
            ),
            timeout=CEREMONY_TIMEOUT_MS,
        ) as posted,
    ):
        page.get_by_role("button", name="Use a security key", exact=True).click()
    return posted.value


def password_step(page: Any, base: str, who: Any) -> None:
    """The login form, filled and sent; ends on the second-factor step."""
    page.goto(base + "/staff/accounts/login/")
    enter_password(page, who)
    expect(page.get_by_role("heading", name="Inbox")).to_have_count(0)


def log_out(page: Any, base: str) -> None:
    status = submit(page, page.get_by_role("button", name="Log out", exact=True))
    assert status == 302, f"logging out answered {status}"
    page.wait_for_url(re.compile(r"/staff/accounts/login/(\?.*)?$"))
    response = page.goto(base + "/staff/")
    assert response is not None and response.ok, f"the inbox after logout ended in {response and response.status}"
    assert re.search(r"/staff/accounts/login/(\?.*)?$", page.url), "the inbox was reached after logging out"


def test_a_handler_adds_a_security_key_and_signs_in_with_it(browser: Any, server: RealServer) -> None:
    base = localhost_url(server)
    probe = secrets.token_hex(4)
    email = f"handler-{probe}@example.org"
    who = create_staff(server, {email: ("handler",)})[email]
    key_name = f"Desk key {probe}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    context, page = new_page(browser, javascript=True)
    problems = watch_page(page)
    cdp, authenticator_id = add_virtual_key(context, page)

    # 1. Password and TOTP, as every handler signs in.
    log_in(page, base, who)
    assert stored_keys(server, email) == [], "the handler starts with a security key"

    # 2. The MFA overview offers a security key; the add page registers the virtual one.
    response = page.goto(base + "/staff/accounts/2fa/")
    assert response is not None and response.status == 200, f"the MFA page answered {response and response.status}"
    add_link = page.locator('a[href$="/staff/accounts/2fa/webauthn/add/"]')
    expect(add_link).to_have_count(1)
    with page.expect_navigation() as navigation:
        add_link.click()
    page.wait_for_url(base + "/staff/accounts/2fa/webauthn/add/")
    # allauth's scripts run under the site's policy: static files only, no inline script.
    policy = navigation.value.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, f"unexpected policy {policy!r}"
    expect(page.get_by_role("heading", name="Add Security Key")).to_be_visible()
    page.locator('input[name="name"]').fill(key_name)
    with (
        page.expect_navigation(timeout=CEREMONY_TIMEOUT_MS),
        page.expect_response(
            lambda response: (
                response.request.method == "POST" and response.url == base + "/staff/accounts/2fa/webauthn/add/"
            ),
            timeout=CEREMONY_TIMEOUT_MS,
        ) as posted,
    ):
        page.locator("#mfa_webauthn_add").click()
    assert posted.value.status == 302, f"adding the key answered {posted.value.status}: {problems}"
    page.wait_for_load_state()
    assert "/staff/accounts/2fa/webauthn/add/" not in page.url, "the add page was shown again"
    # A first key comes with recovery codes, which allauth shows at once.
    expect(page.get_by_role("heading", name="Recovery Codes", level=1)).to_be_visible()
    response = page.goto(base + "/staff/accounts/2fa/")
    assert response is not None and response.status == 200, f"the MFA page answered {response and response.status}"
    expect(page.get_by_text("You have added 1 security key.")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "staff-security-key.png"), full_page=True)

    stored = key_credentials(cdp, authenticator_id)
    assert len(stored) == 1, f"the key holds {len(stored)} credentials after registration"
    assert stored_keys(server, email) == [(key_name, None)], "the server did not store the new, unused key"
    log_out(page, base)

    # 3. Another browser with another key has the password but not this key: it stays out.
    other_context, other = new_page(browser, javascript=True)
    other_problems = watch_page(other)
    add_virtual_key(other_context, other)
    password_step(other, base, who)
    posts: list[str] = []
    other.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    other.get_by_role("button", name="Use a security key", exact=True).click()
    # The browser refuses at once: no credential of this user is on that key.
    deadline_ms = CEREMONY_TIMEOUT_MS
    while not other_problems and deadline_ms > 0:
        other.wait_for_timeout(100)
        deadline_ms -= 100
    assert any("NotAllowedError" in problem for problem in other_problems), f"the wrong key got {other_problems}"
    assert posts == [], "a credential was sent from a key the handler never added"
    response = other.goto(base + "/staff/")
    assert response is not None and response.ok, f"the inbox ended in {response and response.status}"
    assert re.search(r"/staff/accounts/(login/|2fa/authenticate/)(\?.*)?$", other.url), "the wrong key got in"
    other_context.close()

    # 4. Back in with the password and the added key instead of a code.
    password_step(page, base, who)
    posted = use_security_key(page, base)
    assert posted.status == 302, f"the security key step answered {posted.status}: {problems}"
    page.wait_for_url(base + "/staff/")
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    [(name, used)] = stored_keys(server, email)
    assert name == key_name and used is not None, "the server did not record the key's use"
    assert key_credentials(cdp, authenticator_id)[0]["signCount"] >= 1, "the key never signed"
    assert problems == [], f"the pages reported problems: {problems}"
    context.close()


def test_the_security_key_list_opens(browser: Any, server: RealServer) -> None:
    """The page that lists, renames and removes keys, linked from the MFA overview once a key exists."""
    base = localhost_url(server)
    email = f"handler-{secrets.token_hex(4)}@example.org"
    who = create_staff(server, {email: ("handler",)})[email]
    context, page = new_page(browser, javascript=True)
    log_in(page, base, who)
    response = page.goto(base + "/staff/accounts/2fa/webauthn/")
    assert response is not None and response.status == 200, f"the key list answered {response and response.status}"
    expect(page.get_by_role("heading", name="Security Keys", level=1)).to_be_visible()
    context.close()
