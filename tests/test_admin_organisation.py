"""The organisation's settings and pools on the administration pages, and what reporters see of them.

Each change is an audited action; saving what is already set changes nothing and says
so. The directory search on the report form can be switched off, the time zone is
the one pages and anonymous days are in, and reporters are offered only the chosen
languages.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Case, Organisation, PoolMembership
from ombuds.directory.models import Person
from tests.support import client_for

pytestmark = pytest.mark.django_db


def settings_form(**changes: object) -> dict[str, object]:
    """The organisation form as it stands, with some fields changed."""
    org = Organisation.objects.get()
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
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def configured() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.ORGANISATION_CONFIGURED).order_by("seq"))


def test_the_settings_are_changed_on_the_page_and_audited(staff) -> None:
    admin = client_for(staff.admin)
    assert admin.get("/staff/admin/organisation/").status_code == 200
    response = admin.post(
        "/staff/admin/organisation/",
        settings_form(
            name="Acme Ltd",
            oversight_name="the Audit Committee",
            oversight_contact="audit.committee@acme.example",
            ack_deadline="p5d",
            time_zone="Asia/Shanghai",
        ),
    )
    assert response.status_code == 302
    org = Organisation.objects.get()
    assert (org.name, org.oversight_contact, org.ack_deadline, org.time_zone) == (
        "Acme Ltd",
        "audit.committee@acme.example",
        "P5D",
        "Asia/Shanghai",
    )
    [event] = configured()
    assert event.actor_id == staff.admin.pk
    assert event.detail["changed"] == ["ack_deadline", "name", "oversight_contact", "oversight_name", "time_zone"]
    assert "Acme" not in event.leaf  # names of settings and deadlines, never the free text
    assert "audit.committee" not in event.leaf
    # The contact reporters are shown, as a digest: what they read on a day can be proved.
    shown = hashlib.sha256(b"audit.committee@acme.example").hexdigest()
    assert event.details()["contacts"] == {"oversight_contact": shown}
    # Reporters read the oversight body's contact on the start page.
    assert "audit.committee@acme.example" in Client().get("/").content.decode()


def test_saving_nothing_new_changes_nothing_and_says_so(staff) -> None:
    response = client_for(staff.admin).post("/staff/admin/organisation/", settings_form())
    assert response.status_code == 400
    assert "Nothing to change" in response.content.decode()
    assert not configured()
    with pytest.raises(CommandError, match="Nothing to change"):
        call_command("organisation", "set", "--ack-deadline", "P7D", stdout=StringIO())


def test_bad_values_are_refused_with_the_field_named(staff) -> None:
    response = client_for(staff.admin).post(
        "/staff/admin/organisation/", settings_form(ack_deadline="a week", time_zone="Mars/Olympus", languages=[])
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_ack_deadline"' in page  # the error summary links to the field
    assert 'aria-describedby="id_ack_deadline_helptext id_ack_deadline_error"' in page
    assert 'aria-invalid="true"' in page
    assert Organisation.objects.get().ack_deadline == "P7D"
    with pytest.raises(actions.ActionError, match="not a known time zone"):
        actions.configure_organisation(time_zone="Mars/Olympus")
    with pytest.raises(actions.ActionError, match="Unknown language"):
        actions.configure_organisation(languages=["fr"])
    assert not configured()


def test_the_command_changes_the_same_settings_through_the_same_action(staff) -> None:
    out = StringIO()
    call_command(
        "organisation",
        "set",
        "--oversight-contact",
        "audit-committee@example.org",
        "--time-zone",
        "Asia/Shanghai",
        "--languages",
        "zh-hans",
        "--directory-search",
        "off",
        stdout=out,
    )
    org = Organisation.objects.get()
    assert org.oversight_contact == "audit-committee@example.org"
    assert org.time_zone == "Asia/Shanghai"
    assert org.languages == "zh-hans"
    assert org.reporters_may_search_directory is False
    assert "directory search:       off" in out.getvalue()
    [event] = configured()
    assert event.actor_id is None  # made on the server
    assert event.detail["changed"] == ["languages", "oversight_contact", "reporters_may_search_directory", "time_zone"]
    with pytest.raises(CommandError, match="Unknown language"):
        call_command("organisation", "set", "--languages", "en,fr", stdout=StringIO())


def test_the_directory_search_on_the_report_form_can_be_switched_off(staff) -> None:
    Person.objects.create(employee_id="D003", name="Max Manager")
    reporter = Client()
    assert "Find in the directory" in reporter.get("/report/").content.decode()
    looked_up = reporter.post("/report/", {"person_1_name": "Max", "lookup": "1"}, follow=True).content.decode()
    assert "Max Manager" in looked_up

    client_for(staff.admin).post("/staff/admin/organisation/", settings_form(reporters_may_search_directory=None))
    assert Organisation.objects.get().reporters_may_search_directory is False
    assert configured()[0].detail["reporters_may_search_directory"] is False
    form = reporter.get("/report/").content.decode()
    assert "Find in the directory" not in form and 'name="lookup"' not in form
    # A lookup sent anyway finds nobody.
    looked_up = reporter.post("/report/", {"person_1_name": "Max", "lookup": "1"}, follow=True).content.decode()
    assert "Max Manager" not in looked_up
    assert 'value="Max"' in looked_up  # and what she typed is still there


def test_reporters_are_offered_only_the_chosen_languages(staff) -> None:
    reporter = Client(headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert 'lang="zh-hans"' in reporter.get("/").content.decode()
    actions.configure_organisation(languages=["en"], acting_user=staff.admin)
    page = reporter.get("/").content.decode()
    assert '<html lang="en">' in page
    assert 'value="zh-hans"' not in page  # no switch to a language not offered
    report_form = reporter.get("/report/").content.decode()
    assert '<option value="zh-hans"' not in report_form
    # Staff pages keep every language.
    staff_page = client_for(staff.handler).get("/staff/").content.decode()
    assert 'value="zh-hans"' in staff_page


def test_the_time_zone_is_the_one_an_anonymous_reporters_day_is_stored_in(staff) -> None:
    actions.configure_organisation(time_zone="Asia/Shanghai", acting_user=staff.admin)
    # 20:00 in UTC on 1 December is 04:00 on 2 December in Shanghai.
    with time_machine.travel(datetime(2026, 12, 1, 20, 0, tzinfo=UTC), tick=False):
        page = Client().post(
            "/report/",
            {"category": "bullying", "role": "witness", "narrative": "Shouting at the team.", "anonymous": "true"},
            follow=True,
        )
    assert page.status_code == 200
    received = Case.objects.get().received_at
    assert received == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # midnight of 2 December in Shanghai


def test_pools_are_changed_on_the_page_and_a_second_add_is_refused(staff) -> None:
    admin = client_for(staff.admin)
    assert admin.get("/staff/admin/pools/").status_code == 200
    add = {"category": "sexual_assault", "user": staff.handler2.pk, "op": "add"}
    assert admin.post("/staff/admin/pools/", add).status_code == 302
    assert PoolMembership.objects.filter(category="sexual_assault", user=staff.handler2).exists()
    again = admin.post("/staff/admin/pools/", add)
    assert again.status_code == 400 and "in this pool already" in again.content.decode()
    assert admin.post("/staff/admin/pools/", {**add, "op": "remove"}).status_code == 302
    assert not PoolMembership.objects.exists()
    # Only handlers are offered, and a request for anyone else is refused.
    assert admin.post("/staff/admin/pools/", {**add, "user": staff.oversight.pk}).status_code == 400
    changes = AuditEvent.objects.filter(event_type=EventType.POOL_CHANGED).order_by("seq")
    assert [(e.actor_id, e.detail["member"]) for e in changes] == [(staff.admin.pk, True), (staff.admin.pk, False)]
    with pytest.raises(CommandError, match="not in this pool"):
        call_command("pool", "remove", "sexual_assault", "handler2@example.org", stdout=StringIO())
