"""The retaliation watch: a change to a named reporter's or a witness's directory record after she reported.

Mei reports her manager's boss by name. A handler links her to her directory record.
Within the protection window a directory import gives her a new manager: a flag is
raised on her case for oversight, with the change as the import recorded it. Oversight
clears it with a note, or opens a retaliation case linked to hers. Nobody but the
oversight body (and nobody conflicted on the case) reaches a flag.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from ombuds.accounts import tokens
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions, conflicts
from ombuds.cases.models import Case, Category, Conflict, ConflictReason, Notice, Report, Status
from ombuds.directory.importer import import_directory
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person
from ombuds.watch import actions as watch_actions
from ombuds.watch import secrecy, watch_view
from ombuds.watch.models import FlagState, LinkedCase, LinkKind, ReporterLink, RetaliationFlag
from tests.support import client_for, make_staff, opened

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

MEI = {"employee_id": "E-MEI", "name": "Mei Chen", "email": "mei@example.org", "manager_id": "E-BOSS"}
MEI.update(unit="Sales/Travel", job_title="Account executive", country="CN")
WEN = {"employee_id": "E-WEN", "name": "Wen Li", "email": "wen@example.org", "manager_id": "E-BOSS"}
DIRECTORY = [
    {"employee_id": "E-BOSS", "name": "Bea Boss", "email": "bea@example.org"},
    {"employee_id": "E-NILS", "name": "Nils New", "email": "nils@example.org", "manager_id": "E-BOSS"},
    MEI,
    WEN,
]


@pytest.fixture
def watched(staff, file_report):
    """Mei's named report, naming the accused persona and Wen as a witness; Mei linked by a handler."""
    with time_machine.travel(T0, tick=False):
        assert import_directory(DIRECTORY).errors == []
        # Nils, the manager she will be moved to, is on staff too: a handler.
        staff.nils = make_staff("nils@example.org", "handler")
        link_staff_by_email()
        people = [*staff.name_the_accused(), actions.NewPerson(name="Wen", role="witness", employee_id="E-WEN")]
        filed = file_report(anonymous=False, reporter_name="Mei Chen", people=people)
        watch_actions.link_reporter(
            case=filed.case, actor=staff.handler, person=Person.objects.get(employee_id="E-MEI")
        )
    staff.case = filed.case
    return staff


def _import(at: datetime, *rows: dict[str, str]):
    with time_machine.travel(at, tick=False):
        result = import_directory(list(rows))
    assert result.errors == []
    return result


def _flags(case: Case) -> list[RetaliationFlag]:
    return list(RetaliationFlag.objects.filter(case=case))


def test_it_flags_a_named_reporter_moved_to_a_new_manager_within_the_window(watched) -> None:
    moment = T0 + timedelta(days=40)
    result = _import(moment, {**MEI, "manager_id": "E-NILS"})
    [flag] = _flags(watched.case)
    assert flag.subject == "reporter" and flag.state == FlagState.OPEN
    assert flag.import_id == result.import_id and flag.raised_at == moment
    [view] = watch_view.for_case(watched.case, watched.oversight).flags
    assert (view.name, view.employee_id) == ("Mei Chen", "E-MEI")
    assert [(c.field, c.old, c.new) for c in view.changes] == [("manager", "E-BOSS (Bea Boss)", "E-NILS (Nils New)")]
    event = AuditEvent.objects.get(event_type=EventType.RETALIATION_FLAGGED)
    assert event.case_id == watched.case.pk and event.detail["import_id"] == result.import_id
    assert "E-MEI" not in event.leaf and "Mei" not in event.leaf


def test_it_does_not_flag_the_same_move_after_the_window(watched) -> None:
    _import(T0 + timedelta(days=2 * 365 + 40), {**MEI, "manager_id": "E-NILS"})
    assert _flags(watched.case) == []
    assert Person.objects.filter(employee_id="E-MEI", manager__employee_id="E-NILS").exists()  # the import happened


def test_the_window_is_a_setting(watched, settings) -> None:
    settings.OMBUDS_RETALIATION_WINDOW = "P1M"
    _import(T0 + timedelta(days=40), {**MEI, "manager_id": "E-NILS"})
    assert _flags(watched.case) == []


def test_it_does_not_flag_an_unchanged_record_nor_a_change_that_is_not_adverse(watched) -> None:
    _import(T0 + timedelta(days=40), MEI, WEN)
    _import(T0 + timedelta(days=41), {**MEI, "email": "mei.chen@example.org", "name": "Mei Chen-Li"})
    assert _flags(watched.case) == []


def test_it_flags_a_witness_who_leaves_and_a_reporter_with_a_new_title(watched) -> None:
    _import(T0 + timedelta(days=40), {**WEN, "status": "left"}, {**MEI, "job_title": "Junior assistant"})
    flags = {flag.subject: flag for flag in _flags(watched.case)}
    assert set(flags) == {"reporter", "witness"}
    views = {view.subject: view for view in watch_view.for_case(watched.case, watched.oversight).flags}
    assert [(c.field, c.new) for c in views["witness"].changes] == [("status", "Left")]
    assert [(c.field, c.old, c.new) for c in views["reporter"].changes] == [
        ("job_title", "Account executive", "Junior assistant")
    ]


def test_nobody_is_watched_on_an_anonymous_report(staff, file_report) -> None:
    import_directory(DIRECTORY)
    case = file_report(anonymous=True).case
    with pytest.raises(actions.ActionError, match="anonymous"):
        watch_actions.link_reporter(case=case, actor=staff.handler, person=Person.objects.get(employee_id="E-MEI"))
    assert not ReporterLink.objects.exists()


def test_the_link_is_audited_and_names_her_nowhere_in_clear(watched, settings) -> None:
    link = ReporterLink.objects.get()
    mei = Person.objects.get(employee_id="E-MEI")
    assert link.employee_id.startswith("s1:") and opened(link, "employee_id") == "E-MEI"
    # No column points at her record: only a digest keyed with the server's key.
    assert [f.name for f in ReporterLink._meta.get_fields() if f.related_model is Person] == []
    assert link.person_digest == secrecy.person_digest(mei.pk)
    assert link.person_digest != hashlib.sha256(str(mei.pk).encode()).hexdigest()
    ours = settings.OMBUDS_RECEIPT_KEY
    settings.OMBUDS_RECEIPT_KEY = "another key of another installation, long enough"
    assert link.person_digest != secrecy.person_digest(mei.pk)
    settings.OMBUDS_RECEIPT_KEY = ours
    event = AuditEvent.objects.get(event_type=EventType.REPORTER_LINKED)
    assert event.actor_id == watched.handler.pk and event.detail == {"report": link.report_id}
    _import(T0 + timedelta(days=40), {**MEI, "manager_id": "E-NILS"})
    [flag] = _flags(watched.case)
    assert flag.pending_change is not None
    assert b"E-NILS" not in bytes(flag.pending_change) and b"Mei" not in bytes(flag.pending_change)
    with pytest.raises(actions.ActionError, match="already linked"):
        watch_actions.link_reporter(
            case=watched.case, actor=watched.lead, person=Person.objects.get(employee_id="E-WEN")
        )


def test_oversight_is_told_by_email_with_the_reference_only(watched) -> None:
    _import(T0 + timedelta(days=40), {**MEI, "manager_id": "E-NILS"})
    notice = Notice.objects.get(kind="retaliation_flag")
    assert notice.case_id == watched.case.pk and notice.recipients == [watched.oversight.pk]


def test_oversight_clears_a_flag_with_a_sealed_note(watched) -> None:
    _import(T0 + timedelta(days=40), {**MEI, "manager_id": "E-NILS"})
    [flag] = _flags(watched.case)
    response = client_for(watched.oversight).post(
        f"/staff/cases/{watched.case.reference}/retaliation-flags/{flag.pk}/clear/",
        {f"clear{flag.pk}-note": "The whole travel team moved to Nils in the reorganisation."},
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.state == FlagState.CLEARED and flag.decided_by == watched.oversight
    assert flag.note.startswith("s1:")
    assert opened(flag, "note") == "The whole travel team moved to Nils in the reorganisation."
    # The change left the watch key for the case's own key.
    assert flag.pending_change is None and "E-NILS" in opened(flag, "change")
    event = AuditEvent.objects.get(event_type=EventType.RETALIATION_FLAG_DECIDED)
    assert event.actor_id == watched.oversight.pk and event.detail == {"flag": flag.pk, "decision": "cleared"}
    with pytest.raises(actions.ActionError, match="already been decided"):
        watch_actions.clear_flag(flag=flag, actor=watched.oversight, note="again")


def test_a_flag_is_not_cleared_without_a_note(watched) -> None:
    _import(T0 + timedelta(days=40), {**MEI, "manager_id": "E-NILS"})
    [flag] = _flags(watched.case)
    response = client_for(watched.oversight).post(
        f"/staff/cases/{watched.case.reference}/retaliation-flags/{flag.pk}/clear/", {f"clear{flag.pk}-note": " "}
    )
    assert response.status_code == 400
    flag.refresh_from_db()
    assert flag.state == FlagState.OPEN


def test_oversight_opens_a_linked_retaliation_case_that_keeps_the_new_manager_and_the_accused_out(watched) -> None:
    _import(T0 + timedelta(days=40), {**MEI, "manager_id": "E-NILS"})
    [flag] = _flags(watched.case)
    with time_machine.travel(T0 + timedelta(days=41), tick=False):
        response = client_for(watched.oversight).post(
            f"/staff/cases/{watched.case.reference}/retaliation-flags/{flag.pk}/retaliation-case/",
            {f"retaliate{flag.pk}-statement": "Moved a month after she reported.", f"retaliate{flag.pk}-others": ""},
        )
    link = LinkedCase.objects.get()
    new = link.case
    assert response.status_code == 302 and response["Location"] == f"/staff/cases/{new.reference}/"
    assert (link.origin, link.kind, link.flag, link.opened_by) == (
        watched.case,
        LinkKind.RETALIATION,
        flag,
        watched.oversight,
    )
    assert new.category == Category.RETALIATION and new.status == Status.RECEIVED and not new.anonymous
    # The same deadlines as any case.
    assert new.ack_due_at == T0 + timedelta(days=48) and new.next_deadline_at == new.ack_due_at
    narrative = opened(Report.objects.get(case=new), "narrative")
    assert "E-BOSS (Bea Boss) → E-NILS (Nils New)" in narrative and "Moved a month after she reported." in narrative
    accused = set(
        Conflict.objects.filter(case=new, reason=ConflictReason.ACCUSED).values_list("person__employee_id", flat=True)
    )
    assert accused == {"E-NILS", "P-ACCUSED"}
    for person in [watched.nils, watched.accused, watched.manager]:
        assert conflicts.is_conflicted(person, new)
        assert client_for(person).get(f"/staff/cases/{new.reference}/").status_code == 404
    assert client_for(watched.oversight).get(f"/staff/cases/{new.reference}/").status_code == 200
    flag.refresh_from_db()
    assert flag.state == FlagState.CASE_OPENED
    assert AuditEvent.objects.filter(case=new, event_type=EventType.RETALIATION_CASE_OPENED).exists()
    decided = AuditEvent.objects.get(case=watched.case, event_type=EventType.RETALIATION_FLAG_DECIDED)
    assert decided.detail["decision"] == "case_opened"
    assert AuditEvent.objects.get(case=watched.case, event_type=EventType.LINKED_CASE_OPENED).detail == {
        "linked": new.pk,
        "kind": "retaliation",
    }
    # Both cases say so on their pages.
    page = client_for(watched.oversight).get(f"/staff/cases/{watched.case.reference}/").content.decode()
    assert new.reference in page


@pytest.mark.parametrize("persona", ["handler", "lead", "admin", "auditor", "outsider"])
def test_non_oversight_staff_get_404_on_the_flag_routes(watched, persona) -> None:
    _import(T0 + timedelta(days=40), {**MEI, "manager_id": "E-NILS"})
    [flag] = _flags(watched.case)
    _assert_no_flag_route(watched, getattr(watched, persona), flag)


def test_an_oversight_member_the_reporter_keeps_out_gets_404_on_the_flag_routes(staff, file_report) -> None:
    import_directory([*DIRECTORY, {"employee_id": "E-OLGA", "name": "Olga", "email": "olga@example.org"}])
    olga = make_staff("olga@example.org", "oversight")
    link_staff_by_email()
    keep_out = [actions.NewPerson(name="Olga", role="keep_out", employee_id="E-OLGA")]
    staff.case = file_report(anonymous=False, reporter_name="Mei Chen", people=keep_out).case
    watch_actions.link_reporter(case=staff.case, actor=staff.handler, person=Person.objects.get(employee_id="E-MEI"))
    import_directory([{**MEI, "manager_id": "E-NILS"}])
    [flag] = _flags(staff.case)
    assert Notice.objects.get(kind="retaliation_flag").recipients == [staff.oversight.pk]
    # She watches other cases: the list opens for her, without this case.
    listed = client_for(olga).get("/staff/retaliation-flags/")
    assert listed.status_code == 200 and staff.case.reference not in listed.content.decode()
    _assert_no_flag_route(staff, olga, flag, watches=True)


def _assert_no_flag_route(staff, user, flag: RetaliationFlag, *, watches: bool = False) -> None:
    reference = staff.case.reference
    client = client_for(user)
    if not watches:
        assert client.get("/staff/retaliation-flags/").status_code == 404
    for action in ["clear", "retaliation-case"]:
        path = f"/staff/cases/{reference}/retaliation-flags/{flag.pk}/{action}/"
        assert client.post(path, {f"clear{flag.pk}-note": "x"}).status_code == 404, path
        assert client.get(path).status_code == 404, path
    page = client.get(f"/staff/cases/{reference}/")
    assert page.status_code in (200, 404)
    assert f"flag-{flag.pk}" not in page.content.decode()
    if getattr(user, "totp_secret", None):  # only accounts with a second factor get tokens
        token = tokens.create_token(user=user, name="probe")[1]
        auth = {"Authorization": f"Bearer {token}"}
        calls = [] if watches else [("get", "/api/v1/retaliation-flags", None)]
        for method, path, body in [
            *calls,
            ("get", f"/api/v1/cases/{reference}/retaliation-flags", None),
            ("post", f"/api/v1/cases/{reference}/retaliation-flags/{flag.pk}/clear", {"note": "x"}),
            ("post", f"/api/v1/cases/{reference}/retaliation-flags/{flag.pk}/retaliation-case", {}),
        ]:
            answer = getattr(client, method)(path, body, content_type="application/json", headers=auth)
            assert answer.status_code == 404, (method, path)
    flag.refresh_from_db()
    assert flag.state == FlagState.OPEN


def test_oversight_reads_and_decides_flags_through_the_api(watched) -> None:
    _import(T0 + timedelta(days=40), {**MEI, "manager_id": "E-NILS"})
    [flag] = _flags(watched.case)
    from ombuds.accounts import keys as staff_keys

    token = tokens.create_token(user=watched.oversight, name="script", key_pair=staff_keys.attached(watched.oversight))[
        1
    ]
    client = client_for(watched.oversight)
    auth = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/retaliation-flags", headers=auth).json()["results"]
    assert [(f["case"], f["employee_id"], f["state"]) for f in listed] == [(watched.case.reference, "E-MEI", "open")]
    assert listed[0]["changes"] == [{"field": "manager", "old": "E-BOSS (Bea Boss)", "new": "E-NILS (Nils New)"}]
    answer = client.post(
        f"/api/v1/cases/{watched.case.reference}/retaliation-flags/{flag.pk}/retaliation-case",
        {"statement": "", "others": ["E-BOSS"]},
        content_type="application/json",
        headers=auth,
    )
    assert answer.status_code == 201
    new = Case.objects.get(reference=answer.json()["reference"])
    assert Conflict.objects.filter(case=new, person__employee_id="E-BOSS", reason=ConflictReason.ACCUSED).exists()
    assert client.get("/api/v1/retaliation-flags", headers=auth).json()["results"] == []
    decided = client.get(f"/api/v1/cases/{watched.case.reference}/retaliation-flags", headers=auth).json()["results"]
    assert decided[0]["state"] == "case_opened" and decided[0]["retaliation_case"] == new.reference


def test_the_list_page_shows_open_flags_to_oversight(watched) -> None:
    _import(T0 + timedelta(days=40), {**MEI, "manager_id": "E-NILS"})
    page = client_for(watched.oversight).get("/staff/retaliation-flags/")
    assert page.status_code == 200
    body = page.content.decode()
    assert watched.case.reference in body and "E-NILS (Nils New)" in body


def test_the_watch_speaks_chinese_to_oversight_who_reads_it(watched) -> None:
    _import(T0 + timedelta(days=40), {**MEI, "manager_id": "E-NILS"})
    client = client_for(watched.oversight)
    listing = client.get("/staff/retaliation-flags/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "打击报复监测" in listing and "上级" in listing and "Retaliation watch" not in listing
    page = client.get(f"/staff/cases/{watched.case.reference}/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "解除标记" in page and "开立打击报复案件" in page and "Clear the flag" not in page
