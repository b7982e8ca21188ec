"""The Simplified Chinese translation: complete, compiled, and what a reporter actually sees.

A frightened reporter who reads Chinese must never meet a half-English page. These tests
check the catalogue itself (every entry translated, no fuzzy entry, placeholders kept,
the committed .mo in step with the .po, every marked string extracted) and then walk the
reporter's pages in Chinese.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from ombuds.cases.models import Case, Organisation
from tests.support import receipt_from

LOCALE_DIR = Path(settings.BASE_DIR) / "ombuds" / "locale"
PO_FILE = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")

ZH = "zh-CN,zh;q=0.9"

# Distinctive sentences from the templates and forms; none may survive on a Chinese page.
ENGLISH = [
    "Report misconduct safely",
    "Skip to content",
    "Report harassment, assault or other misconduct",
    "private channel",
    "You do not need evidence",
    "Who will read your report",
    "Anonymous or confidential",
    "What happens next",
    "I already have a receipt",
    "Make a report",
    "What happened?",
    "What kind of behaviour",
    "How do you know about it",
    "You do not need any proof",
    "Sexual harassment",
    "It happened to me",
    "People involved",
    "Name or description",
    "Person who did it",
    "Do you want to give your name",
    "report anonymously",
    "How can we reach you",
    "Which language should we write",
    "Simplified Chinese",
    "(optional)",
    "(required)",
    "Send report",
    "Return to your report",
    "Spaces and dashes do not matter",
    "Open my report",
    "Lost your receipt",
    "Your receipt",
    "This is your receipt",
    "I have saved my receipt",
    "Your report",
    "Status",
    "Received",
    "Confirmation due by",
    "Feedback due by",
    "No messages yet",
    "Send message",
    "Appeal to the oversight body",
    "Why are you appealing",
    "Send appeal to oversight",
    "Leave",
    "Please check the form",
]

# Three or more Latin words in a row: text someone forgot to translate.
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ \t\n,.'’:;?!()-]+[A-Za-z]{2,}){2,}")

PLACEHOLDER = re.compile(r"%(?:\((?P<name>\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")


# --- the catalogue -------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"\s*$')
_CONTINUATION = re.compile(r'^"(.*)"\s*$')


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match.group(1), match.group(0)), text)


def parse_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """The header fields and the entries of a .po file (obsolete #~ entries are skipped)."""
    entries: list[Entry] = []
    current = Entry()
    key: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal current, key, started
        if started:
            entries.append(current)
        current, key, started = Entry(), None, False

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            finish()
        elif line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            started = True
            keyword, index, value = match.group(1), match.group(2), _unescape(match.group(3))
            if keyword.startswith("msgstr"):
                key = ("msgstr", int(index or 0))
                current.msgstr[key[1]] = value
            else:
                key = (keyword, 0)
                setattr(current, keyword, value)
        elif (match := _CONTINUATION.match(line)) and key is not None:
            value = _unescape(match.group(1))
            if key[0] == "msgstr":
                current.msgstr[key[1]] += value
            else:
                setattr(current, key[0], (getattr(current, key[0]) or "") + value)
        else:
            raise AssertionError(f"{path}: cannot read the line {line!r}")
    finish()

    headers = [entry for entry in entries if entry.msgid == "" and entry.msgctxt is None]
    assert len(headers) == 1, "the .po file has no header entry"
    header = {
        name.strip().lower(): value.strip()
        for name, _sep, value in (row.partition(":") for row in headers[0].msgstr[0].splitlines() if row)
    }
    return header, [entry for entry in entries if entry is not headers[0]]


@pytest.fixture(scope="module")
def catalogue() -> tuple[dict[str, str], list[Entry]]:
    return parse_po(PO_FILE)


def _placeholders(text: str) -> tuple[set[str], list[str]]:
    """Named placeholders (any order, any number of times) and positional ones (in order)."""
    found = list(PLACEHOLDER.finditer(text.replace("%%", "")))
    return {m.group(0) for m in found if m.group("name")}, [m.group(0) for m in found if not m.group("name")]


def test_it_translates_every_entry_of_the_catalogue_into_simplified_chinese(catalogue) -> None:
    header, entries = catalogue
    assert header["language"] == "zh_Hans"
    assert "charset=UTF-8" in header["content-type"]
    assert header["plural-forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert len(entries) > 100  # every reporter-facing string, not a handful

    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        if sorted(entry.msgstr) != [0]:  # Chinese has a single plural form
            problems.append(f"not exactly one msgstr form: {entry.msgid!r}")
        for form, text in entry.msgstr.items():
            if not text.strip():
                problems.append(f"empty msgstr[{form}]: {entry.msgid!r}")
            elif not re.search(r"[\u4e00-\u9fff]", text):
                problems.append(f"no Chinese in msgstr[{form}]: {entry.msgid!r}")
    assert problems == []


def test_it_keeps_every_placeholder_in_the_chinese_text(catalogue) -> None:
    _header, entries = catalogue
    problems = []
    for entry in entries:
        named, positional = _placeholders(entry.msgid)
        if entry.msgid_plural is not None:
            named |= _placeholders(entry.msgid_plural)[0]  # the single Chinese form stands for both
        for form, text in entry.msgstr.items():
            translated_named, translated_positional = _placeholders(text)
            if translated_named != named:
                problems.append(f"{entry.msgid!r}: msgstr[{form}] has {sorted(translated_named)}, not {sorted(named)}")
            if translated_positional != positional:
                problems.append(f"{entry.msgid!r}: msgstr[{form}] has {translated_positional}, not {positional}")
        if (named or positional) and "python-format" not in entry.flags:
            problems.append(f"{entry.msgid!r} has placeholders but no python-format flag")
    assert problems == []


def test_the_committed_mo_file_matches_the_po_file(catalogue) -> None:
    """A .po edited without running compilemessages fails here: Django only reads the .mo."""
    _header, entries = catalogue
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert compiled.info().get("language") == "zh_Hans"
    assert compiled.info().get("plural-forms", "").replace(" ", "") == "nplurals=1;plural=0;"

    stale = []
    for entry in entries:
        translation = entry.msgstr[0]
        if entry.msgid_plural is not None:
            for count in (1, 2, 5):
                if entry.msgctxt is not None:
                    found = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, count)
                else:
                    found = compiled.ngettext(entry.msgid, entry.msgid_plural, count)
                if found != translation:
                    stale.append(f"{entry.msgid!r} (n={count}): .mo has {found!r}, .po has {translation!r}")
        else:
            if entry.msgctxt is not None:
                found = compiled.pgettext(entry.msgctxt, entry.msgid)
            else:
                found = compiled.gettext(entry.msgid)
            if found != translation:
                stale.append(f"{entry.msgid!r}: .mo has {found!r}, .po has {translation!r}")
    assert stale == [], "run: ombuds compilemessages -l zh_Hans --ignore=.venv"


@pytest.mark.skipif(shutil.which("xgettext") is None or shutil.which("msgmerge") is None, reason="needs GNU gettext")
def test_the_catalogue_holds_every_string_marked_in_the_code(tmp_path, catalogue) -> None:
    """Extract the messages from a copy of the package: nothing new may be missing from the .po."""
    project = tmp_path / "project"
    shutil.copytree(
        Path(settings.BASE_DIR) / "ombuds", project / "ombuds", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(project),
        "DJANGO_SETTINGS_MODULE": "ombuds.settings",
        "OMBUDS_VAR_DIR": str(tmp_path / "var"),
    }
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-location"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    _header, extracted = parse_po(project / "ombuds" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    _header, entries = catalogue
    ours = {(entry.msgctxt, entry.msgid) for entry in entries}
    missing = sorted(entry.msgid for entry in extracted if (entry.msgctxt, entry.msgid) not in ours)
    assert missing == [], "run: ombuds makemessages -l zh_Hans --no-location --ignore=.venv --ignore=tests"
    unused = sorted(msgid for _ctxt, msgid in ours - {(entry.msgctxt, entry.msgid) for entry in extracted})
    assert unused == []


# --- the pages -------------------------------------------------------------------------


class _VisibleText(HTMLParser):
    """Text a reader sees or hears: page text plus the attributes read aloud or shown."""

    SPOKEN = frozenset({"aria-label", "title", "placeholder", "alt"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        self.parts.extend(value for name, value in attrs if name in self.SPOKEN and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def assert_chinese(html: str, *phrases: str) -> None:
    assert '<html lang="zh-hans">' in html
    for phrase in phrases:
        assert phrase in html, f"missing Chinese text {phrase!r}"
    text = visible_text(html)
    left = [sentence for sentence in ENGLISH if sentence in text]
    assert left == [], f"English left on a Chinese page: {left}"
    runs = ENGLISH_RUN.findall(text)
    assert runs == [], f"untranslated text on a Chinese page: {runs}"


@pytest.fixture
def chinese_organisation(db: None) -> None:
    """An installation in China names its organisation and oversight body in Chinese."""
    Organisation.objects.filter(pk=1).update(name="示例科技有限公司", oversight_name="独立监督委员会")


@pytest.mark.django_db
@pytest.mark.usefixtures("chinese_organisation")
def test_it_translates_the_start_page_into_simplified_chinese(client: Client) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    assert_chinese(
        page,
        "举报性骚扰、性侵犯或其他不当行为",
        "您不需要提供证据",
        "这是示例科技有限公司专用的保密举报渠道",
        "自动转交给独立于管理层的独立监督委员会",
        "我要举报",
        "我已有回执",
    )


# Every page reads the organisation's time zone and the languages it offers reporters.
@pytest.mark.django_db
def test_it_translates_the_report_form_into_simplified_chinese(client: Client) -> None:
    page = client.get("/report/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    assert_chinese(
        page,
        "您要举报的是哪一类行为？",
        "性骚扰",
        "打击报复",
        "这件事发生在我身上",
        "发生了什么？",
        "（选填）",
        "不，我要匿名举报",
        "简体中文",
        "提交举报",
        # The extra questions of the questionnaire, in the reader's language.
        "还有几个问题",
        "这种情况现在还在发生吗？",
        "不作答",
    )
    assert '<option value="zh-hans" selected>简体中文</option>' in page


# Every page reads the organisation's time zone and the languages it offers reporters.
@pytest.mark.django_db
def test_it_translates_the_return_page_into_simplified_chinese(client: Client) -> None:
    page = client.get("/return/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    assert_chinese(page, "查看已提交的举报", "您的回执", "查看我的举报", "回执丢失了？")


@pytest.mark.django_db
def test_it_explains_form_errors_in_simplified_chinese(client: Client) -> None:
    response = client.post("/report/", {"narrative": "   ", "anonymous": "false"}, HTTP_ACCEPT_LANGUAGE=ZH, follow=True)
    assert response.status_code == 400
    assert_chinese(
        response.content.decode(),
        "请检查表单",
        "请选择最接近的一类行为。",
        "请选择您是如何知道这件事的。",
        "请告诉我们发生了什么。",
    )
    assert Case.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("chinese_organisation")
def test_it_files_a_report_and_shows_the_receipt_and_status_in_simplified_chinese(client: Client) -> None:
    response = client.post(
        "/report/",
        {
            "category": "sexual_harassment",
            "role": "affected",
            "narrative": "部门经理多次在会议室里对我动手动脚，还发来不恰当的消息。",
            "anonymous": "true",
            "language": "zh-hans",
        },
        HTTP_ACCEPT_LANGUAGE=ZH,
        follow=True,
    )
    assert response.status_code == 200
    receipt_page = response.content.decode()
    assert receipt_from(response.content)
    assert 'id="receipt" aria-label="回执"' in receipt_page
    assert_chinese(receipt_page, "您的举报已保存", "这是您的回执", "我已保存回执，查看我的案件")
    assert Case.objects.get().reports.get().language == "zh-hans"

    saved = client.post("/report/saved/", HTTP_ACCEPT_LANGUAGE=ZH)
    assert saved.status_code == 302
    assert saved["Location"] == "/status/"
    status = client.get("/status/", HTTP_ACCEPT_LANGUAGE=ZH)
    assert status.status_code == 200
    assert_chinese(
        status.content.decode(),
        "您的举报",
        "已收到",
        "您的举报已安全保存。",
        "案件处理人员须在",
        "暂无消息。",
        "向监督机构申诉",
        "可以向独立监督委员会提出申诉",
        "退出",
    )

    client.post("/status/message/", {"body": "我想补充一位证人。"}, HTTP_ACCEPT_LANGUAGE=ZH)
    client.post("/status/appeal/", {"reason": "一直没有人回复我。"}, HTTP_ACCEPT_LANGUAGE=ZH)
    status = client.get("/status/", HTTP_ACCEPT_LANGUAGE=ZH)
    assert_chinese(status.content.decode(), "我想补充一位证人。", "未读", "提出申诉。", "监督机构已收到，正在处理。")


@pytest.mark.django_db
def test_it_keeps_simplified_chinese_after_the_language_switch(client: Client) -> None:
    assert '<html lang="en">' in client.get("/").content.decode()
    switched = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert switched.status_code == 302
    assert switched["Location"] == "/"
    page = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "您不需要提供证据" in page
    assert "You do not need evidence" not in page


# --- the questionnaire ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("chinese_organisation")
def test_it_shows_her_answers_on_the_status_page_in_simplified_chinese(client: Client) -> None:
    response = client.post(
        "/report/",
        {
            "category": "sexual_harassment",
            "role": "affected",
            "narrative": "客户在饭局上对我动手动脚，我的上级就在旁边看着。",
            "anonymous": "true",
            "language": "zh-hans",
            "qv-sexual_harassment": "1",
            "q-sexual_harassment-work_trip_or_event": "yes",
            "q-sexual_harassment-ongoing": "not_sure",
        },
        HTTP_ACCEPT_LANGUAGE=ZH,
        follow=True,
    )
    assert response.status_code == 200
    status = client.get("/status/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    assert_chinese(status, "您对补充问题的回答", "显示我的回答", "这种情况现在还在发生吗？", "不确定", "是")


@pytest.mark.django_db
def test_it_explains_an_unanswered_required_question_in_simplified_chinese(client: Client, staff) -> None:
    from ombuds.questionnaire import actions
    from ombuds.questionnaire.validation import QuestionSpec

    draft = actions.start_draft(category="bullying", acting_user=staff.admin)
    question = draft.questions.get(key="how_long")
    spec = QuestionSpec.of(question)
    actions.save_question(
        category="bullying",
        spec=QuestionSpec(spec.key, spec.kind, True, spec.text, spec.help, spec.choices),
        acting_user=staff.admin,
        question_id=question.pk,
    )
    actions.publish(category="bullying", acting_user=staff.admin)
    response = client.post(
        "/report/",
        {"category": "bullying", "role": "affected", "narrative": "组长每周都当众吼我。", "anonymous": "true"},
        HTTP_ACCEPT_LANGUAGE=ZH,
        follow=True,
    )
    assert response.status_code == 400
    assert_chinese(response.content.decode(), "请检查表单", "这种情况持续多久了？", "（必填）", "请回答这个问题。")


@pytest.mark.django_db
def test_it_translates_the_questionnaire_admin_pages_into_simplified_chinese(staff) -> None:
    admin = staff.client_for(staff.admin)
    admin.post("/staff/admin/questionnaire/sexual_assault/draft/", HTTP_ACCEPT_LANGUAGE=ZH)
    pages = {
        "/staff/admin/questionnaire/": ["问卷", "行为类别", "有待发布的草稿", "第1版"],
        "/staff/admin/questionnaire/sexual_assault/": [
            "问题：性侵犯",
            "草稿",
            "添加问题",
            "发布为新版本",
            "您现在安全吗？",
        ],
        "/staff/admin/questionnaire/sexual_assault/draft/questions/new/": [
            "添加问题",
            "标识",
            "回答方式",
            "单选",
            "保存到草稿",
        ],
        "/staff/admin/questionnaire/sexual_assault/draft/preview/?language=zh-hans": ["草稿预览：性侵犯", "不作答"],
        "/staff/admin/questionnaire/sexual_assault/versions/1/?language=zh-hans": ["第1版：性侵犯", "您现在安全吗？"],
    }
    for path, phrases in pages.items():
        response = admin.get(path, HTTP_ACCEPT_LANGUAGE=ZH)
        assert response.status_code == 200, path
        assert_chinese(response.content.decode(), *phrases)


@pytest.mark.django_db
def test_the_case_page_shows_the_answers_with_the_questions_in_simplified_chinese(staff, file_report) -> None:
    filed = file_report(category="sexual_assault", answers={"safe_now": "no", "support_wanted": "later"})
    page = staff.client_for(staff.lead).get(f"/staff/cases/{filed.case.reference}/", HTTP_ACCEPT_LANGUAGE=ZH)
    html = page.content.decode()
    for phrase in ["补充问题（问卷第1版）", "您现在安全吗？", "否", "以后再说", "未作答"]:
        assert phrase in html, phrase
    answers = html[html.index("补充问题") : html.index("</dl>", html.index("补充问题"))]
    assert ENGLISH_RUN.findall(visible_text(answers)) == []
