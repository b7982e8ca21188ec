"""The administration pages in a real browser with JavaScript off, against the real server.

An administrator signs in with a password and a TOTP code, invites a new handler (the
e-mail goes through a real SMTP listener), and the handler follows the link, chooses a
password, logs in and sets up the second factor. The administrator then uploads a
directory file, reads the dry run and confirms it. Each step leaves its audit event in
the server's database. Then an administrator adds a question to a category's draft,
previews it as a reporter would see it, and publishes it as a new version.

Drives Debian's chromium through Playwright, like tests/test_browser_staff.py. Without
/usr/bin/chromium these tests fail, unless OMBUDS_SKIP_BROWSER=1 says the browser is
knowingly absent.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from ombuds.audit.models import EventType
from tests.browser import SCREENSHOTS, browser, create_staff, flash, log_in, new_page, submit, totp_code
from tests.realserver import RealServer, running_server

__all__ = ["browser"]

pytestmark = [pytest.mark.server, pytest.mark.browser]

LINK = re.compile(r"https?://\S+?(/staff/accounts/invitation/\S+/)")
DIRECTORY = (
    "employee_id,name,email,unit,manager_id,job_title,country,status\n"
    "E1,Dana Chief,dana@example.org,Executive,,Chief Executive,GB,active\n"
    "E2,Sam Seller,sam@example.org,Sales,E1,Sales Director,GB,active\n"
    "E3,Nia New,{email},People,E1,Investigator,GB,active\n"
)


@pytest.fixture
def server(smtp: Any, settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """A real server whose mail goes to the `smtp` listener of this test."""
    port = settings.MAILERS["default"]["OPTIONS"]["port"]
    mail = {"OMBUDS_EMAIL_BACKEND": "smtp", "OMBUDS_EMAIL_HOST": "127.0.0.1", "OMBUDS_EMAIL_PORT": str(port)}
    with running_server(tmp_path_factory.mktemp("admin-server"), extra_env=mail) as running:
        yield running


def events(server: RealServer, kind: EventType) -> list[tuple[Any, ...]]:
    return server.query("SELECT actor_id, detail FROM audit_auditevent WHERE event_type = %s ORDER BY seq", [kind])


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"admin-{name}.png"), full_page=True)


def test_an_administrator_invites_a_handler_and_imports_the_directory_without_javascript(
    browser: Any, server: RealServer, smtp: Any
) -> None:
    base = server.base_url
    probe = secrets.token_hex(4)
    admin_email, new_email = f"admin-{probe}@example.org", f"nia-{probe}@example.org"
    admin = create_staff(server, {admin_email: ("administrator",)})[admin_email]
    admin_id = server.query("SELECT id FROM auth_user WHERE email = %s", [admin_email])[0][0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # 1. The administrator signs in (password and TOTP) and invites a handler.
    context, page = new_page(browser, javascript=False)
    log_in(page, base, admin)
    page.get_by_role("link", name="Administration", exact=True).first.click()
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    shot(page, "home")
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Staff accounts").click()
    expect(page.get_by_role("heading", name="Staff accounts", level=1)).to_be_visible()
    page.get_by_role("link", name="Invite a staff member").click()
    page.get_by_label("E-mail address").fill(new_email)
    page.get_by_label("Full name").fill("Nia New")
    page.get_by_label("Handler", exact=True).check()
    shot(page, "invite")
    assert submit(page, page.get_by_role("button", name="Send the invitation")) == 302
    expect(flash(page)).to_contain_text(f"Invitation sent to {new_email}")
    expect(page.get_by_text("Not in the directory")).to_be_visible()  # no directory person yet
    shot(page, "account")
    context.close()

    # 2. The invitation, as delivered by SMTP; the handler follows it in a browser of her own.
    [message] = [m for m in smtp.messages if m["To"] == new_email]
    found = LINK.search(message.get_content())
    assert found, "the invitation holds no link"
    password = "pw-" + secrets.token_urlsafe(18)
    context, page = new_page(browser, javascript=False)
    page.goto(base + found.group(1))
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    page.get_by_label("Choose a password").fill(password)
    page.get_by_label("The same password again").fill(password)
    shot(page, "invitation")
    assert submit(page, page.get_by_role("button", name="Set my password")) == 200
    expect(page.get_by_role("heading", name="Your password is set")).to_be_visible()
    page.get_by_role("link", name="Log in").click()
    page.wait_for_url(re.compile(r"/staff/accounts/login/"))
    page.locator('input[name="login"]').fill(new_email)
    page.locator('input[name="password"]').fill(password)
    assert submit(page, page.get_by_role("button", name="Sign In", exact=True)) == 302
    page.wait_for_url(re.compile(r"/staff/accounts/2fa/totp/activate/$"))
    secret = page.locator("#authenticator_secret").inner_text().replace(" ", "")
    page.locator('input[name="code"]').fill(totp_code(secret))
    assert submit(page, page.get_by_role("button", name="Activate")) == 302
    page.goto(base + "/staff/")
    expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    context.close()

    # 3. The administrator uploads the directory, reads the dry run, and confirms it.
    context, page = new_page(browser, javascript=False)
    log_in(page, base, admin)
    page.goto(base + "/staff/admin/directory/")
    expect(page.get_by_role("heading", name="Staff accounts that match no person")).to_be_visible()
    expect(page.locator("#unlinked ~ .table-scroll table").first).to_contain_text(new_email)
    data = DIRECTORY.format(email=new_email).encode()
    page.get_by_label("Directory file (CSV)").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": data}
    )
    shot(page, "directory")
    assert submit(page, page.get_by_role("button", name="Check the file (dry run)")) == 302
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dry run")
    expect(page.get_by_text("3 people created")).to_be_visible()
    assert server.query("SELECT count(*) FROM directory_person")[0][0] == 0, "the dry run changed the directory"
    shot(page, "dry-run")
    assert submit(page, page.get_by_role("button", name="Import this file")) == 302
    expect(flash(page)).to_contain_text("The directory was imported.")
    expect(page.get_by_text("1 staff account linked to its person")).to_be_visible()
    shot(page, "imported")
    assert server.query("SELECT count(*) FROM directory_person")[0][0] == 3
    linked = server.query(
        "SELECT p.employee_id FROM directory_person p JOIN auth_user u ON u.id = p.user_id WHERE u.email = %s",
        [new_email],
    )
    assert linked == [("E3",)], "the invited handler was not linked to her directory person"

    # The other pages, for the record.
    for path, name in (
        ("/staff/admin/staff/", "staff"),
        ("/staff/admin/organisation/", "organisation"),
        ("/staff/admin/pools/", "pools"),
    ):
        page.goto(base + path)
        shot(page, name)
    context.close()

    # 4. Each step is in the audit trail, with the administrator named.
    invited = events(server, EventType.STAFF_INVITED)
    assert [(actor, _json(detail)["roles"]) for actor, detail in invited] == [(admin_id, ["handler"])]
    steps = [_json(detail)["step"] for _actor, detail in events(server, EventType.STAFF_ENROLMENT_LINK)]
    assert steps == ["issued", "password_set"]
    assert [actor for actor, _detail in events(server, EventType.DIRECTORY_CHECKED)] == [admin_id]
    imported = events(server, EventType.DIRECTORY_IMPORTED)
    assert [(actor, _json(detail)["created"]) for actor, detail in imported] == [(admin_id, 3)]


def _json(value: Any) -> dict[str, Any]:
    import json

    return value if isinstance(value, dict) else json.loads(value)


def test_an_administrator_changes_the_questionnaire_previews_and_publishes_it_without_javascript(
    browser: Any, server: RealServer
) -> None:
    base = server.base_url
    admin_email = f"admin-{secrets.token_hex(4)}@example.org"
    admin = create_staff(server, {admin_email: ("administrator",)})[admin_email]
    admin_id = server.query("SELECT id FROM auth_user WHERE email = %s", [admin_email])[0][0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    published_before = len(events(server, EventType.QUESTIONNAIRE_PUBLISHED))

    context, page = new_page(browser, javascript=False)
    log_in(page, base, admin)
    page.goto(base + "/staff/admin/")
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Questionnaire").click()
    expect(page.get_by_role("heading", name="Questionnaire", level=1)).to_be_visible()
    page.get_by_role("link", name="Sexual harassment", exact=True).click()
    assert submit(page, page.get_by_role("button", name="Start a draft")) == 302
    expect(flash(page)).to_contain_text("Draft started.")

    # A new question, in English and Chinese, optional.
    page.get_by_role("link", name="Add a question").click()
    page.locator('input[name="key"]').fill("witnesses")
    page.locator('input[name="kind"][value="yes_no"]').check()
    page.locator('textarea[name="text_en"]').fill("Did anyone else see or hear it?")
    page.locator('textarea[name="text_zh-hans"]').fill("当时有其他人看到或听到吗？")
    shot(page, "questionnaire-question")
    assert submit(page, page.get_by_role("button", name="Save in the draft")) == 302
    expect(flash(page)).to_contain_text("Question saved in the draft.")
    expect(page.locator("#draft")).to_contain_text("Did anyone else see or hear it?")

    # The preview shows it as a reporter would see it, in each language.
    page.get_by_role("link", name="Preview the draft as a reporter sees it").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Preview of the draft")
    expect(page.locator(".preview")).to_contain_text("Did anyone else see or hear it?")
    page.get_by_role("link", name="Simplified Chinese").click()
    expect(page.locator(".preview")).to_contain_text("当时有其他人看到或听到吗？")
    shot(page, "questionnaire-preview")

    # Published as a new version; the draft is gone.
    page.get_by_role("link", name="Questions about: Sexual harassment").click()
    page.get_by_label("What changed (optional)").fill("Asks about witnesses.")
    assert submit(page, page.get_by_role("button", name="Publish as a new version")) == 302
    expect(flash(page)).to_contain_text("published: new reports in this category are asked these questions.")
    expect(page.get_by_role("button", name="Start a draft")).to_be_visible()
    shot(page, "questionnaire")
    context.close()

    changes = [
        (actor, _json(detail)["change"], _json(detail).get("question"))
        for actor, detail in events(server, EventType.QUESTIONNAIRE_DRAFT_CHANGED)
    ]
    assert changes == [(admin_id, "draft_started", None), (admin_id, "question_added", "witnesses")]
    published = events(server, EventType.QUESTIONNAIRE_PUBLISHED)[published_before:]
    assert [(actor, _json(detail)["category"]) for actor, detail in published] == [(admin_id, "sexual_harassment")]
    rows = server.query(
        "SELECT v.number FROM questionnaire_version v JOIN questionnaire_question q ON q.version_id = v.id "
        "WHERE v.category = %s AND q.key = %s",
        ["sexual_harassment", "witnesses"],
    )
    assert rows == [(_json(published[0][1])["version"],)], "the published version does not hold the new question"
