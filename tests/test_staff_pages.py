"""Staff pages: login with a second factor, the inbox, the case page and its forms."""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Case, Message, Note
from tests.support import make_staff, opened, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_passwords_are_hashed_with_argon2() -> None:
    import ombuds.settings

    # tests/conftest.py swaps in a fast hasher; the configured one is what production uses
    assert ombuds.settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    assert django_settings.PASSWORD_HASHERS != ombuds.settings.PASSWORD_HASHERS


def test_a_handler_logs_in_with_password_and_totp() -> None:
    user = make_staff("h@example.org", "handler")
    client = Client()
    response = client.post("/staff/accounts/login/", {"login": "h@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/staff/accounts/2fa/authenticate/"
    assert client.get("/staff/").status_code == 302  # not in yet
    response = client.post("/staff/accounts/2fa/authenticate/", {"code": totp_code(user.totp_secret)})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200


def test_a_wrong_totp_code_keeps_the_door_shut() -> None:
    make_staff("h@example.org", "handler")
    client = Client()
    client.post("/staff/accounts/login/", {"login": "h@example.org", "password": PASSWORD})
    response = client.post("/staff/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == 200
    assert client.get("/staff/").status_code == 302


def test_a_case_reader_without_totp_must_set_it_up_first() -> None:
    user = make_staff("new@example.org", "handler", totp=False)
    client = Client()
    client.force_login(user)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/accounts/2fa/totp/activate/"


def test_repeated_wrong_passwords_lock_the_login(settings) -> None:
    make_staff("h@example.org", "handler")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        last = client.post("/staff/accounts/login/", {"login": "h@example.org", "password": "wrong"})
    assert last.status_code == 429
    assert "Too many failed logins" in last.content.decode()
    # now even the right password does not open the door
    response = client.post("/staff/accounts/login/", {"login": "h@example.org", "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert client.get("/staff/").status_code == 302


def test_sign_up_is_closed() -> None:
    response = Client().get("/staff/accounts/signup/")
    assert response.status_code == 200
    assert "closed" in response.content.decode().lower()


def test_the_inbox_filters_and_sorts_by_next_deadline(staff, file_report) -> None:
    assault = file_report(category="sexual_assault").case  # 24 h deadline: first
    bullying = file_report(category="bullying").case
    actions.assign_case(case=bullying, actor=staff.lead, assignee=staff.handler)
    client = staff.client_for(staff.handler)
    page = client.get("/staff/").content.decode()
    assert page.index(assault.reference) < page.index(bullying.reference)
    mine = client.get("/staff/?mine=on").content.decode()
    assert bullying.reference in mine and assault.reference not in mine
    unassigned = client.get("/staff/?unassigned=on").content.decode()
    assert assault.reference in unassigned and bullying.reference not in unassigned
    by_category = client.get("/staff/?category=bullying").content.decode()
    assert bullying.reference in by_category and assault.reference not in by_category
    soon = client.get("/staff/?due_within=2").content.decode()
    assert assault.reference in soon and bullying.reference not in soon
    assert client.get("/staff/?overdue=on").content.decode().count("C-") == 0


def test_the_inbox_shows_overdue_cases(staff, file_report) -> None:
    case = file_report().case
    Case.objects.filter(pk=case.pk).update(next_deadline_at=timezone.now() - timedelta(hours=1))
    page = staff.client_for(staff.lead).get("/staff/?overdue=on").content.decode()
    assert case.reference in page and "overdue" in page


def test_the_inbox_query_count_does_not_grow_with_the_page(staff, file_report, django_assert_max_num_queries) -> None:
    client = staff.client_for(staff.lead)
    for _ in range(3):
        file_report()
    with django_assert_max_num_queries(20) as few:
        client.get("/staff/")
    for _ in range(40):
        file_report()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/staff/")
    assert response.content.decode().count('href="/staff/cases/C-') == 43


def test_the_inbox_pages_merge_her_cases_and_her_pools_in_deadline_order(staff, file_report, monkeypatch) -> None:
    from ombuds.cases import access, selectors, views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "COUNTED_PAGES", 2)
    now = timezone.now()
    cases = [file_report(category="bullying").case for _ in range(7)]
    for hours, case in enumerate(cases):
        if hours % 2:
            actions.assign_case(case=case, actor=staff.lead, assignee=staff.handler)
        # Deadlines that interleave her own cases and the unassigned ones, the first without any.
        deadline = None if hours == 0 else now - timedelta(hours=10 - hours)
        Case.objects.filter(pk=case.pk).update(next_deadline_at=deadline)
    expected = [c.reference for c in selectors.inbox(access.visible_cases(staff.handler), user=staff.handler, now=now)]
    assert expected[-1] == cases[0].reference and len(expected) == 7
    client = staff.client_for(staff.handler)
    shown = []
    for number in range(1, 5):
        page = client.get(f"/staff/?page={number}").content.decode()
        shown += re.findall(r'href="/staff/cases/(C-[^/]+)/"', page)
        # Seven cases are more than two pages of two: the count stops there and says so.
        assert f"Page {number} of more than 2" in page
        assert (f"page={number + 1}" in page) == (number < 4)
    assert shown == expected
    mine = client.get("/staff/?mine=on&page=9").content.decode()
    assert "Page 2 of 2" in mine  # her three: counted exactly, and a page past the end shows the last
    assert re.findall(r'href="/staff/cases/(C-[^/]+)/"', mine) == [cases[5].reference]


def test_the_case_page_shows_report_deadlines_thread_notes_and_timeline(staff, file_report) -> None:
    filed = file_report(
        people=[actions.NewPerson(name="Regional director", role="accused")],
        attachments=[actions.NewAttachment(filename="photo.jpg", content_type="image/jpeg", data=b"\xff\xd8")],
    )
    actions.post_reporter_message(report=filed.report, body="Is anyone there?")
    actions.add_note(case=filed.case, actor=staff.lead, body="Check the travel schedule.")
    page = staff.client_for(staff.handler).get(f"/staff/cases/{filed.case.reference}/").content.decode()
    for text in [
        "My manager kept touching",
        "Regional director",
        "photo.jpg",
        "Is anyone there?",
        "Check the travel schedule.",
        "Acknowledge the reporter",
        "Acknowledge",
        "report filed",
    ]:
        assert text in page, text
    assert "anonymous: only the date is kept" in page
    assert "Nobody is responsible for this case yet" in page
    # the exact time of an anonymous report is nowhere on the page
    assert not re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}</span> report filed", page)


def test_opening_a_case_is_recorded_and_marks_messages_read(staff, file_report) -> None:
    filed = file_report()
    actions.post_reporter_message(report=filed.report, body="Hello?")
    staff.client_for(staff.handler).get(f"/staff/cases/{filed.case.reference}/")
    assert AuditEvent.objects.filter(case=filed.case, event_type=EventType.CASE_VIEWED, actor=staff.handler).exists()
    assert Message.objects.get(sender="reporter").read_at is not None


def test_acknowledging_through_the_page_reaches_the_reporter(staff, file_report, client) -> None:
    filed = file_report()
    handler = staff.client_for(staff.handler)
    response = handler.post(f"/staff/cases/{filed.case.reference}/steps/acknowledge/", {"acknowledge-message": ""})
    assert response.status_code == 302
    assert Case.objects.get(pk=filed.case.pk).status == "acknowledged"
    token = client.post("/api/v1/reporter/session", {"receipt": filed.receipt}, content_type="application/json").json()[
        "token"
    ]
    body = client.get("/api/v1/reporter/case", headers={"Authorization": f"Bearer {token}"}).json()
    assert body["status"] == "acknowledged"
    assert body["messages"][0]["sender"] == "staff"


def test_a_refused_step_explains_itself(staff, file_report) -> None:
    filed = file_report()
    case = actions.acknowledge_case(case=filed.case, actor=staff.handler)
    actions.begin_assessment(case=case, actor=staff.handler)
    response = staff.client_for(staff.handler).post(
        f"/staff/cases/{case.reference}/steps/propose_closure/",
        {
            "propose_closure-grounds": "insufficient_evidence",
            "propose_closure-reason": "Insufficient evidence",
            "propose_closure-search_done": "Nothing.",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "is not one of the available choices" in page and "a report never needs evidence" in page
    assert not case.closure_proposals.exists()


def test_an_unknown_step_is_404(staff, file_report) -> None:
    case = file_report().case
    assert staff.client_for(staff.lead).post(f"/staff/cases/{case.reference}/steps/delete/").status_code == 404


def test_messages_and_notes_through_the_page(staff, file_report) -> None:
    case = file_report().case
    client = staff.client_for(staff.handler)
    assert client.post(f"/staff/cases/{case.reference}/messages/", {"message-body": "We are on it."}).status_code == 302
    assert client.post(f"/staff/cases/{case.reference}/notes/", {"note-body": "Internal only."}).status_code == 302
    assert opened(Message.objects.get(sender="staff"), "body") == "We are on it."
    assert opened(Note.objects.get(), "body") == "Internal only."
    assert client.post(f"/staff/cases/{case.reference}/messages/", {"message-body": ""}).status_code == 400


def test_downloading_an_attachment_is_recorded_and_never_rendered(staff, file_report) -> None:
    filed = file_report(
        attachments=[actions.NewAttachment(filename="x.html", content_type="text/html", data=b"<script>1</script>")]
    )
    attachment = filed.report.attachments.get()
    response = staff.client_for(staff.handler).get(f"/staff/cases/{filed.case.reference}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert AuditEvent.objects.filter(event_type=EventType.ATTACHMENT_DOWNLOADED, actor=staff.handler).exists()


def test_tokens_are_listed_and_revoked_in_settings(staff) -> None:
    client = staff.client_for(staff.lead)
    page = client.post("/staff/settings/", {"name": "reporting script", "password": PASSWORD}).content.decode()
    token = re.search(r'<code class="token">(omb_[^<]+)</code>', page)
    assert token
    assert Client(headers={"Authorization": f"Bearer {token.group(1)}"}).get("/api/v1/cases").status_code == 200
    token_id = staff.lead.api_tokens.get().pk
    assert client.post("/staff/settings/", {"revoke": token_id}).status_code == 302
    assert Client(headers={"Authorization": f"Bearer {token.group(1)}"}).get("/api/v1/cases").status_code == 401
    # someone else's token cannot be revoked
    other = staff.client_for(staff.handler)
    assert other.post("/staff/settings/", {"revoke": token_id}).status_code == 404


def test_exporting_a_case_is_recorded(staff, file_report) -> None:
    filed = file_report()
    response = staff.client_for(staff.lead).get(f"/staff/cases/{filed.case.reference}/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.json()["reference"] == filed.case.reference
    assert AuditEvent.objects.filter(event_type=EventType.CASE_EXPORTED, actor=staff.lead, case=filed.case).exists()


def test_a_recovery_code_replaces_a_lost_phone() -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    user = make_staff("h@example.org", "handler")
    codes = RecoveryCodes.activate(user).generate_codes()
    client = Client()
    client.post("/staff/accounts/login/", {"login": "h@example.org", "password": PASSWORD})
    response = client.post("/staff/accounts/2fa/authenticate/", {"code": codes[0]})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200
    # each code works once
    other = Client()
    other.post("/staff/accounts/login/", {"login": "h@example.org", "password": PASSWORD})
    other.post("/staff/accounts/2fa/authenticate/", {"code": codes[0]})
    assert other.get("/staff/").status_code == 302


def test_every_form_on_the_case_page_has_its_own_field_ids(staff, file_report) -> None:
    case = file_report().case
    actions.acknowledge_case(case=case, actor=staff.handler)
    actions.begin_assessment(case=case, actor=staff.handler)
    actions.propose_closure(
        case=case,
        actor=staff.handler,
        grounds="resolved",
        reason="The reporter asked us to only record it.",
        search_done="Spoke to her.",
    )
    page = staff.client_for(staff.lead).get(f"/staff/cases/{case.reference}/").content.decode()
    ids = re.findall(r'\sid="(id_[^"]+)"', page)
    assert ids
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert 'id="id_message-body"' in page and 'id="id_note-body"' in page


def test_the_proposer_is_not_offered_the_decision(staff, file_report) -> None:
    case = file_report().case
    actions.acknowledge_case(case=case, actor=staff.lead)
    actions.begin_assessment(case=case, actor=staff.lead)
    actions.propose_closure(
        case=case,
        actor=staff.lead,
        grounds="resolved",
        reason="The reporter asked us to only record it.",
        search_done="Spoke to her.",
    )
    own = staff.client_for(staff.lead).get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Approve the proposal" not in own and "Reject the proposal" not in own
    other = staff.client_for(staff.oversight).get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Approve the proposal" in other and "Reject the proposal" in other


def test_the_time_left_counts_down_to_the_deadline(staff, file_report) -> None:
    case = file_report().case
    page = staff.client_for(staff.lead).get(f"/staff/cases/{case.reference}/").content.decode()
    assert "6\xa0days" in page or "6 days" in page


def test_a_new_handler_sets_up_totp_right_after_the_first_login() -> None:
    make_staff("new@example.org", "handler", totp=False)
    client = Client()
    client.post("/staff/accounts/login/", {"login": "new@example.org", "password": PASSWORD})
    response = client.get("/staff/")
    assert response["Location"] == "/staff/accounts/2fa/totp/activate/"
    page = client.get(response["Location"])
    assert page.status_code == 200  # no second password prompt first
    secret = client.session["mfa.totp.secret"]
    html = page.content.decode()
    # Shown as text too, for apps that cannot scan: in groups of four, and nowhere in one piece (not in the alt text).
    grouped = " ".join(f'<span class="group">{secret[i : i + 4]}</span>' for i in range(0, len(secret), 4))
    assert grouped in html
    assert secret not in html
    done = client.post("/staff/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302
    assert client.get("/staff/").status_code == 200
