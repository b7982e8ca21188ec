"""The directory on the administration pages: upload, dry run, confirm; hints; past imports; unlinked staff.

The confirmed import is the stored file whose dry run the administrator read, checked
by its SHA-256 digest, never a second upload. The importer is the one `ombuds directory
import` uses (tests/test_directory_import.py tests its rules); these tests are about
the pages and the uploads around it.
"""

from __future__ import annotations

import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import actions
from ombuds.cases.models import Conflict
from ombuds.directory import hints, uploads
from ombuds.directory.models import DirectoryUpload, Person, UploadSource, UploadState
from tests.support import client_for

pytestmark = pytest.mark.django_db

HEADER = "employee_id,name,email,unit,manager_id,job_title,country,status\n"
FILE = HEADER + (
    "E1,Dana Chief,dana@example.org,Executive,,Chief Executive,GB,active\n"
    "E2,Sam Seller,sam@example.org,Sales,E1,Sales Director,GB,active\n"
    "E3,Handler Person,handler@example.org,People,E1,Investigator,GB,active\n"
)


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path: Path) -> Path:
    settings.OMBUDS_DIRECTORY_UPLOAD_DIR = tmp_path / "uploads"
    return tmp_path / "uploads"


def upload(client, data: bytes, name: str = "people.csv"):
    return client.post("/staff/admin/directory/upload/", {"file": SimpleUploadedFile(name, data, "text/csv")})


def events(kind: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=kind).order_by("seq"))


def test_an_upload_is_checked_first_and_imported_only_when_confirmed(staff, upload_dir: Path) -> None:
    admin = client_for(staff.admin)
    data = FILE.encode()
    response = upload(admin, data)
    checked = DirectoryUpload.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/admin/directory/uploads/{checked.pk}/"
    assert checked.state == UploadState.CHECKED
    assert checked.digest == hashlib.sha256(data).hexdigest()
    # Kept on the server, under its digest, byte for byte.
    assert (upload_dir / f"{checked.digest}.csv").read_bytes() == data
    assert not Person.objects.exists()  # a dry run changes nothing

    page = admin.get(response["Location"]).content.decode()
    assert "Dry run" in page and "3 people created" in page and checked.digest in page
    assert [e.actor_id for e in events(EventType.DIRECTORY_CHECKED)] == [staff.admin.pk]

    confirmed = admin.post(f"/staff/admin/directory/uploads/{checked.pk}/confirm/", {"digest": checked.digest})
    assert confirmed.status_code == 302
    assert Person.objects.count() == 3
    assert Person.objects.get(employee_id="E3").user == staff.handler  # staff linked after the import
    checked.refresh_from_db()
    assert checked.state == UploadState.IMPORTED and checked.imported_by == staff.admin
    assert checked.result["created"] == 3 and checked.result["linked"] == 1
    imported = events(EventType.DIRECTORY_IMPORTED)
    assert [(e.actor_id, e.detail["upload"], e.detail["digest"]) for e in imported] == [
        (staff.admin.pk, checked.pk, checked.digest)
    ]
    assert not (upload_dir / f"{checked.digest}.csv").exists()  # no copy left once imported
    # Confirming twice imports nothing twice.
    again = admin.post(f"/staff/admin/directory/uploads/{checked.pk}/confirm/", {"digest": checked.digest})
    assert again.status_code == 400
    assert len(events(EventType.DIRECTORY_IMPORTED)) == 1


def test_only_the_file_whose_dry_run_was_read_is_imported(staff, upload_dir: Path) -> None:
    admin = client_for(staff.admin)
    upload(admin, FILE.encode())
    checked = DirectoryUpload.objects.get()
    wrong = admin.post(f"/staff/admin/directory/uploads/{checked.pk}/confirm/", {"digest": "0" * 64})
    assert wrong.status_code == 400 and "not the file whose dry run you saw" in wrong.content.decode()
    # The stored file changed on disk since its dry run: refused, nothing imported.
    (upload_dir / f"{checked.digest}.csv").write_bytes(FILE.replace("Sam Seller", "Someone Else").encode())
    changed = admin.post(f"/staff/admin/directory/uploads/{checked.pk}/confirm/", {"digest": checked.digest})
    assert changed.status_code == 400 and "has changed since its dry run" in changed.content.decode()
    assert not Person.objects.exists()
    assert not events(EventType.DIRECTORY_IMPORTED)


def test_a_newer_upload_replaces_the_one_waiting(staff) -> None:
    admin = client_for(staff.admin)
    upload(admin, FILE.encode(), "first.csv")
    upload(admin, (FILE + "E4,Rita Rep,rita@example.org,Sales,E2,Rep,GB,active\n").encode(), "second.csv")
    first, second = DirectoryUpload.objects.order_by("id")
    assert (first.state, second.state) == (UploadState.DISCARDED, UploadState.CHECKED)
    refused = admin.post(f"/staff/admin/directory/uploads/{first.pk}/confirm/", {"digest": first.digest})
    assert refused.status_code == 400
    assert [e.detail["reason"] for e in events(EventType.DIRECTORY_UPLOAD_DISCARDED)] == ["superseded"]


def test_a_waiting_file_can_be_discarded(staff, upload_dir: Path) -> None:
    admin = client_for(staff.admin)
    upload(admin, FILE.encode())
    checked = DirectoryUpload.objects.get()
    assert admin.post(f"/staff/admin/directory/uploads/{checked.pk}/discard/").status_code == 302
    checked.refresh_from_db()
    assert checked.state == UploadState.DISCARDED
    assert not list(upload_dir.iterdir())
    assert not Person.objects.exists()


def test_a_file_with_errors_lists_them_by_line_and_is_not_kept(staff, upload_dir: Path) -> None:
    broken = HEADER + "E1,Dana Chief,not-an-address,Executive,,CEO,GB,active\nE2,,sam@example.org,Sales,E9,,GB,gone\n"
    admin = client_for(staff.admin)
    page = admin.get(upload(admin, broken.encode())["Location"]).content.decode()
    refused = DirectoryUpload.objects.get()
    assert refused.state == UploadState.REFUSED
    assert "row 2, email: not an e-mail address" in page
    assert "row 3, name: must not be empty" in page
    assert "row 3, manager_id: no person with employee id" in page
    assert "Import this file" not in page
    assert not list(upload_dir.iterdir())
    assert events(EventType.DIRECTORY_CHECKED)[0].detail["errors"] == 4


def test_a_file_separated_by_semicolons_gets_a_hint(staff) -> None:
    semicolons = FILE.replace(",", ";")
    admin = client_for(staff.admin)
    page = admin.get(upload(admin, semicolons.encode())["Location"]).content.decode()
    assert "separated by “;”" in page
    assert hints.detect(semicolons.encode()) == [hints.Hint.SEMICOLON]


def test_a_file_saved_in_gbk_gets_a_hint(staff) -> None:
    chinese = FILE.replace("Dana Chief", "王伟").replace("Sam Seller", "李娜").replace("Sales Director", "销售总监")
    data = chinese.encode("gbk")
    assert hints.detect(data) == [hints.Hint.GB18030]
    admin = client_for(staff.admin)
    page = admin.get(upload(admin, data, "员工.csv")["Location"]).content.decode()
    assert "Chinese encoding (GBK or GB18030)" in page
    assert "CSV UTF-8" in page
    assert "is not UTF-8 text" in page  # the importer's own error, by byte


def test_a_latin_1_file_gets_its_own_hint_and_not_the_chinese_one() -> None:
    latin = FILE.replace("Dana Chief", "Zoë Müller").replace("Sam Seller", "François Ørsted")
    assert hints.detect(latin.encode("cp1252")) == [hints.Hint.LATIN1]
    assert hints.detect(latin.encode("utf-8")) == []
    assert hints.detect(("\ufeff" + FILE).encode("utf-16")) == [hints.Hint.UTF16]
    assert hints.detect(FILE.replace(",", "\t").encode("gb18030")) == [hints.Hint.TAB]


def test_the_command_gives_the_same_hints(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(FILE.replace(",", ";").encode("gbk"))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("directory", "import", str(path), stderr=err)
    assert "hint: The columns seem to be separated by “;”" in err.getvalue()


def test_the_last_imports_list_the_pages_and_the_commands(staff, tmp_path: Path) -> None:
    path = tmp_path / "from-hr.csv"
    path.write_text(FILE, encoding="utf-8")
    call_command("directory", "import", str(path), stdout=StringIO(), stderr=StringIO())
    from_command = DirectoryUpload.objects.get()
    assert (from_command.source, from_command.state, from_command.result["linked"]) == (
        UploadSource.COMMAND,
        UploadState.IMPORTED,
        1,
    )
    admin = client_for(staff.admin)
    upload(admin, (FILE + "E4,Rita Rep,rita@example.org,Sales,E2,Rep,GB,active\n").encode(), "update.csv")
    page = admin.get("/staff/admin/directory/").content.decode()
    assert "from-hr.csv" in page and "update.csv" in page and "on the server" in page
    assert "3 rows: 3 new, 0 changed, 0 new managers, 0 errors" in page
    assert "4 rows: 1 new, 0 changed, 0 new managers, 0 errors" in page


def test_the_dry_run_names_the_people_who_move_to_another_manager(staff) -> None:
    admin = client_for(staff.admin)
    upload(admin, FILE.encode())
    first = DirectoryUpload.objects.get()
    admin.post(f"/staff/admin/directory/uploads/{first.pk}/confirm/", {"digest": first.digest})
    moved = FILE.replace(
        "E3,Handler Person,handler@example.org,People,E1", "E3,Handler Person,handler@example.org,People,E2"
    )
    page = admin.get(upload(admin, moved.encode())["Location"]).content.decode()
    assert "1 person moved to another manager" in page
    assert "Handler Person (E3)" in page and "Dana Chief (E1)" in page and "Sam Seller (E2)" in page


def test_a_confirmed_import_recomputes_who_is_kept_out(staff, file_report) -> None:
    rita = "E4,Rita Rep,rita@example.org,Sales,{manager},Rep,GB,active\n"
    admin = client_for(staff.admin)
    upload(admin, (FILE + rita.format(manager="E2")).encode())
    first = DirectoryUpload.objects.get()
    admin.post(f"/staff/admin/directory/uploads/{first.pk}/confirm/", {"digest": first.digest})
    case = file_report(people=[actions.NewPerson(name="Rita Rep", role="accused", employee_id="E4")]).case
    assert admin.get(f"/staff/cases/{case.reference}/").status_code == 404  # an administrator reads no case
    handler = client_for(staff.handler)
    assert handler.get(f"/staff/cases/{case.reference}/").status_code == 200
    # Rita now reports to the handler's directory person (E3): the handler is in her chain.
    upload(admin, (FILE + rita.format(manager="E3")).encode())
    second = DirectoryUpload.objects.get(state=UploadState.CHECKED)
    admin.post(f"/staff/admin/directory/uploads/{second.pk}/confirm/", {"digest": second.digest})
    second.refresh_from_db()
    assert second.result["conflicts_changed"] == 1
    assert Conflict.objects.filter(case=case, person__employee_id="E3").exists()
    assert not Conflict.objects.filter(case=case, person__employee_id="E2").exists()
    assert handler.get(f"/staff/cases/{case.reference}/").status_code == 404


def test_staff_that_match_no_person_are_listed_and_can_be_linked(staff) -> None:
    Person.objects.create(employee_id="E-LEAD", name="Lee Lead", email="lead@example.org")
    admin = client_for(staff.admin)
    page = admin.get("/staff/admin/directory/").content.decode()
    assert "Staff accounts that match no person" in page
    assert "handler@example.org" in page and "Nobody with this e-mail" in page
    assert "Lee Lead (E-LEAD) has this e-mail; not linked yet" in page
    response = admin.post("/staff/admin/staff/link/", {"next": "directory"})
    assert response["Location"] == "/staff/admin/directory/"
    assert Person.objects.get(employee_id="E-LEAD").user == staff.lead
    assert "Lee Lead (E-LEAD) has this e-mail" not in admin.get("/staff/admin/directory/").content.decode()


def test_a_file_too_large_to_read_here_is_sent_to_the_command(staff, settings) -> None:
    settings.OMBUDS_UPLOAD_MEMORY_BYTES = 64
    response = upload(client_for(staff.admin), FILE.encode())
    assert response.status_code == 400
    assert "ombuds directory import" in response.content.decode()
    assert not DirectoryUpload.objects.exists()


def test_the_same_bytes_checked_twice_keep_their_file_until_the_last_is_done(staff, upload_dir: Path) -> None:
    first = uploads.check(data=FILE.encode(), name="a.csv", acting_user=staff.admin)
    second = uploads.check(data=FILE.encode(), name="b.csv", acting_user=staff.admin)
    first.refresh_from_db()
    assert first.state == UploadState.DISCARDED
    assert (upload_dir / f"{second.digest}.csv").exists()
    uploads.confirm(upload_id=second.pk, digest=second.digest, acting_user=staff.admin)
    assert not (upload_dir / f"{second.digest}.csv").exists()
