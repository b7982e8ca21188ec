"""A reporter in a real browser with JavaScript switched off, against the real server.

Drives Debian's chromium through Playwright. Without /usr/bin/chromium these tests
fail, unless OMBUDS_SKIP_BROWSER=1 says the browser is knowingly absent.
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


def _new_page(browser: Any) -> tuple[Any, Any]:
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def _submit(page: Any, button: Any) -> int:
    """Click a form's submit button; the status of the POST it sends."""
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        button.click()
    status: int = posted.value.status
    page.wait_for_load_state()
    return status


def _text(page: Any, selector: str) -> str:
    text: str = page.locator(selector).inner_text()
    return text.strip()


def test_a_reporter_files_returns_and_writes_without_javascript(browser: Any, real_server: RealServer) -> None:
    base = real_server.base_url
    probe = secrets.token_hex(4)
    narrative = f"Browser check {probe}: a supervisor keeps commenting on my clothes."
    message = f"Browser follow-up {probe}: it happened again today."
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    context, page = _new_page(browser)
    page.goto(base + "/")
    page.get_by_role("link", name="Make a report").click()
    page.wait_for_url(re.compile(r"/report/$"))
    page.get_by_role("radio", name="Sexual harassment").check()
    page.get_by_role("radio", name="It happened to me").check()
    page.get_by_label("What happened?").fill(narrative)
    assert page.locator('input[name="anonymous"][value="true"]').is_checked(), "anonymous is not the default"
    page.screenshot(path=str(SCREENSHOTS / "report-page.png"), full_page=True)
    status = _submit(page, page.get_by_role("button", name="Send report"))
    assert status == 302, f"sending the report answered {status}"  # post/redirect/get: the receipt is a GET

    receipt = _text(page, "#receipt")
    assert re.fullmatch(r"\d{4}(-\d{4}){6}", receipt), "the receipt page shows no receipt"
    status = _submit(page, page.get_by_role("button", name=re.compile("I have saved my receipt")))
    assert status == 302, f"confirming the receipt answered {status}"
    page.wait_for_url(re.compile(r"/status/$"))
    assert _text(page, ".status-label") == "Received"
    page.screenshot(path=str(SCREENSHOTS / "status-page.png"), full_page=True)
    context.close()

    # Later, on a browser with no cookies from the first visit: only the receipt.
    context, page = _new_page(browser)
    page.goto(base + "/status/")
    page.wait_for_url(re.compile(r"/return/$"))
    page.get_by_label("Your receipt").fill(receipt)
    status = _submit(page, page.get_by_role("button", name="Open my report"))
    assert status == 302, f"presenting the receipt answered {status}"
    page.wait_for_url(re.compile(r"/status/$"))
    assert _text(page, ".status-label") == "Received"
    assert page.locator(".thread .message").count() == 0
    page.get_by_label("Your message").fill(message)
    status = _submit(page, page.get_by_role("button", name="Send message"))
    assert status == 302, f"sending the message answered {status}"
    page.wait_for_url(re.compile(r"/status/(#messages)?$"))
    thread = page.locator(".thread .message.reporter")
    assert thread.count() == 1
    shown = message in thread.first.inner_text()  # a bool: a failure must not print the text
    assert shown, "the message is not shown in the thread"
    context.close()


def test_the_start_page_switches_to_simplified_chinese(browser: Any, real_server: RealServer) -> None:
    context, page = _new_page(browser)
    page.goto(real_server.base_url + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    switch = page.locator('form.language button[value="zh-hans"]')
    assert switch.count() == 1, "the language form has no Simplified Chinese button"
    status = _submit(page, switch)
    assert status == 302, f"switching the language answered {status}"
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert page.locator('form.language button[value="zh-hans"]').is_disabled(), "the chosen language is not marked"
    context.close()
