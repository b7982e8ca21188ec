"""The staff workbench in a real browser, at 1280 px and on a 360 px phone.

A lead handler's inbox with an overdue case, a case due today and cases with time left:
the urgent ones come first, each with its badge in words, and no page scrolls sideways.
The case page puts the summary beside the conversation on a wide screen and stacks
them on a phone. axe-core (from the `axe-core` npm package) finds nothing on these
pages nor on the login pages, in English and in Chinese. Screenshots of the inbox and
the case page go to var/screenshots/ for docs/staff.md.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser import SCREENSHOTS, TIMEOUT_MS, browser, create_staff, log_in, submit, totp_code
from tests.realserver import PROJECT_ROOT, RealServer, running_server

__all__ = ["browser"]

pytestmark = [pytest.mark.server, pytest.mark.browser]

WIDTHS = (1280, 360)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa", "best-practice"]


def axe_source() -> str:
    """axe-core's script: from OMBUDS_AXE_CORE, or the project's node_modules (`npm install axe-core`)."""
    candidates = [Path(os.environ["OMBUDS_AXE_CORE"])] if os.environ.get("OMBUDS_AXE_CORE") else []
    candidates.append(PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js")
    for path in candidates:
        if path.is_file():
            return path.read_text()
    pytest.skip("axe-core is not installed: run `npm install axe-core` or set OMBUDS_AXE_CORE to its axe.min.js")


_SET_DEADLINES = """
import json, sys
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from ombuds.cases.models import Case
now = timezone.now()
end_of_today = timezone.localtime(now).replace(hour=23, minute=59, second=59)
due = {"overdue": now - timedelta(days=2, hours=1), "today": max(end_of_today, now + timedelta(minutes=10))}
for reference, kind in json.loads(sys.argv[1]).items():
    at = due[kind]
    Case.objects.filter(reference=reference).update(first_action_due_at=at, ack_due_at=at, next_deadline_at=at)
"""


_NEW_STAFF = """
import sys
import django
django.setup()
from ombuds.accounts.actions import create_staff
from ombuds.accounts.roles import Role
create_staff(email=sys.argv[1], name="", roles=[Role.HANDLER], password=sys.argv[2])
"""


def new_handler_without_app(server: RealServer, email: str, password: str) -> None:
    """A handler who has not set up the authenticator app yet: her first login shows the QR code."""
    result = subprocess.run(
        [sys.executable, "-c", _NEW_STAFF, email, password],
        cwd=PROJECT_ROOT,
        env=server.environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def set_deadlines(server: RealServer, kinds: dict[str, str]) -> None:
    """Move cases' pending deadlines to two days ago or to the end of today, as time passing would."""
    result = subprocess.run(
        [sys.executable, "-c", _SET_DEADLINES, json.dumps(kinds)],
        cwd=PROJECT_ROOT,
        env=server.environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def file_report(server: RealServer, narrative: str) -> tuple[str, str]:
    """A reporter files through the API; her receipt, and the reference of the case it opened."""
    before = {row[0] for row in server.query("SELECT reference FROM cases_case")}
    body = {"category": "sexual_harassment", "role": "affected", "narrative": narrative, "anonymous": True}
    request = urllib.request.Request(
        server.base_url + "/api/v1/reports",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        receipt: str = json.load(response)["receipt"]
    (reference,) = {row[0] for row in server.query("SELECT reference FROM cases_case")} - before
    return receipt, str(reference)


def reporter_writes(server: RealServer, receipt: str, body: str) -> None:
    def post(path: str, payload: dict[str, str], token: str = "") -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            server.base_url + path, data=json.dumps(payload).encode(), headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    token = post("/api/v1/reporter/session", {"receipt": receipt})["token"]
    post("/api/v1/reporter/messages", {"body": body}, token)


def midday_zone(now: datetime) -> str:
    """A fixed-offset time zone in which it is about noon at `now`.

    The inbox says "due today" of a deadline at the end of the server's day: run near
    midnight, the tests would see the day change under them (a case made due today
    read "1 day left" a minute later). At noon the day has hours to go.
    """
    east = 12 - now.astimezone(UTC).hour  # from -11 to 12 hours east of UTC
    # The Etc zones' signs are POSIX's: Etc/GMT-5 is five hours east of UTC.
    return "Etc/GMT" if east == 0 else f"Etc/GMT{'-' if east > 0 else '+'}{abs(east)}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    zone = {"OMBUDS_TIME_ZONE": midday_zone(datetime.now(UTC))}
    with running_server(tmp_path_factory.mktemp("workbench-server"), zone) as running:
        yield running


@pytest.mark.parametrize("hour", range(24))
def test_the_servers_zone_puts_every_hour_of_the_day_near_noon(hour: int) -> None:
    now = datetime(2026, 12, 1, hour, 59, 59, tzinfo=UTC)
    assert now.astimezone(ZoneInfo(midday_zone(now))).hour == 12


@pytest.fixture(scope="module")
def bench(server: RealServer) -> dict[str, Any]:
    """A lead handler (also oversight, to read the trail), and cases in every state of urgency."""
    people = create_staff(
        server,
        {"lead@example.org": ("handler", "lead_handler", "oversight"), "admin@example.org": ("administrator",)},
    )
    receipt, later = file_report(server, "My manager kept touching my shoulders in meetings.")
    _, overdue = file_report(server, "A client grabbed me at the conference dinner.")
    _, today = file_report(server, "I was pressured to drink on a business trip.")
    for n in range(3):
        file_report(server, f"Remarks about my body in the team chat, week {n + 1}.")
    set_deadlines(server, {overdue: "overdue", today: "today"})
    reporter_writes(server, receipt, "Is anyone reading this? I am afraid of meeting him on Monday.")
    return {
        "lead": people["lead@example.org"],
        "admin": people["admin@example.org"],
        "later": later,
        "overdue": overdue,
        "today": today,
    }


def new_context(browser: Any, width: int, locale: str = "en-GB") -> tuple[Any, Any]:
    # bypass_csp: axe is injected as an inline script, which the staff pages' policy refuses.
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def scrolls_sideways(page: Any) -> bool:
    overflow: bool = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    return overflow


def axe_violations(page: Any, source: str) -> list[str]:
    page.add_script_tag(content=source)
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))",
        AXE_TAGS,
    )
    return list(result)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_inbox_puts_urgent_cases_first_and_fits_the_screen(browser, server, bench, width) -> None:
    context, page = new_context(browser, width)
    log_in(page, server.base_url, bench["lead"])
    rows = page.locator("section[aria-labelledby=cases-heading] tbody tr")
    refs = [re.search(r"C-[A-Z0-9]{8}", text).group(0) for text in rows.all_inner_texts()]  # type: ignore[union-attr]
    assert refs[:2] == [bench["overdue"], bench["today"]], refs
    overdue_row = rows.filter(has_text=bench["overdue"])
    expect(overdue_row.locator(".due")).to_have_text(re.compile(r"overdue by \d+ days"))
    expect(overdue_row.locator(".due-shape")).to_be_visible()
    expect(rows.filter(has_text=bench["today"]).locator(".due")).to_contain_text("due today")
    expect(rows.nth(2).locator(".due")).to_have_text(re.compile(r"\d+ days? left"))
    # The filters are labelled where everyone sees them.
    expect(page.get_by_label("Status", exact=True)).to_be_visible()
    expect(page.get_by_label("Category", exact=True)).to_be_visible()
    assert not scrolls_sideways(page), f"the inbox scrolls sideways at {width} px"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"staff-inbox-{width}.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_case_page_is_two_columns_wide_and_one_on_a_phone(browser, server, bench, width) -> None:
    context, page = new_context(browser, width)
    log_in(page, server.base_url, bench["lead"])
    reference = bench["later"]
    page.goto(f"{server.base_url}/staff/cases/{reference}/")
    if width == WIDTHS[0]:
        # The handler answers in the conversation (the first time only: both widths show it).
        page.locator("#messages textarea").fill("Yes. I have read it, and you will not have to meet him alone.")
        assert submit(page, page.get_by_role("button", name="Send to the reporter")) == 302
        page.goto(f"{server.base_url}/staff/cases/{reference}/")
    side = page.locator(".case-side").bounding_box()
    main = page.locator(".case-main").bounding_box()
    assert side is not None and main is not None
    if width >= 1000:
        assert side["x"] + side["width"] <= main["x"], "summary and conversation side by side"
        assert abs(side["y"] - main["y"]) < 5
    else:
        assert main["y"] >= side["y"] + side["height"] - 1, "stacked on a phone, summary first"
    thread = page.locator("ol.conversation")
    hers = thread.locator("li.from-reporter").first
    ours = thread.locator("li.from-staff").last
    expect(hers.locator(".speaker")).to_contain_text("The reporter wrote")
    expect(ours.locator(".speaker")).to_contain_text("lead@example.org replied")
    her_box, our_box = hers.bounding_box(), ours.bounding_box()
    assert her_box is not None and our_box is not None
    assert her_box["x"] < our_box["x"], "her messages on one side, the replies on the other"
    assert not scrolls_sideways(page), f"the case page scrolls sideways at {width} px"
    page.screenshot(path=str(SCREENSHOTS / f"staff-case-{width}.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_nothing_on_the_workbench(browser, server, bench, width, locale) -> None:
    source = axe_source()
    context, page = new_context(browser, width, locale)
    found: dict[str, list[str]] = {}
    log_in_any_language(
        page, server.base_url, bench["lead"], lambda name: found.update({name: axe_violations(page, source)})
    )
    for name, path in {
        "inbox": "/staff/",
        "case": f"/staff/cases/{bench['later']}/",
        "measures": f"/staff/cases/{bench['later']}/measures/",
        "outcomes": f"/staff/cases/{bench['later']}/outcomes/",
        "retaliation watch": "/staff/retaliation-flags/",
        "audit trail": "/staff/audit/",
        "settings": "/staff/settings/",
        "second factors": "/staff/accounts/2fa/",
    }.items():
        page.goto(server.base_url + path)
        found[name] = axe_violations(page, source)
        found[name] += [f"scrolls sideways at {width} px"] if scrolls_sideways(page) else []
    context.close()
    context, page = new_context(browser, width, locale)
    log_in_any_language(page, server.base_url, bench["admin"], lambda name: None)
    for name, path in {
        "administration": "/staff/admin/",
        "staff accounts": "/staff/admin/staff/",
        "directory": "/staff/admin/directory/",
        "organisation": "/staff/admin/organisation/",
        "pools": "/staff/admin/pools/",
        "policies": "/staff/admin/policies/",
        "training": "/staff/admin/training/",
        "support resources": "/staff/admin/resources/",
        "questionnaire": "/staff/admin/questionnaire/",
    }.items():
        page.goto(server.base_url + path)
        found[name] = axe_violations(page, source)
        found[name] += [f"scrolls sideways at {width} px"] if scrolls_sideways(page) else []
    context.close()
    # The first login of someone without the app: the QR code and the secret in groups.
    email, password = f"new-{width}-{locale}@example.org", "pw-" + secrets.token_urlsafe(18)
    new_handler_without_app(server, email, password)
    context, page = new_context(browser, width, locale)
    page.goto(server.base_url + "/staff/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(password)
    assert submit(page, page.locator('form.entrance button[type="submit"]')) == 302
    page.goto(server.base_url + "/staff/")
    page.wait_for_url(re.compile(r"/staff/accounts/2fa/totp/activate/$"))
    expect(page.locator("#authenticator_secret .group").first).to_have_text(re.compile(r"^[A-Z2-7]{4}$"))
    found["authenticator app"] = axe_violations(page, source)
    found["authenticator app"] += [f"scrolls sideways at {width} px"] if scrolls_sideways(page) else []
    context.close()
    assert {name: v for name, v in found.items() if v} == {}


def log_in_any_language(page: Any, base: str, who: Any, check: Callable[[str], None]) -> None:
    """The password and code steps by field name and button type, whatever the page's language; `check` reads each."""
    page.goto(base + "/staff/")
    page.wait_for_url(re.compile(r"/staff/accounts/login/"))
    check("login")
    page.locator('input[name="login"]').fill(who.email)
    page.locator('input[name="password"]').fill(who.password)
    assert submit(page, page.locator('form.entrance button[type="submit"]')) == 302
    page.wait_for_url(re.compile(r"/staff/accounts/2fa/authenticate/$"))
    check("second factor")
    page.locator('input[name="code"]').fill(totp_code(who.totp_secret))
    assert submit(page, page.locator('form.entrance button[type="submit"]').first) == 302
    page.wait_for_url(base + "/staff/")
