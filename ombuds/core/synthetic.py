"""`ombuds seed-synthetic`: a made-up organisation and its case history, in bulk, for benchmarks and trials.

What it makes, and what it leaves out, is in docs/performance.md ("Synthetic data").
In short: a directory with a management tree, staff with roles, pools, key pairs and
second factors (made through the real actions, a handful of them), and then the cases
in bulk: reports sealed under data keys, the people named and the conflicts they cause,
messages, notes, deadlines met, late and missed, the escalations the sweeper took, the
grants of the case keys to everyone who may read each case, and every audit event of
that history, appended to the log as the log itself appends (numbered without a gap,
with its leaf, leaf hash and the compact range), so `ombuds audit verify` holds.

How it is fast: cases are made in chunks by worker processes (the words, the sealing,
the audit leaves but their numbers), and the main process numbers the events, hashes
them into the tree and loads the rows with one statement per table and chunk (COPY on
PostgreSQL), inside one transaction, with the tables' secondary indexes dropped first
and built again at the end. Each chunk's rows depend only on the seed and the chunk's
number, so any number of workers gives the same history. Within a chunk, the content
fields are sealed by FieldSealer (libsodium's own call, without PyNaCl's checks around
it), and leaves and moments are formatted as strings, each leaf start and each moment
once (tests/test_seed_synthetic.py checks them against canonical() of the log's document).

The one shortcut: the cases of a chunk share one data key. Each grant is a real sealed
box of that key to the reader's public key and each content field is encrypted under it
and bound to its own case, model and field, so a staff member opens a synthetic case
exactly as a real one (grant, key, field); but a real case has a key of its own, and
sealing a fresh key to every reader of a million cases (an X25519 sealed box per
grant, about a quarter of a millisecond each here) would take longer than everything
else together. The reporters' receipts open nothing (no key is sealed to them: an
Argon2id derivation per case is out of the question), as for a case sealed before
proofs of filing existed.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import multiprocessing
import os
import pickle
import random
import secrets
from binascii import b2a_base64 as _b64
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from nacl import _sodium  # libsodium's own binding, without PyNaCl's checks per call

from ombuds.analytics import overdue, sheets, stored
from ombuds.analytics.migrations import _change_triggers
from ombuds.analytics.models import Month
from ombuds.audit.models import AuditEvent, AuditHead, AuditNode, EventType
from ombuds.cases import ladder_due
from ombuds.cases.models import (
    Case,
    CaseKeyGrant,
    Category,
    ClosureGrounds,
    ClosureProposal,
    Conflict,
    ConflictReason,
    Escalation,
    Finding,
    InvolvedPerson,
    LadderStep,
    Message,
    Note,
    Outcome,
    PersonRole,
    ProposalKind,
    Report,
    ReporterRole,
    Sender,
    Status,
)
from ombuds.core import synthetic_text as words
from ombuds.crypto import keys
from ombuds.directory.models import Person, Unit
from ombuds.lib.durations import Duration

CHUNK = 2000
SECOND = 1_000_000
HOUR = 3600 * SECOND
DAY = 24 * HOUR
# A prime just below 2**53: ids are (k + 1) * multiplier mod this prime, so they are
# distinct for distinct k, look random like ombuds.lib.ids.random_id, and stay below 2**53.
_ID_PRIME = 2**53 - 111

_CATEGORY_WEIGHTS = {
    Category.SEXUAL_HARASSMENT: 30,
    Category.BULLYING: 25,
    Category.DISCRIMINATION: 15,
    Category.OTHER: 12,
    Category.RETALIATION: 10,
    Category.SEXUAL_ASSAULT: 8,
}
_ROLE_WEIGHTS = {
    ReporterRole.AFFECTED: 60,
    ReporterRole.WITNESS: 20,
    ReporterRole.BYSTANDER: 12,
    ReporterRole.ON_BEHALF: 8,
}
# Open cases by status, and how old (in days) a case of that status is.
_OPEN_STATUS_WEIGHTS = {
    Status.RECEIVED: 12,
    Status.ACKNOWLEDGED: 15,
    Status.ASSESSMENT: 25,
    Status.INVESTIGATION: 38,
    Status.DECIDED: 10,
}
_AGE_DAYS = {
    Status.RECEIVED: (0, 21),
    Status.ACKNOWLEDGED: (1, 45),
    Status.ASSESSMENT: (5, 150),
    Status.INVESTIGATION: (20, 400),
    Status.DECIDED: (60, 500),
}
_STATUS_ORDER = [
    Status.RECEIVED,
    Status.ACKNOWLEDGED,
    Status.ASSESSMENT,
    Status.INVESTIGATION,
    Status.DECIDED,
    Status.CLOSED,
]


# --- The organisation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """One member of the synthetic staff, before the account exists."""

    key: str
    name: str
    roles: tuple[str, ...]
    unit: str
    # The seat whose person is this one's manager in the directory; "ceo" for the chief executive.
    manager: str | None
    pools: tuple[str, ...] = ()


# Employee relations under the chief executive; the oversight body and the auditor on the
# board, outside the management chain (as an audit committee is).
ROSTER: tuple[Seat, ...] = (
    Seat("lead1", "Lee Lead", ("handler", "lead_handler"), "People/Employee Relations", "ceo"),
    Seat("lead2", "Luz Lead", ("handler", "lead_handler"), "People/Employee Relations", "lead1"),
    Seat(
        "handler1",
        "Hana Handler",
        ("handler",),
        "People/Employee Relations",
        "lead1",
        (Category.SEXUAL_HARASSMENT, Category.SEXUAL_ASSAULT, Category.OTHER),
    ),
    Seat(
        "handler2",
        "Hugo Handler",
        ("handler",),
        "People/Employee Relations",
        "lead1",
        (Category.SEXUAL_HARASSMENT, Category.BULLYING),
    ),
    Seat(
        "handler3",
        "Hyun Handler",
        ("handler",),
        "People/Employee Relations",
        "lead1",
        (Category.SEXUAL_HARASSMENT, Category.SEXUAL_ASSAULT),
    ),
    Seat(
        "handler4",
        "Hiro Handler",
        ("handler",),
        "People/Employee Relations",
        "lead2",
        (Category.DISCRIMINATION, Category.RETALIATION),
    ),
    Seat(
        "handler5",
        "Hedda Handler",
        ("handler",),
        "People/Employee Relations",
        "lead2",
        (Category.BULLYING, Category.DISCRIMINATION),
    ),
    Seat(
        "handler6",
        "Hamid Handler",
        ("handler",),
        "People/Employee Relations",
        "lead2",
        (Category.RETALIATION, Category.OTHER, Category.BULLYING),
    ),
    Seat("oversight1", "Olu Oversight", ("oversight",), "Board/Audit Committee", None),
    Seat("oversight2", "Orla Oversight", ("oversight",), "Board/Audit Committee", "oversight1"),
    Seat("admin", "Ada Admin", ("administrator",), "People/Systems", "lead1"),
    Seat("auditor", "Aud Auditor", ("auditor",), "Board/Audit Committee", "oversight1"),
)
EMAIL_DOMAIN = "synthetic.example"


def email_of(seat: Seat) -> str:
    return f"{seat.key}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class Staff:
    user_id: int
    person: int  # index into World.person_ids
    roles: frozenset[str]
    public_key: bytes


@dataclass(frozen=True)
class World:
    """Everything a worker needs to make any chunk: plain values only, sent to each worker once."""

    seed: int
    cases: int
    now: int  # µs since the epoch, UTC: the moment the history ends
    history_days: int
    closed_share: float
    time_zone: str
    receipt_key: bytes
    staff: tuple[Staff, ...]
    pools: dict[str, tuple[int, ...]]
    person_ids: tuple[int, ...]
    managers: tuple[int, ...]  # the manager's index of each person, -1 for none
    ack: Duration
    feedback: Duration
    first_action: Duration
    reminder_before: int  # µs
    oversight_grace: int  # µs
    acknowledgements: dict[str, str]  # language → the default acknowledgement message
    person_units: tuple[int | None, ...] = ()  # the unit id of each person, by index


# --- Times -------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_TEXT: dict[int, str] = {}
# "HH:MM:SS" of every second of a day: formatting millions of moments is most of the work otherwise.
_CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]


def _day_text(day: int) -> str:
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
    return text


def _split(us: int) -> tuple[str, str, int]:
    day, rest = divmod(us, DAY)
    second, micro = divmod(rest, SECOND)
    date = _DAY_TEXT.get(day) or _day_text(day)
    return date, _CLOCK[second], micro


def db_time(us: int) -> str:
    """A moment as Django stores it in SQLite (naive UTC, no fraction when it is zero); PostgreSQL reads it as UTC."""
    date, clock, micro = _split(us)
    return f"{date} {clock}.{micro:06d}" if micro else f"{date} {clock}"


def leaf_time(us: int) -> str:
    """A moment as the audit leaf states it (ombuds.audit.log.iso_utc)."""
    date, clock, micro = _split(us)
    return f"{date}T{clock}.{micro:06d}Z"


def iso_time(us: int) -> str:
    """datetime.isoformat() of the moment in UTC, as event details write a deadline."""
    date, clock, micro = _split(us)
    return f"{date}T{clock}.{micro:06d}+00:00" if micro else f"{date}T{clock}+00:00"


def to_us(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * SECOND + delta.microseconds


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _after(duration: Duration, us: int) -> int:
    if duration.months:
        return to_us(duration.after(from_us(us)))
    return us + to_us(_EPOCH + duration.exact)


# --- One chunk of cases --------------------------------------------------------------------------

# Columns of each table as the loader writes them, in the order of the row tuples.
COLUMNS: dict[str, tuple[str, ...]] = {
    "case": (
        "id",
        "reference",
        "category",
        "status",
        "anonymous",
        "received_at",
        "acknowledged_at",
        "closed_at",
        "ack_due_at",
        "feedback_due_at",
        "first_action_due_at",
        "first_action_at",
        "feedback_given_at",
        "next_deadline_at",
        "ladder_due_at",
        "outcome",
        "routed_to_oversight",
        "finding",
        "decision_reasoning",
        "assignee_id",
        "last_position",
        "sealed",
        "referral",
        "held_in_escrow",
        "reporting_unit_id",
    ),
    "report": (
        "id",
        "case_id",
        "receipt_digest",
        "role",
        "anonymous",
        "language",
        "submitted_at",
        "narrative",
        "occurred",
        "location",
        "reporter_name",
        "reporter_contact",
        "answers",
    ),
    "person": ("id", "report_id", "role", "position", "person_id", "name"),
    "message": ("id", "case_id", "sender", "author_id", "sent_at", "position", "read_at", "is_feedback", "body"),
    "note": ("id", "case_id", "author_id", "created_at", "body"),
    "proposal": (
        "id",
        "case_id",
        "proposed_by_id",
        "proposed_at",
        "decided_by_id",
        "decided_at",
        "approved",
        "kind",
        "grounds",
        "finding",
        "reason",
        "search_done",
        "decision_note",
        "referral",
    ),
    "conflict": ("id", "case_id", "person_id", "reason", "via_id", "added_by_id", "note"),
    "escalation": ("case_id", "deadline", "item", "due_at", "step", "at", "to_oversight"),
    # Which readers each case's key is granted to: one row per case, joined with the chunk's
    # sealed keys by the database (ombuds.core.synthetic.Loader.grant).
    "readers": ("case_id", "readers", "granted_at"),
    "sealed_keys": ("readers", "user_id", "sealed"),
}
MODELS: dict[str, Any] = {
    "case": Case,
    "report": Report,
    "person": InvolvedPerson,
    "message": Message,
    "note": Note,
    "proposal": ClosureProposal,
    "conflict": Conflict,
    "escalation": Escalation,
}
# Tables whose rows take ids made here (their primary keys are random ids or auto fields
# filled explicitly), in this order of loading.
LOAD_ORDER = ("case", "report", "person", "message", "note", "proposal", "conflict", "escalation")
# Multipliers of the id permutation, one per table (see _ID_PRIME).
_ID_TABLES = ("case", "report", "person", "message", "note", "proposal", "conflict")


@dataclass
class Chunk:
    index: int
    first: int
    count: int
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    # (head, tail, at, event_type, actor_kind, details, actor_id, case_id) for each event, in log order.
    events: list[tuple[str, str, str, int, str, str, int | None, int]] = field(default_factory=list)


def _json_ids(ids: Sequence[int]) -> str:
    return "[" + ",".join(map(str, ids)) + "]"


def _users(users: Sequence[int]) -> str:
    return '{"users":[' + ",".join(map(str, users)) + "]}"


def _details(**items: int | str | bool | Sequence[int] | None) -> str:
    """Canonical JSON of a small details object: keys sorted, no spaces (ombuds.audit.canonical)."""
    parts = []
    for name in sorted(items):
        value = items[name]
        if value is None:
            text = "null"
        elif value is True:
            text = "true"
        elif value is False:
            text = "false"
        elif isinstance(value, int):
            text = str(value)
        elif isinstance(value, str):
            text = '"' + value + '"'  # only identifiers and times are written here: nothing to escape
        else:
            text = _json_ids(value)
        parts.append(f'"{name}":{text}')
    return "{" + ",".join(parts) + "}"


_ACTION = {int(member): member.name.lower() for member in EventType}


def _cumulative(weights: dict[Any, int]) -> tuple[list[Any], list[int]]:
    """The choices and their cumulative weights, for random.choices(cum_weights=...)."""
    total, cumulative = 0, []
    for weight in weights.values():
        total += weight
        cumulative.append(total)
    return list(weights), cumulative


class _Builder:
    """Makes the rows of one chunk. Everything random comes from one generator seeded by (seed, chunk)."""

    def __init__(self, world: World, index: int) -> None:
        self.world = world
        self.rng = random.Random(f"{world.seed}:{index}")  # noqa: S311 - repeatable made-up data, nothing secret
        self.random = self.rng.random
        self.chunk = Chunk(index=index, first=index * CHUNK, count=min(CHUNK, world.cases - index * CHUNK))
        self.chunk.rows = {name: [] for name in COLUMNS}
        self.zone = ZoneInfo(world.time_zone)
        id_rng = random.Random(f"{world.seed}:ids")  # noqa: S311 - repeatable made-up data
        self.multipliers = {name: id_rng.randrange(2, _ID_PRIME - 1) for name in _ID_TABLES}
        self.staff = {s.user_id: s for s in world.staff}
        self.sees_all = [s.user_id for s in world.staff if s.roles & {"lead_handler", "oversight"}]
        self.leads = [s.user_id for s in world.staff if "lead_handler" in s.roles]
        self.oversight = [s.user_id for s in world.staff if "oversight" in s.roles]
        self.handlers = [s.user_id for s in world.staff if "handler" in s.roles]
        self.assignable = [s.user_id for s in world.staff if s.roles & {"handler", "lead_handler"}]
        self.staff_by_person = {s.person: s.user_id for s in world.staff}
        self.handler_people = [s.person for s in world.staff if "handler" in s.roles]
        # One data key for the chunk (see the module's docstring), sealed once to each reader.
        self.key = keys.DataKey(self.rng.randbytes(keys.KEY_BYTES))
        self.sealer = FieldSealer(self.key)
        self.reader_sets: dict[tuple[int, ...], int] = {}
        self.categories, self.category_weights = _cumulative(_CATEGORY_WEIGHTS)
        self.roles, self.role_weights = _cumulative(_ROLE_WEIGHTS)
        self.open_statuses, self.open_weights = _cumulative(_OPEN_STATUS_WEIGHTS)
        self.contexts: dict[tuple[str, str], bytes] = {}
        self.day_starts: dict[int, int] = {}
        self.stamps: dict[int, tuple[str, str]] = {}
        self.heads: dict[tuple[int, str, int | None], str] = {}

    # --- helpers

    def new_id(self, table: str, k: int) -> int:
        return (k + 1) * self.multipliers[table] % _ID_PRIME

    def seal(self, value: str, model: str, field_name: str, case_id: int) -> str:
        """What ombuds.cases.content.seal stores: the text encrypted under the key, bound to case, model and field."""
        if value == "":
            return value
        prefix = self.contexts.get((model, field_name))
        if prefix is None:
            # keys.encrypt authenticates its version byte before the context, and keys.context
            # joins its parts with ":"; the case's number comes last.
            prefix = self.contexts[(model, field_name)] = (
                bytes([keys.FIELD_VERSION]) + keys.context("content", model, field_name) + b":"
            )
        return self.sealer.seal(value.encode("utf-8"), prefix + str(case_id).encode("ascii"))

    def day_start(self, us: int) -> int:
        """The start of the day in the organisation's time zone, as kept for an anonymous reporter."""
        hour = us // HOUR
        start = self.day_starts.get(hour)
        if start is None:
            local = from_us(us).astimezone(self.zone)
            midnight = datetime(local.year, local.month, local.day, tzinfo=self.zone)
            start = self.day_starts[hour] = to_us(midnight)
        return start

    def between(self, start: int, end: int) -> int:
        # random() scaled: several times cheaper than randrange, and exact enough for microseconds.
        return start if end <= start else start + int(self.random() * (end - start))

    def readers_id(self, readers: tuple[int, ...]) -> int:
        number = self.reader_sets.get(readers)
        if number is None:
            number = self.reader_sets[readers] = len(self.reader_sets)
        return number

    # --- the chunk

    def build(self) -> Chunk:
        rows = self.chunk.rows
        for number in range(self.chunk.first, self.chunk.first + self.chunk.count):
            self.case(number)
        for readers, number in self.reader_sets.items():
            for user_id in readers:
                sealed = keys.seal_data_key(self.staff[user_id].public_key, self.key)
                rows["sealed_keys"].append((number, user_id, sealed))
        return self.chunk

    def case(self, number: int) -> None:
        w, rng, rows = self.world, self.rng, self.chunk.rows
        now = w.now
        case_id = self.new_id("case", number)
        report_id = self.new_id("report", number)
        category = rng.choices(self.categories, cum_weights=self.category_weights)[0]
        anonymous = rng.random() < 0.55
        chinese = rng.random() < 0.2
        language = "zh-hans" if chinese else "en"
        if rng.random() < w.closed_share:
            status = Status.CLOSED
            low, high = 30, max(31, w.history_days)
        else:
            status = rng.choices(self.open_statuses, cum_weights=self.open_weights)[0]
            low, high = _AGE_DAYS[status]
        stage = _STATUS_ORDER.index(status)
        filed = now - self.between(low * DAY, high * DAY + HOUR)
        filed = max(filed, now - w.history_days * DAY)
        received = self.day_start(filed) if anonymous else filed
        # (at, order, event type, actor kind, actor, details): sorted by time, then by the order they were made in.
        events: list[tuple[int, int, int, str, int | None, str]] = []

        def event(at: int, kind: EventType, actor_kind: str, actor: int | None = None, details: str = "{}") -> None:
            events.append((at, len(events), kind.value, actor_kind, actor, details))

        # The people she names, and who that keeps out.
        named = []
        conflicts: list[tuple[int, str, int | None]] = []
        accused_linked = rng.random() < 0.3
        accused = int(self.random() * len(w.person_ids)) if accused_linked else -1
        named.append((PersonRole.ACCUSED, accused))
        if rng.random() < 0.25:
            named.append((PersonRole.WITNESS, -1))
        if rng.random() < 0.02:
            named.append((PersonRole.KEEP_OUT, rng.choice(self.handler_people)))
        for role, person in named:
            if person < 0:
                continue
            if role == PersonRole.ACCUSED:
                conflicts.append((person, ConflictReason.ACCUSED, None))
                seen = {person}
                manager = w.managers[person]
                while manager >= 0 and manager not in seen:
                    conflicts.append((manager, ConflictReason.MANAGER, person))
                    seen.add(manager)
                    manager = w.managers[manager]
            else:
                conflicts.append((person, ConflictReason.KEEP_OUT, None))
        conflicted = {self.staff_by_person[p] for p, _r, _v in conflicts if p in self.staff_by_person}

        pool = [u for u in (w.pools.get(category) or self.handlers) if u not in conflicted]
        leads = [u for u in self.leads if u not in conflicted]
        first_readers = tuple(sorted({u for u in self.sees_all if u not in conflicted} | set(pool)))

        # Deadlines and the steps taken, in time order.
        ack_due = _after(w.ack, received)
        first_action_due = _after(w.first_action, received) if category == Category.SEXUAL_ASSAULT else None
        assigned_at = acknowledged = assessed = investigated = decided = closed = None
        assignee = assigner = None
        if stage >= 1 or rng.random() < 0.35:
            candidates = pool or leads
            if candidates:
                assignee = rng.choice(candidates)
                assigner = rng.choice(leads) if leads and rng.random() < 0.5 else assignee
        if stage >= 1:
            late = rng.random()
            delay = self.between(2 * HOUR, 5 * DAY) if late < 0.7 else self.between(5 * DAY, 12 * DAY)
            acknowledged = min(filed + delay, now - HOUR)
            if assignee is not None:
                assigned_at = self.between(filed + HOUR, acknowledged)
        elif assignee is not None:
            assigned_at = self.between(filed + HOUR, now - HOUR)
        if category == Category.SEXUAL_ASSAULT and assigned_at is not None and rng.random() < 0.8:
            assigned_at = min(assigned_at, filed + self.between(HOUR, 20 * HOUR))
        feedback_due = _after(w.feedback, acknowledged if acknowledged is not None else ack_due)
        last = acknowledged or filed
        if stage >= 2:
            assert acknowledged is not None
            assessed = last = self.between(acknowledged + HOUR, min(acknowledged + 20 * DAY, now - HOUR))
        without_investigation = status == Status.CLOSED and rng.random() < 0.25
        if stage >= 3 and not without_investigation:
            investigated = last = self.between(last + HOUR, min(last + 30 * DAY, now - HOUR))
        if stage >= 4 and not without_investigation:
            decided = last = self.between(last + DAY, min(last + 120 * DAY, now - HOUR))
        if stage >= 5:
            closed = last = self.between(last + HOUR, min(last + 30 * DAY, now - HOUR))
        feedback_given = None
        if stage >= 2 and acknowledged is not None:
            if feedback_due <= now:
                if rng.random() < 0.85:
                    feedback_given = self.between(acknowledged + 10 * DAY, feedback_due + self.between(0, 20 * DAY))
            elif rng.random() < 0.35:
                feedback_given = self.between(acknowledged + 10 * DAY, now - HOUR)
            if feedback_given is not None:
                feedback_given = min(feedback_given, now - HOUR)
                if closed is not None and feedback_given > closed:
                    feedback_given = closed
        if closed is not None and feedback_given is None:
            feedback_given = closed  # the closing message is feedback
        # Set by the first step any staff member takes (actions.first_action), met or not in time.
        staff_steps = [t for t in (assigned_at, acknowledged) if t is not None]
        first_action = min(staff_steps) if staff_steps else None

        # What the reporter wrote.
        people_count = len(named)
        narrative = words.narrative(rng, chinese)
        name = "" if anonymous else words.person_name(rng)
        commitment = hashlib.sha256(rng.randbytes(32) + narrative.encode("utf-8")).hexdigest()
        receipt_digits = f"{rng.getrandbits(96) % 10**28:028d}"
        rows["report"].append(
            (
                report_id,
                case_id,
                _receipt_digest(w.receipt_key, receipt_digits),
                rng.choices(self.roles, cum_weights=self.role_weights)[0],
                anonymous,
                language,
                self.db(received),
                self.seal(narrative, "report", "narrative", case_id),
                self.seal(words.occurred(rng, chinese) if rng.random() < 0.7 else "", "report", "occurred", case_id),
                self.seal(words.location(rng, chinese) if rng.random() < 0.6 else "", "report", "location", case_id),
                self.seal(name, "report", "reporter_name", case_id),
                self.seal(
                    words.contact(rng, name) if name and rng.random() < 0.7 else "",
                    "report",
                    "reporter_contact",
                    case_id,
                ),
                # No extra questions answered: a history made before the questionnaire.
                self.seal("", "report", "answers", case_id),
            )
        )
        for position, (role, person) in enumerate(named, start=1):
            # A person picked from the directory is named as the directory names them.
            label = words.directory_name(person) if person >= 0 else words.person_name(rng)
            rows["person"].append(
                (
                    self.new_id("person", number * 4 + position),
                    report_id,
                    role,
                    position,
                    w.person_ids[person] if person >= 0 else None,
                    self.seal(label, "involvedperson", "name", case_id),
                )
            )
        event(
            received,
            EventType.REPORT_FILED,
            "reporter",
            details=f'{{"attachments":0,"commitment":"{commitment}","people":{people_count},"report":{report_id}}}',
        )
        for k, (person, reason, via) in enumerate(conflicts):
            rows["conflict"].append(
                (
                    self.new_id("conflict", number * 64 + k),
                    case_id,
                    w.person_ids[person],
                    reason,
                    w.person_ids[via] if via is not None else None,
                    None,
                    "",
                )
            )
        if conflicts:
            added = sorted(w.person_ids[p] for p, _r, _v in conflicts)
            event(received, EventType.CONFLICTS_CHANGED, "system", details=_details(added=added, removed=[]))
        routed = not pool and not leads
        if routed:
            event(received, EventType.ROUTED_TO_OVERSIGHT, "system")
        if first_readers:
            event(received, EventType.KEY_GRANTED, "system", details=_users(first_readers))
        readers = first_readers
        if assignee is not None and assigned_at is not None and assigner is not None:
            event(
                assigned_at,
                EventType.CASE_ASSIGNED,
                "staff",
                assigner,
                f'{{"assignee":{assignee},"previous":null}}',
            )
            readers = tuple(sorted({u for u in self.sees_all if u not in conflicted} | {assignee}))
            revoked = sorted(set(first_readers) - set(readers))
            granted = sorted(set(readers) - set(first_readers))
            if revoked:
                event(assigned_at, EventType.KEY_REVOKED, "system", details=_users(revoked))
            if granted:
                event(assigned_at, EventType.KEY_GRANTED, "staff", assigner, _users(granted))
        if readers:
            rows["readers"].append((case_id, self.readers_id(readers), self.db(received)))
        # Who takes the case's steps: its handler; a lead handler, or oversight when it went there.
        fallback = leads or [u for u in self.oversight if u not in conflicted]
        worker = assignee if assignee is not None else (fallback[0] if fallback else None)

        # The conversation.
        messages: list[tuple[int, str, int | None, str, bool]] = []
        if acknowledged is not None and worker is not None:
            messages.append((acknowledged, Sender.STAFF, worker, w.acknowledgements[language], False))
            event(acknowledged, EventType.CASE_ACKNOWLEDGED, "staff", worker)
        if feedback_given is not None and worker is not None and feedback_given != closed:
            messages.append((feedback_given, Sender.STAFF, worker, words.feedback(rng, chinese), True))
        for _extra in range(rng.choice((0, 0, 1, 1, 2, 3))):
            start = acknowledged or received
            at = self.between(start + HOUR, now - HOUR)
            if rng.random() < 0.5 or worker is None:
                at = self.day_start(at) if anonymous else at
                messages.append((max(at, received), Sender.REPORTER, None, words.reporter_message(rng, chinese), False))
            else:
                messages.append((at, Sender.STAFF, worker, words.staff_message(rng, chinese), False))
        if assessed is not None and worker is not None:
            event(assessed, EventType.ASSESSMENT_STARTED, "staff", worker)
        if investigated is not None and worker is not None:
            event(investigated, EventType.INVESTIGATION_STARTED, "staff", worker)
        finding = outcome = reasoning = ""
        if decided is not None and worker is not None:
            finding = Finding.SUBSTANTIATED
            outcome = Outcome.DECIDED
            reasoning = words.reasoning(rng)
            event(decided, EventType.CASE_DECIDED, "staff", worker, _details(finding=finding))
        if closed is not None and worker is not None:
            if without_investigation:
                approver = rng.choice(leads) if leads else worker
                proposal_id = number + 1
                proposed = self.between((assessed or last) + HOUR, closed)
                grounds = ClosureGrounds.WITHDRAWN if rng.random() < 0.5 else ClosureGrounds.OUTSIDE_REMIT
                rows["proposal"].append(
                    (
                        proposal_id,
                        case_id,
                        worker,
                        self.db(proposed),
                        approver,
                        self.db(closed),
                        True,
                        ProposalKind.CLOSE,
                        grounds,
                        "",
                        self.seal(words.closure_reason(rng), "closureproposal", "reason", case_id),
                        self.seal(words.search_done(rng), "closureproposal", "search_done", case_id),
                        "",
                        "",
                    )
                )
                event(
                    proposed,
                    EventType.CLOSURE_PROPOSED,
                    "staff",
                    worker,
                    _details(grounds=str(grounds), proposal=proposal_id),
                )
                event(
                    closed,
                    EventType.CLOSURE_APPROVED,
                    "staff",
                    approver,
                    _details(kind=str(ProposalKind.CLOSE), proposal=proposal_id),
                )
                outcome = Outcome.CLOSED_WITHOUT_INVESTIGATION
                messages.append((closed, Sender.STAFF, approver, words.closure_reason(rng), True))
            else:
                event(closed, EventType.CASE_CLOSED, "staff", worker)
                messages.append((closed, Sender.STAFF, worker, words.feedback(rng, chinese), True))
        messages.sort(key=lambda item: item[0])
        for position, (at, sender, author, body, is_feedback) in enumerate(messages, start=1):
            message_id = self.new_id("message", number * 16 + position)
            read = None
            if sender == Sender.REPORTER and at + DAY < now:
                read = self.db(self.between(at + HOUR, at + 2 * DAY))
            rows["message"].append(
                (
                    message_id,
                    case_id,
                    sender,
                    author,
                    self.db(at),
                    position,
                    read,
                    is_feedback,
                    self.seal(body, "message", "body", case_id),
                )
            )
            if sender == Sender.REPORTER:
                event(at, EventType.REPORTER_MESSAGE, "reporter", details=f'{{"attachments":0,"message":{message_id}}}')
            elif not (at == acknowledged and not is_feedback) and at != closed:
                event(
                    at,
                    EventType.STAFF_MESSAGE,
                    "staff",
                    author,
                    f'{{"feedback":{"true" if is_feedback else "false"},"message":{message_id}}}',
                )
        if investigated is not None and worker is not None and rng.random() < 0.4:
            note_at = self.between(investigated + HOUR, (decided or now) - 1)
            note_id = number + 1
            rows["note"].append(
                (note_id, case_id, worker, self.db(note_at), self.seal(words.note(rng), "note", "body", case_id))
            )
            event(note_at, EventType.NOTE_ADDED, "staff", worker, _details(note=note_id))
        for _view in range(int(self.random() * 3)):
            if readers:
                event(
                    self.between((acknowledged or filed) + HOUR, now - 1),
                    EventType.CASE_VIEWED,
                    "staff",
                    rng.choice(readers),
                    '{"via":"web"}',
                )

        # The escalations the sweeper took for each deadline while it was missed.
        deadlines = [("acknowledge", ack_due, acknowledged), ("feedback", feedback_due, feedback_given)]
        if first_action_due is not None:
            deadlines.insert(0, ("first_action", first_action_due, first_action))
        responsible = [assignee] if assignee is not None else pool
        ladder = (
            (LadderStep.REMINDER, -w.reminder_before),
            (LadderStep.LEAD, 0),
            (LadderStep.OVERSIGHT, w.oversight_grace),
        )
        taken_steps: set[tuple[str, str]] = set()
        for deadline, due, met in deadlines:
            if deadline == "feedback" and acknowledged is None:
                continue  # the feedback deadline still counts from the acknowledgement window
            for step, offset in ladder:
                moment = due + offset
                if moment > now or (met is not None and met <= moment) or (closed is not None and closed <= moment):
                    continue
                if step == LadderStep.REMINDER and anonymous and due < received + DAY + w.reminder_before:
                    continue
                taken = min(moment + self.between(0, 30 * SECOND), now)
                if step == LadderStep.REMINDER:
                    recipients, to_oversight, kind = responsible, False, EventType.DEADLINE_REMINDER
                elif step == LadderStep.LEAD and leads:
                    recipients, to_oversight, kind = leads, False, EventType.ESCALATED_TO_LEAD
                else:
                    recipients = [u for u in self.oversight if u not in conflicted]
                    to_oversight = True
                    kind = EventType.ESCALATED_TO_LEAD if step == LadderStep.LEAD else EventType.ESCALATED_TO_OVERSIGHT
                taken_steps.add((deadline, step))
                rows["escalation"].append((case_id, deadline, "", self.db(due), step, self.db(taken), to_oversight))
                event(
                    taken,
                    kind,
                    "system",
                    details=f'{{"deadline":"{deadline}","due_at":"{iso_time(due)}","recipients":{len(recipients)}}}',
                )

        # The case row, with the deadlines still pending.
        pending = []
        if status != Status.CLOSED:
            for still_due, met in (
                (first_action_due, first_action if first_action_due is not None else None),
                (ack_due, acknowledged),
                (feedback_due, feedback_given),
            ):
                if still_due is not None and met is None:
                    pending.append(still_due)
        # When the escalation pass must next look at the case: its earliest untaken step,
        # in deadline time (ombuds.cases.ladder_due), so the pass reads none of the steps above.
        ahead = max(0, *(-offset for _step, offset in ladder))
        untaken = [
            due + offset + ahead
            for deadline, due, met in deadlines
            if status != Status.CLOSED and met is None
            for step, offset in ladder
            if (deadline, step) not in taken_steps
            and not (step == LadderStep.REMINDER and anonymous and due < received + DAY + w.reminder_before)
        ]
        rows["case"].append(
            (
                case_id,
                _reference(number, self.multipliers["case"]),
                category,
                status,
                anonymous,
                self.db(received),
                self.db_or_none(acknowledged),
                self.db_or_none(closed),
                self.db(ack_due),
                self.db(feedback_due),
                self.db_or_none(first_action_due),
                self.db_or_none(first_action),
                self.db_or_none(feedback_given),
                self.db_or_none(min(pending) if pending else None),
                self.db_or_none(min(untaken) if untaken else None),
                outcome,
                routed,
                finding,
                self.seal(reasoning, "case", "decision_reasoning", case_id),
                assignee,
                len(messages),
                True,
                "",
                False,  # no report held in escrow: each case is being handled
                w.person_units[accused] if accused >= 0 else None,  # the accused's unit, when linked
            )
        )
        events.sort()
        self.leaves(case_id, events)

    def stamp(self, us: int) -> tuple[str, str]:
        """db_time(us) and leaf_time(us), made once for each moment of the chunk."""
        found = self.stamps.get(us)
        if found is None:
            day, rest = divmod(us, DAY)
            second, micro = divmod(rest, SECOND)
            date = _DAY_TEXT.get(day) or _day_text(day)
            clock = _CLOCK[second]
            found = self.stamps[us] = (
                f"{date} {clock}.{micro:06d}" if micro else f"{date} {clock}",
                f"{date}T{clock}.{micro:06d}Z",
            )
        return found

    def db(self, us: int) -> str:
        return self.stamp(us)[0]

    def db_or_none(self, us: int | None) -> str | None:
        return None if us is None else self.stamp(us)[0]

    def leaves(self, case_id: int, events: list[tuple[int, int, int, str, int | None, str]]) -> None:
        """The case's events as leaf text around their numbers, and their columns (see leaf_parts)."""
        heads = self.heads
        stamp = self.stamp
        append = self.chunk.events.append
        place = f',"object":{{"case":{case_id}}},"time":"'
        for at, _order, event_type, actor_kind, actor_id, details in events:
            key = (event_type, actor_kind, actor_id)
            start = heads.get(key)
            if start is None:
                start = heads[key] = leaf_start(event_type, actor_kind, actor_id)
            stored, leaf_moment = stamp(at)
            append(
                (
                    f'{start}{details},"index":',
                    f'{place}{leaf_moment}"}}',
                    stored,
                    event_type,
                    actor_kind,
                    details,
                    actor_id,
                    case_id,
                )
            )


class FieldSealer:
    """keys.encrypt under one key, many times over, without its overhead per call; the text content.seal stores.

    The same libsodium XChaCha20-Poly1305 call and the same bytes out (version, nonce,
    ciphertext and tag), but the arguments are not checked again at every call, the output
    buffer is made once, and the random nonces are drawn many at a time.
    """

    _NONCES = 4096

    def __init__(self, key: keys.DataKey) -> None:
        self._key = key.raw
        self._out = _sodium.ffi.new("unsigned char[]", 1 << 16)
        self._length = _sodium.ffi.new("unsigned long long *")
        self._nonces = b""
        self._next = 0
        self._version = bytes([keys.FIELD_VERSION])

    def seal(self, plaintext: bytes, associated_data: bytes) -> str:
        """The stored text ("s1:" and base64) of keys.encrypt(key, plaintext, associated_data[1:])."""
        if associated_data[:1] != self._version or len(associated_data) < 2:
            raise ValueError("the associated data starts with the field version and names what it binds")
        if len(plaintext) + keys.FIELD_OVERHEAD > len(self._out):
            self._out = _sodium.ffi.new("unsigned char[]", 2 * (len(plaintext) + keys.FIELD_OVERHEAD))
        start = self._next
        if start + keys.NONCE_BYTES > len(self._nonces):
            self._nonces = os.urandom(keys.NONCE_BYTES * self._NONCES)
            start = 0
        self._next = end = start + keys.NONCE_BYTES
        nonce = self._nonces[start:end]
        failed = _sodium.lib.crypto_aead_xchacha20poly1305_ietf_encrypt(
            self._out, self._length, plaintext, len(plaintext), associated_data, len(associated_data),
            _sodium.ffi.NULL, nonce, self._key,
        )  # fmt: skip
        if failed:
            raise RuntimeError("libsodium could not encrypt a field")
        sealed = _sodium.ffi.buffer(self._out, self._length[0])[:]
        return "s1:" + _b64(self._version + nonce + sealed, newline=False).decode("ascii")


_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_REFERENCE_SPACE = 32**8  # 2**40


def _reference(number: int, multiplier: int) -> str:
    """A case reference as actions.file_report makes them (C- and eight characters), distinct per case number.

    number times an odd multiplier modulo 2**40 is a permutation of [0, 2**40): no two
    cases get the same reference, and they follow no visible order.
    """
    value = (number * (multiplier | 1) + multiplier) % _REFERENCE_SPACE
    text = []
    for _ in range(8):
        value, digit = divmod(value, 32)
        text.append(_REFERENCE_ALPHABET[digit])
    return "C-" + "".join(text)


def _receipt_digest(key: bytes, digits: str) -> str:
    """ombuds.lib.receipts.digest of a receipt's digits, with the key handed to the worker."""
    return hmac.new(key, b"ombuds-receipt-v1:" + digits.encode(), hashlib.sha256).hexdigest()


def leaf_start(event_type: int, actor_kind: str, actor_id: int | None) -> str:
    """The start of a leaf (ombuds.audit.log.leaf_document, canonical): its action and actor, up to the details."""
    actor = f'{{"id":{actor_id},"kind":"{actor_kind}"}}' if actor_id is not None else f'{{"kind":"{actor_kind}"}}'
    return f'{{"action":"{_ACTION[event_type]}","actor":{actor},"details":'


def leaf_parts(
    at: int, event_type: int, actor_kind: str, actor_id: int | None, case_id: int, details: str
) -> tuple[str, str, str, int, str, str, int | None, int]:
    """The event's leaf around its number, and its columns: what _Builder.leaves makes, one at a time.

    Head and tail are the canonical JSON (ombuds.audit.canonical) of ombuds.audit.log.leaf_document
    but the index between them, written by formatting strings: tests/test_seed_synthetic.py checks
    they give the same bytes.
    """
    head = f'{leaf_start(event_type, actor_kind, actor_id)}{details},"index":'
    tail = f',"object":{{"case":{case_id}}},"time":"{leaf_time(at)}"}}'
    return head, tail, db_time(at), event_type, actor_kind, details, actor_id, case_id


# --- Workers ----------------------------------------------------------------------------------------


def build_chunk(world: World, index: int) -> Chunk:
    return _Builder(world, index).build()


def chunks(world: World, workers: int) -> Iterator[Chunk]:
    """Every chunk, in order; made by `workers` processes, or here when workers is 0."""
    count = (world.cases + CHUNK - 1) // CHUNK
    if workers <= 0 or count <= 1:
        for index in range(count):
            yield build_chunk(world, index)
        return
    from ombuds.core import synthetic_worker

    context = multiprocessing.get_context("spawn")
    start = synthetic_worker.start
    with ProcessPoolExecutor(workers, mp_context=context, initializer=start, initargs=(pickle.dumps(world),)) as pool:
        # A few chunks ahead of the loader at most, so memory stays bounded.
        ahead = workers * 2
        pending = [pool.submit(synthetic_worker.build, index) for index in range(min(ahead, count))]
        submitted = len(pending)
        while pending:
            chunk = pending.pop(0).result()
            if submitted < count:
                pending.append(pool.submit(synthetic_worker.build, submitted))
                submitted += 1
            yield chunk


# --- Loading ------------------------------------------------------------------------------------------

# The tables filled in bulk: their secondary indexes are dropped while they fill and built again after.
BULK_MODELS = (
    Case,
    Report,
    InvolvedPerson,
    Message,
    Note,
    ClosureProposal,
    Conflict,
    Escalation,
    CaseKeyGrant,
    AuditEvent,
)
AUDIT_COLUMNS = ("seq", "at", "event_type", "actor_kind", "detail", "actor_id", "case_id", "leaf", "leaf_hash")
# Grant ids are random, as ombuds.lib.ids.random_id makes them (1 to 2**53 - 1), drawn by the database.
_GRANTS_SQL = (
    "INSERT INTO {grants} (id, case_id, holder, sealed, granted_at, user_id) "
    "SELECT {random_id}, r.case_id, 'staff', k.sealed, r.granted_at, k.user_id "
    "FROM synthetic_readers r JOIN synthetic_keys k ON k.readers = r.readers"
)
_RANDOM_ID = {
    "sqlite": "1 + (random() & 9007199254740990)",
    "postgresql": "1 + floor(random() * 9007199254740990)::bigint",
}


class Loader:
    """Rows into tables with one statement per table and chunk: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        if self.postgres:
            with connection.cursor() as cursor:
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608 - names from code

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    def secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        """(name, CREATE statement) of each index of `table` that no primary key or unique constraint owns."""
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid "
                    "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                    [table],
                )
            return [(str(name), str(sql)) for name, sql in cursor.fetchall()]

    def drop_indexes(self, tables: Sequence[str]) -> list[str]:
        """Drop the secondary indexes of `tables`; the statements that make them again."""
        statements = []
        for table in tables:
            for name, create in self.secondary_indexes(table):
                self.execute(f'DROP INDEX "{name}"')
                statements.append(create)
        return statements

    def start_grants(self) -> None:
        temporary = "TEMPORARY TABLE"
        blob = "bytea" if self.postgres else "blob"
        moment = "timestamp with time zone" if self.postgres else "datetime"
        self.execute(f"CREATE {temporary} synthetic_readers (case_id bigint, readers integer, granted_at {moment})")
        self.execute(f"CREATE {temporary} synthetic_keys (readers integer, user_id integer, sealed {blob})")

    def grant(self, readers: list[tuple[Any, ...]], sealed_keys: list[tuple[Any, ...]]) -> None:
        """One grant per reader of each case: the chunk's sealed keys joined with its cases' readers, in SQL."""
        self.insert("synthetic_readers", COLUMNS["readers"], readers)
        self.insert("synthetic_keys", COLUMNS["sealed_keys"], sealed_keys)
        self.execute(_GRANTS_SQL.format(grants=CaseKeyGrant._meta.db_table, random_id=_RANDOM_ID[connection.vendor]))
        self.execute("DELETE FROM synthetic_readers")
        self.execute("DELETE FROM synthetic_keys")

    def end_grants(self) -> None:
        self.execute("DROP TABLE synthetic_readers")
        self.execute("DROP TABLE synthetic_keys")


# --- The organisation, through the real actions --------------------------------------------------------


class SeedError(Exception):
    """The synthetic data cannot be made here; the message says why."""


@dataclass(frozen=True)
class Options:
    cases: int
    people: int
    seed: int = 0
    # Worker processes that make the chunks; 0 makes them in this process.
    workers: int = 0
    # The share of cases already closed (a history of several years is mostly closed).
    closed_share: float = 0.6
    history_days: int = 3 * 365
    # The history ends at the start of this day (UTC); by default today.
    until: datetime | None = None


@dataclass(frozen=True)
class Login:
    email: str
    password: str
    totp_secret: str
    roles: tuple[str, ...]


@dataclass
class Result:
    cases: int = 0
    people: int = 0
    events: int = 0
    logins: list[Login] = field(default_factory=list)
    # Wall-clock seconds of the bulk part (the cases), and of everything.
    case_seconds: float = 0.0
    seconds: float = 0.0
    # Where the bulk part's time went (see _load).
    timings: dict[str, float] = field(default_factory=dict)
    # What every chunk was made from: build_chunk(world, n) makes chunk n again, row for row but the ciphertexts.
    world: World | None = None


def _check_empty() -> None:
    from django.contrib.auth.models import User

    if settings.PRODUCTION:
        raise SeedError("synthetic data is for trials and benchmarks; OMBUDS_PRODUCTION is on")
    found = [
        what
        for what, exists in (
            ("cases", Case.objects.exists()),
            ("people in the directory", Person.objects.exists()),
            ("staff accounts", User.objects.exists()),
        )
        if exists
    ]
    if found:
        raise SeedError(f"seed-synthetic fills a freshly migrated database; this one already has {' and '.join(found)}")


def _directory(people: int) -> tuple[dict[str, int], tuple[int, ...], tuple[int, ...]]:
    """The directory: a chief executive, the staff's seats, and everyone else in a tree eight wide.

    Returns each seat's person index, the person ids by index, and each person's manager index.
    """
    seats = {"ceo": 0} | {seat.key: number for number, seat in enumerate(ROSTER, start=1)}
    first_other = len(ROSTER) + 1
    managers = [-1] * people
    for seat in ROSTER:
        managers[seats[seat.key]] = seats[seat.manager] if seat.manager is not None else -1
    for index in range(first_other, people):
        position = index - first_other
        managers[index] = 0 if position == 0 else first_other + (position - 1) // 8

    def unit_of(index: int) -> str:
        if index == 0:
            return "Executive"
        if index < first_other:
            return ROSTER[index - 1].unit
        manager = managers[index]
        return f"{words.DIVISIONS[manager % len(words.DIVISIONS)]}/Team {manager % 97}"

    paths = sorted({unit_of(index) for index in range(people)})
    all_paths = sorted({"/".join(p.split("/")[:depth]) for p in paths for depth in range(1, p.count("/") + 2)})
    unit_ids = {path: number for number, path in enumerate(all_paths, start=1)}
    Unit.objects.bulk_create(
        [
            Unit(
                id=unit_ids[path],
                path=path,
                name=path.rpartition("/")[2],
                parent_id=unit_ids[path.rpartition("/")[0]] if "/" in path else None,
            )
            for path in all_paths
        ],
        batch_size=2000,
    )
    seat_of = dict(enumerate(ROSTER, start=1))
    batch: list[Person] = []
    for index in range(people):
        seated = seat_of.get(index)
        if index == 0:
            name, email, title = "Dana Chief", f"ceo@{EMAIL_DOMAIN}", "Chief Executive"
        elif seated is not None:
            name, email, title = seated.name, email_of(seated), "Employee Relations"
        else:
            name = words.directory_name(index)
            email = f"person{index}@{EMAIL_DOMAIN}"
            title = "Manager" if index * 8 < people else words.JOB_TITLES[index % len(words.JOB_TITLES)]
        batch.append(
            Person(
                id=index + 1,
                employee_id=f"E{index:07d}",
                name=name,
                email=email,
                unit_id=unit_ids[unit_of(index)],
                manager_id=managers[index] + 1 if managers[index] >= 0 else None,
                job_title=title,
                country=words.COUNTRIES[index % len(words.COUNTRIES)],
            )
        )
        if len(batch) == 5000:
            Person.objects.bulk_create(batch)
            batch = []
    Person.objects.bulk_create(batch)
    return seats, tuple(range(1, people + 1)), tuple(managers)


def _staff(seats: dict[str, int]) -> tuple[list[Login], list[Staff]]:
    """The staff accounts, made as `ombuds createstaff` makes them, with a second factor and pools."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import User

    from ombuds.accounts import actions as account_actions
    from ombuds.accounts.models import StaffKey
    from ombuds.accounts.roles import Role
    from ombuds.cases import actions
    from ombuds.directory.linking import link_staff_by_email

    logins, members = [], []
    for seat in ROSTER:
        # 64 characters: against an e-mail address of at most 28, the similarity the password
        # validators measure stays below their limit whatever the draw (2·28 / (64 + 28) < 0.7).
        password = secrets.token_urlsafe(48)
        user = account_actions.create_staff(
            email=email_of(seat), name=seat.name, roles=[Role(r) for r in seat.roles], password=password
        )
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        logins.append(Login(email_of(seat), password, secret, seat.roles))
    link_staff_by_email()
    for seat in ROSTER:
        user = User.objects.get(username=email_of(seat))
        for category in seat.pools:
            actions.set_pool_membership(category=category, user=user, member=True)
        public = bytes(StaffKey.objects.get(user=user).public_key)
        members.append(Staff(user.pk, seats[seat.key], frozenset(seat.roles), public))
    return logins, members


def _acknowledgements() -> dict[str, str]:
    from django.utils import translation
    from django.utils.translation import gettext

    found = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            # The same words as actions.acknowledge_case sends when the handler writes none.
            found[language] = gettext(
                "Thank you for your report. A case handler has received it and will look into it. "
                "You can write to us here at any time."
            )
    return found


def _world(options: Options, seats: dict[str, int], person_ids: tuple[int, ...], managers: tuple[int, ...],
           members: list[Staff]) -> World:  # fmt: skip
    from ombuds.cases.models import PoolMembership
    from ombuds.cases.selectors import current_organisation

    org = current_organisation()
    until = options.until or datetime.now(UTC)
    start_of_day = datetime(until.year, until.month, until.day, tzinfo=UTC)
    pools: dict[str, list[int]] = {}
    for category, user_id in PoolMembership.objects.order_by("user_id").values_list("category", "user_id"):
        pools.setdefault(category, []).append(user_id)
    return World(
        seed=options.seed,
        cases=options.cases,
        now=to_us(start_of_day),
        history_days=options.history_days,
        closed_share=options.closed_share,
        time_zone=settings.TIME_ZONE,
        receipt_key=settings.OMBUDS_RECEIPT_KEY.encode(),
        staff=tuple(members),
        pools={category: tuple(users) for category, users in pools.items()},
        person_ids=person_ids,
        managers=managers,
        ack=Duration.parse(org.ack_deadline),
        feedback=Duration.parse(org.feedback_deadline),
        first_action=Duration.parse(org.assault_first_action_deadline),
        reminder_before=to_us(_EPOCH + Duration.parse(settings.OMBUDS_REMINDER_BEFORE).exact),
        oversight_grace=to_us(_EPOCH + Duration.parse(settings.OMBUDS_OVERSIGHT_GRACE).exact),
        acknowledgements=_acknowledgements(),
        person_units=tuple(
            unit for _pk, unit in Person.objects.filter(pk__in=person_ids).order_by("pk").values_list("pk", "unit_id")
        ),
    )


# --- The whole run ------------------------------------------------------------------------------------

Progress = Callable[[int, int], None]


def seed(options: Options, progress: Progress | None = None) -> Result:
    """Make the organisation, then the cases in bulk; see the module's docstring."""
    import time

    from ombuds.audit import tree_heads
    from ombuds.cases import actions

    if options.cases < 1 or options.people < len(ROSTER) + 2:
        raise SeedError(f"give at least one case and {len(ROSTER) + 2} people")
    started = time.perf_counter()
    _check_empty()
    result = Result(cases=options.cases, people=options.people)
    actions.configure_organisation(name="Synthetic Organisation", oversight_name="the Audit Committee")
    with transaction.atomic():
        seats, person_ids, managers = _directory(options.people)
    result.logins, members = _staff(seats)
    world = result.world = _world(options, seats, person_ids, managers, members)
    cases_started = time.perf_counter()
    with _bulk_settings():
        result.events = _load(world, options.workers, progress, result.timings)
    result.case_seconds = time.perf_counter() - cases_started
    # A tree head over the whole log, as the sweeper would sign within the minute.
    tree_heads.sign_current()
    # The analytics' monthly totals, as the dashboard would count them on first use.
    stored.build_all()
    result.seconds = time.perf_counter() - started
    return result


def prepare_dashboard(now: datetime) -> None:
    """Count the months up to now and decide the dashboard's cells, as the sweeper would over its first passes.

    The sweeper decides the suppressed cells of the last twelve months and of the present
    a little each pass. Right after a bulk load none are decided, and the first dashboard
    would decide them all in its request: minutes at a million cases, longer than a web
    worker may take (`ombuds seed-synthetic` calls this after seed()).
    """
    stored.build_all(now)
    sheets.prepare(now, budget=math.inf)
    sheets.prepare_present()


class _bulk_settings:
    """On SQLite, outside a transaction, for this connection only: the fastest way to write while loading.

    No fsync, a large page cache, the rollback journal in memory instead of the write-ahead
    log (each page written once, not once to the log and again to the database), and no
    foreign key check on each of the millions of rows (the rows are made to fit;
    tests/test_seed_synthetic.py checks them with PRAGMA foreign_key_check). A run that
    fails is still rolled back; one killed midway may leave the file unusable, a risk taken
    for a freshly migrated database made for trials. Everything is set back afterwards.
    """

    _BULK = (("synchronous", "OFF"), ("cache_size", "-1048576"), ("journal_mode", "MEMORY"), ("foreign_keys", "OFF"))

    def __enter__(self) -> None:
        self.active = connection.vendor == "sqlite" and not connection.in_atomic_block
        self.saved: list[tuple[str, str]] = []
        if self.active:
            with connection.cursor() as cursor:
                for name, value in self._BULK:
                    cursor.execute(f"PRAGMA {name}")
                    self.saved.append((name, str(cursor.fetchone()[0])))
                    cursor.execute(f"PRAGMA {name}={value}")

    def __exit__(self, *exc: object) -> None:
        if self.active:
            with connection.cursor() as cursor:
                for name, value in reversed(self.saved):
                    cursor.execute(f"PRAGMA {name}={value}")


def _load(world: World, workers: int, progress: Progress | None, timings: dict[str, float]) -> int:
    """Every chunk into the tables, in one transaction; returns the number of audit events appended.

    `timings` gets the seconds spent waiting for chunks, numbering and hashing the
    events, loading rows, building the indexes again and committing (processor seconds of this process).
    """
    import time

    from django.core.management.color import no_style

    loader = Loader()
    tables = {name: MODELS[name]._meta.db_table for name in LOAD_ORDER}
    audit_table = AuditEvent._meta.db_table
    sha256 = hashlib.sha256
    clock = time.process_time
    for name in ("waiting for chunks", "audit leaves", "loading rows", "building indexes"):
        timings[name] = 0.0
    with transaction.atomic():
        if loader.postgres:
            # Django's foreign keys are checked at commit on PostgreSQL: a queue of millions of
            # pending checks, and no index may be built while any is pending. Checked per statement instead.
            loader.execute("SET CONSTRAINTS ALL IMMEDIATE")
        head = AuditHead.objects.select_for_update().get(pk=1)
        tree = head.tree()
        completed = tree.keep_nodes()
        first = seq = head.size
        recreate = loader.drop_indexes([model._meta.db_table for model in BULK_MODELS])
        # The analytics' change triggers would record a day for each of millions of rows; the
        # months are counted afresh after the load instead (seed, stored.build_all).
        for statement in _change_triggers.TRIGGER_SET.statements(connection.vendor, adding=False):
            loader.execute(statement)
        # Each case row carries its exact ladder moment, computed from the escalations
        # written beside it; the insert trigger would only put a conservative one in its place.
        for statement in ladder_due.TRIGGER_SET.statements(connection.vendor, adding=False):
            loader.execute(statement)
        # The overdue counts are counted afresh after the load (overdue.recount, below).
        for statement in overdue.TRIGGER_SET.statements(connection.vendor, adding=False):
            loader.execute(statement)
        loader.start_grants()
        done = 0
        made = chunks(world, workers)
        while True:
            mark = clock()
            chunk = next(made, None)
            timings["waiting for chunks"] += clock() - mark
            if chunk is None:
                break
            mark = clock()
            events = chunk.events
            numbers = range(seq, seq + len(events))
            leaves = [f"{event[0]}{number}{event[1]}" for event, number in zip(events, numbers, strict=True)]
            hashes = [sha256(b"\x00" + leaf.encode("utf-8")).digest() for leaf in leaves]
            audit_rows = [
                (number, at, event_type, actor_kind, details, actor_id, case_id, leaf, leaf_hash)
                for number, (_h, _t, at, event_type, actor_kind, details, actor_id, case_id), leaf, leaf_hash in zip(
                    numbers, events, leaves, hashes, strict=True
                )
            ]
            seq += len(chunk.events)
            tree.extend(hashes)
            timings["audit leaves"] += clock() - mark
            mark = clock()
            for name in LOAD_ORDER:
                loader.insert(tables[name], COLUMNS[name], chunk.rows[name])
            loader.grant(chunk.rows["readers"], chunk.rows["sealed_keys"])
            loader.insert(audit_table, AUDIT_COLUMNS, audit_rows)
            timings["loading rows"] += clock() - mark
            done += chunk.count
            if progress is not None:
                progress(done, world.cases)
        mark = clock()
        loader.end_grants()
        for statement in recreate:
            loader.execute(statement)
        for statement in _change_triggers.TRIGGER_SET.statements(connection.vendor, adding=True):
            loader.execute(statement)
        for statement in ladder_due.TRIGGER_SET.statements(connection.vendor, adding=True):
            loader.execute(statement)
        for statement in overdue.TRIGGER_SET.statements(connection.vendor, adding=True):
            loader.execute(statement)
        with connection.cursor() as cursor:
            overdue.recount(cursor.execute, overdue.hour_of(timezone.now()))
        Month.objects.update(stale=True)  # whatever was stored before no longer counts these rows
        timings["building indexes"] += clock() - mark
        AuditHead.objects.filter(pk=1).update(size=tree.size, frontier=b"".join(tree.subtree_roots))
        AuditNode.objects.bulk_create(
            [AuditNode(height=height, index=index, hash=root) for height, index, root in completed],
            batch_size=2000,
            ignore_conflicts=True,
        )
        for statement in connection.ops.sequence_reset_sql(no_style(), [Person, Unit, Note, ClosureProposal]):
            loader.execute(statement)
        mark = clock()
    timings["committing"] = clock() - mark
    return seq - first
