"""Limits on filing: a flood of reports or files is slowed, storage is bounded, and handlers get a digest.

None of it keeps anything about who sent what: the rates are for everyone together, in
process memory; the quotas are sums over stored files.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks_db.models import DBTaskResult

from ombuds.cases import actions, notify
from ombuds.cases.models import Attachment, Case, Notice
from ombuds.core.sweep import run as sweep
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person
from ombuds.intake import flood
from ombuds.lib.ratelimit import TokenBucket
from tests.support import FileReport, Personas

REPORT = {"category": "bullying", "role": "witness", "anonymous": "true"}
BUSY = "Many reports are arriving right now. Nothing was saved; your text is still here"


# --- the token bucket -------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_lets_a_burst_through_then_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(clock)
    limits = {"per_minute": 6, "capacity": 6}
    for _ in range(6):
        assert bucket.wait(1, **limits) == 0
        bucket.take(1, **limits)
    assert bucket.wait(1, **limits) == pytest.approx(10)  # one every 10 seconds
    clock.now += 10
    assert bucket.wait(1, **limits) == 0


def test_a_bucket_never_holds_more_than_its_capacity_and_ignores_a_clock_stepping_back() -> None:
    clock = Clock()
    bucket = TokenBucket(clock)
    limits = {"per_minute": 60, "capacity": 2}
    bucket.take(2, **limits)
    clock.now += 3600
    assert bucket.wait(2, **limits) == 0
    assert bucket.wait(3, **limits) == 0  # more than the whole bucket needs a full one, never forever
    bucket.take(2, **limits)
    clock.now -= 500
    assert bucket.wait(1, **limits) == pytest.approx(1)


# --- the rates: web form and API ---------------------------------------------------------------


def test_concurrent_reports_cannot_pass_over_the_rate(settings) -> None:
    settings.OMBUDS_NEW_REPORTS_PER_MINUTE = 5
    admitted: list[bool] = []
    start = threading.Barrier(32)

    def file_one() -> None:
        start.wait()
        try:
            flood.admit(reports=1)
        except flood.Busy:
            admitted.append(False)
        else:
            admitted.append(True)

    threads = [threading.Thread(target=file_one) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted.count(True) == 5
    assert admitted.count(False) == 27


@pytest.mark.django_db
def test_the_form_refuses_a_report_over_the_rate_calmly_and_keeps_her_text(settings) -> None:
    settings.OMBUDS_NEW_REPORTS_PER_MINUTE = 2
    client = Client()
    for number in range(2):
        assert client.post("/report/", {**REPORT, "narrative": f"Report {number}."}, follow=True).status_code == 200
    narrative = "He blocked the door of the meeting room and would not let me leave."
    refused = client.post(
        "/report/",
        {**REPORT, "narrative": narrative, "attachments": [SimpleUploadedFile("n.txt", b"notes")]},
        follow=True,
    )
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    page = refused.content.decode()
    assert BUSY in page
    assert "please try again in a few minutes." in page
    assert "Files must be chosen again." in page
    assert narrative in page
    assert Case.objects.count() == 2
    assert Attachment.objects.count() == 0


@pytest.mark.django_db
def test_the_api_refuses_a_report_over_the_rate_with_429_and_retry_after(settings) -> None:
    settings.OMBUDS_NEW_REPORTS_PER_MINUTE = 1
    client = Client()
    body = {"category": "bullying", "role": "witness", "narrative": "It happened.", "anonymous": True}
    assert client.post("/api/v1/reports", body, content_type="application/json").status_code == 201
    refused = client.post("/api/v1/reports", body, content_type="application/json")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json() == {
        "detail": "Many reports are arriving right now. Nothing was saved; please try again in a few minutes."
    }
    assert Case.objects.count() == 1


def test_uploaded_bytes_are_limited_on_the_status_page_and_in_the_api(settings, file_report: FileReport) -> None:
    settings.OMBUDS_UPLOAD_BYTES_PER_MINUTE = 3000
    receipt = file_report().receipt
    client = Client()
    client.post("/return/", {"receipt": receipt})
    first = client.post("/status/message/", {"body": "", "attachments": [SimpleUploadedFile("a.bin", b"a" * 2000)]})
    assert first.status_code == 302
    message = "Please look at the second file too."
    refused = client.post(
        "/status/message/", {"body": message, "attachments": [SimpleUploadedFile("b.bin", b"b" * 2000)]}
    )
    assert refused.status_code == 429
    assert (
        "Many files are arriving right now. Nothing was saved; your message is still here" in refused.content.decode()
    )
    assert message in refused.content.decode()
    token = client.post("/api/v1/reporter/session", {"receipt": receipt}, content_type="application/json").json()
    api = client.post(
        "/api/v1/reporter/attachments",
        {"files": [SimpleUploadedFile("c.bin", b"c" * 2000)]},
        headers={"Authorization": f"Bearer {token['token']}"},
    )
    assert api.status_code == 429
    assert api.json()["detail"].startswith("Many files are arriving right now.")
    assert Attachment.objects.count() == 1
    # A message without files is not held up by the file rate.
    assert client.post("/status/message/", {"body": message}).status_code == 302


# --- storage quotas ----------------------------------------------------------------------------


def _files(*sizes: int) -> list[actions.NewAttachment]:
    return [
        actions.NewAttachment(filename=f"f{i}.bin", content_type="application/octet-stream", data=b"x" * size)
        for i, size in enumerate(sizes)
    ]


def test_a_report_holds_at_most_its_quota_of_files(settings, file_report: FileReport) -> None:
    settings.OMBUDS_CASE_ATTACHMENT_BYTES = 3 * 1024 * 1024
    filed = file_report(attachments=_files(1024 * 1024, 1024 * 1024))
    with pytest.raises(actions.ActionError, match=r"at most 3 MB of files, and 2 MB are stored with this one"):
        actions.add_reporter_attachments(report=filed.report, attachments=_files(1024 * 1024 + 1))
    with pytest.raises(actions.ActionError, match="Nothing was saved"):
        actions.post_reporter_message(report=filed.report, body="and this", attachments=_files(2 * 1024 * 1024))
    assert Attachment.objects.count() == 2
    assert filed.case.messages.count() == 0  # the message was not stored without its files
    actions.add_reporter_attachments(report=filed.report, attachments=_files(1024 * 1024))  # exactly full
    assert Attachment.objects.count() == 3


def test_a_new_report_over_the_quota_is_refused_whole(settings, file_report: FileReport) -> None:
    settings.OMBUDS_CASE_ATTACHMENT_BYTES = 1000
    with pytest.raises(actions.ActionError, match="no room for these files"):
        file_report(attachments=_files(600, 600))
    assert Case.objects.count() == 0


def test_the_installation_holds_at_most_its_total_quota_of_files(settings, file_report: FileReport) -> None:
    settings.OMBUDS_TOTAL_ATTACHMENT_BYTES = 2500
    file_report(attachments=_files(1000))
    second = file_report(attachments=_files(1000))
    with pytest.raises(actions.ActionError, match="There is no room for more files just now"):
        actions.add_reporter_attachments(report=second.report, attachments=_files(1000))
    assert sum(Attachment.objects.values_list("size", flat=True)) == 2000


@pytest.mark.django_db
def test_the_form_shows_the_quota_refusal_and_keeps_her_text(settings) -> None:
    settings.OMBUDS_CASE_ATTACHMENT_BYTES = 10
    narrative = "It happened in the lift."
    response = Client().post(
        "/report/",
        {**REPORT, "narrative": narrative, "attachments": [SimpleUploadedFile("a.bin", b"a" * 20)]},
        follow=True,
    )
    assert response.status_code == 400
    assert "There is no room for these files" in response.content.decode()
    assert narrative in response.content.decode()
    assert Case.objects.count() == 0


# --- new-case digest ---------------------------------------------------------------------------


def _deliver() -> None:
    """Run what the task worker would run."""
    for row in DBTaskResult.objects.order_by("enqueued_at"):
        kwargs = row.args_kwargs["kwargs"]
        if row.task_path == "ombuds.cases.notify.send_new_case_digest":
            notify.send_new_case_digest.call(**kwargs)
        else:
            assert row.task_path == "ombuds.cases.notify.send_notification"
            notify.send_notification.call(**kwargs)
    DBTaskResult.objects.all().delete()


def test_a_flood_of_new_cases_reaches_each_handler_as_one_digest(settings, staff: Personas, smtp) -> None:
    settings.OMBUDS_NEW_CASE_DIGEST_AFTER = 5
    cases = [
        actions.file_report(category="bullying", role="witness", narrative=f"Report {i}.", anonymous=False).case
        for i in range(7)
    ]
    sweep(datetime.now(tz=UTC))
    _deliver()
    pool = {"handler@example.org", "handler2@example.org", "lead@example.org"}
    assert sorted(m["To"] for m in smtp.messages) == sorted(pool)  # 3 e-mails, not 21
    for message in smtp.messages:
        assert message["Subject"] == "[ombuds] 7 new cases in your pool"
        text = message.get_content()
        assert all(case.reference in text for case in cases)
        assert "Report 3." not in text
    assert not Notice.objects.filter(sent=False).exists()


def test_a_few_new_cases_still_come_one_e_mail_each(settings, staff: Personas, smtp) -> None:
    settings.OMBUDS_NEW_CASE_DIGEST_AFTER = 5
    for i in range(2):
        actions.file_report(category="bullying", role="witness", narrative=f"Report {i}.", anonymous=False)
    sweep(datetime.now(tz=UTC))
    _deliver()
    assert len(smtp.messages) == 6
    assert all(m["Subject"].startswith("[ombuds] New case C-") for m in smtp.messages)


def test_anonymous_reports_of_one_batch_come_as_a_digest_at_its_boundary(settings, staff: Personas, smtp) -> None:
    settings.OMBUDS_NEW_CASE_DIGEST_AFTER = 3
    filed_at = datetime(2026, 11, 2, 9, 17, tzinfo=UTC)
    with time_machine.travel(filed_at, tick=False):
        for i in range(4):
            actions.file_report(category="bullying", role="witness", narrative=f"Report {i}.", anonymous=True)
    assert notify.send_due(filed_at + timedelta(minutes=5)) == 0  # waiting for the batch boundary
    assert notify.send_due(datetime(2026, 11, 2, 10, 0, tzinfo=UTC)) == 4
    _deliver()
    assert len(smtp.messages) == 3
    assert {m["Subject"] for m in smtp.messages} == {"[ombuds] 4 new cases in your pool"}


def test_a_digest_leaves_out_cases_the_recipient_is_conflicted_on(settings, staff: Personas, smtp) -> None:
    settings.OMBUDS_NEW_CASE_DIGEST_AFTER = 1
    # handler2 is in the directory; one report names them.
    Person.objects.create(employee_id="E9", name="Second Handler", email="handler2@example.org")
    link_staff_by_email()
    named = actions.file_report(
        category="bullying",
        role="witness",
        narrative="x",
        anonymous=False,
        people=[actions.NewPerson(name="Second Handler", role="accused", employee_id="E9")],
    ).case
    other = actions.file_report(category="bullying", role="witness", narrative="y", anonymous=False).case
    references = [named.reference, other.reference]
    assert notify.send_new_case_digest.call(user_id=staff.handler2.pk, references=references) == 1
    assert notify.send_new_case_digest.call(user_id=staff.handler.pk, references=references) == 1
    mail = {m["To"]: m.get_content() for m in smtp.messages}
    assert named.reference not in mail["handler2@example.org"]
    assert other.reference in mail["handler2@example.org"]
    assert named.reference in mail["handler@example.org"]


def test_new_case_notices_are_claimed_in_the_order_of_their_ids(staff: Personas) -> None:
    """Two workers claiming the same notices in different orders deadlocked on PostgreSQL (tests/test_sweep_race.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(4):
        actions.file_report(category="bullying", role="witness", narrative=f"Report {i}.", anonymous=False)
    # The last one due first: read through the index on (sent, send_after), they come by time, not by id.
    ids = list(Notice.objects.order_by("pk").values_list("pk", flat=True))
    Notice.objects.filter(pk=ids[-1]).update(send_after=datetime(2026, 1, 2, tzinfo=UTC))
    with CaptureQueriesContext(connection) as queries:
        assert notify.send_due(datetime.now(tz=UTC)) == 4
    claims = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "cases_notice"')]
    claimed = [
        next(int(word) for word in reversed(sql.replace("=", " = ").split()) if word.isdigit()) for sql in claims
    ]
    assert len(claimed) == 4 and claimed == sorted(claimed), claims
