"""The reporter's web path: start → report → receipt → status → messages → appeal."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone

from ombuds.audit.models import AuditEvent, EventType, PendingEvent
from ombuds.cases import actions
from ombuds.cases.models import Appeal, Attachment, Case, Message
from ombuds.core.templatetags.reader_dates import written_date
from tests.support import opened, receipt_from, release_audit_batch

pytestmark = pytest.mark.django_db

FORM = {
    "category": "sexual_harassment",
    "role": "witness",
    "narrative": "At the offsite the regional director cornered a colleague.",
    "anonymous": "true",
    "language": "en",
}


def _file(client: Client, **extra) -> str:
    response = client.post("/report/", {**FORM, **extra}, follow=True)
    assert response.status_code == 200
    return receipt_from(response.content)


def test_the_start_page_says_no_evidence_is_needed(reporter_client) -> None:
    page = reporter_client.get("/").content.decode()
    assert "You do not need evidence" in page
    assert "Anonymous" in page
    assert "Confidential" in page
    assert "Within 7 days" in page
    assert 'href="/report/"' in page


def test_the_form_asks_only_category_and_narrative(reporter_client) -> None:
    page = reporter_client.get("/report/").content.decode()
    required = set(re.findall(r'<label for="id_(\w+)">[^<]*<span class="required">', page))
    assert required == {"narrative"}  # category and role are radio groups; nothing else is required
    assert "You do not need any proof" in page
    for label in [
        "Sexual harassment",
        "Sexual assault",
        "Discrimination",
        "Bullying",
        "Retaliation",
        "Other misconduct",
    ]:
        assert label in page
    for role in ["It happened to me", "I saw or heard it", "I was around", "on someone else"]:
        assert role in page


def test_it_shows_the_receipt_only_after_the_report_is_stored(reporter_client) -> None:
    response = reporter_client.post("/report/", FORM, follow=True)
    receipt = receipt_from(response.content)
    assert re.fullmatch(r"\d{4}(-\d{4}){6}", receipt)
    assert Case.objects.count() == 1
    assert response["Cache-Control"].startswith("no-store")
    assert "ombuds_reporter" in reporter_client.cookies
    # Post/redirect/get: the POST answered with a redirect, and the receipt's cookie is gone once shown.
    assert response.redirect_chain == [("/report/", 302)]
    assert reporter_client.cookies["ombuds_receipt"].value == ""
    assert 'id="receipt"' not in reporter_client.get("/report/").content.decode()


def test_a_witness_a_bystander_and_someone_on_behalf_can_report(reporter_client) -> None:
    for role in ["witness", "bystander", "on_behalf"]:
        _file(reporter_client, role=role)
    assert Case.objects.count() == 3


def test_a_named_report_requires_a_name_and_keeps_contact(reporter_client) -> None:
    response = reporter_client.post("/report/", {**FORM, "anonymous": "false"}, follow=True)
    assert response.status_code == 400
    assert "Please give your name" in response.content.decode()
    receipt = _file(reporter_client, anonymous="false", reporter_name="Mei Chen", reporter_contact="+44 7700 900123")
    report = Case.objects.get().reports.get()
    stored = (opened(report, "reporter_name", receipt=receipt), opened(report, "reporter_contact", receipt=receipt))
    assert stored == ("Mei Chen", "+44 7700 900123") and report.anonymous is False


def test_an_anonymous_report_drops_a_name_typed_by_mistake(reporter_client) -> None:
    _file(reporter_client, reporter_name="Typed Then Changed Mind")
    assert Case.objects.get().reports.get().reporter_name == ""


def test_people_involved_are_stored_with_their_part(reporter_client) -> None:
    receipt = _file(
        reporter_client,
        person_1_name="Regional director",
        person_1_role="accused",
        person_2_name="Sam from sales",
        person_2_role="witness",
    )
    people = [(opened(p, "name", receipt=receipt), p.role) for p in Case.objects.get().reports.get().people.all()]
    assert people == [("Regional director", "accused"), ("Sam from sales", "witness")]


def test_attachments_are_optional_and_several_are_allowed(reporter_client) -> None:
    files = [SimpleUploadedFile("a.txt", b"first"), SimpleUploadedFile("b.txt", b"second")]
    receipt = _file(reporter_client, attachments=files)
    assert sorted(opened(a, "filename", receipt=receipt) for a in Attachment.objects.all()) == ["a.txt", "b.txt"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"narrative": "   "}, "Please tell us what happened"),
        ({"category": "gossip"}, "Select a valid choice"),
        ({"role": ""}, "Please choose how you know about it"),
        ({"location": "x" * 201}, "at most 200 characters"),
    ],
)
def test_bad_input_changes_nothing_and_keeps_her_text(reporter_client, change, error) -> None:
    data = {**FORM, "occurred": "last spring", **change}
    response = reporter_client.post("/report/", data, follow=True)
    page = response.content.decode()
    assert response.status_code == 400
    assert error in page
    assert "last spring" in page  # what she typed is still in the form
    if "narrative" not in change:
        assert FORM["narrative"] in page
    assert Case.objects.count() == 0


def test_too_many_files_are_refused_with_a_clear_message(reporter_client, settings) -> None:
    settings.OMBUDS_MAX_ATTACHMENTS = 2
    files = [SimpleUploadedFile(f"{i}.txt", b"x") for i in range(3)]
    response = reporter_client.post("/report/", {**FORM, "attachments": files}, follow=True)
    assert response.status_code == 400
    assert "at most 2 files" in response.content.decode()
    assert Case.objects.count() == 0


def test_an_oversized_file_is_refused_with_a_clear_message(reporter_client, settings) -> None:
    settings.OMBUDS_MAX_ATTACHMENT_BYTES = 1024 * 1024
    big = SimpleUploadedFile("video.mp4", b"x" * (1024 * 1024 + 1))
    response = reporter_client.post("/report/", {**FORM, "attachments": [big]}, follow=True)
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert Case.objects.count() == 0


def test_a_request_larger_than_all_uploads_allowed_is_refused_before_reading(reporter_client, settings) -> None:
    settings.OMBUDS_MAX_REQUEST_BYTES = 2000
    response = reporter_client.post("/report/", {**FORM, "narrative": "x" * 5000}, follow=True)
    assert response.status_code == 413
    assert Case.objects.count() == 0


def test_a_storage_failure_keeps_her_text_and_stores_nothing(reporter_client, monkeypatch) -> None:
    def broken(**kwargs):
        raise DatabaseError("database is locked")

    monkeypatch.setattr(actions, "file_report", broken)
    response = reporter_client.post("/report/", FORM, follow=True)
    page = response.content.decode()
    assert response.status_code == 503
    assert "nothing was saved" in page
    assert FORM["narrative"] in page
    assert 'id="receipt"' not in page
    assert Case.objects.count() == 0


def test_reporter_text_is_always_escaped(reporter_client) -> None:
    _file(reporter_client)
    reporter_client.post("/report/saved/")
    reporter_client.post("/status/message/", {"body": "<script>alert(1)</script>"})
    page = reporter_client.get("/status/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_status_page_says_what_happens_next_and_by_when(reporter_client) -> None:
    _file(reporter_client)
    response = reporter_client.post("/report/saved/")
    assert response.status_code == 302
    assert response["Location"] == "/status/"
    page = reporter_client.get("/status/").content.decode()
    case = Case.objects.get()
    assert "Received" in page
    # Dates in the reader's language, each in a span that never wraps (7 December 2026).
    assert f'<span class="nowrap">{written_date(case.ack_due_at)}</span>' in page
    assert f'<span class="nowrap">{written_date(case.feedback_due_at)}</span>' in page
    assert "Appeal to the oversight body" in page


def test_she_comes_back_with_the_receipt_alone() -> None:
    first = Client()
    receipt = _file(first)
    later = Client()
    assert later.get("/status/")["Location"] == "/return/"
    response = later.post("/return/", {"receipt": receipt.replace("-", " ")})
    assert response.status_code == 302
    assert response["Location"] == "/status/"
    assert "Received" in later.get("/status/").content.decode()


def test_a_wrong_receipt_and_a_malformed_one_get_the_same_answer(reporter_client) -> None:
    _file(Client())
    wrong = reporter_client.post("/return/", {"receipt": "1111-2222-3333-4444-5555-6666-7777"})
    malformed = reporter_client.post("/return/", {"receipt": "hello"})
    assert wrong.status_code == malformed.status_code == 400
    message = "This receipt does not open a report"
    assert message in wrong.content.decode()
    assert message in malformed.content.decode()


def test_receipt_guessing_is_rate_limited(settings) -> None:
    settings.OMBUDS_RECEIPT_ATTEMPTS = 3
    _file(Client())
    guesser = Client()
    for _ in range(3):
        assert guesser.post("/return/", {"receipt": "1111-2222-3333-4444-5555-6666-7777"}).status_code == 400
    blocked = guesser.post("/return/", {"receipt": "1111-2222-3333-4444-5555-6666-7778"})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.content.decode()


def test_the_limit_resets_after_the_window(settings) -> None:
    settings.OMBUDS_RECEIPT_ATTEMPTS = 1
    _file(Client())
    guesser = Client()
    wrong = {"receipt": "1111-2222-3333-4444-5555-6666-7777"}
    assert guesser.post("/return/", wrong).status_code == 400
    assert guesser.post("/return/", wrong).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.OMBUDS_RECEIPT_WINDOW_SECONDS + 1)):
        assert guesser.post("/return/", wrong).status_code == 400


def test_the_reporter_session_expires(reporter_client, settings) -> None:
    _file(reporter_client)
    assert reporter_client.get("/status/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.OMBUDS_REPORTER_SESSION_SECONDS + 5)):
        assert reporter_client.get("/status/")["Location"] == "/return/"


def test_a_forged_cookie_opens_nothing(reporter_client) -> None:
    _file(Client())
    reporter_client.cookies["ombuds_reporter"] = "eyJyIjoxfQ:forged:signature"
    assert reporter_client.get("/status/")["Location"] == "/return/"


def test_she_can_message_add_files_and_read_replies(reporter_client) -> None:
    receipt = _file(reporter_client)
    response = reporter_client.post(
        "/status/message/",
        {"body": "I remembered the date: 14 March.", "attachments": [SimpleUploadedFile("cal.txt", b"14 March")]},
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.sender == "reporter"
    assert opened(message.attachments.get(), "filename", receipt=receipt) == "cal.txt"
    page = reporter_client.get("/status/").content.decode()
    assert "I remembered the date: 14 March." in page
    assert "cal.txt" in page
    assert "not read yet" in page


def test_an_empty_message_is_refused(reporter_client) -> None:
    _file(reporter_client)
    response = reporter_client.post("/status/message/", {"body": "  "})
    assert response.status_code == 400
    assert "Write a message or choose a file" in response.content.decode()
    assert Message.objects.count() == 0


def test_she_can_appeal_to_oversight(reporter_client) -> None:
    receipt = _file(reporter_client)
    assert reporter_client.post("/status/appeal/", {"reason": "Nobody has answered me."}).status_code == 302
    assert opened(Appeal.objects.get(), "reason", receipt=receipt) == "Nobody has answered me."
    assert "You appealed on" in reporter_client.get("/status/").content.decode()
    assert reporter_client.post("/status/appeal/", {"reason": ""}).status_code == 400
    assert Appeal.objects.count() == 1


def test_leaving_forgets_the_session(reporter_client) -> None:
    _file(reporter_client)
    reporter_client.post("/leave/")
    assert reporter_client.get("/status/")["Location"] == "/return/"


@pytest.mark.parametrize("path", ["/", "/report/", "/return/"])
def test_reporter_pages_send_privacy_headers_and_load_nothing_from_elsewhere(reporter_client, path) -> None:
    response = reporter_client.get(path)
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["Cache-Control"].startswith("no-store")
    assert response["Referrer-Policy"] == "no-referrer"
    html = response.content.decode()
    assert not re.search(r'(src|href|action)="(https?:)?//', html)
    # One script, the site's own file for the quick exit; nothing inline, and the page works without it.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/ombuds/quick-exit.js" defer>']
    assert "</script>" in html and "defer></script>" in html


def test_the_language_follows_the_browser_and_the_switch(reporter_client) -> None:
    page = reporter_client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in page
    reporter_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = reporter_client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert '<html lang="en">' in page


def test_filing_writes_one_audit_event(reporter_client) -> None:
    _file(reporter_client)
    # Anonymous: the event waits, written with the report, for the next batch boundary.
    assert PendingEvent.objects.filter(event_type=EventType.REPORT_FILED).count() == 1
    release_audit_batch()
    assert AuditEvent.objects.filter(event_type=EventType.REPORT_FILED).count() == 1


def test_a_browser_form_post_without_referrer_passes_csrf_only_from_our_own_origin() -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/report/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token
    data = {**FORM, "csrfmiddlewaretoken": token.group(1)}
    # What Chromium sends under Referrer-Policy: no-referrer.
    ours = client.post(
        "/report/", data, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"}, secure=True, follow=True
    )
    assert ours.status_code == 200
    foreign = client.post(
        "/report/", data, headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"}, secure=True, follow=True
    )
    assert foreign.status_code == 403
    elsewhere = client.post("/report/", data, headers={"Origin": "https://evil.example"}, secure=True, follow=True)
    assert elsewhere.status_code == 403
    assert Case.objects.count() == 1


def test_the_form_says_when_large_files_are_stored_as_they_came(client: Client, settings) -> None:
    """Files larger than the memory limit are encrypted as they arrive, before anything could clean them."""
    assert "are stored exactly as they are too" not in client.get("/report/").content.decode()
    settings.OMBUDS_MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024
    settings.OMBUDS_UPLOAD_MEMORY_BYTES = 16 * 1024 * 1024
    page = client.get("/report/").content.decode()
    assert "Files larger than 16.0" in page and "are stored exactly as they are too, photos included" in page
