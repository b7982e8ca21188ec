"""Acknowledgements: the personal one-time link by real e-mail, the per-unit report and its CSV, reminders.

Reminders go once per period, with time frozen.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from ombuds.audit.models import AuditEvent, EventType
from ombuds.core.sweep import run as sweep
from ombuds.directory.models import Person, PersonStatus, Unit
from ombuds.policies import actions, mail, selectors
from ombuds.policies.models import AcknowledgementLink, AcknowledgementRequest, PolicyVersion
from ombuds.policies.training import import_training
from tests.support import client_for

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://[^/\s]+/acknowledge/([A-Za-z0-9_-]{43})/")

TEXTS = {
    "en": ("Anti-harassment policy", "Nobody here has to put up with harassment."),
    "zh-hans": ("反骚扰政策", "在这里，任何人都不必忍受骚扰。"),
}


def _unit(path: str) -> Unit:
    parent = None
    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        parent, _created = Unit.objects.get_or_create(
            path="/".join(parts[:depth]), defaults={"name": parts[depth - 1], "parent": parent}
        )
    assert parent is not None
    return parent


def _person(employee_id: str, unit: str | None, *, email: str | None = None, status=PersonStatus.ACTIVE) -> Person:
    return Person.objects.create(
        employee_id=employee_id,
        name=f"Person {employee_id}",
        email=f"{employee_id.lower()}@example.org" if email is None else email,
        unit=_unit(unit) if unit else None,
        status=status,
    )


@pytest.fixture
def directory(db) -> dict[str, Person]:
    """Sales with a sub-unit EMEA, and Engineering; one person without e-mail, one who left."""
    return {
        "ana": _person("ANA", "Sales"),
        "ben": _person("BEN", "Sales/EMEA"),
        "chen": _person("CHEN", "Sales/EMEA"),
        "dara": _person("DARA", "Engineering"),
        "eli": _person("ELI", "Sales/EMEA", email=""),
        "fay": _person("FAY", "Sales", status=PersonStatus.LEFT),
    }


@pytest.fixture
def version(staff) -> PolicyVersion:
    policy = actions.create_policy(slug="anti-harassment", kind="anti_harassment", texts=TEXTS, actor=staff.admin)
    return actions.publish(policy=policy, actor=staff.admin)


def deliver() -> int:
    """Run the e-mail tasks as the task worker would; returns how many e-mails went out."""
    sent = 0
    for row in DBTaskResult.objects.filter(task_path="ombuds.policies.mail.send_requests").order_by("enqueued_at"):
        sent += mail.send_requests.call(**row.args_kwargs["kwargs"])
        row.delete()
    return sent


def links_by_address(smtp) -> dict[str, str]:
    found = {}
    for message in smtp.messages:
        match = LINK.search(message.get_content())
        assert match, "the e-mail holds no acknowledgement link"
        found[message["To"]] = match.group(1)
    return found


# --- sending and acknowledging --------------------------------------------------------------


def test_an_employee_acknowledges_through_her_link_once_and_a_second_use_is_refused_calmly(
    staff, directory, version, smtp
) -> None:
    sent = actions.send_acknowledgement_requests(version=version, unit=_unit("Sales/EMEA"), actor=staff.admin)
    assert (sent.asked, sent.already_asked, sent.without_email) == (2, 0, 1)
    event = AuditEvent.objects.get(event_type=EventType.ACKNOWLEDGEMENTS_REQUESTED)
    assert event.actor_id == staff.admin.pk
    assert event.detail["asked"] == 2

    assert deliver() == 2
    tokens = links_by_address(smtp)
    assert sorted(tokens) == ["ben@example.org", "chen@example.org"]
    message = smtp.messages[0]
    assert "Anti-harassment policy" in message["Subject"] and "反骚扰政策" in message["Subject"]
    assert "请阅读" in message.get_content()

    employee = Client()
    token = tokens["ben@example.org"]
    page = employee.get(f"/acknowledge/{token}/")
    assert page.status_code == 200
    assert "Nobody here has to put up with harassment." in page.content.decode()
    # Opening the link (as a mail scanner would) records nothing.
    assert not AcknowledgementRequest.objects.filter(acknowledged_at__isnull=False).exists()

    done = employee.post(f"/acknowledge/{token}/")
    assert done.status_code == 200
    assert "Thank you" in done.content.decode()
    request = AcknowledgementRequest.objects.get(person=directory["ben"])
    assert request.acknowledged_at is not None and request.via == "link"
    acknowledged = AuditEvent.objects.get(event_type=EventType.POLICY_ACKNOWLEDGED)
    assert acknowledged.detail == {
        "request": request.pk,
        "version": version.pk,
        "person": directory["ben"].pk,
        "via": "link",
    }

    for again in (employee.post(f"/acknowledge/{token}/"), Client().get(f"/acknowledge/{token}/")):
        assert again.status_code == 410
        assert "This link has already been used" in again.content.decode()
    assert AuditEvent.objects.filter(event_type=EventType.POLICY_ACKNOWLEDGED).count() == 1
    # Chen has not acknowledged: her own link still works.
    assert Client().get(f"/acknowledge/{tokens['chen@example.org']}/").status_code == 200


def test_only_a_digest_of_the_link_is_stored_and_the_task_queue_never_holds_it(staff, directory, version, smtp) -> None:
    actions.send_acknowledgement_requests(version=version, unit=None, actor=staff.admin)
    queued = " ".join(str(row.args_kwargs) for row in DBTaskResult.objects.all())
    deliver()
    tokens = list(links_by_address(smtp).values())
    assert tokens
    digests = set(AcknowledgementLink.objects.values_list("digest", flat=True))
    for token in tokens:
        assert token not in queued
        assert token not in digests
        assert not AcknowledgementLink.objects.filter(digest__contains=token).exists()
        assert len(token) == 43  # 256 bits


@pytest.mark.parametrize("token", ["x" * 43, "short", "A" * 42 + "!", "A" * 44])
def test_a_link_that_does_not_exist_gets_a_calm_page(token: str, client: Client) -> None:
    response = client.get(f"/acknowledge/{token}/")
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert client.post(f"/acknowledge/{token}/").status_code == 404


def test_people_asked_before_are_not_asked_again(staff, directory, version, smtp) -> None:
    actions.send_acknowledgement_requests(version=version, unit=_unit("Sales/EMEA"), actor=staff.admin)
    again = actions.send_acknowledgement_requests(version=version, unit=_unit("Sales"), actor=staff.admin)
    # Ana is new; Ben and Chen were asked; Fay left and is never asked.
    assert (again.asked, again.already_asked, again.without_email) == (1, 2, 1)
    assert deliver() == 3
    assert AcknowledgementRequest.objects.count() == 3


def test_only_the_current_version_can_be_sent(staff, directory, version) -> None:
    actions.start_next_version(policy=version.policy, actor=staff.admin)
    draft = PolicyVersion.objects.get(number=2)
    with pytest.raises(actions.PolicyError):
        actions.send_acknowledgement_requests(version=draft, unit=None, actor=staff.admin)
    actions.publish(policy=version.policy, actor=staff.admin)
    version.refresh_from_db()
    with pytest.raises(actions.PolicyError):
        actions.send_acknowledgement_requests(version=version, unit=None, actor=staff.admin)


def test_the_command_sends_the_same_requests(staff, directory, version, smtp, capsys) -> None:
    call_command("policies", "send-acknowledgements", "anti-harassment", "--unit", "Sales")
    out = capsys.readouterr().out
    assert "asked now: 3" in out
    assert "without an e-mail address: 1" in out
    event = AuditEvent.objects.get(event_type=EventType.ACKNOWLEDGEMENTS_REQUESTED)
    assert event.actor_id is None and event.actor_kind == "system"
    assert deliver() == 3
    call_command("policies", "list")
    assert "anti-harassment  current v1" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["send-acknowledgements", "nope"], "no policy 'nope'"),
        (["send-acknowledgements", "anti-harassment", "--unit", "Nowhere"], "no unit 'Nowhere'"),
    ],
)
def test_the_command_refuses_clearly(staff, directory, version, arguments, message) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("policies", *arguments)
    assert not AcknowledgementRequest.objects.exists()


def test_a_mail_queued_for_someone_who_acknowledged_or_left_meanwhile_is_not_sent(
    staff, directory, version, smtp
) -> None:
    actions.send_acknowledgement_requests(version=version, unit=_unit("Sales/EMEA"), actor=staff.admin)
    Person.objects.filter(pk=directory["chen"].pk).update(status=PersonStatus.LEFT)
    assert deliver() == 1
    assert [m["To"] for m in smtp.messages] == ["ben@example.org"]


# --- the report per unit, and its CSV -------------------------------------------------------


def _acknowledge(smtp, address: str) -> None:
    token = links_by_address(smtp)[address]
    assert Client().post(f"/acknowledge/{token}/").status_code == 200


def test_the_per_unit_report_counts_them_and_the_csv_export_matches(staff, directory, version, smtp) -> None:
    actions.send_acknowledgement_requests(version=version, unit=_unit("Sales"), actor=staff.admin)
    deliver()
    _acknowledge(smtp, "ben@example.org")
    import_training(b"employee_id,course,date\nBEN,Respect at work,2026-03-04\nDARA,Respect at work,2026-03-04\n")

    report = selectors.acknowledgement_report(version)
    units = {row.path: row for row in report.units}
    # Sales includes Sales/EMEA: Ana (waiting), Ben (acknowledged), Chen (waiting), Eli (no e-mail: not asked).
    assert (units["Sales"].people, units["Sales"].acknowledged, units["Sales"].waiting, units["Sales"].not_asked) == (
        4,
        1,
        2,
        1,
    )
    assert (units["Sales/EMEA"].people, units["Sales/EMEA"].acknowledged, units["Sales/EMEA"].waiting) == (3, 1, 1)
    assert (units["Engineering"].people, units["Engineering"].not_asked, units["Engineering"].trained) == (1, 1, 1)
    assert (report.totals.people, report.totals.acknowledged, report.totals.trained) == (5, 1, 2)
    assert "FAY" not in {row.employee_id for row in report.people}  # left

    admin = client_for(staff.admin)
    page = admin.get("/staff/admin/policies/acknowledgements/?policy=anti-harassment&unit=Sales")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Person BEN" in html and "Person DARA" not in html
    assert 'Respect at work (<span class="nowrap">4 March 2026</span>)' in html

    exported = admin.get("/staff/admin/policies/acknowledgements.csv?policy=anti-harassment&unit=Sales")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    by_id = {row["employee_id"]: row for row in rows}
    assert sorted(by_id) == ["ANA", "BEN", "CHEN", "ELI"]
    states = [row["status"] for row in rows]
    assert states.count("acknowledged") == units["Sales"].acknowledged
    assert states.count("waiting") == units["Sales"].waiting
    assert states.count("not_asked") == units["Sales"].not_asked
    acknowledged_at = AcknowledgementRequest.objects.get(person=directory["ben"]).acknowledged_at
    assert acknowledged_at is not None
    assert by_id["BEN"]["acknowledged_on"] == acknowledged_at.date().isoformat()
    assert by_id["BEN"]["training"] == "Respect at work 2026-03-04"
    assert by_id["ANA"]["acknowledged_on"] == ""
    export = AuditEvent.objects.get(event_type=EventType.ACKNOWLEDGEMENTS_EXPORTED)
    assert export.actor_id == staff.admin.pk and export.detail["rows"] == 4


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(staff, version) -> None:
    Person.objects.create(employee_id="X1", name='=HYPERLINK("https://evil.example")', email="x1@example.org")
    exported = client_for(staff.admin).get("/staff/admin/policies/acknowledgements.csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0]["name"].startswith("'=")


# --- reminders ---------------------------------------------------------------------------------


def test_reminders_go_once_per_period_until_acknowledged_and_stop_at_the_limit(
    settings, staff, directory, smtp
) -> None:
    settings.OMBUDS_POLICY_REMINDER_AFTER = "P7D"
    settings.OMBUDS_POLICY_REMINDERS = 2
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        policy = actions.create_policy(slug="anti-harassment", kind="anti_harassment", texts=TEXTS, actor=staff.admin)
        version = actions.publish(policy=policy, actor=staff.admin)
        actions.send_acknowledgement_requests(version=version, unit=_unit("Sales/EMEA"), actor=staff.admin)
        assert deliver() == 2
    smtp.messages.clear()

    def sweep_at(moment: datetime) -> int:
        with time_machine.travel(moment, tick=False):
            sweep(moment)
            return deliver()

    # Before a period has passed, and again within it: nothing.
    assert sweep_at(start + timedelta(days=6, hours=23)) == 0
    assert sweep_at(start + timedelta(days=7)) == 2
    assert sweep_at(start + timedelta(days=7, minutes=1)) == 0
    assert sweep_at(start + timedelta(days=10)) == 0
    assert all(m["Subject"].startswith("Reminder:") for m in smtp.messages)
    # Ben acknowledges through the reminder's own (new) link.
    _acknowledge(smtp, "ben@example.org")
    smtp.messages.clear()
    assert sweep_at(start + timedelta(days=14)) == 1
    assert [m["To"] for m in smtp.messages] == ["chen@example.org"]
    # The limit is two reminders.
    assert sweep_at(start + timedelta(days=21)) == 0
    chen = AcknowledgementRequest.objects.get(person=directory["chen"])
    assert chen.reminders_sent == 2 and chen.next_reminder_at is None
    events = AuditEvent.objects.filter(event_type=EventType.ACKNOWLEDGEMENT_REMINDERS)
    assert [event.detail["reminders"] for event in events] == [2, 1]


def test_a_sweeper_that_was_stopped_for_several_periods_sends_one_reminder_not_one_per_period(
    settings, staff, directory, version, smtp
) -> None:
    settings.OMBUDS_POLICY_REMINDER_AFTER = "P7D"
    settings.OMBUDS_POLICY_REMINDERS = 5
    actions.send_acknowledgement_requests(version=version, unit=_unit("Sales/EMEA"), actor=staff.admin)
    deliver()
    request = AcknowledgementRequest.objects.get(person=directory["ben"])
    later = request.requested_at + timedelta(days=30)
    assert actions.queue_due_reminders(later) == 2
    assert actions.queue_due_reminders(later) == 0
    request.refresh_from_db()
    assert request.reminders_sent == 1
    assert request.next_reminder_at == request.requested_at + timedelta(days=35)


def test_no_reminder_is_sent_for_a_version_that_was_replaced(settings, staff, directory, version, smtp) -> None:
    actions.send_acknowledgement_requests(version=version, unit=_unit("Sales/EMEA"), actor=staff.admin)
    deliver()
    actions.start_next_version(policy=version.policy, actor=staff.admin)
    actions.publish(policy=version.policy, actor=staff.admin)
    far = datetime.now(tz=UTC) + timedelta(days=400)
    assert actions.queue_due_reminders(far) == 0
