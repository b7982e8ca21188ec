"""The quick exit on every reporter page, the support links, and the note about monitored devices."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from ombuds.policies import actions as policy_actions
from ombuds.resources import actions as resource_actions
from tests.support import receipt_from

pytestmark = pytest.mark.django_db

QUICK_EXIT = re.compile(r'<a class="quick-exit" id="quick-exit" href="/exit/"[^>]*>Leave this page quickly</a>')
SUPPORT = 'href="/support/"'
REPORT = {
    "category": "sexual_harassment",
    "role": "affected",
    "narrative": "He follows me to the car park.",
    "anonymous": "true",
}

# Reporter routes that show no page: a POST that ends in a redirect, the exit itself, a file to download.
# Her answer to interview minutes and releasing or withdrawing a held report redirect, or
# show the status page (walked) with the error.
REDIRECT_ONLY = {
    "intake:release_held",
    "intake:withdraw_held",
    "intake:receipt_saved",
    "intake:leave",
    "intake:quick_exit",
    "intake:proof_download",
    "intake:answer_minutes",
}


def _reporter_route_names() -> set[str]:
    """Every URL name outside /staff/, /api/ and /i18n/, from the resolver, so a new reporter page is walked too."""
    names: set[str] = set()

    def walk(patterns: Sequence[object], prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if not route.startswith(("staff/", "api/", "i18n/")):
                    names.add(f"{namespace}:{pattern.name}" if namespace else str(pattern.name))

    walk(get_resolver().url_patterns, "", None)
    return names


@pytest.fixture
def pages(staff, reporter_client: Client) -> dict[str, tuple[str, str]]:
    """Every reporter page as a reporter meets it: {url name: (what it is, its HTML)}."""
    policy = policy_actions.create_policy(
        slug="anti-harassment",
        kind="anti_harassment",
        texts={"en": ("Anti-harassment", "Words."), "zh-hans": ("反骚扰", "文字。")},
        actor=staff.admin,
    )
    policy_actions.publish(policy=policy, actor=staff.admin)
    found: dict[str, tuple[str, str]] = {}

    def keep(name: str, label: str, response) -> None:
        assert response.status_code in (200, 400, 404, 410), (label, response.status_code)
        found.setdefault(name, (label, response.content.decode()))

    keep("intake:start", "start", reporter_client.get("/"))
    keep("intake:report", "report form", reporter_client.get("/report/"))
    receipt_page = reporter_client.post("/report/", REPORT, follow=True)
    keep("intake:report", "receipt", receipt_page)
    found["receipt"] = ("receipt", receipt_page.content.decode())
    receipt_from(receipt_page.content)
    keep("intake:status", "status", reporter_client.get("/status/"))
    keep("intake:proof", "proof of filing", reporter_client.get("/status/proof/"))
    keep("intake:appeal", "appeal with an error", reporter_client.post("/status/appeal/", {"reason": ""}))
    keep("intake:message", "message with an error", reporter_client.post("/status/message/", {"body": ""}))
    keep("intake:return", "return (her login)", Client().get("/return/"))
    keep("resources:support", "support", Client().get("/support/?country=GB"))
    keep("policies:list", "policies", Client().get("/policies/"))
    keep("policies:policy", "a policy", Client().get("/policies/anti-harassment/"))
    keep("policies:version", "a policy's version", Client().get("/policies/anti-harassment/versions/1/"))
    keep("policies:acknowledge", "an acknowledgement link", Client().get("/acknowledge/" + "x" * 43 + "/"))
    return found


def test_the_walk_covers_every_reporter_page(pages) -> None:
    assert _reporter_route_names() - REDIRECT_ONLY <= set(pages)


def test_every_reporter_page_has_the_quick_exit_and_the_support_link(pages) -> None:
    missing = [label for label, html in pages.values() if not QUICK_EXIT.search(html) or SUPPORT not in html]
    assert missing == []
    for label, html in pages.values():
        assert '<script src="/static/ombuds/quick-exit.js" defer></script>' in html, label
        # Reachable from the keyboard straight after "skip to content".
        assert html.index('class="skip"') < html.index('id="quick-exit"') < html.index("<main"), label


def test_the_receipt_and_status_pages_link_to_support_in_their_text(pages) -> None:
    for name in ("receipt", "intake:status"):
        main = pages[name][1].split("<main", 1)[1].split("</main>", 1)[0]
        assert '<a href="/support/">support and help lines</a>' in main, name


def test_staff_pages_have_no_quick_exit(client: Client) -> None:
    page = client.get("/staff/accounts/login/").content.decode()
    assert "quick-exit" not in page


def test_the_quick_exit_goes_to_the_configured_site_and_ends_her_session(settings, reporter_client: Client) -> None:
    settings.OMBUDS_QUICK_EXIT_URL = "https://weather.example/today"
    reporter_client.post("/report/", REPORT, follow=True)
    assert reporter_client.get("/status/").status_code == 200
    left = reporter_client.get("/exit/")
    assert left.status_code == 302
    assert left["Location"] == "https://weather.example/today"
    assert left.cookies["ombuds_reporter"].value == ""
    # Back, or someone else at the device, finds the sign-in page, not her case.
    assert reporter_client.get("/status/")["Location"] == "/return/"


def test_the_administrators_choice_of_site_wins_over_the_setting(client: Client) -> None:
    resource_actions.configure_support(default_country="", quick_exit_url="https://news.example/", actor=None)
    assert client.get("/exit/")["Location"] == "https://news.example/"


def test_the_exit_works_without_a_session_and_only_with_get(client: Client) -> None:
    assert client.get("/exit/").status_code == 302
    assert client.post("/exit/").status_code == 405


def test_the_script_replaces_the_history_entry_and_is_a_file_of_the_site() -> None:
    script = (Path(settings.BASE_DIR) / "ombuds" / "core" / "static" / "ombuds" / "quick-exit.js").read_text()
    assert "window.location.replace(link.href)" in script
    assert "event.preventDefault()" in script
    assert "script-src 'self'" in Client().get("/").headers["Content-Security-Policy"]


def test_the_start_page_says_calmly_that_a_work_device_or_network_may_be_watched(client: Client) -> None:
    page = client.get("/").content.decode()
    assert "Your device and network" in page
    assert "may let your employer see which websites you visit" in page
    chinese = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "您的设备和网络" in chinese
