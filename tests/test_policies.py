"""Policies: versions written in Markdown, rendered safely, published by an audited action, public to everyone."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from ombuds.audit.models import AuditEvent, EventType
from ombuds.policies import actions
from ombuds.policies.markdown import render
from ombuds.policies.models import Policy, PolicyVersion

pytestmark = pytest.mark.django_db

ZH = "zh-CN,zh;q=0.9"

TEXTS = {
    "en": ("Anti-harassment policy", "## What we promise\n\nNobody here has to put up with harassment."),
    "zh-hans": ("反骚扰政策", "## 我们的承诺\n\n在这里，任何人都不必忍受骚扰。"),
}


def _published(staff, slug: str = "anti-harassment", texts=TEXTS) -> Policy:
    policy = actions.create_policy(slug=slug, kind="anti_harassment", texts=texts, actor=staff.admin)
    actions.publish(policy=policy, actor=staff.admin)
    return policy


# --- Markdown, safely ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert('policy')</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">click</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<iframe src=https://evil.example></iframe>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "![pixel](https://tracker.example/p.png)",
    ],
)
def test_it_renders_no_markup_or_link_that_could_run_code(source: str) -> None:
    html = render(f"Before.\n\n{source}\n\nAfter.")
    tags = _Tags()
    tags.feed(html)
    assert tags.names <= {"p", "a", "em", "strong"}, html
    for name, value in tags.attributes:
        assert name == "href", html
        assert (value or "").startswith(("https://", "http://")), html
    assert "<p>Before.</p>" in html and "<p>After.</p>" in html


class _Tags(HTMLParser):
    """The elements and attributes a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attributes.extend(attrs)


def test_it_still_renders_headings_lists_links_and_tables() -> None:
    html = render(
        "## Scope\n\n- staff\n- visitors\n\n[The law](https://example.org/law)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h2>Scope</h2>" in html
    assert "<li>staff</li>" in html
    assert '<a href="https://example.org/law">The law</a>' in html
    assert "<td>1</td>" in html


def test_a_script_typed_into_a_policy_comes_out_as_text_on_the_public_page(staff, client: Client) -> None:
    evil = {"en": ("Reporting <b>policy</b>", "Read this.\n\n<script>alert('x')</script>\n\n[x](javascript:alert(1))")}
    evil["zh-hans"] = ("举报政策", "请阅读。")
    _published(staff, "reporting", evil)
    page = client.get("/policies/reporting/").content.decode()
    assert (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page or "&lt;script&gt;alert('x')&lt;/script&gt;" in page
    )
    assert "<script>alert" not in page
    assert 'href="javascript:' not in page
    assert "<p>[x](javascript:alert(1))</p>" in page  # shown as the text that was typed
    assert "Reporting &lt;b&gt;policy&lt;/b&gt;" in page


# --- versions and publishing -------------------------------------------------------------


def test_publishing_makes_the_draft_current_and_writes_the_audit_event(staff) -> None:
    policy = actions.create_policy(slug="anti-harassment", kind="anti_harassment", texts=TEXTS, actor=staff.admin)
    assert actions.current_version_of(policy) is None
    version = actions.publish(policy=policy, actor=staff.admin)
    assert actions.current_version_of(policy) == version
    event = AuditEvent.objects.get(event_type=EventType.POLICY_PUBLISHED)
    assert event.actor_id == staff.admin.pk
    assert event.detail == {"policy": policy.pk, "version": version.pk, "number": 1, "supersedes": None}
    assert AuditEvent.objects.filter(event_type=EventType.POLICY_CREATED, actor=staff.admin).count() == 1


def test_a_version_cannot_be_published_without_a_text_in_every_offered_language(staff) -> None:
    policy = actions.create_policy(
        slug="anti-retaliation", kind="anti_retaliation", texts={"en": TEXTS["en"]}, actor=staff.admin
    )
    with pytest.raises(actions.PolicyError, match="Simplified Chinese"):
        actions.publish(policy=policy, actor=staff.admin)
    assert not AuditEvent.objects.filter(event_type=EventType.POLICY_PUBLISHED).exists()
    assert PolicyVersion.objects.get().published_at is None


def test_a_new_version_supersedes_the_old_one_which_stays_readable(staff, client: Client) -> None:
    policy = _published(staff)
    actions.start_next_version(policy=policy, actor=staff.admin)
    actions.save_draft(
        policy=policy,
        texts={"en": ("Anti-harassment policy", "Version two words."), "zh-hans": ("反骚扰政策", "第二版。")},
        note="clearer",
        actor=staff.admin,
    )
    # The draft is not public.
    assert "Version two words" not in client.get("/policies/anti-harassment/").content.decode()
    assert client.get("/policies/anti-harassment/versions/2/").status_code == 404
    second = actions.publish(policy=policy, actor=staff.admin)
    assert second.number == 2
    current = client.get("/policies/anti-harassment/").content.decode()
    assert "Version two words." in current
    assert 'href="/policies/anti-harassment/versions/1/"' in current
    old = client.get("/policies/anti-harassment/versions/1/").content.decode()
    assert "Nobody here has to put up with harassment." in old
    assert "This version was replaced on" in old
    first = PolicyVersion.objects.get(number=1)
    assert first.superseded_at is not None
    last = AuditEvent.objects.filter(event_type=EventType.POLICY_PUBLISHED).last()
    assert last is not None and last.detail["supersedes"] == first.pk


def test_a_published_version_is_never_edited_a_change_starts_a_new_draft(staff) -> None:
    policy = _published(staff)
    draft = actions.save_draft(policy=policy, texts={"en": ("T", "changed")}, actor=staff.admin)
    assert draft.number == 2
    published = PolicyVersion.objects.get(number=1)
    assert published.texts.get(language="en").body == TEXTS["en"][1]


@pytest.mark.parametrize("slug", ["New Policy", "new", "acknowledgements", "a--b", "-a", "a" * 81])
def test_it_refuses_an_address_name_that_is_not_a_plain_slug(staff, slug: str) -> None:
    with pytest.raises(actions.PolicyError):
        actions.create_policy(slug=slug, kind="other", texts=TEXTS, actor=staff.admin)
    assert not Policy.objects.exists()


def test_two_policies_cannot_share_an_address_name(staff) -> None:
    _published(staff)
    with pytest.raises(actions.PolicyError, match="exists already"):
        actions.create_policy(slug="anti-harassment", kind="other", texts=TEXTS, actor=staff.admin)


# --- the public pages -----------------------------------------------------------------------


def test_everyone_reads_the_published_policies_without_logging_in(staff, client: Client) -> None:
    _published(staff)
    actions.create_policy(slug="draft-only", kind="other", texts=TEXTS, actor=staff.admin)
    listing = client.get("/policies/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert 'href="/policies/anti-harassment/"' in page
    assert "draft-only" not in page
    assert client.get("/policies/draft-only/").status_code == 404
    detail = client.get("/policies/anti-harassment/")
    assert detail.status_code == 200
    assert "<h2>What we promise</h2>" in detail.content.decode()


def test_the_reader_gets_the_policy_in_her_language(staff, client: Client) -> None:
    _published(staff)
    listing = client.get("/policies/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    assert "反骚扰政策" in listing
    assert "我们的政策" in listing
    page = client.get("/policies/anti-harassment/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    assert "<h2>我们的承诺</h2>" in page
    assert "What we promise" not in page


def test_the_policy_pages_work_without_javascript_and_load_nothing_from_elsewhere(staff, client: Client) -> None:
    _published(staff)
    for path in ["/policies/", "/policies/anti-harassment/"]:
        response = client.get(path)
        html = response.content.decode()
        assert response["Cache-Control"].startswith("no-store")
        assert '<form method="post"' not in html.split('<header class="site">')[1].split("</header>")[1]
        assert 'src="http' not in html
