"""`ombuds seed-synthetic`: a small made-up organisation, checked against the models and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from ombuds.accounts import keys as staff_keys
from ombuds.audit.models import AuditEvent
from ombuds.cases import content
from ombuds.cases.models import Case, CaseKeyGrant, Conflict, GrantHolder, Message, Report, Status
from ombuds.core import synthetic
from ombuds.crypto import keys
from ombuds.directory.models import Person, Unit

pytestmark = pytest.mark.django_db

UNTIL = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> None:
    # The command writes the staff logins under var/.
    settings.VAR_DIR = tmp_path


def _seed(cases: int = 40, people: int = 60, seed: int = 3) -> synthetic.Result:
    return synthetic.seed(synthetic.Options(cases=cases, people=people, seed=seed, until=UNTIL))


def test_it_makes_the_cases_the_people_and_their_history() -> None:
    out = StringIO()
    call_command(
        "seed-synthetic", "--cases", "40", "--people", "60", "--seed", "3", "--workers", "0",
        "--until", "2026-11-01", stdout=out, stderr=StringIO(),
    )  # fmt: skip

    assert "40 cases, 60 people" in out.getvalue()
    assert Case.objects.count() == Report.objects.count() == 40
    assert Person.objects.count() == 60
    # A management tree: one chief executive and the oversight body outside the chain, everyone else under someone.
    assert set(Person.objects.filter(manager=None).values_list("email", flat=True)) == {
        "ceo@synthetic.example",
        "oversight1@synthetic.example",
    }
    assert not Person.objects.exclude(unit__in=Unit.objects.all()).exists()
    for case in Case.objects.all():
        positions = list(Message.objects.filter(case=case).order_by("position").values_list("position", flat=True))
        assert positions == list(range(1, case.last_position + 1))
        assert case.received_at < UNTIL
        if case.status == Status.CLOSED:
            assert case.closed_at is not None and case.next_deadline_at is None
        else:
            assert case.closed_at is None
    assert Message.objects.exists() and Conflict.objects.exists()
    # Every event belongs to a case that exists, and the log holds as `ombuds audit verify` checks it.
    case_ids = set(Case.objects.values_list("id", flat=True))
    assert set(AuditEvent.objects.filter(case_id__isnull=False).values_list("case_id", flat=True)) <= case_ids
    verified = StringIO()
    call_command("audit", "verify", stdout=verified, stderr=StringIO())
    assert verified.getvalue().startswith(f"OK: {AuditEvent.objects.count()} events")


def test_it_makes_the_same_history_from_the_same_seed_and_another_from_another() -> None:
    result = _seed()
    assert result.world is not None

    again = synthetic.build_chunk(result.world, 0)

    stored = list(AuditEvent.objects.filter(case_id__isnull=False).order_by("seq").values_list("seq", "leaf"))
    first = stored[0][0]
    assert [(first + n, f"{head}{first + n}{tail}") for n, (head, tail, *_rest) in enumerate(again.events)] == stored
    assert sorted(Case.objects.values_list("reference", "status")) == sorted((r[1], r[3]) for r in again.rows["case"])

    other = synthetic.build_chunk(synthetic.World(**{**result.world.__dict__, "seed": 4}), 0)
    assert [row[1:4] for row in other.rows["case"]] != [row[1:4] for row in again.rows["case"]]


def test_a_handler_opens_a_synthetic_case_with_her_own_key() -> None:
    result = _seed(cases=20)
    login = next(x for x in result.logins if x.roles == ("handler", "lead_handler"))
    user = User.objects.get(username=login.email)
    pair = staff_keys.unlock(user, login.password).key_pair
    grant = CaseKeyGrant.objects.filter(user=user, holder=GrantHolder.STAFF).select_related("case").first()
    assert grant is not None

    key = keys.unseal_data_key(pair, bytes(grant.sealed))
    report = Report.objects.get(case=grant.case)
    narrative = content.open(report.narrative, key=key, case=grant.case, model=Report, field="narrative")

    assert len(narrative) > 40 and narrative != report.narrative


def test_it_refuses_a_database_that_already_has_cases() -> None:
    _seed(cases=5)

    with pytest.raises(CommandError, match="already has cases"):
        call_command("seed-synthetic", "--cases", "5", "--people", "60", stdout=StringIO(), stderr=StringIO())
