"""A reporter's session: one kind per channel, ended on the server by "leave", and naming no database id."""

from __future__ import annotations

import base64
import json

import pytest
from django.core import signing
from django.test import Client

from ombuds.intake import access
from ombuds.intake.models import ReporterSession
from ombuds.intake.views import COOKIE

pytestmark = pytest.mark.django_db


def _api_token(client: Client, receipt: str) -> str:
    response = client.post("/api/v1/reporter/session", {"receipt": receipt}, content_type="application/json")
    assert response.status_code == 200
    token: str = response.json()["token"]
    return token


def _web_cookie(client: Client, receipt: str) -> str:
    assert client.post("/return/", {"receipt": receipt}).status_code == 302
    return client.cookies[COOKIE].value


def test_an_api_token_is_not_accepted_as_the_web_cookie(file_report) -> None:
    filed = file_report()
    token = _api_token(Client(), filed.receipt)
    browser = Client()
    browser.cookies[COOKIE] = token
    assert browser.get("/status/").status_code == 302  # sent to the receipt page


def test_a_web_cookie_is_not_accepted_by_the_api(file_report) -> None:
    filed = file_report()
    cookie = _web_cookie(Client(), filed.receipt)
    response = Client().get("/api/v1/reporter/case", headers={"Authorization": f"Bearer {cookie}"})
    assert response.status_code == 401


def test_leave_ends_the_session_on_the_server(file_report) -> None:
    filed = file_report()
    browser = Client()
    cookie = _web_cookie(browser, filed.receipt)
    copy = Client()  # someone who copied the cookie before she left
    copy.cookies[COOKIE] = cookie
    assert copy.get("/status/").status_code == 200
    assert browser.post("/leave/").status_code == 302
    assert copy.get("/status/").status_code == 302
    assert not ReporterSession.objects.exists()


def test_the_api_can_end_its_session_too(file_report) -> None:
    filed = file_report()
    client = Client()
    token = _api_token(client, filed.receipt)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/reporter/case", headers=auth).status_code == 200
    assert client.delete("/api/v1/reporter/session", headers=auth).status_code == 204
    assert client.get("/api/v1/reporter/case", headers=auth).status_code == 401


def test_the_token_reveals_no_database_id(file_report) -> None:
    filed = file_report()
    token = _api_token(Client(), filed.receipt)
    payload = json.loads(base64.urlsafe_b64decode(token.split(":")[0] + "=="))
    assert set(payload) == {"s", "k"}
    assert str(filed.report.pk) not in token and str(filed.case.pk) not in token


def test_the_stored_session_does_not_say_which_report_it_opens(file_report) -> None:
    filed = file_report()
    _api_token(Client(), filed.receipt)
    row = ReporterSession.objects.get()
    assert str(filed.report.pk).encode() not in bytes(row.sealed)
    assert not any(field.is_relation for field in ReporterSession._meta.get_fields())


def test_a_forged_or_tampered_token_opens_nothing(file_report) -> None:
    filed = file_report()
    token = _api_token(Client(), filed.receipt)
    session_id = signing.loads(token, salt="ombuds.intake.reporter-session.api")["s"]
    forged = signing.dumps({"s": session_id, "k": "x" * 43}, salt="ombuds.intake.reporter-session.api")
    assert access.report_for_token(forged, "api") is None  # right row, wrong secret
    assert access.report_for_token(token[:-2] + "xx", "api") is None
    assert access.report_for_token(token, "api") == filed.report


def test_expired_sessions_are_swept(file_report) -> None:
    from datetime import timedelta

    from django.utils import timezone

    filed = file_report()
    _api_token(Client(), filed.receipt)
    assert access.purge_expired(timezone.now()) == 0
    assert access.purge_expired(timezone.now() + timedelta(hours=1)) == 1
