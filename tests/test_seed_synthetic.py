"""`ombuds seed-synthetic`: a small made-up organisation, checked against the models and the audit log."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection

from ombuds.accounts import keys as staff_keys
from ombuds.audit.canonical import canonical
from ombuds.audit.log import leaf_document
from ombuds.audit.migrations import _append_only
from ombuds.audit.models import AuditEvent, EventType
from ombuds.cases import content
from ombuds.cases.models import Case, CaseKeyGrant, Conflict, GrantHolder, Message, Report, Status
from ombuds.core import synthetic
from ombuds.crypto import keys
from ombuds.crypto.errors import DecryptionError
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


def _documents(chunk: synthetic.Chunk, first: int) -> list[tuple[bytes, bytes]]:
    """(the leaf as the seed writes it, canonical() of leaf_document of the same event) for each event of a chunk."""
    found = []
    for n, (head, tail, _stored, event_type, actor_kind, details, actor_id, case_id) in enumerate(chunk.events):
        leaf_json = json.loads(f"{head}{first + n}{tail}")
        document = leaf_document(
            seq=first + n,
            at=datetime.fromisoformat(leaf_json["time"]),
            event_type=EventType(event_type),
            actor_kind=actor_kind,
            actor_id=actor_id,
            case_id=case_id,
            detail=json.loads(details),
        )
        found.append((f"{head}{first + n}{tail}".encode(), canonical(document)))
    return found


def test_the_leaves_written_by_formatting_are_the_canonical_bytes_of_the_log_s_own_document() -> None:
    result = _seed(cases=60)
    assert result.world is not None
    chunk = synthetic.build_chunk(result.world, 0)

    pairs = _documents(chunk, first=7)
    assert len(pairs) > 300
    assert {event[4] for event in chunk.events} >= {"reporter", "staff", "system"}
    for fast, slow in pairs:
        assert fast == slow
    # The one-at-a-time form gives the same parts as the chunk's.
    head, tail, stored, event_type, actor_kind, details, actor_id, case_id = chunk.events[5]
    moment = datetime.fromisoformat(json.loads(f"{head}0{tail}")["time"])
    assert synthetic.leaf_parts(synthetic.to_us(moment), event_type, actor_kind, actor_id, case_id, details) == (
        head, tail, stored, event_type, actor_kind, details, actor_id, case_id,
    )  # fmt: skip


def test_a_leaf_start_is_canonical_for_every_action_and_actor() -> None:
    at = datetime(2026, 3, 4, 5, 6, 7, 8, tzinfo=UTC)
    for event_type in EventType:
        for actor_kind, actor_id in (("system", None), ("staff", 12), ("reporter", None)):
            head, tail, *_rest = synthetic.leaf_parts(
                synthetic.to_us(at), event_type.value, actor_kind, actor_id, 99, "{}"
            )
            document = leaf_document(
                seq=5, at=at, event_type=event_type, actor_kind=actor_kind, actor_id=actor_id, case_id=99, detail={}
            )
            assert f"{head}5{tail}".encode() == canonical(document)


def test_the_field_sealer_writes_what_content_open_reads_and_refuses_unbound_data() -> None:
    key = keys.DataKey.generate()
    sealer = synthetic.FieldSealer(key)
    context = keys.context("content", "report", "narrative", 42)
    long_text = "她说：" + "x" * 70_000

    stored = [sealer.seal(text.encode(), bytes([keys.FIELD_VERSION]) + context) for text in ("hello", long_text)]

    assert [s.startswith("s1:") for s in stored] == [True, True]
    opened = [keys.decrypt(key, base64.b64decode(s[3:]), context).decode() for s in stored]
    assert opened == ["hello", long_text]
    assert sealer.seal(b"hello", bytes([keys.FIELD_VERSION]) + context) != stored[0]  # a fresh nonce each time
    with pytest.raises(DecryptionError):
        keys.decrypt(key, base64.b64decode(stored[0][3:]), keys.context("content", "report", "narrative", 43))
    with pytest.raises(ValueError, match="field version"):
        sealer.seal(b"hello", context)


def test_the_same_seed_makes_the_same_rows_and_events_but_for_the_ciphertexts() -> None:
    result = _seed(cases=30)
    assert result.world is not None
    one, two = synthetic.build_chunk(result.world, 0), synthetic.build_chunk(result.world, 0)

    def clear(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple("sealed" if isinstance(v, str) and v.startswith("s1:") else v for v in row) for row in rows]

    assert one.events == two.events
    for table in ("case", "report", "person", "message", "note", "proposal", "conflict", "escalation", "readers"):
        assert clear(one.rows[table]) == clear(two.rows[table])
    assert one.rows["report"][0][7] != two.rows["report"][0][7]  # the narrative: another nonce


@pytest.fixture
def _committed_log_removed_afterwards(transactional_db: None) -> Iterator[None]:
    """The flush after a transactional test deletes every row, which the audit log's triggers refuse on SQLite."""
    yield
    with connection.cursor() as cursor:
        for statement in _append_only.SQLITE_REMOVE:
            cursor.execute(statement)
    AuditEvent.objects.all().delete()
    with connection.cursor() as cursor:
        for statement in _append_only.SQLITE_ADD:
            cursor.execute(statement)


# Committed: inside a test's transaction the loader leaves the connection's settings alone.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("_committed_log_removed_afterwards")
@pytest.mark.skipif(not str(settings.DATABASES["default"]["ENGINE"]).endswith("sqlite3"), reason="SQLite's settings")
def test_the_bulk_load_leaves_every_foreign_key_whole_and_sets_the_connection_back() -> None:
    with connection.cursor() as cursor:
        before = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in _PRAGMAS}

    _seed(cases=50)

    with connection.cursor() as cursor:
        assert {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in _PRAGMAS} == before
        assert before["foreign_keys"] == 1
        assert cursor.execute("PRAGMA foreign_key_check").fetchall() == []
    assert Case.objects.count() == 50


_PRAGMAS = ("synchronous", "cache_size", "journal_mode", "foreign_keys")


def test_no_staff_password_drawn_can_be_refused_as_too_similar_to_its_account() -> None:
    """Random passwords long enough that the similarity validator's bound stays under its limit for every seat.

    The validator refuses when SequenceMatcher.quick_ratio reaches its limit, and
    quick_ratio is at most 2·len(attribute) / (len(password) + len(attribute)).
    """
    from django.contrib.auth.password_validation import UserAttributeSimilarityValidator

    result = _seed(cases=5)
    limit = UserAttributeSimilarityValidator().max_similarity
    longest = max(max(len(synthetic.email_of(seat)), len(seat.name)) for seat in synthetic.ROSTER)
    assert result.logins
    for login in result.logins:
        assert 2 * longest / (len(login.password) + longest) < limit


def test_the_first_dashboard_after_the_command_decides_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """seed-synthetic leaves the dashboard's cells decided, as the sweeper would: none is decided in a request."""
    from ombuds.analytics import figures, sheets
    from ombuds.analytics.figures import Period
    from ombuds.analytics.suppress import ROOT

    # A fixed clock: two weeks after the history ends, so the months since are empty and
    # the last twelve hold the seeded cases, whatever the day the test runs.
    now = datetime(2026, 11, 15, 12, tzinfo=UTC)
    out = StringIO()
    with time_machine.travel(now, tick=False):
        call_command(
            "seed-synthetic", "--cases", "60", "--people", "60", "--seed", "3", "--workers", "0",
            "--until", "2026-11-01", stdout=out, stderr=StringIO(),
        )  # fmt: skip
    assert "then the dashboard's cells in" in out.getvalue()

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the dashboard decided cells in its request")

    for name in ("decide", "decide_present"):
        monkeypatch.setattr(sheets, name, refused)
    today = now.astimezone(figures.zone()).date()
    for reduced in (False, True):
        with time_machine.travel(now, tick=False):
            board = figures.build(period=Period.last_twelve_months(today), scope=ROOT, reduced=reduced)
        # The seeded cases are on it: its cells were read, not left empty.
        assert any(row.cell.count for figure in board.figures for row in figure.rows)
