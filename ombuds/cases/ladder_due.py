"""When the escalation pass must next look at a case: the stored Case.ladder_due_at.

A case's own deadlines climb the ladder (reminder before the deadline, lead handler at
it, oversight after it). Reading every past-due case on every pass to ask which step is
still untaken grows with the whole history; instead each case stores a moment before
which none of its untaken steps can fall due, and the pass reads only the cases whose
moment has come (ombuds.cases.sweeps).

The moment is kept in *deadline time*: the pass reads a case once `ladder_due_at <= now
+ lead`, where `lead` is how far before its deadline the earliest step (the reminder)
falls due. That lets the database lower it without knowing the ladder's settings: any
unmet deadline's own due moment is early enough.

Too early is safe: the pass looks, finds nothing and moves the moment forward. Too late
means a step is never taken. So:

- the database lowers it (a trigger on cases_case, on SQLite and PostgreSQL) whenever a
  deadline, what meets it, the status, the escrow, the anonymity or the receipt moment
  changes, to the earliest unmet deadline: a queryset update, a bulk load, an escrow
  release or raw SQL are all seen; an inserted case without a moment gets one the same way;
- only the pass moves it forward, after it has looked, with a conditional update that
  fails when any of those columns changed meanwhile;
- the pass still reads every case once an hour, and at once when the ladder's settings
  change (LadderCheck), as a safety net.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from ombuds.lib import triggers
from ombuds.lib.durations import Duration

# The case's own deadlines: (name, due column, met column), as models.DEADLINE_COLUMNS;
# repeated here because migrations import this module.
DEADLINES = (
    ("first_action", "first_action_due_at", "first_action_at"),
    ("acknowledge", "ack_due_at", "acknowledged_at"),
    ("feedback", "feedback_due_at", "feedback_given_at"),
)
# Every column a step's being due depends on: a change of any of them lowers the moment.
WATCHED = (
    *(column for _name, due, met in DEADLINES for column in (due, met)),
    "status",
    "held_in_escrow",
    "anonymous",
    "received_at",
)
CLOSED = "closed"
REMINDER = "reminder"
DAY = timedelta(days=1)


def offsets() -> dict[str, timedelta]:
    """Each step's offset from its deadline, from the settings: the reminder before, oversight after."""
    return {
        REMINDER: -Duration.parse(settings.OMBUDS_REMINDER_BEFORE).exact,
        "lead": timedelta(0),
        "oversight": Duration.parse(settings.OMBUDS_OVERSIGHT_GRACE).exact,
    }


def fingerprint(steps: Mapping[str, timedelta]) -> str:
    """The offsets as stored in LadderCheck: stored moments computed with other offsets are not trusted."""
    return ";".join(f"{step}={offset.total_seconds():g}" for step, offset in steps.items())


def lead(offsets: Mapping[str, timedelta]) -> timedelta:
    """How long before its deadline the earliest step falls due (the reminder), never negative."""
    return max(timedelta(0), *(-offset for offset in offsets.values()))


@dataclass(frozen=True)
class Look:
    """What the pass finds on one case: the steps due now and untaken, and the case's next moment."""

    due: list[tuple[str, datetime, str]]  # (deadline, due_at, step)
    ladder_due_at: datetime | None


def look(
    values: Mapping[str, object],
    taken: Iterable[tuple[str, datetime, str]],
    offsets: Mapping[str, timedelta],
    now: datetime,
) -> Look:
    """The case's untaken steps due by `now`, and the moment to store for the rest.

    `values` holds the case's WATCHED columns; `taken` the (deadline, due_at, step) of its
    escalations for its own deadlines. The rules are those of sweeps.full_case_steps, one
    case at a time: a step is due when the deadline is unmet and its moment (deadline plus
    the step's offset) has come, on an open case not held in escrow, unless already taken;
    an anonymous case's reminder already due on her first day is never taken.
    """
    if values["status"] == CLOSED or values["held_in_escrow"]:
        return Look([], None)
    done = set(taken)
    ahead = lead(offsets)
    due_now: list[tuple[str, datetime, str]] = []
    moments: list[datetime] = []
    for name, due_column, met_column in DEADLINES:
        due = values[due_column]
        if due is None or values[met_column] is not None:
            continue
        assert isinstance(due, datetime)
        for step, offset in offsets.items():
            if (name, due, step) in done:
                continue
            received = values["received_at"]
            assert isinstance(received, datetime)
            if step == REMINDER and values["anonymous"] and due < received + DAY - offset:
                continue
            moment = due + offset
            if moment <= now:
                due_now.append((name, due, step))
            moments.append(moment + ahead)
    return Look(due_now, min(moments) if moments else None)


# --- The database keeps the moment from being late ----------------------------------------------


def earliest_unmet(alias: str, postgres: bool) -> str:
    """SQL: the earliest unmet deadline of the row `alias` (NULL when none), the conservative moment."""
    parts = [f"CASE WHEN {alias}.{met} IS NULL THEN {alias}.{due} END" for _name, due, met in DEADLINES]
    if postgres:
        return "LEAST(" + ", ".join(parts) + ")"  # LEAST skips NULLs
    # SQLite's min() of several arguments is NULL when one is; the aggregate skips NULLs.
    return "(SELECT min(m) FROM (" + " UNION ALL ".join(f"SELECT {part} AS m" for part in parts) + "))"  # noqa: S608 - fixed SQL


TRIGGERS = ("cases_ladder_due_inserted", "cases_ladder_due_updated")

_SQLITE_LOWER = (
    "UPDATE cases_case SET ladder_due_at = (SELECT min(m) FROM (SELECT NEW.ladder_due_at AS m"
    " UNION ALL SELECT {earliest})) WHERE id = NEW.id;"
)

SQLITE_ADD = (
    # An inserted case with a moment keeps it (seed-synthetic computes it from the
    # escalations it writes); one without gets its earliest unmet deadline.
    "CREATE TRIGGER cases_ladder_due_inserted AFTER INSERT ON cases_case FOR EACH ROW"  # noqa: S608 - fixed SQL
    " WHEN NEW.ladder_due_at IS NULL BEGIN"
    f" UPDATE cases_case SET ladder_due_at = {earliest_unmet('NEW', postgres=False)} WHERE id = NEW.id; END",
    # Only lowered: a later moment written with the same watched columns is the pass's own.
    "CREATE TRIGGER cases_ladder_due_updated AFTER UPDATE ON cases_case FOR EACH ROW"
    f" WHEN {triggers.changed(WATCHED, postgres=False)} BEGIN "
    + _SQLITE_LOWER.format(earliest=earliest_unmet("NEW", postgres=False))
    + " END",
)
SQLITE_REMOVE = tuple(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS)

POSTGRES_ADD = (
    f"""CREATE OR REPLACE FUNCTION cases_ladder_due_lower() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.ladder_due_at IS NULL THEN
            NEW.ladder_due_at := {earliest_unmet("NEW", postgres=True)};
        END IF;
    ELSE
        NEW.ladder_due_at := LEAST(NEW.ladder_due_at, {earliest_unmet("NEW", postgres=True)});
    END IF;
    RETURN NEW;
END
$$""",
    "CREATE TRIGGER cases_ladder_due_inserted BEFORE INSERT ON cases_case FOR EACH ROW"
    " EXECUTE FUNCTION cases_ladder_due_lower()",
    "CREATE TRIGGER cases_ladder_due_updated BEFORE UPDATE ON cases_case FOR EACH ROW"
    f" WHEN ({triggers.changed(WATCHED, postgres=True)}) EXECUTE FUNCTION cases_ladder_due_lower()",
)
POSTGRES_REMOVE = (
    *(f"DROP TRIGGER IF EXISTS {name} ON cases_case" for name in TRIGGERS),
    "DROP FUNCTION IF EXISTS cases_ladder_due_lower()",
)

# SQLite drops them when a migration rebuilds cases_case: such a migration calls
# `TRIGGER_SET.add`, and tests/test_ladder_due.py checks a migrated database has them.
# Without them a moved deadline could be escalated late or never.
TRIGGER_SET = triggers.TriggerSet(
    triggers=frozenset(("cases_case", name) for name in TRIGGERS),
    sqlite_add=SQLITE_ADD,
    sqlite_remove=SQLITE_REMOVE,
    postgres_add=POSTGRES_ADD,
    postgres_remove=POSTGRES_REMOVE,
    lacking="the cases lack the triggers that keep their escalation moments from being late",
    migrate_back_to=("cases", "0014"),
)


def reset_sql(postgres: bool) -> str:
    """SQL: every open case's moment back to its earliest unmet deadline (when the ladder's settings change)."""
    return (
        f"UPDATE cases_case SET ladder_due_at = {earliest_unmet('cases_case', postgres)}"  # noqa: S608 - fixed SQL
        f" WHERE status <> '{CLOSED}' AND NOT held_in_escrow"
    )
