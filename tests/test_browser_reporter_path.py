"""The reporter's path in a real browser: the keyboard alone, a change of language, and Back.

Drives Debian's chromium through Playwright against the real server, as
tests/test_browser_reporter.py does. Without /usr/bin/chromium these tests fail, unless
OMBUDS_SKIP_BROWSER=1 says the browser is knowingly absent.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import SCREENSHOTS, TIMEOUT_MS, browser
from tests.realserver import RealServer, real_server

__all__ = ["browser", "real_server"]

pytestmark = [pytest.mark.server, pytest.mark.browser]

MAX_TABS = 80


def _new_page(browser: Any, *, javascript: bool = False) -> tuple[Any, Any]:
    context = browser.new_context(java_script_enabled=javascript, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def _focused(page: Any) -> dict[str, str]:
    found: dict[str, str] = page.evaluate(
        """() => {
          const e = document.activeElement;
          return {tag: e.tagName.toLowerCase(), name: e.getAttribute("name") || "", type: e.type || "",
                  id: e.id || "", text: (e.tagName === "BUTTON" ? e.textContent.trim() : "")};
        }"""
    )
    return found


def _tab_to(page: Any, wanted: Any) -> dict[str, str]:
    """Press Tab until the focused element is what `wanted` accepts; fails after MAX_TABS presses."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if wanted(focused):
            return focused
    pytest.fail("the keyboard never reached the field it looked for")


def _cases(server: RealServer) -> int:
    count: int = server.query("SELECT COUNT(*) FROM cases_case")[0][0]
    return count


def test_a_reporter_completes_the_report_with_the_keyboard_alone(browser: Any, real_server: RealServer) -> None:
    base = real_server.base_url
    context, page = _new_page(browser)
    page.goto(base + "/report/")

    # A failed submit first: Enter on "Send report" with nothing chosen.
    _tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Send report")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    focused = _focused(page)
    assert focused["id"] == "form-errors", "focus is not on the error summary after a failed submit"
    assert page.title().startswith("Error:")

    # The summary's first link leads to the first field with an error.
    _tab_to(page, lambda f: f["tag"] == "a")
    page.keyboard.press("Enter")
    assert _focused(page)["name"] == "category"

    # Space picks a radio (the first of the group is focused); Tab moves on to the next group.
    page.keyboard.press("Space")
    _tab_to(page, lambda f: f["name"] == "role")
    page.keyboard.press("Space")
    _tab_to(page, lambda f: f["name"] == "narrative")
    page.keyboard.type("Keyboard only " + secrets.token_hex(4) + ": he keeps standing too close.")
    # Enter in a short text field sends the report, never "Find in the directory".
    _tab_to(page, lambda f: f["name"] == "location")
    page.keyboard.type("The third floor")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#receipt")).to_be_visible()
    assert re.fullmatch(r"\d{4}(-\d{4}){6}", page.locator("#receipt").inner_text().strip())
    assert _cases(real_server) == 1
    context.close()


def test_a_language_switch_in_the_middle_of_a_report_keeps_the_narrative(browser: Any, real_server: RealServer) -> None:
    context, page = _new_page(browser)
    page.goto(real_server.base_url + "/report/")
    narrative = "Switching language " + secrets.token_hex(4) + ": what I typed must stay."
    page.get_by_label("What happened?").fill(narrative)
    page.get_by_role("radio", name="Sexual harassment").check()
    with page.expect_navigation():
        page.locator('#report-form button[value="zh-hans"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    kept = page.locator("#id_narrative").input_value() == narrative  # a bool: a failure prints no text
    assert kept, "the narrative was lost when switching language"
    assert page.locator('input[name="category"][value="sexual_harassment"]').is_checked()
    assert _cases(real_server) == 0
    context.close()


def test_back_after_filing_does_not_send_the_report_again(browser: Any, real_server: RealServer) -> None:
    base = real_server.base_url
    context, page = _new_page(browser)
    page.goto(base + "/report/")
    page.get_by_role("radio", name="Bullying").check()
    page.get_by_role("radio", name="I saw or heard it").check()
    page.get_by_label("What happened?").fill("Back button check " + secrets.token_hex(4))
    with page.expect_navigation():
        page.get_by_role("button", name="Send report").click()
    page.wait_for_url(re.compile(r"/report/$"))
    expect(page.locator("#receipt")).to_be_visible()
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"receipt-page-{width}.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("I have saved my receipt")).click()
    page.wait_for_url(re.compile(r"/status/$"))
    assert _cases(real_server) == 1
    page.go_back()
    page.wait_for_load_state()
    page.go_back()
    page.wait_for_load_state()
    page.reload()
    page.wait_for_load_state()
    assert _cases(real_server) == 1
    assert page.locator("#receipt").count() == 0, "the receipt was shown a second time"
    context.close()
