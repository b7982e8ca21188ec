"""An anonymous reporter's rows carry random identifiers, so their order tells nobody when she wrote.

With sequential ids, a staff member could place her message between two staff messages
whose times are exact. Every row a reporter's action creates takes a random id, and the
conversation is kept in order by its own position, not by id.
"""

from typing import Any

import pytest
from django.db import models

from ombuds.cases import actions
from ombuds.cases.models import Appeal, Attachment, Case, CaseKeyGrant, InvolvedPerson, Message, PendingGrant, Report
from ombuds.lib.ids import random_id
from tests.support import client_for

pytestmark = pytest.mark.django_db

REPORTER_SIDE: list[type[models.Model]] = [
    Case,
    Report,
    InvolvedPerson,
    Message,
    Attachment,
    Appeal,
    CaseKeyGrant,
    PendingGrant,
]


@pytest.mark.parametrize("model", REPORTER_SIDE, ids=lambda m: m.__name__)
def test_every_row_a_reporter_creates_takes_a_random_id(model: type[models.Model]) -> None:
    assert model._meta.pk is not None
    assert model._meta.pk.default is random_id


def test_her_message_cannot_be_placed_between_staff_messages_by_its_id(file_report: Any, staff: Any) -> None:
    filed = file_report(anonymous=True)
    case, report = filed.case, filed.report
    written: list[Message] = []
    for turn in range(12):
        written.append(actions.send_staff_message(case=case, actor=staff.lead, body=f"staff {turn}"))
        written.append(actions.post_reporter_message(report=report, body=f"her {turn}"))
    ids = [m.pk for m in written]
    assert ids != sorted(ids), "identifiers follow the order of writing"
    assert all(0 < pk < 2**53 for pk in ids)  # exact in JavaScript and JSON


def test_the_conversation_keeps_its_order_by_position_not_by_id(file_report: Any, staff: Any) -> None:
    filed = file_report(anonymous=True)
    case, report = filed.case, filed.report
    bodies = []
    for turn in range(8):
        actions.send_staff_message(case=case, actor=staff.lead, body=f"staff {turn}")
        actions.post_reporter_message(report=report, body=f"her {turn}")
        bodies += [f"staff {turn}", f"her {turn}"]
    page = client_for(staff.lead).get(f"/staff/cases/{case.reference}/").content.decode()
    places = [page.find(f">{body}<") for body in bodies]
    assert -1 not in places
    assert places == sorted(places)
    positions = list(case.messages.order_by("position").values_list("pk", flat=True))
    assert positions != sorted(positions)


def test_the_key_grants_of_her_filing_cannot_be_placed_among_others_by_their_ids(file_report: Any, staff: Any) -> None:
    ids = []
    for _turn in range(6):
        case = file_report(anonymous=True).case
        ids += list(CaseKeyGrant.objects.filter(case=case).values_list("pk", flat=True))
    assert len(ids) >= 12
    assert ids != sorted(ids), "identifiers follow the order of writing"
    assert all(0 < pk < 2**53 for pk in ids)
