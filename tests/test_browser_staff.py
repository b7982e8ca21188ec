"""Staff in a real browser against the real server: TOTP login, a case handled end to end.

A reporter files through the API. A handler signs in with a password and a TOTP code,
acknowledges the case, writes to the reporter, begins the assessment and proposes closing
without investigation. A lead handler, signed in separately, approves the closure. The
reporter, with JavaScript off and nothing but the receipt, then reads the outcome.

Drives Debian's chromium through Playwright, like tests/test_browser_reporter.py. Without
/usr/bin/chromium these tests fail, unless OMBUDS_SKIP_BROWSER=1 says the browser is
knowingly absent.
"""

from __future__ import annotations

import json
import re
import secrets
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import (
    SCREENSHOTS,
    browser,
    create_staff,
    enter_password,
    flash,
    log_in,
    new_page,
    open_case,
    open_step,
    status_label,
    step,
    submit,
    take_step,
    wrong_code,
)
from tests.realserver import RealServer, running_server

__all__ = ["browser"]

pytestmark = [pytest.mark.server, pytest.mark.browser]

REFERENCE = re.compile(r"C-[A-Z0-9]{8}")
# Where a browser with a password but no right code ends up: the login or the code step.
KEPT_OUT = re.compile(r"/staff/accounts/(login/|2fa/authenticate/)(\?.*)?$")


def references(server: RealServer) -> set[str]:
    return {row[0] for row in server.query("SELECT reference FROM cases_case")}


def file_report(server: RealServer, narrative: str) -> tuple[str, str]:
    """A reporter files through the API; the receipt, and the reference of the case it opened."""
    before = references(server)
    body = {"category": "sexual_harassment", "role": "affected", "narrative": narrative, "anonymous": True}
    request = urllib.request.Request(
        server.base_url + "/api/v1/reports",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201, f"filing the report answered {response.status}"
        receipt: str = json.load(response)["receipt"]
    new = references(server) - before
    assert len(new) == 1, f"filing one report opened {len(new)} cases"
    reference = new.pop()
    assert REFERENCE.fullmatch(reference), f"unexpected case reference {reference!r}"
    return receipt, reference


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with running_server(tmp_path_factory.mktemp("staff-server")) as running:
        yield running


# --- Browser helpers --------------------------------------------------------------------


def forged_approval(page: Any, base: str, reference: str) -> int:
    """POST "approve closure" directly, with this session's cookies and CSRF token, bypassing the page."""
    token = page.locator('input[name="csrfmiddlewaretoken"]').first.input_value()
    response = page.request.post(
        base + f"/staff/cases/{reference}/steps/approve_closure/",
        form={"csrfmiddlewaretoken": token, "step": "approve_closure", "note": ""},
        max_redirects=0,
    )
    status: int = response.status
    return status


# --- Tests ------------------------------------------------------------------------------


def test_a_case_is_handled_closed_with_approval_and_the_reporter_reads_the_outcome(
    browser: Any, server: RealServer
) -> None:
    base = server.base_url
    probe = secrets.token_hex(4)
    handler_email = f"handler-{probe}@example.org"
    lead_email = f"lead-{probe}@example.org"
    staff = create_staff(server, {handler_email: ("handler",), lead_email: ("handler", "lead_handler")})
    handler, lead = staff[handler_email], staff[lead_email]
    narrative = f"Staff check {probe}: a colleague keeps sending me messages about my body."
    staff_message = f"Staff message {probe}: thank you. Can you tell us roughly when the messages started?"
    reason = (
        f"Closure reason {probe}: you asked us not to contact the colleague, and without speaking "
        "to them we cannot investigate. You can ask us to reopen this at any time."
    )
    search_done = f"Search {probe}: read the messages in this thread; checked which teams share the office."
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # 1. The reporter files through the API.
    receipt, reference = file_report(server, narrative)

    # 2. The handler signs in and works the case.
    handler_context, page = new_page(browser, javascript=True)
    log_in(page, base, handler)
    open_case(page, base, reference)
    assert narrative in page.locator("section.report .narrative").inner_text()
    assert status_label(page) == "Received"

    take_step(page, "Acknowledge")
    assert status_label(page) == "Acknowledged"
    assert page.locator(".conversation .message.from-staff").count() == 1, "the acknowledgement is not in the thread"

    message_form = page.locator("#messages form")
    message_form.locator('textarea[name="message-body"]').fill(staff_message)
    status = submit(page, message_form.get_by_role("button", name="Send to the reporter"))
    assert status == 302, f"sending the message answered {status}"
    expect(flash(page)).to_contain_text("Message sent to the reporter.")
    expect(page.locator(".conversation .message.from-staff").last).to_contain_text(staff_message)

    take_step(page, "Begin assessment")
    assert status_label(page) == "In assessment"

    # Closing needs grounds from the list, and a lack of evidence is not on it.
    propose = "Propose closing without investigation"
    grounds = open_step(page, propose).locator('input[name$="-grounds"]')
    offered = sorted(grounds.evaluate_all("inputs => inputs.map(input => input.value)"))
    assert offered == ["duplicate", "not_misconduct", "outside_remit", "resolved", "withdrawn"], offered
    assert grounds.first.get_attribute("required") is not None, "grounds can be left out"
    expect(page.locator("section.notice", has_text="Closure without investigation proposed")).to_have_count(0)

    take_step(page, propose, {"grounds": "resolved", "reason": reason, "search_done": search_done})
    proposal = page.locator("section.notice", has_text="Closure without investigation proposed")
    expect(proposal).to_contain_text(f"Proposed by {handler_email}")
    expect(proposal).to_contain_text(reason)
    expect(proposal).to_contain_text(search_done)
    assert status_label(page) == "In assessment"
    page.screenshot(path=str(SCREENSHOTS / "staff-case.png"), full_page=True)

    # 3. The handler cannot approve their own proposal: no such step, and a direct POST is refused.
    expect(step(page, "Approve the proposal")).to_have_count(0)
    expect(step(page, "Reject the proposal")).to_have_count(0)
    status = forged_approval(page, base, reference)
    assert status in (400, 403, 404), f"the handler's own approval answered {status}"
    page.reload()
    assert status_label(page) == "In assessment"
    handler_context.close()

    # A second case, for the lead's own proposal.
    _, second = file_report(server, f"Staff check {probe}: a second report, from someone else.")

    # 4. The lead handler, in a browser of their own, approves the handler's proposal.
    lead_context, page = new_page(browser, javascript=True)
    log_in(page, base, lead)
    open_case(page, base, reference)
    expect(page.locator("section.notice", has_text="Closure without investigation proposed")).to_contain_text(reason)
    take_step(page, "Approve the proposal")
    assert status_label(page) == "Closed — Closed without investigation"
    expect(page.locator("section.notice", has_text="Closure without investigation proposed")).to_have_count(0)
    expect(page.locator(".conversation .message.from-staff").last).to_contain_text(reason)

    # A lead cannot approve their own proposal either.
    open_case(page, base, second)
    take_step(page, "Acknowledge")
    take_step(page, "Begin assessment")
    take_step(page, propose, {"grounds": "resolved", "reason": reason, "search_done": search_done})
    # The page may offer the step to the proposer (the action decides); taken, it must be refused.
    own = step(page, "Approve the proposal")
    if own.count():
        take_step(page, "Approve the proposal", expected=400)
        expect(own.locator(".error")).to_contain_text("someone other than the person who proposed it")
    assert forged_approval(page, base, second) in (400, 403, 404), "the lead approved their own proposal"
    page.goto(base + f"/staff/cases/{second}/")
    assert status_label(page) == "In assessment"
    expect(page.locator("section.notice", has_text="Closure without investigation proposed")).to_contain_text(
        f"Proposed by {lead_email}"
    )
    lead_context.close()

    # 5. The reporter, JavaScript off, only the receipt: the case is closed and the outcome told.
    context, page = new_page(browser, javascript=False)
    page.goto(base + "/return/")
    page.get_by_label("Your receipt").fill(receipt)
    status = submit(page, page.get_by_role("button", name="Open my report"))
    assert status == 302, f"presenting the receipt answered {status}"
    page.wait_for_url(re.compile(r"/status/$"))
    assert status_label(page) == "Closed"
    thread = page.locator(".thread .message.staff")
    expect(thread).to_have_count(3)
    bodies = [text.strip() for text in thread.locator(".body").all_inner_texts()]
    assert "A case handler has received it" in bodies[0], "the acknowledgement is not the first message"
    assert bodies[1] == staff_message, "the handler's message is not the second message"
    assert "closed without an investigation" in bodies[2] and reason in bodies[2], "the outcome lacks the reason"
    content = page.content()
    assert handler_email not in content and lead_email not in content, "the reporter sees who handled the case"
    assert search_done not in content, "the reporter sees the internal search record"
    context.close()


def test_a_wrong_totp_code_keeps_the_handler_out(browser: Any, server: RealServer) -> None:
    base = server.base_url
    probe = secrets.token_hex(4)
    email = f"handler-{probe}@example.org"
    who = create_staff(server, {email: ("handler",)})[email]
    narrative = f"Wrong code check {probe}: my supervisor blocks the door when I leave."
    _, reference = file_report(server, narrative)

    context, page = new_page(browser, javascript=True)
    page.goto(base + "/staff/accounts/login/")
    enter_password(page, who)

    page.locator('input[name="code"]').fill(wrong_code(who.totp_secret))
    status = submit(page, page.get_by_role("button", name="Sign In", exact=True))
    assert status == 200, f"a wrong code answered {status}"
    assert re.search(r"/staff/accounts/2fa/authenticate/$", page.url), "a wrong code left the TOTP page"
    expect(page.get_by_text("Incorrect code.", exact=True)).to_be_visible()

    # Neither the inbox nor a case is reachable: the login stops at the code until a right one is typed.
    for path in ("/staff/", "/staff/settings/", f"/staff/cases/{reference}/"):
        response = page.goto(base + path)
        assert response is not None and response.ok, f"{path} ended in {response and response.status}"
        assert KEPT_OUT.search(page.url), f"{path} was reached with a wrong code"
        expect(page.get_by_role("heading", name="Inbox")).to_have_count(0)
        expect(page.get_by_role("button", name="Log out")).to_have_count(0)
        assert narrative not in page.content(), f"{path} showed the report"
    context.close()

    # The same password with the right code gets in: only the code kept the handler out.
    context, page = new_page(browser, javascript=True)
    log_in(page, base, who)
    expect(page.get_by_role("link", name=reference, exact=True)).to_have_count(1)
    context.close()
