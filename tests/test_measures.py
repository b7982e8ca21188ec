"""Protective measures: recorded from assessment on, kept or ended with a reason, on the ladder, told to her."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Escalation, InvolvedPerson, Organisation
from ombuds.core.sweep import run as sweep
from ombuds.outcomes import actions as measures
from ombuds.outcomes.models import Measure, MeasureChange
from tests.support import api_client_for, opened, untranslated

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 2)
SECRET = "Moved off the Shanghai account; badge access to floor 12 removed."


@pytest.fixture
def case(staff, file_report):
    """An anonymous report naming the accused and a witness, taken to assessment."""
    filed = file_report(
        people=[
            actions.NewPerson(name="Wang Manager", role="accused"),
            actions.NewPerson(name="Li Witness", role="witness"),
        ]
    )
    actions.acknowledge_case(case=filed.case, actor=staff.lead)
    actions.begin_assessment(case=filed.case, actor=staff.lead)
    filed.case.refresh_from_db()
    filed.case.receipt = filed.receipt
    return filed.case


def _person(case, name: str) -> InvolvedPerson:
    return next(p for p in InvolvedPerson.objects.filter(report__case=case) if opened(p, "name") == name)


def _no_contact(case, actor, **overrides: Any) -> Measure:
    if "restricts" not in overrides:
        overrides["restricts"] = [_person(case, "Wang Manager").pk]
    fields: dict[str, Any] = {
        "kind": "no_contact",
        "protects_reporter": True,
        "starts_on": DAY,
        "review_on": DAY + timedelta(days=14),
        "description": SECRET,
    }
    fields.update(overrides)
    return measures.record_measure(case=case, actor=actor, **fields)


@time_machine.travel(T0, tick=False)
def test_it_records_a_measure_sealed_with_the_case_key_and_audits_it_without_content(staff, case) -> None:
    witness = _person(case, "Li Witness")
    measure = _no_contact(case, staff.handler, protects=[witness.pk])
    stored = Measure.objects.get()
    assert stored.description.startswith("s1:") and SECRET not in stored.description
    assert opened(stored, "description") == SECRET
    assert stored.protects_reporter
    assert list(stored.protects.all()) == [witness]
    assert [opened(p, "name") for p in stored.restricts.all()] == ["Wang Manager"]
    event = AuditEvent.objects.get(event_type=EventType.MEASURE_RECORDED)
    assert event.case_id == case.pk and event.actor_id == staff.handler.pk
    assert event.detail["measure"] == measure.pk and event.detail["kind"] == "no_contact"
    assert "Shanghai" not in event.leaf and "Wang" not in event.leaf


@time_machine.travel(T0, tick=False)
def test_it_refuses_a_measure_before_assessment_and_on_a_closed_case(staff, file_report) -> None:
    filed = file_report(people=[actions.NewPerson(name="Wang Manager", role="accused")])
    accused = InvolvedPerson.objects.get()
    for_case: dict[str, Any] = {
        "kind": "no_contact",
        "protects_reporter": True,
        "restricts": [accused.pk],
        "starts_on": DAY,
        "review_on": DAY,
    }
    with pytest.raises(measures.ActionError, match="not possible"):
        measures.record_measure(case=filed.case, actor=staff.lead, **for_case)
    actions.acknowledge_case(case=filed.case, actor=staff.lead)
    with pytest.raises(measures.ActionError, match="not possible"):
        measures.record_measure(case=filed.case, actor=staff.lead, **for_case)
    actions.begin_assessment(case=filed.case, actor=staff.lead)
    measures.record_measure(case=filed.case, actor=staff.lead, **for_case)
    assert Measure.objects.count() == 1


@time_machine.travel(T0, tick=False)
def test_it_refuses_what_cannot_be_a_measure_and_stores_nothing(staff, case, file_report) -> None:
    accused = _person(case, "Wang Manager")
    witness = _person(case, "Li Witness")
    other_case = file_report(people=[actions.NewPerson(name="Somebody", role="accused")]).case
    stranger = InvolvedPerson.objects.get(report__case=other_case)
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"review_on": DAY - timedelta(days=1)}, "today or later"),
        ({"ends_on": DAY + timedelta(days=3)}, "after the end"),
        ({"restricts": []}, "restricts"),
        ({"protects_reporter": False}, "protects"),
        ({"protects": [accused.pk]}, "both protected and restricted"),
        ({"restricts": [stranger.pk]}, "people named in this case"),
        ({"kind": "curfew"}, "kind of measure"),
        ({"kind": "reporter_support", "protects_reporter": False, "protects": [witness.pk], "restricts": []}, "must"),
    ]
    for change, message in refusals:
        with pytest.raises(measures.ActionError, match=message):
            _no_contact(case, staff.handler, **change)
    with pytest.raises(measures.ActionError, match="not possible"):
        _no_contact(case, staff.hr)
    assert not Measure.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.MEASURE_RECORDED).exists()


@time_machine.travel(T0, tick=False)
def test_keeping_and_ending_a_measure_are_actions_with_reasons(staff, case) -> None:
    measure = _no_contact(case, staff.handler)
    change = measures.extend_measure(
        measure=measure,
        actor=staff.lead,
        review_on=DAY + timedelta(days=40),
        ends_on=DAY + timedelta(days=60),
        reason="The investigation needs another month.",
    )
    measure.refresh_from_db()
    assert measure.review_on == DAY + timedelta(days=40) and measure.ends_on == DAY + timedelta(days=60)
    assert measure.review_due_at == datetime(2026, 12, 13, tzinfo=UTC)  # the end of the review day (UTC here)
    assert opened(change, "reason") == "The investigation needs another month."
    assert change.previous_review_on == DAY + timedelta(days=14)
    with pytest.raises(measures.ActionError, match="must not be empty"):
        measures.end_measure(measure=measure, actor=staff.lead, reason="  ")
    measures.end_measure(measure=measure, actor=staff.handler, reason="The manager has left the company.")
    measure.refresh_from_db()
    assert measure.ended_at == T0 and measure.is_over(DAY)
    with pytest.raises(measures.ActionError, match="already ended"):
        measures.end_measure(measure=measure, actor=staff.lead, reason="again")
    with pytest.raises(measures.ActionError, match="already ended"):
        measures.extend_measure(measure=measure, actor=staff.lead, review_on=DAY, ends_on=None, reason="x")
    kinds = list(MeasureChange.objects.values_list("kind", flat=True))
    assert kinds == ["extended", "ended"]
    events = [
        EventType(e)
        for e in AuditEvent.objects.filter(case_id=case.pk, event_type__gte=120).values_list("event_type", flat=True)
    ]
    assert events == [EventType.MEASURE_RECORDED, EventType.MEASURE_EXTENDED, EventType.MEASURE_ENDED]
    assert "another month" not in "".join(AuditEvent.objects.values_list("leaf", flat=True))


def _ladder(case) -> list[tuple[str, str, str]]:
    return list(
        Escalation.objects.filter(case=case, deadline="measure_review").values_list("item", "step", "due_at__date")
    )


@time_machine.travel(T0, tick=False)
def test_a_review_date_climbs_the_ladder_and_stops_once_the_measure_is_kept_or_ended(staff, case, settings) -> None:
    settings.OMBUDS_REMINDER_BEFORE = "PT48H"
    settings.OMBUDS_OVERSIGHT_GRACE = "PT48H"
    kept = _no_contact(case, staff.handler, review_on=DAY + timedelta(days=10))
    ended = _no_contact(case, staff.handler, review_on=DAY + timedelta(days=10))
    due = datetime(2026, 11, 13, tzinfo=UTC)  # review by 12 November: missed at midnight

    sweep(due - timedelta(days=3))
    assert _ladder(case) == []
    sweep(due - timedelta(days=2) + timedelta(minutes=1))
    assert sorted(step for _item, step, _d in _ladder(case)) == ["reminder", "reminder"]
    measures.end_measure(measure=ended, actor=staff.lead, reason="No longer needed.")
    sweep(due + timedelta(minutes=1))
    assert {(item, step) for item, step, _d in _ladder(case)} == {
        (str(kept.pk), "reminder"),
        (str(ended.pk), "reminder"),
        (str(kept.pk), "lead"),
    }
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        measures.extend_measure(
            measure=kept, actor=staff.lead, review_on=DAY + timedelta(days=30), ends_on=None, reason="Still needed."
        )
    sweep(due + timedelta(days=3))
    assert not Escalation.objects.filter(case=case, deadline="measure_review", step="oversight").exists()
    escalated = AuditEvent.objects.filter(case_id=case.pk, event_type=EventType.ESCALATED_TO_LEAD)
    assert [(e.detail["deadline"], e.detail["item"]) for e in escalated] == [("measure_review", str(kept.pk))]

    # The new review date climbs the ladder in its turn, up to oversight.
    sweep(datetime(2026, 12, 5, tzinfo=UTC))
    steps = [step for item, step, d in _ladder(case) if item == str(kept.pk) and d == date(2026, 12, 3)]
    assert steps == ["reminder", "lead", "oversight"]


def _reporter_session(receipt: str) -> tuple[Client, str]:
    web = Client()
    assert web.post("/return/", {"receipt": receipt})["Location"] == "/status/"
    api = Client().post("/api/v1/reporter/session", {"receipt": receipt}, content_type="application/json")
    return web, api.json()["token"]


@time_machine.travel(T0, tick=False)
def test_the_reporter_sees_only_the_measures_that_protect_her_in_plain_words(staff, case) -> None:
    witness = _person(case, "Li Witness")
    accused = _person(case, "Wang Manager")
    _no_contact(case, staff.handler)
    measures.record_measure(
        case=case,
        actor=staff.handler,
        kind="separation",
        protects_reporter=False,
        protects=[witness.pk],
        restricts=[accused.pk],
        starts_on=DAY,
        review_on=DAY + timedelta(days=7),
        description="The witness moves to the Beijing office.",
    )
    measures.record_measure(
        case=case,
        actor=staff.handler,
        kind="travel_safety",
        protects_reporter=True,
        restricts=[accused.pk],
        starts_on=DAY,
        review_on=DAY + timedelta(days=7),
        ends_on=DAY + timedelta(days=90),
    )
    web, token = _reporter_session(case.receipt)
    page = web.get("/status/").content.decode()
    assert "The person concerned has been told not to contact you." in page
    assert "You will not be asked to travel with the person concerned or to share a room with them" in page
    assert 'From <span class="nowrap">2 November 2026</span> until <span class="nowrap">31 January 2027</span>.' in page
    assert "separated at work" not in page  # it protects the witness, not her
    assert "Beijing" not in page and "Shanghai" not in page  # descriptions are for staff
    body = Client().get("/api/v1/reporter/case", headers={"Authorization": f"Bearer {token}"}).json()
    texts = [p["text"] for p in body["protections"]]
    assert texts == [
        "The person concerned has been told not to contact you.",
        "You will not be asked to travel with the person concerned or to share a room with them, "
        "and nobody may expect you to drink at work events.",
    ]
    assert "Wang" not in str(body["protections"])  # never who is restricted beyond the wording
    assert body["protections"][0]["ends_on"] is None and body["protections"][0]["in_force"] is True
    assert body["decision"] is None


@time_machine.travel(T0, tick=False)
def test_she_is_told_when_a_measure_that_protected_her_ended(staff, case) -> None:
    measure = _no_contact(case, staff.handler)
    measures.end_measure(measure=measure, actor=staff.handler, reason="He left.")
    web, _token = _reporter_session(case.receipt)
    page = web.get("/status/").content.decode()
    assert "The person concerned has been told not to contact you." in page
    assert 'This ended on <span class="nowrap">2 November 2026</span>.' in page


@time_machine.travel(T0, tick=False)
def test_staff_record_keep_and_end_measures_on_the_case_pages(staff, case) -> None:
    lead = staff.client_for(staff.lead)
    accused = _person(case, "Wang Manager")
    page = lead.get(f"/staff/cases/{case.reference}/measures/")
    assert page.status_code == 200 and "No protective measure yet." in page.content.decode()
    response = lead.post(
        f"/staff/cases/{case.reference}/measures/",
        {
            "measure-kind": "no_contact",
            "measure-protects_reporter": "on",
            "measure-restricts": [str(accused.pk)],
            "measure-starts_on": "2026-11-02",
            "measure-review_on": "2026-11-20",
            "measure-description": SECRET,
        },
    )
    assert response.status_code == 302
    measure = Measure.objects.get()
    page = lead.get(f"/staff/cases/{case.reference}/measures/").content.decode()
    assert SECRET in page and "Wang Manager" in page and '<span class="nowrap">20 November 2026</span>' in page
    refused = lead.post(f"/staff/cases/{case.reference}/measures/{measure.pk}/end/", {f"end{measure.pk}-reason": ""})
    assert refused.status_code == 400
    lead.post(
        f"/staff/cases/{case.reference}/measures/{measure.pk}/extend/",
        {f"extend{measure.pk}-review_on": "2026-12-01", f"extend{measure.pk}-reason": "Still needed."},
    )
    lead.post(f"/staff/cases/{case.reference}/measures/{measure.pk}/end/", {f"end{measure.pk}-reason": "Over."})
    measure.refresh_from_db()
    assert measure.review_on == date(2026, 12, 1) and measure.ended_at is not None
    case_page = lead.get(f"/staff/cases/{case.reference}/").content.decode()
    assert f"/staff/cases/{case.reference}/measures/" in case_page


@time_machine.travel(T0, tick=False)
def test_the_measures_api_records_lists_keeps_and_ends(staff, case) -> None:
    api = api_client_for(staff.lead)
    listing = api.get(f"/api/v1/staff/cases/{case.reference}/measures").json()
    accused = next(p for p in listing["people"] if p["role"] == "accused")
    created = api.post(
        f"/api/v1/staff/cases/{case.reference}/measures",
        {
            "kind": "suspension",
            "protects_reporter": True,
            "restricts": [accused["id"]],
            "starts_on": "2026-11-02",
            "review_on": "2026-11-16",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    measure_id = created.json()["id"]
    bad = api.post(
        f"/api/v1/staff/cases/{case.reference}/measures/{measure_id}/extend",
        {"review_on": "2020-01-01", "reason": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "today or later" in bad.json()["detail"][0]["msg"]
    ended = api.post(
        f"/api/v1/staff/cases/{case.reference}/measures/{measure_id}/end",
        {"reason": "Back at work after the finding."},
        content_type="application/json",
    )
    assert ended.status_code == 200
    listing = api.get(f"/api/v1/staff/cases/{case.reference}/measures").json()
    assert listing["measures"][0]["ended_on"] == "2026-11-02"
    assert listing["measures"][0]["changes"][0]["reason"] == "Back at work after the finding."


@time_machine.travel(T0, tick=False)
def test_the_measure_pages_are_in_chinese_for_staff_and_reporter(staff, file_report) -> None:
    # An installation in China: its names in Chinese, a report written (and answered) in Chinese.
    Organisation.objects.filter(pk=1).update(name="示例科技有限公司", oversight_name="独立监督委员会")
    filed = file_report(language="zh-hans", people=[actions.NewPerson(name="王经理", role="accused")])
    case = filed.case
    actions.acknowledge_case(case=case, actor=staff.lead)
    actions.begin_assessment(case=case, actor=staff.lead)
    case.receipt = filed.receipt
    _no_contact(case, staff.handler, restricts=[InvolvedPerson.objects.get(report__case=case).pk])
    zh = "zh-CN,zh;q=0.9"
    staff_page = staff.client_for(staff.lead).get(f"/staff/cases/{case.reference}/measures/", HTTP_ACCEPT_LANGUAGE=zh)
    html = staff_page.content.decode()
    assert '<html lang="zh-hans">' in html and "保护措施" in html
    # The description is the handler's own English; everything ombuds wrote is in Chinese.
    assert untranslated(html.replace(SECRET, "")) == []
    web, _token = _reporter_session(case.receipt)
    status = web.get("/status/", HTTP_ACCEPT_LANGUAGE=zh).content.decode()
    assert "保护您的措施" in status
    assert untranslated(status) == []
