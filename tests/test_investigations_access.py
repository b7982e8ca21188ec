"""Who sees an investigation: investigators only on the cases they are named on, never when conflicted.

Every investigation route, page and API, answers 404 to a conflicted investigator, an
investigator not named on the case, an administrator, HR and an auditor, exactly as for a case that
does not exist. Named investigators hold the case's key, and lose it when released.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from ombuds.accounts import keys as staff_keys
from ombuds.accounts import tokens
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions, case_view, keyring, permissions
from ombuds.cases.models import Case, CaseKeyGrant, GrantHolder, InvolvedPerson, PersonRole
from ombuds.cases.permissions import Act
from ombuds.crypto import keys
from ombuds.crypto.errors import DecryptionError
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person
from ombuds.investigations import actions as investigation
from ombuds.investigations.helpers import NewAllegation
from ombuds.investigations.models import Investigator
from tests.support import (
    INVESTIGATION_API_CALLS,
    STAFF_PASSWORD,
    api_url,
    call,
    case_routes,
    client_for,
    investigate,
    make_staff,
)

pytestmark = pytest.mark.django_db

SECRET = "the lift on the fourth floor, after the Friday drinks"


@dataclass
class Investigation:
    case: Case
    rows: dict[str, int]


def _assessed(file_report: Any, staff: Any, **extra: Any) -> Case:
    filed = file_report(
        anonymous=False, reporter_name="Mei", narrative=SECRET, people=staff.name_the_accused(), **extra
    )
    actions.acknowledge_case(case=filed.case, actor=staff.handler)
    actions.begin_assessment(case=filed.case, actor=staff.handler)
    return Case.objects.get(pk=filed.case.pk)


@pytest.fixture
def worked(file_report, staff) -> Investigation:
    """A case under investigation with one of everything: the ids its routes name."""
    case = _assessed(file_report, staff)
    accused = InvolvedPerson.objects.get(report__case=case, role=PersonRole.ACCUSED)
    actions.open_investigation(
        case=case,
        actor=staff.handler,
        investigators=[staff.investigator],
        allegations=[NewAllegation(conduct="Pressed her to drink.", person_id=accused.pk)],
    )
    task = investigation.add_task(
        case=case,
        actor=staff.handler,
        title="Collect the bookings.",
        owner=staff.investigator,
        due_on=timezone.localdate(),
    )
    interview = investigation.record_interview(
        case=case, actor=staff.investigator, interviewee="reporter", held_at=timezone.now(), present="Mei.", minutes="x"
    )
    item = investigation.add_evidence(
        case=case,
        actor=staff.investigator,
        kind="file",
        description="The chat log.",
        source="Handed in by Mei.",
        file=actions.NewAttachment(filename="chat.txt", content_type="text/plain", data=b"chat"),
    )
    return Investigation(
        case,
        {
            "investigator_id": Investigator.objects.get(case=case).pk,
            "allegation_id": case.allegations.get().pk,
            "task_id": task.pk,
            "interview_id": interview.pk,
            "evidence_id": item.pk,
        },
    )


def _web_routes(found: Investigation) -> list[str]:
    return [path for path in case_routes(found.case.reference, 1, 1, **found.rows) if "/investigation/" in path]


def _conflicted_from_the_start(staff: Any, found: Investigation) -> User:
    """An investigator in the accused's management chain: the directory says so."""
    boss: User = make_staff("boss.investigator@example.org", "investigator")
    Person.objects.create(employee_id="P-BOSS", name="Boss Investigator", email=boss.email)
    Person.objects.filter(employee_id=staff.MANAGER_ID).update(manager=Person.objects.get(employee_id="P-BOSS"))
    link_staff_by_email()
    actions.directory_changed()
    return boss


def _conflicted_later(staff: Any, found: Investigation) -> User:
    """An investigator named on the case, then alleged against himself: released and kept out."""
    second: User = make_staff("second.investigator@example.org", "investigator")
    Person.objects.create(employee_id="P-SECOND", name="Second Investigator", email=second.email)
    link_staff_by_email()
    investigation.name_investigators(case=found.case, actor=staff.handler, investigators=[second])
    investigation.add_allegation(
        case=found.case,
        actor=staff.handler,
        allegation=NewAllegation(conduct="Shared her statement.", name="Second Investigator", employee_id="P-SECOND"),
    )
    return second


PERSONAS: dict[str, Callable[[Any, Investigation], User]] = {
    "conflicted investigator": _conflicted_from_the_start,
    "investigator conflicted after being named": _conflicted_later,
    "investigator not named on the case": lambda staff, found: make_staff("other.inv@example.org", "investigator"),
    "administrator": lambda staff, found: staff.admin,
    "hr": lambda staff, found: staff.hr,
    "auditor": lambda staff, found: staff.auditor,
}


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_they_get_404_on_every_investigation_route(staff, worked, persona) -> None:
    """The issue's demand: 404, never 403, on every page and API route of the investigation."""
    user = PERSONAS[persona](staff, worked)
    web = client_for(user)
    paths = _web_routes(worked)
    assert len(paths) >= 18
    for path in paths:
        assert web.get(path).status_code == 404, path
        assert web.post(path, {"x": "y"}).status_code == 404, path
    _record, token = tokens.create_token(user=user, name="probe")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    for method, path, body in INVESTIGATION_API_CALLS:
        url = api_url(path, worked.case.reference, **worked.rows)
        assert call(api, method, url, body).status_code == 404, url
    assert worked.case.reference not in web.get("/staff/").content.decode()


def test_the_named_investigator_reaches_the_same_routes(staff, worked) -> None:
    """The control: with the same ids, the investigator on the case is answered."""
    web = client_for(staff.investigator)
    for path in _web_routes(worked):
        assert web.get(path).status_code in (200, 302, 405), path
    _record, token = tokens.create_token(
        user=staff.investigator, name="probe", key_pair=staff_keys.attached(staff.investigator)
    )
    api = Client(headers={"Authorization": f"Bearer {token}"})
    for method, path, _body in INVESTIGATION_API_CALLS:
        if method == "get":
            url = api_url(path, worked.case.reference, **worked.rows)
            assert api.get(url).status_code == 200, url


def test_an_investigator_sees_only_the_cases_she_is_named_on(file_report, staff) -> None:
    case = _assessed(file_report, staff)
    other = _assessed(file_report, staff)
    client = client_for(staff.investigator)
    assert client.get(f"/staff/cases/{case.reference}/").status_code == 404
    investigate(case, staff.handler, staff.investigator)
    page = client.get(f"/staff/cases/{case.reference}/")
    assert page.status_code == 200 and SECRET in page.content.decode()
    assert client.get(f"/staff/cases/{case.reference}/investigation/").status_code == 200
    assert client.get(f"/staff/cases/{other.reference}/").status_code == 404
    inbox = client.get("/staff/").content.decode()
    assert case.reference in inbox and other.reference not in inbox
    _record, token = tokens.create_token(user=staff.investigator, name="t")
    listed = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/cases").json()
    assert [c["reference"] for c in listed["results"]] == [case.reference]


def test_an_investigator_reads_the_case_but_is_offered_no_handling(file_report, staff) -> None:
    case = investigate(_assessed(file_report, staff), staff.handler, staff.investigator)
    page = client_for(staff.investigator).get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Send to the reporter" not in page and 'action="/staff/cases/' + case.reference + '/assign/"' not in page
    assert f"/staff/cases/{case.reference}/investigation/" in page
    handler_page = client_for(staff.handler).get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Send to the reporter" in handler_page
    # She keeps the record as a reader of the case does: its export and its files.
    assert permissions.may_take(staff.investigator, case, Act.EXPORT)
    assert permissions.may_take(staff.investigator, case, Act.DOWNLOAD)
    assert not permissions.may_take(staff.investigator, case, Act.MESSAGE)
    assert client_for(staff.investigator).get(f"/staff/cases/{case.reference}/export/").status_code == 200


def _grantees(case: Case) -> set[int]:
    return set(
        CaseKeyGrant.objects.filter(case=case, holder=GrantHolder.STAFF, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )


def _every_grant_fails(user: User, case: Case) -> None:
    pair = staff_keys.unlock(user, STAFF_PASSWORD).key_pair
    grants = list(CaseKeyGrant.objects.filter(case=case))
    assert grants
    for grant in grants:
        with pytest.raises(DecryptionError):
            keys.unseal_data_key(pair, bytes(grant.sealed))


def test_a_named_investigator_gets_the_key_and_loses_it_when_released(file_report, staff) -> None:
    case = _assessed(file_report, staff)
    assert staff.investigator.pk not in _grantees(case)
    _every_grant_fails(staff.investigator, case)
    case = investigate(case, staff.handler, staff.investigator)
    assert staff.investigator.pk in _grantees(case)
    granted = AuditEvent.objects.filter(case_id=case.pk, event_type=EventType.KEY_GRANTED, actor=staff.handler).last()
    assert granted is not None and granted.detail == {"users": [staff.investigator.pk]}
    reader = User.objects.get(pk=staff.investigator.pk)
    staff_keys.attach(reader, staff_keys.unlock(reader, STAFF_PASSWORD).key_pair)
    assert case_view.for_staff(case, reader).reports[0].narrative == SECRET

    investigation.release_investigator(case=case, actor=staff.lead, investigator=Investigator.objects.get(case=case))
    assert staff.investigator.pk not in _grantees(case)
    revoked = AuditEvent.objects.filter(case_id=case.pk, event_type=EventType.KEY_REVOKED).last()
    assert revoked is not None and revoked.detail == {"users": [staff.investigator.pk]}
    _every_grant_fails(staff.investigator, case)
    fresh = User.objects.get(pk=staff.investigator.pk)
    staff_keys.attach(fresh, staff_keys.unlock(fresh, STAFF_PASSWORD).key_pair)
    assert keyring.staff_data_key(fresh, case) is None
    assert client_for(staff.investigator).get(f"/staff/cases/{case.reference}/").status_code == 404


def test_a_conflicted_investigator_is_never_granted_the_key(file_report, staff) -> None:
    case = _assessed(file_report, staff)
    found = Investigation(case, {})
    boss = _conflicted_from_the_start(staff, found)
    with pytest.raises(actions.ActionError, match="conflicted"):
        investigate(case, staff.handler, boss)
    investigate(case, staff.handler, staff.investigator)
    assert boss.pk not in _grantees(case)
    _every_grant_fails(boss, case)


def test_an_investigator_conflicted_later_loses_the_key_at_once(file_report, staff) -> None:
    case = investigate(_assessed(file_report, staff), staff.handler, staff.investigator)
    second = _conflicted_later(staff, Investigation(case, {}))
    assert second.pk not in _grantees(case)
    assert not Investigator.objects.filter(case=case, user=second, released_at__isnull=True).exists()
    assert client_for(second).get(f"/staff/cases/{case.reference}/investigation/").status_code == 404


def test_the_reporters_keep_out_shuts_out_an_investigator_as_it_does_a_lead_handler(file_report, staff) -> None:
    """Conflicts apply to investigators exactly as to handlers: here, her own keep-out at filing."""
    kept: User = make_staff("kept.investigator@example.org", "investigator")
    # A lead handler sees every case she is not conflicted on: only the keep-out hides this one.
    kept_handler: User = make_staff("kept.lead@example.org", "lead_handler")
    Person.objects.create(employee_id="P-KEPT", name="Kept Investigator", email=kept.email)
    Person.objects.create(employee_id="P-KEPT-H", name="Kept Lead", email=kept_handler.email)
    link_staff_by_email()
    filed = file_report(
        anonymous=False,
        reporter_name="Mei",
        narrative=SECRET,
        people=[
            *staff.name_the_accused(),
            actions.NewPerson(name="Kept Investigator", role="keep_out", employee_id="P-KEPT"),
            actions.NewPerson(name="Kept Lead", role="keep_out", employee_id="P-KEPT-H"),
        ],
    )
    case = filed.case
    actions.acknowledge_case(case=case, actor=staff.handler)
    actions.begin_assessment(case=case, actor=staff.handler)
    accused = InvolvedPerson.objects.get(report__case=case, role=PersonRole.ACCUSED)
    with pytest.raises(actions.ActionError, match="conflicted"):
        actions.open_investigation(
            case=case,
            actor=staff.handler,
            investigators=[kept],
            allegations=[NewAllegation(conduct="Pressed her to drink.", person_id=accused.pk)],
        )
    investigate(case, staff.handler, staff.investigator)
    with pytest.raises(actions.ActionError, match="conflicted"):
        investigation.name_investigators(case=case, actor=staff.handler, investigators=[kept])
    for user in (kept, kept_handler):
        web = client_for(user)
        assert web.get(f"/staff/cases/{case.reference}/").status_code == 404
        assert web.get(f"/staff/cases/{case.reference}/investigation/").status_code == 404
        assert user.pk not in _grantees(case)
    assert staff.investigator.pk in _grantees(case)


def test_an_investigation_opened_with_two_investigators_shows_the_case_to_both(file_report, staff) -> None:
    second: User = make_staff("second.investigator@example.org", "investigator")
    case = _assessed(file_report, staff)
    accused = InvolvedPerson.objects.get(report__case=case, role=PersonRole.ACCUSED)
    actions.open_investigation(
        case=case,
        actor=staff.handler,
        investigators=[staff.investigator, second],
        allegations=[NewAllegation(conduct="Pressed her to drink.", person_id=accused.pk)],
    )
    assert set(Investigator.objects.filter(case=case).values_list("user_id", flat=True)) == {
        staff.investigator.pk,
        second.pk,
    }
    for user in (staff.investigator, second):
        page = client_for(user).get(f"/staff/cases/{case.reference}/investigation/")
        assert page.status_code == 200, user.email
        assert user.pk in _grantees(case)
    assert SECRET in client_for(second).get(f"/staff/cases/{case.reference}/").content.decode()
