"""The reporter's path through the JSON API."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ombuds.cases import selectors
from ombuds.cases.models import Appeal, Attachment, Case, Message
from tests.support import opened

pytestmark = pytest.mark.django_db

REPORT = {
    "category": "sexual_assault",
    "role": "affected",
    "narrative": "After the client dinner my manager came to my hotel room.",
    "anonymous": True,
}


def _post(client: Client, path: str, body: object, **headers: str):
    return client.post(path, body, content_type="application/json", headers=headers)


def _file(client: Client, **extra: object) -> str:
    response = _post(client, "/api/v1/reports", {**REPORT, **extra})
    assert response.status_code == 201, response.content
    return str(response.json()["receipt"])


def _token(client: Client, receipt: str) -> str:
    response = _post(client, "/api/v1/reporter/session", {"receipt": receipt})
    assert response.status_code == 200
    assert response.json()["expires_in"] > 0
    return str(response.json()["token"])


def test_it_files_a_report_and_answers_with_a_receipt(client) -> None:
    receipt = _file(
        client,
        occurred="May 2026",
        location="Hotel, Shanghai",
        people=[{"name": "Line manager", "role": "accused"}, {"name": "Driver", "role": "witness"}],
        language="zh-hans",
    )
    assert len(receipt.replace("-", "")) == 28
    report = Case.objects.get().reports.get()
    assert report.language == "zh-hans"
    assert report.people.count() == 2


def test_a_named_report_can_carry_a_name(client) -> None:
    receipt = _file(client, anonymous=False, name="Mei Chen", contact="mei@example.org")
    report = Case.objects.get().reports.get()
    assert opened(report, "reporter_name", receipt=receipt) == "Mei Chen"
    assert report.reporter_name != "Mei Chen"  # stored encrypted


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "gossip"}, "category"),
        ({"role": "judge"}, "role"),
        ({"narrative": ""}, "narrative"),
        ({"narrative": "   "}, "narrative"),
        ({"narrative": "x" * 50_001}, "narrative"),
        ({"anonymous": "perhaps"}, "anonymous"),
        ({"people": [{"name": "X", "role": "boss"}]}, "people"),
        ({"location": "x" * 201}, "location"),
        ({"language": "fr"}, "language"),
    ],
)
def test_bad_input_gets_422_naming_the_field_and_stores_nothing(client, change, field) -> None:
    response = _post(client, "/api/v1/reports", {**REPORT, **change})
    assert response.status_code == 422
    assert any(field in [str(part) for part in error["loc"]] for error in response.json()["detail"])
    assert Case.objects.count() == 0


def test_missing_required_fields_get_422(client) -> None:
    response = _post(client, "/api/v1/reports", {"category": "bullying"})
    assert response.status_code == 422
    missing = {error["loc"][-1] for error in response.json()["detail"]}
    assert {"role", "narrative", "anonymous"} <= missing


def test_an_anonymous_report_cannot_carry_a_name(client) -> None:
    response = _post(client, "/api/v1/reports", {**REPORT, "name": "Jane"})
    assert response.status_code == 422
    assert "anonymous" in response.json()["detail"][0]["msg"]
    assert Case.objects.count() == 0


def test_malformed_json_gets_a_clear_error(client) -> None:
    response = client.post("/api/v1/reports", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body"}
    assert Case.objects.count() == 0


def test_a_wrong_receipt_and_an_unknown_one_get_the_same_401(client) -> None:
    _file(client)
    wrong = _post(client, "/api/v1/reporter/session", {"receipt": "1234-1234-1234-1234-1234-1234-1234"})
    malformed = _post(client, "/api/v1/reporter/session", {"receipt": "abc"})
    assert wrong.status_code == malformed.status_code == 401
    assert wrong.json() == malformed.json()


def test_receipt_guessing_through_the_api_is_rate_limited(client, settings) -> None:
    settings.OMBUDS_RECEIPT_ATTEMPTS = 2
    _file(client)
    for _ in range(2):
        assert _post(client, "/api/v1/reporter/session", {"receipt": "0" * 28}).status_code == 401
    refused = _post(client, "/api/v1/reporter/session", {"receipt": "0" * 27 + "1"})
    assert refused.status_code == 429
    assert refused.json() == {"detail": "too many attempts; wait and try again"}


def test_the_case_shows_status_deadlines_and_messages(client) -> None:
    token = _token(client, _file(client))
    _post(client, "/api/v1/reporter/messages", {"body": "One more detail."}, Authorization=f"Bearer {token}")
    response = client.get("/api/v1/reporter/case", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json()
    case = Case.objects.get()
    assert body["status"] == "received"
    assert body["deadlines"] == {
        "acknowledge_by": timezone.localdate(case.ack_due_at).isoformat(),
        "feedback_by": timezone.localdate(case.feedback_due_at).isoformat(),
    }
    assert body["received_on"] == timezone.localdate(case.received_at).isoformat()
    assert [(m["sender"], m["body"], m["read"]) for m in body["messages"]] == [("reporter", "One more detail.", False)]
    # an anonymous reporter's own message carries its day only
    assert body["messages"][0]["sent"] == timezone.localdate().isoformat()
    assert "by" in body["next_step"]


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc", "Bearer "])
def test_reporter_routes_need_a_valid_token(client, header) -> None:
    _file(client)
    headers = {"Authorization": header} if header else {}
    assert client.get("/api/v1/reporter/case", headers=headers).status_code == 401
    assert _post(client, "/api/v1/reporter/messages", {"body": "x"}, **headers).status_code == 401
    assert _post(client, "/api/v1/reporter/appeal", {"reason": "x"}, **headers).status_code == 401
    assert Message.objects.count() == 0
    assert Appeal.objects.count() == 0


def test_the_token_is_short_lived(client, settings) -> None:
    token = _token(client, _file(client))
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.OMBUDS_REPORTER_SESSION_SECONDS + 1)):
        assert client.get("/api/v1/reporter/case", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_token_only_opens_its_own_case(client) -> None:
    receipt_a = _file(client, narrative="case A")
    token_a = _token(client, receipt_a)
    _file(client, narrative="case B")
    body = client.get("/api/v1/reporter/case", headers={"Authorization": f"Bearer {token_a}"}).json()
    case_a = selectors.report_for_receipt(receipt_a).case  # type: ignore[union-attr]
    assert body["reference"] == case_a.reference
    assert opened(case_a.reports.get(), "narrative", receipt=receipt_a) == "case A"


def test_she_can_add_files(client, settings) -> None:
    token = _token(client, _file(client))
    response = client.post(
        "/api/v1/reporter/attachments",
        {"files": [SimpleUploadedFile("a.txt", b"one"), SimpleUploadedFile("b.txt", b"two")]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    assert [a["filename"] for a in response.json()["attachments"]] == ["a.txt", "b.txt"]
    assert Attachment.objects.count() == 2


def test_too_many_or_too_large_files_get_422(client, settings) -> None:
    settings.OMBUDS_MAX_ATTACHMENTS = 1
    settings.OMBUDS_MAX_ATTACHMENT_BYTES = 3
    token = _token(client, _file(client))
    auth = {"Authorization": f"Bearer {token}"}
    two = [SimpleUploadedFile("a.txt", b"1"), SimpleUploadedFile("b.txt", b"2")]
    assert client.post("/api/v1/reporter/attachments", {"files": two}, headers=auth).status_code == 422
    big = [SimpleUploadedFile("a.txt", b"1234")]
    assert client.post("/api/v1/reporter/attachments", {"files": big}, headers=auth).status_code == 422
    assert Attachment.objects.count() == 0


def test_she_can_appeal(client) -> None:
    token = _token(client, _file(client))
    response = _post(
        client, "/api/v1/reporter/appeal", {"reason": "No answer in 10 days."}, Authorization=f"Bearer {token}"
    )
    assert response.status_code == 201
    assert Appeal.objects.get().pk == response.json()["id"]
    assert _post(client, "/api/v1/reporter/appeal", {"reason": " "}, Authorization=f"Bearer {token}").status_code == 422


def test_the_openapi_document_is_generated(client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["version"] == "1"
    assert {
        "/api/v1/reports",
        "/api/v1/reporter/session",
        "/api/v1/reporter/case",
        "/api/v1/reporter/messages",
        "/api/v1/reporter/attachments",
        "/api/v1/reporter/appeal",
    } <= set(document["paths"])
    properties = document["components"]["schemas"]["ReportIn"]["properties"]
    assert {
        "category",
        "role",
        "narrative",
        "anonymous",
        "occurred",
        "location",
        "people",
        "language",
        "contact",
    } <= set(properties)


def test_api_answers_are_not_cacheable(client) -> None:
    response = _post(client, "/api/v1/reports", REPORT)
    assert response["Cache-Control"].startswith("no-store")


def test_a_few_files_too_many_get_the_same_clear_422(client, settings) -> None:
    token = _token(client, _file(client))
    files = [SimpleUploadedFile(f"{i}.txt", b"x") for i in range(settings.OMBUDS_MAX_ATTACHMENTS + 1)]
    response = client.post(
        "/api/v1/reporter/attachments", {"files": files}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422
    assert "at most" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize("value", [0, 1, "true", "false", "yes", None, "0"])
def test_anonymity_is_only_true_or_false(client, value) -> None:
    """Whether she is anonymous is never guessed from a number or a word: anything but a JSON boolean is refused."""
    response = _post(client, "/api/v1/reports", {**REPORT, "anonymous": value})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "anonymous"
    assert not Case.objects.exists()


def test_a_step_states_its_own_required_fields(client) -> None:
    from ombuds.api.v1 import api

    document = api.get_openapi_schema()
    schemas = document["components"]["schemas"]
    assert set(schemas["ProposeClosureIn"]["required"]) == {"transition", "grounds", "reason", "search_done"}
    # A case with allegations takes its finding from theirs: the finding may be left out.
    assert set(schemas["DecideIn"]["required"]) == {"transition", "reasoning"}
    assert set(schemas["RejectClosureIn"]["required"]) == {"transition", "note"}
    assert schemas["BeginAssessmentIn"]["required"] == ["transition"]


def test_every_route_lists_the_answers_it_can_give(client) -> None:
    from ombuds.api.v1 import api

    document = api.get_openapi_schema()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            takes_body = "requestBody" in operation
            if takes_body:
                assert {400, 422} <= codes, (method, path)
            if operation.get("security"):
                assert 401 in codes, (method, path)
            if "{reference}" in path:
                assert 404 in codes, (method, path)
    assert 429 in document["paths"]["/api/v1/reports"]["post"]["responses"]
