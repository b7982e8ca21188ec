"""The case file: the whole case as a PDF for oversight and legal counsel.

A report filed in Chinese must come out in Chinese (set in a CJK font), every page must
say who produced the file and when, producing it is an audit event, and nobody but an
unconflicted oversight member can produce it.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest
import time_machine
from django.contrib.auth.models import User

from ombuds.accounts import keys as staff_keys
from ombuds.accounts import tokens
from ombuds.audit.models import AuditEvent, EventType
from ombuds.casefile import document, sections
from ombuds.casefile.core import audit_context
from ombuds.cases import actions
from ombuds.cases.models import Case
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person
from tests.support import client_for, make_staff, rewrite_detail_column

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 17, 5, 9, tzinfo=UTC)
MOMENT = "2026-11-02 17:05:09 UTC"

NARRATIVE = (
    "出差的时候，客户一直劝我喝酒，我的两位经理就在旁边看着，没有人阻止。"
    "当天晚上，经理来到我的酒店房间，对我进行了性侵犯。"
    "我向人力资源部门报告后，他们要求我提供视频证据，否则不会考虑调查。"
)


def _pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def _fonts(data: bytes) -> set[str]:
    found = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        resources: Any = page["/Resources"].get_object()
        fonts = resources["/Font"].get_object() if "/Font" in resources else {}
        for font in fonts.values():
            # A subset's name: a tag, "+", and the family ("ABCDEF+Noto-Sans-CJK-SC").
            found.add(str(font.get_object()["/BaseFont"]).replace("-", ""))
    return found


def _flat(text: str) -> str:
    """Text as extracted, without the line breaks the layout put in."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def chinese_case(staff, file_report) -> Case:
    """A named report filed in Chinese, long enough for several pages, with a thread and a note."""
    case: Case = file_report(anonymous=False, language="zh-hans", reporter_name="李梅", narrative=NARRATIVE).case
    actions.acknowledge_case(case=case, actor=staff.handler, message="我们已收到您的报告。")
    for n in range(40):
        actions.send_staff_message(case=case, actor=staff.handler, body=f"Message {n}: " + "我们会联系您。" * 12)
    actions.add_note(case=case, actor=staff.handler, body="Interview the witnesses first.")
    return case


def test_the_pdf_holds_the_chinese_narrative_and_names_producer_and_moment_on_every_page(staff, chinese_case) -> None:
    with time_machine.travel(T0, tick=False):
        response = client_for(staff.oversight).get(f"/staff/cases/{chinese_case.reference}/case-file.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="case-file-{chinese_case.reference}.pdf"'
    pages = _pages(response.content)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "oversight@example.org" in text, number
        assert MOMENT in text, number
        assert f"{number} / {len(pages)}" in text, number
    whole = _flat("".join(pages))
    assert _flat(NARRATIVE) in whole
    assert "李梅" in whole and _flat("我们已收到您的报告。") in whole
    assert "Interviewthewitnessesfirst." in whole
    # Set in the CJK font, not in boxes of a font without the characters.
    assert any("NotoSansCJK" in font for font in _fonts(response.content))


def test_producing_it_is_an_audit_event_that_the_file_itself_lists(staff, chinese_case) -> None:
    with time_machine.travel(T0, tick=False):
        data = client_for(staff.oversight).get(f"/staff/cases/{chinese_case.reference}/case-file.pdf").content
    event = AuditEvent.objects.get(event_type=EventType.CASE_FILE_PRODUCED)
    assert (event.case_id, event.actor_id, event.detail) == (chinese_case.pk, staff.oversight.pk, {"via": "web"})
    assert event.at == T0
    assert f"{event.seq}" in "".join(_pages(data)) and "case_file_produced" in _flat("".join(_pages(data)))


def test_the_api_gives_the_same_file_to_oversight(staff, chinese_case) -> None:
    token = tokens.create_token(user=staff.oversight, name="counsel", key_pair=staff_keys.attached(staff.oversight))[1]
    response = client_for(staff.oversight).get(
        f"/api/v1/cases/{chinese_case.reference}/case-file", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert _flat(NARRATIVE) in _flat("".join(_pages(response.content)))
    assert AuditEvent.objects.get(event_type=EventType.CASE_FILE_PRODUCED).detail == {"via": "api"}


def _conflicted_oversight(file_report: Any) -> tuple[User, Case]:
    olga = make_staff("olga@example.org", "oversight")
    Person.objects.create(employee_id="E-OLGA", name="Olga", email="olga@example.org")
    link_staff_by_email()
    keep_out = [actions.NewPerson(name="Olga", role="keep_out", employee_id="E-OLGA")]
    case: Case = file_report(anonymous=False, reporter_name="Mei", people=keep_out).case
    return olga, case


@pytest.mark.parametrize("persona", ["handler", "lead", "admin", "auditor", "hr", "conflicted oversight"])
def test_everybody_else_gets_404(staff, file_report, persona) -> None:
    if persona == "hr":
        user, case = make_staff("hr@example.org", "hr"), file_report().case
    elif persona == "conflicted oversight":
        user, case = _conflicted_oversight(file_report)
    else:
        user, case = getattr(staff, persona), file_report().case
    client = client_for(user)
    assert client.get(f"/staff/cases/{case.reference}/case-file.pdf").status_code == 404
    if getattr(user, "totp_secret", None):
        token = tokens.create_token(user=user, name="probe")[1]
        answer = client.get(f"/api/v1/cases/{case.reference}/case-file", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 404
    page = client.get(f"/staff/cases/{case.reference}/")
    assert "case-file.pdf" not in page.content.decode()
    assert not AuditEvent.objects.filter(event_type=EventType.CASE_FILE_PRODUCED).exists()


def test_the_case_page_links_it_for_oversight(staff, file_report) -> None:
    case = file_report().case
    page = client_for(staff.oversight).get(f"/staff/cases/{case.reference}/").content.decode()
    assert f"/staff/cases/{case.reference}/case-file.pdf" in page


def test_it_holds_the_decisions_timeline_and_audit_excerpt(staff, file_report) -> None:
    case = file_report(anonymous=False, reporter_name="Mei", narrative="He cornered me by the lifts.").case
    actions.acknowledge_case(case=case, actor=staff.handler)
    actions.begin_assessment(case=case, actor=staff.handler)
    actions.propose_closure(
        case=case, actor=staff.handler, grounds="not_misconduct", reason="A joke, not more.", search_done="Nothing."
    )
    actions.reject_closure(case=case, actor=staff.lead, note="A report never needs a witness to be taken up.")
    html = document.html(case, staff.oversight, now=T0)
    assert "He cornered me by the lifts." in html
    assert "A joke, not more." in html and "A report never needs a witness to be taken up." in html
    assert "Rejected by lead@example.org" in html
    assert "closure rejected" in html  # the timeline
    seqs = list(AuditEvent.objects.filter(case=case).order_by("seq").values_list("seq", "event_type"))
    assert seqs and all(f"<td>{seq}</td>" in html for seq, _type in seqs)
    assert (
        html.index('id="report"')
        < html.index('id="decisions"')
        < html.index('id="timeline"')
        < html.index('id="audit"')
    )


def test_the_audit_excerpt_shows_the_signed_details_not_the_copy_beside_them(staff, file_report) -> None:
    case = file_report(anonymous=False, reporter_name="Mei").case
    actions.acknowledge_case(case=case, actor=staff.handler)
    signed = {
        event.seq: json.dumps(event.details(), sort_keys=True, separators=(",", ":"))
        for event in AuditEvent.objects.filter(case=case)
        if event.details()
    }
    assert signed
    # Someone with the database's keys rewrites the detail column: the signed leaves stay.
    assert rewrite_detail_column(AuditEvent.objects.filter(case=case), lambda _detail: {"forged": "yes"}) >= len(signed)
    rows = audit_context(case, staff.oversight)["events"]
    assert {row.seq: row.detail for row in rows if row.detail} == signed
    assert "forged" not in document.html(case, staff.oversight, now=T0)


def test_another_app_plugs_a_section_in_with_one_registration(
    staff, file_report, settings, tmp_path: Path, monkeypatch
) -> None:
    """What ombuds.investigations and ombuds.outcomes do from their ready(): a context function and a template."""
    (tmp_path / "investigations").mkdir()
    (tmp_path / "investigations" / "casefile.html").write_text(
        '<section id="investigation"><h2>Investigation</h2><p>{{ finding }} for {{ reference }}</p></section>'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    monkeypatch.setattr(sections, "_SECTIONS", dict(sections._SECTIONS))

    def casefile_context(case: Case, user: User) -> Mapping[str, Any]:
        return {"finding": "Substantiated", "reference": case.reference}

    sections.register("investigation", 45, casefile_context, "investigations/casefile.html")
    case = file_report().case
    html = document.html(case, staff.oversight, now=T0)
    assert f"<p>Substantiated for {case.reference}</p>" in html
    # In its place: after the report, before the timeline.
    assert html.index('id="report"') < html.index('id="investigation"') < html.index('id="timeline"')


def test_the_retaliation_watch_and_linked_cases_are_in_it(staff, file_report) -> None:
    from ombuds.directory.importer import import_directory
    from ombuds.watch import actions as watch_actions

    import_directory(
        [
            {"employee_id": "E-BOSS", "name": "Bea Boss"},
            {"employee_id": "E-NILS", "name": "Nils New"},
            {"employee_id": "E-MEI", "name": "Mei Chen", "manager_id": "E-BOSS"},
        ]
    )
    case = file_report(anonymous=False, reporter_name="Mei Chen").case
    watch_actions.link_reporter(case=case, actor=staff.handler, person=Person.objects.get(employee_id="E-MEI"))
    import_directory([{"employee_id": "E-MEI", "name": "Mei Chen", "manager_id": "E-NILS"}])
    html = document.html(case, staff.oversight, now=T0)
    assert 'id="watch"' in html and "E-NILS (Nils New)" in html
    # A handler's view of the same case would hold no flag (documents are made for oversight only).
    assert "E-NILS (Nils New)" not in document.html(case, staff.lead, now=T0)


def test_an_oversight_member_who_reads_chinese_gets_the_case_file_in_chinese(staff, chinese_case) -> None:
    client = client_for(staff.oversight)
    with time_machine.travel(T0, tick=False):
        response = client.get(f"/staff/cases/{chinese_case.reference}/case-file.pdf", HTTP_ACCEPT_LANGUAGE="zh-CN")
    pages = _pages(response.content)
    whole = _flat("".join(pages))
    assert _flat(f"案件档案 {chinese_case.reference}") in whole and "本案件的审计记录" in whole
    assert all(_flat("生成") in _flat(text) and MOMENT.replace(" ", "") in _flat(text) for text in pages)
    for english in ["Case file", "Audit trail of this case", "Messages with the reporter", "Produced by"]:
        assert _flat(english) not in whole, english


def test_a_token_without_its_owners_key_gets_no_case_file(staff, chinese_case) -> None:
    token = tokens.create_token(user=staff.oversight, name="no key")[1]
    answer = client_for(staff.oversight).get(
        f"/api/v1/cases/{chinese_case.reference}/case-file", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 422 and "cannot open" in answer.json()["detail"][0]["msg"]
    assert not AuditEvent.objects.filter(event_type=EventType.CASE_FILE_PRODUCED).exists()


def test_the_investigation_and_the_outcomes_are_in_it(staff, file_report) -> None:
    """The sections ombuds.investigations and ombuds.outcomes register from their ready()."""
    from ombuds.investigations import actions as investigation
    from ombuds.outcomes import actions as outcomes
    from tests.support import find_every_allegation, investigate_the_accused

    case = file_report(people=staff.name_the_accused(), narrative="He followed me to my room.").case
    actions.acknowledge_case(case=case, actor=staff.lead)
    actions.begin_assessment(case=case, actor=staff.lead)
    investigate_the_accused(case, staff.lead, staff.investigator)
    data = b"the hotel's key-card log\n"
    item = investigation.add_evidence(
        case=case,
        actor=staff.investigator,
        kind="file",
        description="Key-card log of the hotel",
        source="Hotel security",
        file=actions.NewAttachment(filename="keycards.txt", content_type="text/plain", data=data),
    )
    find_every_allegation(case, staff.investigator, "substantiated", reasoning="The log and her account agree.")
    actions.record_finding(case=case, actor=staff.lead, finding="", reasoning="Established.")
    case.refresh_from_db()
    accused = next(p for p in case.reports.get().people.all() if p.role == "accused")
    outcomes.propose_outcome(
        case=case, actor=staff.lead, person=accused, sanctions=["written_warning"], rehire="eligible", reason="First."
    )
    html = document.html(case, staff.oversight, now=T0)
    assert 'class="investigation"' in html and "The log and her account agree." in html
    assert "Key-card log of the hotel" in html and hashlib.sha256(data).hexdigest() in html
    assert 'class="casefile-outcomes"' in html and "First." in html
    assert html.index('id="report"') < html.index('class="investigation"') < html.index('id="timeline"')
    assert item.number == 1
