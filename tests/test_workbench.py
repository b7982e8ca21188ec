"""The staff workbench: urgency in words, labelled filters, the conversation, the login pages.

The browser half (layout at 1280 and 360 px, axe, screenshots) is in
tests/test_browser_workbench.py; these tests read the HTML the server writes.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone, translation

from ombuds.audit.labels import LABELS, event_label
from ombuds.audit.models import EventType
from ombuds.cases import actions, urgency
from ombuds.cases.models import Case
from tests.support import client_for, make_staff, untranslated

ZH = "zh-CN,zh;q=0.9"
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("UTC"))


def _due(case: Case, at: datetime) -> None:
    """Put every pending deadline of a case at `at`, as the deadline columns would stand after days of waiting."""
    Case.objects.filter(pk=case.pk).update(first_action_due_at=at, ack_due_at=at, next_deadline_at=at)


@pytest.mark.parametrize(
    ("due", "level", "english"),
    [
        (NOON - timedelta(days=2, hours=1), "overdue", "overdue by 2 days"),
        (NOON - timedelta(days=1), "overdue", "overdue by 1 day"),
        (NOON - timedelta(hours=1), "overdue", "overdue since today"),
        (NOON + timedelta(hours=3), "today", "due today"),
        (NOON + timedelta(days=1), "soon", "1 day left"),
        (NOON + timedelta(days=3), "soon", "3 days left"),
        (NOON + timedelta(days=9), "later", "9 days left"),
        (None, "none", "no deadline"),
    ],
)
def test_it_says_how_much_time_is_left_in_words(settings, due, level, english) -> None:
    settings.TIME_ZONE = "UTC"
    with translation.override("en"):
        found = urgency.of(due, NOON)
    assert (found.level, found.text) == (level, english)
    assert found.urgent == (level in {"overdue", "today"})


def test_the_words_are_chinese_for_a_chinese_reader(settings) -> None:
    settings.TIME_ZONE = "UTC"
    with translation.override("zh-hans"):
        texts = [
            urgency.of(NOON - timedelta(days=2, hours=1), NOON).text,
            urgency.of(NOON + timedelta(hours=3), NOON).text,
            urgency.of(NOON + timedelta(days=3), NOON).text,
            urgency.of(None, NOON).text,
        ]
    assert texts == ["已逾期 2 天", "今天到期", "还剩 3 天", "无期限"]


def test_a_whole_day_is_due_until_it_ends(settings) -> None:
    settings.TIME_ZONE = "UTC"
    today = NOON.date()
    assert urgency.of(today, NOON).level == "today"
    assert urgency.of(today - timedelta(days=1), NOON).text == "overdue by 1 day"


def test_the_inbox_puts_overdue_and_due_today_first_with_a_badge_in_words(file_report, staff) -> None:
    later = file_report().case
    overdue = file_report().case
    today = file_report().case
    now = timezone.now()
    _due(overdue, now - timedelta(days=2, hours=1))
    end_of_today = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    _due(today, max(end_of_today, now + timedelta(minutes=5)))
    html = client_for(staff.lead).get("/staff/").content.decode()
    ours = {later.reference, overdue.reference, today.reference}
    order = [ref for ref in dict.fromkeys(re.findall(r"C-[A-Z0-9]{8}", html)) if ref in ours]
    assert order[:3] == [overdue.reference, today.reference, later.reference]
    rows = {
        ref: row for row in html.split('<tr role="row"') for ref in [overdue.reference, later.reference] if ref in row
    }
    assert "urgency-overdue" in rows[overdue.reference] and re.search(r"overdue by \d+ days", rows[overdue.reference])
    assert re.search(r"\d+ days left", rows[later.reference])
    # The shape beside the words, so that nobody needs to tell red from green.
    assert rows[overdue.reference].count('class="due-shape" aria-hidden="true"') == 1


def test_the_inbox_filters_have_visible_labels(staff) -> None:
    html = client_for(staff.handler).get("/staff/").content.decode()
    for name in ("status", "category", "due_within"):
        assert f'<label for="id_{name}">' in html
        assert f'id="id_{name}"' in html
    # The menu and the pages are two navigations with two names.
    assert 'aria-label="Staff menu"' in html and 'aria-label="Pages of the inbox"' in html


def test_the_inbox_reads_fifty_cases_a_page(file_report, staff) -> None:
    for _ in range(51):
        file_report()
    web = client_for(staff.lead)
    first = web.get("/staff/").content.decode()
    second = web.get("/staff/?page=2").content.decode()
    assert first.count('<td role="cell" class="case-ref">') == 50
    assert second.count('<td role="cell" class="case-ref">') == 1


def test_the_case_page_is_a_conversation_with_speakers(file_report, staff) -> None:
    filed = file_report()
    case = filed.case
    actions.assign_case(case=case, actor=staff.lead, assignee=staff.handler)
    actions.post_reporter_message(report=filed.report, body="Is anyone reading this?")
    actions.send_staff_message(case=case, actor=staff.handler, body="Yes, I am, and I will call you tomorrow.")
    html = client_for(staff.handler).get(f"/staff/cases/{case.reference}/").content.decode()
    thread = html.split('<ol class="conversation"', 1)[1].split("</ol>", 1)[0]
    theirs = thread.index('class="message from-reporter"')
    ours = thread.index('class="message from-staff"')
    assert "The reporter wrote" in thread[theirs:ours]
    assert "handler@example.org replied" in thread[ours:]
    # Summary, deadlines and steps in one column, report, messages and timeline in the other.
    side = html.split('<div class="case-side">', 1)[1].split('<div class="case-main">', 1)[0]
    main = html.split('<div class="case-main">', 1)[1]
    assert 'id="summary-heading"' in side and 'id="deadlines-heading"' in side and 'id="actions-heading"' in side
    assert 'id="thread-heading"' in main and 'id="timeline-heading"' in main


def test_the_login_page_has_no_sign_up_link(db: None) -> None:
    html = Client().get("/staff/accounts/login/").content.decode()
    assert "signup" not in html and "sign up" not in html.lower()
    # Labelled fields and the staff stylesheet, as on every staff page.
    assert '<label for="id_login">' in html and '<label for="id_password">' in html
    assert "cases/staff.css" in html


def test_every_audit_event_has_a_name_in_chinese() -> None:
    assert set(LABELS) == set(EventType), "every event type needs a label in ombuds/audit/labels.py"
    with translation.override("zh-hans"):
        missing = [kind.name for kind in EventType if not re.search(r"[\u4e00-\u9fff]", event_label(kind))]
    assert missing == []


def test_the_staff_pages_speak_chinese_event_names_included(file_report, staff) -> None:
    case = file_report(narrative="经理在会议上一直碰我的肩膀。", language="zh-hans").case
    actions.acknowledge_case(case=case, actor=staff.lead)
    web = client_for(staff.oversight)
    for path in ("/staff/", f"/staff/cases/{case.reference}/", "/staff/audit/"):
        html = web.get(path, HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
        assert untranslated(html) == [], (path, untranslated(html))
    # The same check reads event names, which are too short for a run of English words.
    with translation.override("en"):
        assert untranslated("<p>案件 case acknowledged</p>") == ["case acknowledged"]


def test_the_totp_page_writes_the_secret_in_groups_and_not_in_alt_text(db: None) -> None:
    user = make_staff("fresh@example.org", "handler", totp=False)
    from tests.support import password_only_client

    web = password_only_client(user)
    html = web.get("/staff/accounts/2fa/totp/activate/").content.decode()
    secret = web.session["mfa.totp.secret"]
    alts = re.findall(r'alt="([^"]*)"', html)
    assert alts and all(secret not in alt.replace(" ", "") for alt in alts)
    shown = re.search(r'<p class="totp-secret" id="authenticator_secret">(.*?)</p>', html)
    assert shown is not None
    groups = re.findall(r'<span class="group">([A-Z2-7]+)</span>', shown.group(1))
    assert "".join(groups) == secret and all(len(group) == 4 for group in groups[:-1])


def test_staff_pages_write_dates_in_the_readers_language_and_never_break_them(file_report, staff) -> None:
    case = file_report().case
    actions.acknowledge_case(case=case, actor=staff.lead)
    case.refresh_from_db()
    received = timezone.localtime(case.received_at).date()
    iso = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
    web = client_for(staff.oversight)
    english = f"{received.day} {received:%B} {received.year}"
    chinese = f"{received.year}年{received.month}月{received.day}日"
    for path in ("/staff/", f"/staff/cases/{case.reference}/", "/staff/audit/"):
        en = web.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        zh = web.get(path, HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
        assert f'<span class="nowrap">{english}' in en, path
        assert f'<span class="nowrap">{chinese}' in zh, path
        # Only the values of date inputs (a browser's own format) may be ISO.
        shown = re.sub(r'value="[^"]*"', "", en + zh)
        assert iso.findall(shown) == [], path
    # The audit trail keeps the second at which each event was written.
    trail = web.get("/staff/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(rf'<span class="nowrap">{english}, \d\d:\d\d:\d\d</span>', trail)
