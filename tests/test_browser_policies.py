"""Policies, support and the quick exit in a real browser against the real server.

An administrator writes and publishes a policy with JavaScript off; the audit event is
in the server's database, and anyone reads the policy without logging in. The support
page is read in English and Chinese. The quick exit leaves with JavaScript off, and with
it on replaces the page in the history, also from the keyboard.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from ombuds.audit.models import EventType
from tests.browser import SCREENSHOTS, TIMEOUT_MS, browser, create_staff, flash, log_in, new_page, submit
from tests.realserver import RealServer, running_server

__all__ = ["browser"]

pytestmark = [pytest.mark.server, pytest.mark.browser]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with running_server(tmp_path_factory.mktemp("policy-server")) as running:
        yield running


def chinese_page(browser: Any) -> tuple[Any, Any]:
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def test_an_administrator_publishes_a_policy_with_javascript_off_and_everyone_reads_it(
    browser: Any, server: RealServer
) -> None:
    base = server.base_url
    email = f"admin-{secrets.token_hex(4)}@example.org"
    admin = create_staff(server, {email: ("administrator",)})[email]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    context, page = new_page(browser, javascript=False)
    log_in(page, base, admin)
    page.goto(base + "/staff/admin/policies/")
    expect(page.get_by_role("heading", name="Policies", level=1)).to_be_visible()
    page.get_by_role("link", name="New policy").click()
    page.locator('input[name="slug"]').fill("anti-harassment")
    page.locator('select[name="kind"]').select_option("anti_harassment")
    page.locator('input[name="title_en"]').fill("Anti-harassment policy")
    page.locator('textarea[name="body_en"]').fill(
        "## What we promise\n\nNobody here has to put up with harassment.\n\n"
        "- Report it at /report/, anonymously if you wish.\n- Nobody may be punished for reporting.\n\n"
        "<script>alert('typed into a policy')</script>"
    )
    page.locator('input[name="title_zh-hans"]').fill("反骚扰政策")
    page.locator('textarea[name="body_zh-hans"]').fill(
        "## 我们的承诺\n\n在这里，任何人都不必忍受骚扰。\n\n"
        "- 您可以在 /report/ 举报，也可以匿名举报。\n- 任何人都不会因举报而受到惩罚。"
    )
    assert submit(page, page.get_by_role("button", name="Create the draft")) == 302
    page.wait_for_url(base + "/staff/admin/policies/anti-harassment/")
    expect(flash(page)).to_contain_text("The policy was created as a draft.")

    assert submit(page, page.get_by_role("button", name="Publish version 1")) == 302
    expect(flash(page)).to_contain_text("Version 1 is published and public at /policies/anti-harassment/.")
    page.screenshot(path=str(SCREENSHOTS / "policy-admin.png"), full_page=True)
    context.close()

    published = server.query(
        "SELECT actor_id, detail FROM audit_auditevent WHERE event_type = %s", (int(EventType.POLICY_PUBLISHED),)
    )
    assert len(published) == 1
    admin_id = server.query("SELECT id FROM auth_user WHERE email = %s", (email,))[0][0]
    assert published[0][0] == admin_id

    # Anyone, with no login and no JavaScript, in English and in Chinese.
    context, page = new_page(browser, javascript=False)
    page.goto(base + "/policies/")
    page.get_by_role("link", name="Anti-harassment policy").click()
    page.wait_for_url(base + "/policies/anti-harassment/")
    expect(page.get_by_role("heading", name="What we promise", level=2)).to_be_visible()
    expect(page.locator("article.policy-text")).to_contain_text("<script>alert('typed into a policy')</script>")
    expect(page.locator("#quick-exit")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "policy-en.png"), full_page=True)
    context.close()
    context, page = chinese_page(browser)
    page.goto(base + "/policies/anti-harassment/")
    expect(page.get_by_role("heading", name="反骚扰政策", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="快速离开此页面")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "policy-zh.png"), full_page=True)
    context.close()


def test_the_support_page_in_english_and_chinese_with_javascript_off(browser: Any, server: RealServer) -> None:
    context, page = new_page(browser, javascript=False)
    page.goto(server.base_url + "/")
    page.get_by_role("link", name="Support", exact=True).click()
    page.locator('select[name="country"]').select_option("GB")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert page.url.endswith("/support/?country=GB")
    expect(page.get_by_role("link", name="0808 500 2222")).to_be_visible()
    expect(page.get_by_role("link", name="999", exact=True)).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "support-en-gb.png"), full_page=True)
    # The language switch keeps her choice of country.
    with page.expect_navigation():
        page.get_by_role("button", name="简体中文").click()
    assert page.url.endswith("/support/?country=GB")
    expect(page.get_by_role("heading", name="英国", exact=True)).to_be_visible()
    context.close()

    context, page = chinese_page(browser)
    page.goto(server.base_url + "/support/?country=CN")
    expect(page.get_by_role("link", name="12338", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="12333", exact=True)).to_be_visible()
    expect(page.locator("body")).to_contain_text("全国妇联12338妇女维权公益服务热线")
    page.screenshot(path=str(SCREENSHOTS / "support-zh-cn.png"), full_page=True)
    context.close()


def _use_own_site_for_the_exit(browser: Any, server: RealServer) -> str:
    """An administrator points the quick exit at a page of the test server (no other site resolves here)."""
    email = f"admin-{secrets.token_hex(4)}@example.org"
    admin = create_staff(server, {email: ("administrator",)})[email]
    context, page = new_page(browser, javascript=False)
    log_in(page, server.base_url, admin)
    page.goto(server.base_url + "/staff/admin/resources/")
    target = server.base_url + "/policies/"
    page.locator('input[name="quick_exit_url"]').fill(target)
    assert submit(page, page.get_by_role("button", name="Save the settings")) == 302
    context.close()
    return target


def test_the_quick_exit_leaves_without_javascript_and_with_it_replaces_the_page_in_the_history(
    browser: Any, server: RealServer
) -> None:
    base = server.base_url
    target = _use_own_site_for_the_exit(browser, server)

    # Without JavaScript: a plain link that leaves; the page stays in the history.
    context, page = new_page(browser, javascript=False)
    page.goto(base + "/")
    page.goto(base + "/report/")
    page.get_by_role("link", name="Leave this page quickly").click()
    page.wait_for_url(target)
    page.go_back()
    page.wait_for_url(base + "/report/")
    context.close()

    # With JavaScript, from the keyboard: the report form is replaced, so Back skips it.
    context, page = new_page(browser, javascript=True)
    page.goto(base + "/")
    page.goto(base + "/report/")
    before = page.evaluate("history.length")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "quick-exit"
    page.keyboard.press("Enter")
    page.wait_for_url(target)
    assert page.evaluate("history.length") == before
    page.go_back()
    page.wait_for_url(base + "/")
    assert not re.search(r"/report/$", page.url)
    context.close()
