"""Who sees a case. Missing and forbidden look the same: 404 on every case route."""

import pytest
from django.test import Client

from ombuds.accounts import tokens
from ombuds.cases import actions
from ombuds.cases.models import Appeal, Attachment
from tests.support import STAFF_API_CALLS, api_url, call, case_routes

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_case(file_report):
    filed = file_report(
        attachments=[actions.NewAttachment(filename="a.txt", content_type="text/plain", data=b"secret")]
    )
    actions.file_appeal(report=filed.report, reason="Nobody answered.")
    return filed.case


def test_the_walk_covers_every_kind_of_case_route(one_case) -> None:
    paths = case_routes(one_case.reference, 1, 1)
    for fragment in [
        "/steps/",
        "/messages/",
        "/notes/",
        "/assign/",
        "/appeals/",
        "/attachments/",
        "/measures/1/extend/",
        "/measures/1/end/",
        "/outcomes/1/decide/",
        "/outcomes/1/withdraw/",
    ]:
        assert any(fragment in path for path in paths), fragment
    assert f"/staff/cases/{one_case.reference}/" in paths


@pytest.mark.parametrize("persona", ["outsider", "admin", "auditor", "hr"])
def test_people_without_a_case_role_get_404_on_every_case_route(staff, one_case, persona) -> None:
    client = staff.client_for(getattr(staff, persona))
    attachment = Attachment.objects.get().pk
    appeal = Appeal.objects.get().pk
    for path in case_routes(one_case.reference, attachment, appeal):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"body": "x", "reason": "x", "note": "x"}).status_code == 404, path


@pytest.mark.parametrize("persona", ["accused", "manager"])
def test_the_accused_and_his_manager_get_404_on_every_route_of_a_case_that_names_him(
    staff, file_report, persona
) -> None:
    filed = file_report(
        people=staff.name_the_accused(),
        attachments=[actions.NewAttachment(filename="a.txt", content_type="text/plain", data=b"secret")],
    )
    actions.file_appeal(report=filed.report, reason="He is my manager's friend.")
    case = filed.case
    client = staff.client_for(getattr(staff, persona))
    paths = case_routes(case.reference, Attachment.objects.get().pk, Appeal.objects.get().pk)
    for path in paths:
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"body": "x", "reason": "x", "note": "x"}).status_code == 404, path
    token = tokens.create_token(user=getattr(staff, persona), name="probe")[1]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    for method, path, body in STAFF_API_CALLS:
        url = api_url(path, case.reference)
        assert call(api, method, url, body).status_code == 404, url
    # The same people see other cases: it is the conflict, not the role, that keeps them out.
    other = file_report(narrative="Another matter.").case
    assert client.get(f"/staff/cases/{other.reference}/").status_code == 200


def test_a_case_that_does_not_exist_looks_the_same(staff, one_case) -> None:
    client = staff.client_for(staff.handler)
    assert client.get("/staff/cases/C-NOPENOPE/").status_code == 404
    missing = client.get("/staff/cases/C-NOPENOPE/").content
    outsider = staff.client_for(staff.outsider).get(f"/staff/cases/{one_case.reference}/").content
    assert missing == outsider


def test_a_handler_sees_the_pool_and_their_own_but_not_a_colleagues(staff, one_case) -> None:
    path = f"/staff/cases/{one_case.reference}/"
    assert staff.client_for(staff.handler).get(path).status_code == 200  # unassigned: in the pool
    actions.assign_case(case=one_case, actor=staff.lead, assignee=staff.handler2)
    assert staff.client_for(staff.handler).get(path).status_code == 404
    assert staff.client_for(staff.handler2).get(path).status_code == 200
    assert staff.client_for(staff.lead).get(path).status_code == 200
    assert staff.client_for(staff.oversight).get(path).status_code == 200


def test_anonymous_visitors_are_sent_to_login(one_case) -> None:
    response = Client().get(f"/staff/cases/{one_case.reference}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/accounts/login/")


def test_the_api_walk_covers_every_case_route(client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    case_paths = {path for path in document["paths"] if "{reference}" in path}
    assert case_paths == {path.replace("{ref}", "{reference}") for _m, path, _b in STAFF_API_CALLS}


@pytest.mark.parametrize("persona", ["outsider", "admin", "auditor", "hr"])
def test_people_without_a_case_role_get_404_on_every_case_api_route(staff, one_case, persona) -> None:
    _record, token = tokens.create_token(user=getattr(staff, persona), name="t")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    for method, path, body in STAFF_API_CALLS:
        url = api_url(path, one_case.reference)
        assert call(client, method, url, body).status_code == 404, url
    listing = client.get("/api/v1/cases").json()
    assert listing["count"] == 0


def test_staff_api_needs_a_valid_token(one_case) -> None:
    assert Client().get("/api/v1/cases").status_code == 401
    bad = Client(headers={"Authorization": "Bearer omb_notatoken"})
    assert bad.get(f"/api/v1/cases/{one_case.reference}").status_code == 401


def test_a_revoked_token_stops_working(staff, one_case) -> None:
    record, token = tokens.create_token(user=staff.lead, name="script")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/v1/cases").status_code == 200
    tokens.revoke_token(user=staff.lead, token_id=record.pk)
    assert client.get("/api/v1/cases").status_code == 401


def test_a_reporter_token_opens_no_staff_route_and_a_staff_token_no_reporter_route(staff, one_case, client) -> None:
    filed_receipt = client.post(
        "/api/v1/reports",
        {"category": "other", "role": "witness", "narrative": "x", "anonymous": True},
        content_type="application/json",
    ).json()["receipt"]
    reporter_token = client.post(
        "/api/v1/reporter/session", {"receipt": filed_receipt}, content_type="application/json"
    ).json()["token"]
    assert Client(headers={"Authorization": f"Bearer {reporter_token}"}).get("/api/v1/cases").status_code == 401
    _record, staff_token = tokens.create_token(user=staff.lead, name="t")
    assert Client(headers={"Authorization": f"Bearer {staff_token}"}).get("/api/v1/reporter/case").status_code == 401


def test_unknown_inbox_filters_are_refused(staff) -> None:
    _record, token = tokens.create_token(user=staff.lead, name="t")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/v1/cases?status=archived").status_code == 422
    assert client.get("/api/v1/cases?category=gossip").status_code == 422
    assert client.get("/api/v1/cases?status=received&category=bullying").status_code == 200
