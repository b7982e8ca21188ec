"""Training records: CSV import through the page and the command, errors by line, shown next to acknowledgements."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from ombuds.audit.models import AuditEvent, EventType
from ombuds.directory.models import Person
from ombuds.policies.models import TrainingAttendance, TrainingSession
from ombuds.policies.training import import_training
from tests.support import client_for

pytestmark = pytest.mark.django_db

GOOD = (
    b"employee_id,course,date\n"
    b"E1,Respect at work,2026-03-04\n"
    b"E2,Respect at work,2026-03-04\n"
    b"E1,Bystander training,2026-04-01\n"
)


@pytest.fixture
def people(db) -> None:
    for employee_id in ("E1", "E2", "E3"):
        Person.objects.create(employee_id=employee_id, name=f"Person {employee_id}")


@pytest.mark.usefixtures("people")
def test_it_records_sessions_and_attendances_and_the_same_file_again_changes_nothing(staff) -> None:
    result = import_training(GOOD, actor=staff.admin)
    assert result.ok
    assert (result.rows, result.sessions_created, result.attendances_created, result.already_recorded) == (3, 2, 3, 0)
    assert TrainingSession.objects.count() == 2
    again = import_training(GOOD, actor=staff.admin)
    assert (again.sessions_created, again.attendances_created, again.already_recorded) == (0, 0, 3)
    assert TrainingAttendance.objects.count() == 3
    events = AuditEvent.objects.filter(event_type=EventType.TRAINING_IMPORTED, actor=staff.admin)
    assert [event.detail["attendances_created"] for event in events] == [3, 0]


@pytest.mark.usefixtures("people")
def test_a_bad_line_is_named_and_nothing_is_recorded(staff) -> None:
    data = (
        b"employee_id,course,date\n"
        b"E1,Respect at work,2026-03-04\n"
        b"E2,Respect at work,4 March 2026\n"
        b"NOBODY,Respect at work,2026-03-04\n"
        b",,\n"
        b"E3,,2026-03-04\n"
    )
    result = import_training(data, actor=staff.admin)
    assert result.errors == [
        "Line 3: “4 March 2026” is not a date; write it as YYYY-MM-DD, e.g. 2026-03-04",
        "Line 4: no one with the employee id “NOBODY” is in the directory",
        "Line 6: course must not be empty",
    ]
    assert not TrainingSession.objects.exists()
    assert not TrainingAttendance.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.TRAINING_IMPORTED).exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "Line 1: the file is empty"),
        (b"employee_id;course;date\nE1;Respect;2026-03-04\n", "separated by “;”"),
        (b"employee_id,course\nE1,Respect\n", "Line 1: the column “date” is missing"),
        ("employee_id,course,date\nE1,Respekt am Arbeitsplatz,2026-03-04\n".encode("latin-1") + b"\xe9", "not UTF-8"),
    ],
)
@pytest.mark.usefixtures("people")
def test_a_file_it_cannot_read_gets_a_hint(data: bytes, error: str) -> None:
    result = import_training(data)
    assert any(error in message for message in result.errors), result.errors
    assert not TrainingAttendance.objects.exists()


@pytest.mark.usefixtures("people")
def test_the_byte_order_mark_of_a_spreadsheet_is_fine() -> None:
    assert import_training("\ufeff".encode() + GOOD).ok


@pytest.mark.usefixtures("people")
def test_the_page_imports_a_file_and_shows_errors_by_line(staff) -> None:
    admin = client_for(staff.admin)
    bad = SimpleUploadedFile("training.csv", b"employee_id,course,date\nE1,Respect at work,2026-13-01\n")
    response = admin.post("/staff/admin/training/import/", {"file": bad})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The file was not imported" in page
    assert "Line 2: “2026-13-01” is not a date" in page
    assert not TrainingAttendance.objects.exists()

    checked = admin.post("/staff/admin/training/import/", {"file": SimpleUploadedFile("t.csv", GOOD), "dry_run": "on"})
    assert checked.status_code == 200
    assert "checked only, nothing recorded" in checked.content.decode()
    assert not TrainingAttendance.objects.exists()

    done = admin.post("/staff/admin/training/import/", {"file": SimpleUploadedFile("t.csv", GOOD)})
    assert done.status_code == 200
    assert "The file was imported" in done.content.decode()
    assert TrainingAttendance.objects.count() == 3
    session = TrainingSession.objects.get(course="Respect at work")
    listing = admin.get("/staff/admin/training/").content.decode()
    assert f'href="/staff/admin/training/{session.pk}/"' in listing
    attendees = admin.get(f"/staff/admin/training/{session.pk}/").content.decode()
    assert "Person E1" in attendees and "Person E2" in attendees and "Person E3" not in attendees


@pytest.mark.usefixtures("people")
def test_the_command_imports_and_refuses_a_bad_file_with_its_lines(tmp_path, capsys) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD)
    call_command("training", "import", str(good), "--dry-run")
    assert "dry run: nothing was recorded" in capsys.readouterr().out
    assert not TrainingAttendance.objects.exists()
    call_command("training", "import", str(good))
    assert "attendances recorded: 3" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"employee_id,course,date\nE9,Respect,2026-03-04\n")
    with pytest.raises(CommandError, match="1 error in"):
        call_command("training", "import", str(bad))
    assert "Line 2: no one with the employee id “E9”" in capsys.readouterr().err
    assert TrainingAttendance.objects.count() == 3
