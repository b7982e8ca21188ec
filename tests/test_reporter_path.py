"""The safer reporter path: errors she can find, nothing remembered, nothing lost, her language.

Failed submits lead to a summary that links each error to its field; help and error texts
are tied to their fields; no field lets the browser remember what she typed; an anonymous
report keeps no contact; switching language or her page closing keeps her text; dates and
names are written in her language.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from ombuds.cases import actions
from ombuds.cases.models import Appeal, Case, Message
from ombuds.core.templatetags.reader_dates import reader_date, reader_datetime, written_date
from tests.support import receipt_from

pytestmark = pytest.mark.django_db

FORM = {
    "category": "sexual_harassment",
    "role": "affected",
    "narrative": "He kept commenting on my clothes in every meeting.",
    "anonymous": "true",
    "language": "en",
}
ZH = "zh-hans"


class _Fields(HTMLParser):
    """Every field a reporter can type in or choose, with its attributes; and each element's id."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.ids: set[str] = set()
        self.submits: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "button" and found.get("type") == "submit" and found.get("form") is None:
            self.submits.append(found)
        if tag in ("textarea", "select") or (
            tag == "input" and found.get("type") not in ("hidden", "submit", "button")
        ):
            self.fields.append(found)


def _parse(html: str) -> _Fields:
    parser = _Fields()
    parser.feed(html)
    return parser


def _page(response) -> str:
    html: str = response.content.decode()
    return html


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match, "the page has no title"
    return match.group(1).strip()


def _file(client: Client) -> str:
    return receipt_from(client.post("/report/", FORM, follow=True).content)


# --- Errors she can find -------------------------------------------------------------------


def test_a_failed_report_leads_to_a_summary_with_a_link_to_each_field_and_an_error_title() -> None:
    response = Client().post("/report/", {"anonymous": "true"})
    html = _page(response)
    assert response.status_code == 400
    assert _title(html).startswith("Error:")
    summary = re.search(r'<div class="errors"[^>]*>', html)
    assert summary, "no error summary"
    for attribute in ('role="alert"', 'tabindex="-1"', "autofocus"):
        assert attribute in summary.group(0)
    links = re.findall(r'<li><a href="#([^"]+)">', html)
    assert links == ["id_category_0", "id_role_0", "id_narrative"]
    ids = _parse(html).ids
    assert set(links) <= ids  # each link leads to its field


def test_help_and_error_texts_have_the_ids_the_fields_point_at() -> None:
    html = _page(Client().post("/report/", {"anonymous": "true"}))
    narrative = re.search(r"<textarea[^>]*id=\"id_narrative\"[^>]*>", html)
    assert narrative, "no narrative field"
    described = re.search(r'aria-describedby="([^"]+)"', narrative.group(0))
    assert described, "the narrative points at no help or error"
    ids = _parse(html).ids
    assert set(described.group(1).split()) == {"id_narrative_helptext", "id_narrative_error"}
    assert {"id_narrative_helptext", "id_narrative_error"} <= ids
    assert 'aria-describedby="id_category_error"' in html  # the radio group's fieldset


def test_a_wrong_receipt_leads_to_the_summary_and_the_receipt_field() -> None:
    response = Client().post("/return/", {"receipt": "1234-5678"})
    html = _page(response)
    assert response.status_code == 400
    assert _title(html).startswith("Error:")
    assert '<a href="#id_receipt">' in html
    assert 'id="id_receipt_error"' in html


def test_the_error_title_is_translated() -> None:
    html = _page(Client().post("/report/", {"anonymous": "true"}, HTTP_ACCEPT_LANGUAGE=ZH))
    assert _title(html).startswith("错误：")


def test_a_page_without_errors_has_no_error_title() -> None:
    assert not _title(_page(Client().get("/report/"))).startswith("Error:")


# --- Nothing remembered, nothing identifying -------------------------------------------------


def test_every_reporter_field_has_autocomplete_off() -> None:
    client = Client()
    pages = [_page(client.get("/report/")), _page(client.get("/return/"))]
    _file(client)
    pages.append(_page(client.get("/status/")))
    fields = [field for html in pages for field in _parse(html).fields]
    assert len(fields) > 20
    remembered = [field.get("name") for field in fields if field.get("autocomplete") != "off"]
    assert remembered == []


def test_an_anonymous_report_with_a_contact_is_refused_and_nothing_is_stored() -> None:
    response = Client().post("/report/", {**FORM, "reporter_contact": "+44 7700 900123"})
    html = _page(response)
    assert response.status_code == 400
    assert "identifies you" in html
    assert 'id="id_reporter_contact_error"' in html
    assert Case.objects.count() == 0


def test_the_action_refuses_a_contact_on_an_anonymous_report() -> None:
    with pytest.raises(actions.ActionError, match="anonymous"):
        actions.file_report(
            category="bullying", role="affected", narrative="x", anonymous=True, reporter_contact="me@example.org"
        )
    assert Case.objects.count() == 0


def test_the_api_refuses_a_contact_on_an_anonymous_report() -> None:
    body = {"category": "bullying", "role": "affected", "narrative": "x", "anonymous": True, "contact": "me@x.org"}
    response = Client().post("/api/v1/reports", json.dumps(body), content_type="application/json")
    assert response.status_code in (400, 422)
    assert Case.objects.count() == 0


def test_the_confidential_choice_is_named_and_explained() -> None:
    html = _page(Client().get("/report/"))
    assert "report confidentially" in html
    assert "identifies you as surely as your name" in html


# --- Nothing lost -------------------------------------------------------------------------


def test_enter_in_a_text_field_sends_the_report_not_the_directory_search() -> None:
    html = _page(Client().get("/report/"))
    form = html[html.index('id="report-form"') :]
    first = _parse(form).submits[0]
    assert first.get("name") is None  # the report itself, not name="lookup"
    assert "default-submit" in str(first.get("class"))


def test_switching_language_keeps_what_she_typed_and_sends_nothing() -> None:
    client = Client()
    page = _page(client.get("/report/"))
    form = page[page.index('id="report-form"') :]
    assert 'name="switch_language" value="zh-hans"' in form  # the switch is part of the report form
    response = client.post("/report/", {**FORM, "location": "Room 4", "switch_language": ZH})
    html = _page(response)
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert FORM["narrative"] in html
    assert 'value="Room 4"' in html
    assert 'class="errors"' not in html
    assert Case.objects.count() == 0
    assert client.cookies["django_language"].value == ZH


def test_posting_after_her_page_closed_keeps_her_text_and_asks_for_the_receipt() -> None:
    client = Client()
    receipt = _file(client)
    client.cookies.pop("ombuds_reporter")  # as when her session has expired
    text = "He did it again this morning."
    response = client.post("/status/message/", {"body": text})
    html = _page(response)
    assert response.status_code == 401
    assert 'id="draft-kept"' in html and text in html
    assert 'name="receipt"' in html
    wrong = client.post("/return/", {"receipt": "1111-1111", "draft_kind": "message", "draft_text": text})
    assert text in _page(wrong)  # a mistyped receipt keeps it too
    opened = client.post("/return/", {"receipt": receipt, "draft_kind": "message", "draft_text": text})
    assert opened.status_code == 200
    assert re.search(r'<textarea name="body"[^>]*>\s*' + re.escape(text), _page(opened))


def test_the_status_page_says_when_it_closes() -> None:
    client = Client()
    _file(client)
    assert "this page closes after 15 minutes without activity" in _page(client.get("/status/"))


# --- Her language ----------------------------------------------------------------------------


def test_dates_are_written_in_the_readers_language_and_never_wrap() -> None:
    day = date(2026, 12, 7)
    with translation.override("en"):
        assert written_date(day) == "7 December 2026"
        assert reader_date(day) == '<span class="nowrap">7 December 2026</span>'
        assert (
            reader_datetime(datetime(2026, 12, 7, 9, 5, tzinfo=timezone.get_current_timezone()))
            == '<span class="nowrap">7 December 2026, 09:05</span>'
        )
    with translation.override(ZH):
        assert written_date(day) == "2026年12月7日"
        assert (
            reader_datetime(datetime(2026, 12, 7, 9, 5, tzinfo=timezone.get_current_timezone()))
            == '<span class="nowrap">2026年12月7日 09:05</span>'
        )


def test_the_receipt_page_keeps_each_group_whole_and_offers_print_and_copy() -> None:
    html = _page(Client().post("/report/", FORM, follow=True))
    assert re.search(
        r'id="receipt"[^>]*>(<span class="group">\d{4}</span>-<wbr>){6}<span class="group">\d{4}</span>', html
    )
    assert 'class="printable"' in html and "/return/" in html
    assert 'data-copy="receipt" hidden' in html  # shown by copy-receipt.js only where it can copy
    assert "ombuds/copy-receipt.js" in html
    assert "<script>" not in html  # no inline script: the CSP holds


def test_names_are_shown_in_the_readers_language() -> None:
    actions.configure_organisation(
        name="Example Ltd",
        oversight_name="the Audit Committee",
        names_per_language={ZH: {"name": "示例公司", "oversight_name": "审计委员会"}},
    )
    chinese = _page(Client().get("/", HTTP_ACCEPT_LANGUAGE=ZH))
    assert "审计委员会" in chinese and "示例公司" in chinese
    assert "Audit Committee" not in chinese and "Example Ltd" not in chinese
    english = _page(Client().get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "the Audit Committee" in english


def test_the_command_sets_a_name_per_language(capsys) -> None:
    call_command("organisation", "set", "--oversight-name-in", ZH, "审计委员会")
    call_command("organisation", "set", "--name-in", ZH, "示例公司")
    call_command("organisation", "show")
    out = capsys.readouterr().out
    assert "审计委员会" in out and "示例公司" in out


def test_an_unknown_language_is_refused_for_a_name() -> None:
    with pytest.raises(actions.ActionError):
        actions.configure_organisation(names_per_language={"xx": {"name": "X"}})


class _LatinText(HTMLParser):
    """Runs of Latin letters in the text of <body>, outside elements marked as another language."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.in_body = False
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.in_body = True
        if tag in ("br", "input", "img", "meta", "link", "wbr"):
            return
        lang = dict(attrs).get("lang")
        foreign = lang is not None and not str(lang).startswith("zh")
        self.stack.append((tag, foreign or tag in ("script", "style")))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.in_body and not any(skip for _tag, skip in self.stack):
            self.found += re.findall(r"[A-Za-z]+", data)


# Names no language translates: the product's name and the file formats the file help lists.
PROPER_NAMES = {"ombuds", "JPEG", "PNG", "WebP", "GIF", "TIFF", "PDF", "PDFs"}


def _latin(html: str, allowed: set[str]) -> list[str]:
    parser = _LatinText()
    parser.feed(html)
    return [word for word in parser.found if word not in allowed | PROPER_NAMES]


def test_the_chinese_start_and_status_pages_have_no_latin_letters_but_names_and_the_reference() -> None:
    actions.configure_organisation(names_per_language={ZH: {"name": "示例公司", "oversight_name": "审计委员会"}})
    client = Client(HTTP_ACCEPT_LANGUAGE=ZH)
    assert _latin(_page(client.get("/")), set()) == []
    client.post("/report/", {**FORM, "language": ZH}, follow=True)
    reference = Case.objects.get().reference
    words = _latin(_page(client.get("/status/")), set(reference.split("-")))
    assert words == [], words


def test_switching_language_on_the_status_page_keeps_her_unsent_message_and_sends_nothing() -> None:
    client = Client()
    _file(client)
    page = _page(client.get("/status/"))
    header = page[: page.index("<main")]
    # The header's switch sends the message form, so what she is writing travels with it.
    assert 'name="switch_language" value="zh-hans"' in header
    assert 'form="message-form" formaction="/status/message/"' in header
    assert 'id="message-form"' in page
    text = "He said it again at the meeting."
    before = Message.objects.count()
    response = client.post("/status/message/", {"body": text, "switch_language": ZH})
    html = _page(response)
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert re.search(r'<textarea name="body"[^>]*>\s*' + re.escape(text), html)
    assert Message.objects.count() == before
    assert client.cookies["django_language"].value == ZH


def test_her_appeal_is_written_on_its_own_page_whose_language_switch_keeps_it() -> None:
    client = Client()
    _file(client)
    status = _page(client.get("/status/"))
    assert 'href="/status/appeal/"' in status and 'name="reason"' not in status
    page = _page(client.get("/status/appeal/"))
    header = page[: page.index("<main")]
    assert 'id="appeal-form"' in page and 'name="reason"' in page
    assert 'form="appeal-form" formaction="/status/appeal/"' in header
    text = "Nobody has answered me for three weeks."
    switched = client.post("/status/appeal/", {"reason": text, "switch_language": ZH})
    html = _page(switched)
    assert switched.status_code == 200 and '<html lang="zh-hans">' in html
    assert re.search(r'<textarea name="reason"[^>]*>\s*' + re.escape(text), html)
    assert Appeal.objects.count() == 0
    refused = client.post("/status/appeal/", {"reason": ""})
    assert refused.status_code == 400 and 'id="appeal-form"' in _page(refused)
    assert client.post("/status/appeal/", {"reason": text}).status_code == 302
    assert Appeal.objects.count() == 1


def test_an_appeal_written_after_her_page_closed_comes_back_on_the_appeal_page() -> None:
    client = Client()
    receipt = _file(client)
    client.cookies.pop("ombuds_reporter")  # as when her session has expired
    text = "I disagree with how this was handled."
    closed = client.post("/status/appeal/", {"reason": text})
    assert closed.status_code == 401 and text in _page(closed)
    opened = client.post("/return/", {"receipt": receipt, "draft_kind": "appeal", "draft_text": text})
    html = _page(opened)
    assert opened.status_code == 200 and 'id="appeal-form"' in html
    assert re.search(r'<textarea name="reason"[^>]*>\s*' + re.escape(text), html)
    assert Appeal.objects.count() == 0
