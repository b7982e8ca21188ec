"""The oversight body hears of every change to the settings one administrator can make alone.

The review's attack: an administrator pointed the oversight contact reporters are shown
at his own address, put a friend in a category's pool (who then sees its new cases),
shortened a retention period and waited out the thirty days' notice, or imported a
directory that made an oversight member the manager of an accused (who is then kept out
of the report). Each was audited, but nobody was told. Now each is e-mailed to the
oversight members active when it is made, as changes to staff accounts are.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from ombuds.accounts import mail
from ombuds.cases import actions
from ombuds.cases.models import Organisation
from ombuds.directory.importer import COLUMNS, import_directory
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person
from tests.support import Personas, make_staff

pytestmark = pytest.mark.django_db

TASK = "ombuds.accounts.mail.send_settings_notice"


def _send() -> None:
    """Run the queued settings notices as the worker would."""
    for row in DBTaskResult.objects.filter(task_path=TASK):
        mail.send_settings_notice.call(**row.args_kwargs["kwargs"])
        row.delete()


def _told(smtp) -> list[tuple[str, str]]:
    """(recipient, body) of every message received, sorted."""
    return sorted((to, message.get_content()) for message in smtp.messages for to in message["To"].split(", "))


def test_a_new_oversight_contact_and_longer_deadlines_are_told_to_oversight(staff: Personas, smtp) -> None:
    board = make_staff("board2@example.org", "oversight")
    old_contact = Organisation.objects.get().oversight_contact
    actions.configure_organisation(
        oversight_contact="Write to it-desk@example.org",
        ack_deadline="P7D",
        feedback_deadline="P2M",
        reporters_may_search_directory=not Organisation.objects.get().reporters_may_search_directory,
        acting_user=staff.admin,
    )
    # Told to the members of the moment, even one deactivated before the worker sends it.
    board.is_active = False
    board.save()
    _send()
    told = _told(smtp)
    assert [to for to, _body in told] == ["board2@example.org", "oversight@example.org"]
    body = told[1][1]
    assert smtp.messages[0]["Subject"] == "[ombuds] Change to the settings"
    assert "reach the oversight body is now: Write to it-desk@example.org" in body
    assert f"(it was: {old_contact or '—'})" in body
    assert "The feedback deadline is now 2 months (it was 3 months)." in body
    assert "Reporters may" in body and "search the directory" in body
    assert "Changed by: admin@example.org." in body
    # What did not change is not said.
    assert "acknowledgement deadline" not in body


def test_renaming_the_organisation_alone_tells_nobody(staff: Personas, smtp) -> None:
    actions.configure_organisation(name="Acme Renamed Ltd", acting_user=staff.admin)
    assert not DBTaskResult.objects.filter(task_path=TASK).exists()


def test_a_pool_change_is_told_to_oversight(staff: Personas, smtp) -> None:
    actions.set_pool_membership(category="sexual_harassment", user=staff.handler2, member=True, acting_user=staff.admin)
    actions.set_pool_membership(
        category="sexual_harassment", user=staff.handler2, member=False, acting_user=staff.admin
    )
    _send()
    bodies = sorted(body for _to, body in _told(smtp))
    assert len(bodies) == 2
    assert bodies[0].startswith("handler2@example.org was put in the pool of Sexual harassment:")
    assert bodies[1].startswith("handler2@example.org was taken out of the pool of Sexual harassment.")


def test_a_shorter_retention_period_is_told_to_oversight_with_the_day_its_notice_ends(staff: Personas, smtp) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        response = staff.client_for(staff.admin).post(
            "/staff/admin/retention/",
            {"category": "sexual_harassment", "without_investigation": "P1M", "after_decision": "P5Y"},
        )
    assert response.status_code == 302
    _send()
    [(to, body)] = _told(smtp)
    assert to == "oversight@example.org"
    assert " ".join(body.split()).startswith(
        "The retention periods of Sexual harassment are now 1 month for a case closed without an investigation "
        "and 60 months after a decision (they were 2 months and 60 months). Until April 1, 2026 nothing is "
        "deleted earlier than the old periods would have deleted it"
    )


def test_a_second_change_within_the_notice_keeps_the_periods_before_the_first(staff: Personas, smtp) -> None:
    """The review's attack: shorten a period, change it again a minute later, and the old period was forgotten."""
    from ombuds.retention import actions as retention
    from ombuds.retention import rules

    first = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with time_machine.travel(first, tick=False):
        retention.configure_rule(
            category="sexual_harassment", without_investigation="P1M", after_decision="P5Y", acting_user=staff.admin
        )
    with time_machine.travel(first + timedelta(minutes=1), tick=False):
        retention.configure_rule(
            category="sexual_harassment", without_investigation="P5W", after_decision="P2Y", acting_user=staff.admin
        )
    held = rules.erasing_periods(first + timedelta(minutes=2))["sexual_harassment"]
    assert [(p.without_investigation, p.after_decision) for p in held] == [("P5W", "P2Y"), ("P2M", "P5Y")]
    # Thirty days from the second change, only the periods set then count.
    later = rules.erasing_periods(first + timedelta(minutes=1) + rules.NOTICE + timedelta(seconds=1))
    assert [(p.without_investigation, p.after_decision) for p in later["sexual_harassment"]] == [("P5W", "P2Y")]
    _send()
    # The second notice says which periods still hold content back: those before the first change.
    bodies = [" ".join(body.split()) for _to, body in _told(smtp)]
    assert len(bodies) == 2 and all("(they were 2 months and 60 months)" in body for body in bodies)


def test_nobody_to_tell_queues_nothing_and_the_change_still_holds(staff: Personas, smtp) -> None:
    staff.oversight.is_active = False
    staff.oversight.save()
    actions.configure_organisation(feedback_deadline="P1M", acting_user=staff.admin)
    assert not DBTaskResult.objects.filter(task_path=TASK).exists()
    assert Organisation.objects.get().feedback_deadline == "P1M"


def _directory(path: Path, managers: dict[str, str]) -> Path:
    """A directory of the oversight member (O1), a team lead (T1) and two of his team, with the managers given."""
    people = {
        "O1": "oversight@example.org",
        "T1": "lead@example.org",
        "E1": "e1@example.org",
        "E2": "e2@example.org",
    }
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        for employee_id, email in people.items():
            writer.writerow(
                {
                    "employee_id": employee_id,
                    "name": f"Person {employee_id}",
                    "email": email,
                    "unit": "Sales",
                    "manager_id": managers.get(employee_id, ""),
                    "job_title": "",
                    "country": "DE",
                    "status": "active",
                }
            )
    return path


def test_an_import_that_makes_an_oversight_member_someones_manager_names_her(
    staff: Personas, smtp, tmp_path: Path
) -> None:
    assert import_directory(_directory(tmp_path / "a.csv", {"E1": "T1", "E2": "T1"})).ok
    link_staff_by_email()
    assert Person.objects.get(employee_id="O1").user == staff.oversight
    DBTaskResult.objects.filter(task_path=TASK).delete()
    # E2 now reports to the oversight member, and the team lead to her too.
    result = import_directory(_directory(tmp_path / "b.csv", {"E1": "T1", "E2": "O1", "T1": "O1"}), actor_id=None)
    assert result.ok and sorted(result.manager_changes) == ["E2", "T1"]
    _send()
    [(to, body)] = _told(smtp)
    assert to == "oversight@example.org"
    text = " ".join(body.split())
    assert "The directory was imported (4 rows): 0 people added, 2 changed, 2 given a new manager." in text
    assert "Staff accounts whose own manager the import changed: lead@example.org." in text
    assert "Staff accounts the import made the new manager of someone: oversight@example.org." in text
    # The team lead no longer manages E2: he may read reports about E2 again.
    assert "Staff accounts the import made no longer someone's manager: lead@example.org." in text
    assert "Changed by: the server's operator, with a command." in text


def test_an_import_names_a_staff_account_by_the_address_it_will_be_linked_by(
    staff: Personas, smtp, tmp_path: Path
) -> None:
    """A record carrying an oversight member's address, made someone's manager, links to her only after the import."""
    assert import_directory(_directory(tmp_path / "a.csv", {"E2": "E1"})).ok
    Person.objects.filter(employee_id="O1").update(email="someone.else@example.org")
    DBTaskResult.objects.filter(task_path=TASK).delete()
    assert not Person.objects.filter(user=staff.oversight).exists()
    assert import_directory(_directory(tmp_path / "b.csv", {"E2": "O1"})).ok
    _send()
    [(_to, body)] = _told(smtp)
    assert "the new manager of someone: oversight@example.org." in " ".join(body.split())


def test_an_import_that_changes_nothing_tells_nobody(staff: Personas, smtp, tmp_path: Path) -> None:
    assert import_directory(_directory(tmp_path / "a.csv", {"E1": "T1"})).ok
    assert DBTaskResult.objects.filter(task_path=TASK).count() == 1
    assert import_directory(_directory(tmp_path / "a.csv", {"E1": "T1"})).ok
    assert DBTaskResult.objects.filter(task_path=TASK).count() == 1


def test_a_dry_run_tells_nobody(staff: Personas, smtp, tmp_path: Path) -> None:
    assert import_directory(_directory(tmp_path / "a.csv", {}), dry_run=True).ok
    assert not DBTaskResult.objects.filter(task_path=TASK).exists()


def test_an_unknown_change_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown settings change"):
        mail.queue_settings_notice(facts=[("everything", {})], acting_user=None)


def test_a_published_report_form_is_told_to_oversight_with_the_questions_she_must_answer(staff: Personas, smtp) -> None:
    """A required question can ask a reporter who she is: the body reads each one published."""
    from ombuds.questionnaire import actions as questionnaire
    from ombuds.questionnaire.validation import QuestionSpec

    questionnaire.start_draft(category="bullying", acting_user=staff.admin)
    questionnaire.save_question(
        category="bullying",
        spec=QuestionSpec(
            key="number", kind="short_text", required=True, text={"en": "Your employee number", "zh-hans": "您的工号"}
        ),
        acting_user=staff.admin,
    )
    questionnaire.publish(category="bullying", acting_user=staff.admin)
    _send()
    [(to, body)] = _told(smtp)
    text = " ".join(body.split())
    assert to == "oversight@example.org"
    assert "of the report form for Bullying was published:" in text and "1 of them required" in text
    assert "Its questions (those she must answer marked *): «" in text and "«Your employee number»*" in text


def test_what_reporters_are_told_of_outcomes_is_told_to_oversight(staff: Personas, smtp) -> None:
    from ombuds.outcomes import actions as outcomes

    outcomes.configure_policy(tell_sanctions=True, acting_user=staff.admin)
    outcomes.configure_policy(wording={("no_action", "en"): "Nothing came of it."}, acting_user=staff.admin)
    # Saving the same again tells nobody.
    outcomes.configure_policy(tell_sanctions=True, acting_user=staff.admin)
    _send()
    bodies = sorted(" ".join(body.split()) for _to, body in _told(smtp))
    assert len(bodies) == 2
    assert bodies[0].startswith("Reporters are now told which disciplinary action was taken.")
    assert bodies[1].startswith("The organisation's wording of what reporters are told of outcomes changed: no_action.")


def test_where_reporters_are_sent_for_help_is_told_to_oversight(staff: Personas, smtp) -> None:
    """A helpline number or the quick exit could be pointed anywhere by one administrator."""
    from ombuds.resources import actions as resources
    from ombuds.resources import catalogue

    resources.save_resource(
        resource=None,
        country="GB",
        kind="employer",
        phone="+44 20 7946 0000",
        website="https://help.example/",
        texts={"en": ("Staff helpline", "")},
        hidden=False,
        position=0,
        actor=staff.admin,
    )
    shipped = catalogue.defaults().entries[0]
    resources.change_default(
        key=shipped.key,
        phone="+44 20 7946 0999",
        website="",
        texts={code: (texts["name"], texts["description"]) for code, texts in shipped.texts.items()},
        hidden=True,
        actor=staff.admin,
    )
    resources.configure_support(default_country="GB", quick_exit_url="https://weather.example/", actor=staff.admin)
    _send()
    bodies = sorted(" ".join(body.split()) for _to, body in _told(smtp))
    assert len(bodies) == 3
    assert any(
        body.startswith(
            "A support entry reporters are shown was added: Staff helpline, telephone +44 20 7946 0000, "
            "website https://help.example/, shown to reporters."
        )
        for body in bodies
    )
    assert any("telephone +44 20 7946 0999" in body and "hidden from reporters" in body for body in bodies)
    assert any(
        body.startswith("The quick exit of every reporter's page now opens https://weather.example/;")
        for body in bodies
    )


def test_a_published_policy_is_told_to_oversight(staff: Personas, smtp) -> None:
    from ombuds.policies import actions as policies

    texts = {"en": ("Reporting policy", "Reports are confidential."), "zh-hans": ("举报政策", "举报是保密的。")}
    policy = policies.create_policy(slug="reporting", kind="reporting", texts=texts, actor=staff.admin)
    policies.publish(policy=policy, actor=staff.admin)
    _send()
    [(_to, body)] = _told(smtp)
    assert " ".join(body.split()).startswith(
        "Version 1 of the policy «Reporting policy» was published: it is what reporters and staff are told at "
        "http://127.0.0.1:8000/policies/reporting/."
    )
    assert "Reports are confidential" not in body  # the address, not the text
