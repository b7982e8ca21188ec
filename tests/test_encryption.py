"""Report content encrypted at rest: only the people who may read a case can decrypt it.

Through the real actions and pages: a handler, oversight and the reporter read; a
conflicted staff member and an administrator cannot, even by calling the decryption
code with everything the database holds. Grants follow escalation and assignment,
password changes, rotation, retirement and recovery.
"""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ombuds.accounts import keys as staff_keys
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions, case_view, content, keyring
from ombuds.cases.models import Case, CaseKeyGrant, GrantHolder, PendingGrant, Report
from ombuds.crypto import keys
from ombuds.crypto.errors import DecryptionError
from ombuds.directory.linking import link_staff_by_email
from ombuds.directory.models import Person
from ombuds.intake import access as reporter_access
from ombuds.intake import reporter_view
from tests.support import STAFF_PASSWORD, client_for, file_bytes, make_staff

pytestmark = pytest.mark.django_db

SECRET = "the lift on the fourth floor, after the Friday drinks"


@pytest.fixture
def company(staff):
    """The personas, a boss who is accused (and a handler), and directory links."""
    boss = make_staff("boss@example.org", "handler")
    Person.objects.create(employee_id="B1", name="The Boss", email="boss@example.org")
    link_staff_by_email()
    staff.boss = boss
    return staff


def _every_grant_fails(user: User, case: Case) -> None:
    """What a person could try with the database and the decryption code: open every sealed key of the case."""
    pair = staff_keys.unlock(user, STAFF_PASSWORD).key_pair
    grants = list(CaseKeyGrant.objects.filter(case=case))
    assert grants, "the case has no grants to try"
    for grant in grants:
        with pytest.raises(DecryptionError):
            keys.unseal_data_key(pair, bytes(grant.sealed))
    report = case.reports.get()
    assert report.key_seal is not None
    # Nor does her key pair open what is sealed to the reporter.
    with pytest.raises(DecryptionError):
        keys.unseal_data_key(pair, bytes(report.key_seal))


def test_the_stored_content_is_ciphertext_bound_to_its_case_and_field(file_report) -> None:
    filed = file_report(narrative=SECRET)
    stored = Report.objects.get().narrative
    assert SECRET not in stored and stored.startswith(content.SCHEME)
    key = keyring.open_for_reporter(filed.report, filed.receipt)
    assert content.open(stored, key=key, case=filed.case, model=Report, field="narrative") == SECRET
    # Moved to another field, it does not open.
    with pytest.raises(DecryptionError):
        content.open(stored, key=key, case=filed.case, model=Report, field="location")


def test_a_handler_oversight_and_the_reporter_read_the_case(company, file_report) -> None:
    filed = file_report(narrative=SECRET)
    for reader in (company.handler, company.lead, company.oversight):
        view = case_view.for_staff(Case.objects.get(pk=filed.case.pk), reader)
        assert not view.content_locked
        assert view.reports[0].narrative == SECRET
    report = reporter_access.open_with_receipt(filed.receipt)
    assert report is not None
    actions.post_reporter_message(report=report, body="More about the lift.")
    assert [m.body for m in reporter_view.for_reporter(report).messages] == ["More about the lift."]


def test_a_conflicted_staff_member_and_an_administrator_cannot_decrypt(company, file_report) -> None:
    filed = file_report(narrative=SECRET, people=[actions.NewPerson(name="The Boss", role="accused", employee_id="B1")])
    case = Case.objects.get(pk=filed.case.pk)
    granted = set(CaseKeyGrant.objects.filter(case=case, holder=GrantHolder.STAFF).values_list("user_id", flat=True))
    assert company.boss.pk not in granted and company.admin.pk not in granted
    assert company.handler.pk in granted
    _every_grant_fails(company.boss, case)
    _every_grant_fails(company.admin, case)
    assert keyring.staff_data_key(company.boss, case) is None
    assert keyring.staff_data_key(company.admin, case) is None


def test_becoming_conflicted_takes_the_key_away(company, file_report) -> None:
    filed = file_report(narrative=SECRET, people=[actions.NewPerson(name="a manager", role="accused")])
    case = Case.objects.get(pk=filed.case.pk)
    assert CaseKeyGrant.objects.filter(case=case, user=company.boss).exists()  # a handler of the pool
    mention = case.reports.get().people.get()
    actions.link_person(mention=mention, actor=company.lead, person=Person.objects.get(employee_id="B1"))
    assert not CaseKeyGrant.objects.filter(case=case, user=company.boss).exists()
    assert AuditEvent.objects.filter(case_id=case.pk, event_type=EventType.KEY_REVOKED).exists()


def test_someone_new_is_granted_when_a_reader_next_uses_ombuds(company, file_report, settings) -> None:
    filed = file_report(narrative=SECRET)
    newcomer = make_staff("new.lead@example.org", "handler", "lead_handler")
    keyring.resync_user(newcomer)  # what `ombuds createstaff` and a role change do
    case = Case.objects.get(pk=filed.case.pk)
    assert PendingGrant.objects.filter(case=case, user=newcomer).exists()
    assert case_view.for_staff(case, newcomer).content_locked
    with pytest.raises(actions.ActionError, match="cannot open this case"):
        actions.add_note(case=case, actor=newcomer, body="Locked out.")
    # Oversight opens any staff page: the waiting grant is made with her key, and audited.
    assert client_for(company.oversight).get("/staff/").status_code == 200
    assert not PendingGrant.objects.filter(case=case, user=newcomer).exists()
    grant = AuditEvent.objects.filter(case_id=case.pk, event_type=EventType.KEY_GRANTED, actor=company.oversight).get()
    assert grant.detail == {"users": [newcomer.pk]}
    assert case_view.for_staff(case, newcomer).reports[0].narrative == SECRET


def test_assignment_grants_the_assignee_at_once_and_the_pool_loses_the_key(company, file_report) -> None:
    filed = file_report(narrative=SECRET)
    case = filed.case
    actions.assign_case(case=case, actor=company.lead, assignee=company.handler2)
    holders = set(CaseKeyGrant.objects.filter(case=case, holder=GrantHolder.STAFF).values_list("user_id", flat=True))
    assert company.handler2.pk in holders
    assert company.handler.pk not in holders  # the pool no longer sees an assigned case


def test_an_escalation_reaches_a_lead_who_can_then_read(company, file_report) -> None:
    """The ladder's lead step goes to a lead handler: she holds the case's key from the filing on."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from ombuds.core.sweep import run as sweep

    filed = file_report(narrative=SECRET, anonymous=False, reporter_name="Mei")
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        sweep(timezone.now())
    case = Case.objects.get(pk=filed.case.pk)
    assert case.escalations.filter(step="lead").exists()
    assert case_view.for_staff(case, company.lead).reports[0].narrative == SECRET


def test_a_password_change_rewraps_the_key(company, file_report) -> None:
    filed = file_report(narrative=SECRET)
    client = client_for(company.handler)
    new_password = "a different horse battery staple"
    response = client.post(
        "/staff/accounts/password/change/",
        {"oldpassword": STAFF_PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    wrapped = bytes(User.objects.get(pk=company.handler.pk).staff_key.wrapped_private)
    with pytest.raises(DecryptionError):  # the old password opens nothing any more
        keys.unwrap_private_key(wrapped, STAFF_PASSWORD, associated_data=keys.context("staff-key", company.handler.pk))
    unlocked = staff_keys.unlock(User.objects.get(pk=company.handler.pk), new_password)
    assert not unlocked.replaced and not unlocked.created
    handler = User.objects.get(pk=company.handler.pk)
    staff_keys.attach(handler, unlocked.key_pair)
    assert case_view.for_staff(Case.objects.get(pk=filed.case.pk), handler).reports[0].narrative == SECRET


def test_a_lost_password_is_recovered_by_another_reader_granting_again(company, file_report) -> None:
    filed = file_report(narrative=SECRET)
    handler = User.objects.get(pk=company.handler.pk)
    handler.set_password("reset by the administrator 2026")
    handler.save()
    # Her first login with the new password: the old key cannot be opened, a new pair is made.
    response = Client().post(
        "/staff/accounts/login/", {"login": handler.email, "password": "reset by the administrator 2026"}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(event_type=EventType.STAFF_KEY_REPLACED).exists()
    assert not CaseKeyGrant.objects.filter(user=handler).exists()
    assert PendingGrant.objects.filter(case=filed.case, user=handler).exists()
    client_for(company.oversight).get("/staff/")
    staff_keys.attach(handler, staff_keys.unlock(handler, "reset by the administrator 2026").key_pair)
    assert case_view.for_staff(Case.objects.get(pk=filed.case.pk), handler).reports[0].narrative == SECRET


def test_rotation_throws_the_key_away_until_she_logs_in_and_is_granted_again(company, file_report) -> None:
    filed = file_report(narrative=SECRET)
    handler = User.objects.get(pk=company.handler.pk)
    removed = keyring.rotate(handler)
    assert removed >= 1 and not CaseKeyGrant.objects.filter(user=handler).exists()
    assert AuditEvent.objects.filter(event_type=EventType.STAFF_KEY_ROTATED, detail__user=handler.pk).exists()
    unlocked = staff_keys.unlock(handler, STAFF_PASSWORD)
    assert unlocked.created
    client_for(company.lead).get("/staff/")
    staff_keys.attach(handler, unlocked.key_pair)
    assert case_view.for_staff(Case.objects.get(pk=filed.case.pk), handler).reports[0].narrative == SECRET


def test_retirement_removes_every_sealed_key_and_the_key_pair(company, file_report) -> None:
    file_report(narrative=SECRET)
    handler = User.objects.get(pk=company.handler.pk)
    assert CaseKeyGrant.objects.filter(user=handler).exists()
    keyring.retire(handler)
    assert not CaseKeyGrant.objects.filter(user=handler).exists()
    assert not staff_keys.has_key_pair(handler)
    assert AuditEvent.objects.filter(event_type=EventType.STAFF_RETIRED, detail__user=handler.pk).exists()


def test_the_recovery_key_restores_oversight_access(company, file_report) -> None:
    recovery = keyring.create_recovery_key()
    filed = file_report(narrative=SECRET)
    case = Case.objects.get(pk=filed.case.pk)
    assert CaseKeyGrant.objects.filter(case=case, holder=GrantHolder.RECOVERY).exists()
    oversight = User.objects.get(pk=company.oversight.pk)
    keyring.rotate(oversight)  # her key is gone; say every reader lost theirs
    CaseKeyGrant.objects.filter(case=case, holder=GrantHolder.STAFF).delete()
    staff_keys.attach(oversight, staff_keys.unlock(oversight, STAFF_PASSWORD).key_pair)
    assert case_view.for_staff(case, oversight).content_locked
    granted, unopened = keyring.recover_access(recovery, oversight)
    assert (granted, unopened) == (1, 0)
    assert case_view.for_staff(case, oversight).reports[0].narrative == SECRET
    assert AuditEvent.objects.filter(event_type=EventType.ACCESS_RECOVERED).exists()
    # Another key opens nothing.
    assert keyring.recover_access(keys.KeyPair.generate(), oversight) == (0, 0)  # already granted: nothing to do


def test_recovery_respects_conflicts(company, file_report) -> None:
    recovery = keyring.create_recovery_key()
    file_report(narrative=SECRET, people=[actions.NewPerson(name="The Boss", role="accused", employee_id="B1")])
    boss = User.objects.get(pk=company.boss.pk)
    assert keyring.recover_access(recovery, boss) == (0, 0)
    assert not CaseKeyGrant.objects.filter(user=boss).exists()


def test_a_large_upload_is_encrypted_as_it_arrives_and_downloads_whole(company, file_report, settings) -> None:
    settings.OMBUDS_UPLOAD_MEMORY_BYTES = 256 * 1024  # anything larger streams
    settings.OMBUDS_MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024
    filed = file_report()
    client = Client()
    client.post("/return/", {"receipt": filed.receipt})
    big = bytes(range(256)) * (5 * 1024 * 1024 // 256)
    response = client.post("/status/message/", {"body": "", "attachments": [SimpleUploadedFile("big.bin", big)]})
    assert response.status_code == 302
    attachment = Case.objects.get(pk=filed.case.pk).attachments.get()
    assert attachment.blob_id and attachment.size == len(big)
    on_disk = (settings.OMBUDS_FILE_STORE_DIR / attachment.blob_id).read_bytes()
    assert big[:4096] not in on_disk
    assert file_bytes(attachment, receipt=filed.receipt) == big
    download = client_for(company.lead).get(f"/staff/cases/{filed.case.reference}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == big  # type: ignore[attr-defined]
    assert download["Content-Disposition"].startswith('attachment; filename="big.bin"')


def test_no_plain_digest_of_a_file_or_a_text_is_stored(company, file_report) -> None:
    data = b"%PDF-1.4 the letter from HR"
    filed = file_report(
        narrative=SECRET,
        attachments=[actions.NewAttachment(filename="letter.txt", content_type="text/plain", data=data)],
    )
    from django.db import connection

    digests = {hashlib.sha256(data).hexdigest(), hashlib.sha256(SECRET.encode()).hexdigest()}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the database itself
            for row in cursor.fetchall():
                text = repr(row)
                for digest in digests:
                    assert digest not in text, table
    assert filed.case.pk
