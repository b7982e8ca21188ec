"""What a reporter is told of the outcome, set on the organisation's administration page.

The texts are the outcomes app's (ombuds.outcomes.telling), one per wording key and
offered language, shown with the defaults; they are saved through
ombuds.outcomes.actions.configure_policy, which writes the audit event.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import InvolvedPerson, Organisation, Status
from ombuds.outcomes import actions as outcomes
from ombuds.outcomes.models import OutcomePolicy
from ombuds.outcomes.telling import DEFAULT_WORDING, WORDING_KEYS
from tests.support import client_for, find_every_allegation, investigate_the_accused

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ZH = "zh-CN,zh;q=0.9"
OWN_CHINESE = "公司已按照反骚扰制度对您举报的行为作出处理。"


def page_form(**changes: object) -> dict[str, object]:
    """The organisation's page as a browser posts it: the settings as they are, every text as shown, some changed."""
    org = Organisation.objects.get()
    policy = OutcomePolicy.objects.filter(pk=1).first() or OutcomePolicy()
    form: dict[str, object] = {
        "name": org.name,
        "oversight_name": org.oversight_name,
        "oversight_contact": org.oversight_contact,
        "fallback_contact": org.fallback_contact,
        "ack_deadline": org.ack_deadline,
        "feedback_deadline": org.feedback_deadline,
        "assault_first_action_deadline": org.assault_first_action_deadline,
        "time_zone": org.time_zone,
        "languages": [code for code, _name in org.offered_languages()],
    }
    if org.reporters_may_search_directory:
        form["reporters_may_search_directory"] = "on"
    if policy.tell_sanctions:
        form["outcomes-tell_sanctions"] = "on"
    for key in WORDING_KEYS:
        for code, _name in org.offered_languages():
            with translation.override(code):
                default = str(DEFAULT_WORDING[key])
            form[f"outcomes-wording_{key}_{code}"] = policy.wording.get(key, {}).get(code) or default
    form.update(changes)
    return form


def policy_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.OUTCOME_POLICY_CONFIGURED).order_by("seq"))


@pytest.fixture
def decided_in_chinese(staff, file_report):
    """A report filed in Chinese, investigated, substantiated, and a final decision about the accused."""
    filed = file_report(
        narrative="出差时经理强迫我喝酒。",
        language="zh-hans",
        people=[actions.NewPerson(name="王经理", role="accused")],
    )
    case = filed.case
    for step in (actions.acknowledge_case, actions.begin_assessment):
        step(case=case, actor=staff.lead)
    investigate_the_accused(case, staff.lead, staff.investigator)
    find_every_allegation(case, staff.investigator, "substantiated")
    actions.record_finding(case=case, actor=staff.lead, finding="", reasoning="属实。")
    outcomes.propose_outcome(
        case=case,
        actor=staff.lead,
        person=InvolvedPerson.objects.get(report__case=case),
        sanctions=["written_warning", "training"],
        rehire="eligible",
        reason="First incident.",
    )
    case.refresh_from_db()
    assert case.status == Status.DECIDED
    return filed


def test_the_page_shows_every_text_in_every_offered_language_with_its_default(staff) -> None:
    page = client_for(staff.admin).get("/staff/admin/organisation/").content.decode()
    assert 'id="outcome-wording"' in page
    for key in WORDING_KEYS:
        for code in ("en", "zh-hans"):
            assert f'name="outcomes-wording_{key}_{code}"' in page, (key, code)
    assert "Your case has been decided." in page
    assert "您的案件已作出决定。" in page
    assert 'name="outcomes-tell_sanctions"' in page


@time_machine.travel(T0, tick=False)
def test_an_administrator_changes_the_chinese_wording_and_the_reporter_reads_it(staff, decided_in_chinese) -> None:
    reporter = Client()
    reporter.post("/return/", {"receipt": decided_in_chinese.receipt})
    assert "组织已就您举报的行为采取了处理措施。" in reporter.get("/status/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()

    response = client_for(staff.admin).post(
        "/staff/admin/organisation/", page_form(**{"outcomes-wording_action_taken_zh-hans": OWN_CHINESE})
    )
    assert response.status_code == 302

    assert OutcomePolicy.objects.get(pk=1).wording == {"action_taken": {"zh-hans": OWN_CHINESE}}
    [event] = policy_events()
    assert event.actor_id == staff.admin.pk
    assert event.detail["wordings"] == ["action_taken:zh-hans"]
    assert OWN_CHINESE not in event.leaf  # which text changed, never the text
    # Only the wording changed: the organisation's own settings were not touched.
    assert not AuditEvent.objects.filter(event_type=EventType.ORGANISATION_CONFIGURED).exists()

    chinese = reporter.get("/status/", HTTP_ACCEPT_LANGUAGE=ZH).content.decode()
    assert OWN_CHINESE in chinese
    assert "组织已就您举报的行为采取了处理措施。" not in chinese
    english = reporter.get("/status/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The organisation has taken action about the conduct you reported." in english


def test_an_emptied_text_goes_back_to_the_default_and_an_unchanged_page_changes_nothing(staff) -> None:
    admin = client_for(staff.admin)
    admin.post("/staff/admin/organisation/", page_form(**{"outcomes-wording_decided_en": "Your case is decided."}))
    assert OutcomePolicy.objects.get(pk=1).wording == {"decided": {"en": "Your case is decided."}}
    assert "Your case is decided.</textarea>" in admin.get("/staff/admin/organisation/").content.decode()

    unchanged = admin.post("/staff/admin/organisation/", page_form())
    assert unchanged.status_code == 400
    assert "Nothing to change" in unchanged.content.decode()
    assert len(policy_events()) == 1

    admin.post("/staff/admin/organisation/", page_form(**{"outcomes-wording_decided_en": ""}))
    assert OutcomePolicy.objects.get(pk=1).wording == {}
    assert len(policy_events()) == 2


def test_telling_the_sanctions_is_switched_on_the_same_page(staff) -> None:
    response = client_for(staff.admin).post(
        "/staff/admin/organisation/", page_form(**{"outcomes-tell_sanctions": "on"})
    )
    assert response.status_code == 302
    assert OutcomePolicy.objects.get(pk=1).tell_sanctions is True
    [event] = policy_events()
    assert event.detail["tell_sanctions"] is True


def test_a_text_too_long_is_refused_and_nothing_is_saved(staff) -> None:
    response = client_for(staff.admin).post(
        "/staff/admin/organisation/", page_form(name="Renamed", **{"outcomes-wording_no_action_en": "x" * 2001})
    )
    assert response.status_code == 400
    assert not policy_events()
    assert Organisation.objects.get().name != "Renamed"


def test_the_wording_part_of_the_page_is_in_chinese(staff) -> None:
    admin = client_for(staff.admin)
    admin.post("/i18n/setlang/", {"language": "zh-hans", "next": "/staff/admin/organisation/"})
    page = admin.get("/staff/admin/organisation/").content.decode()
    for english in ("What a reporter is told of the outcome", "When her case is decided", "The default:"):
        assert english not in page
