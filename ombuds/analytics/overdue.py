"""The cases overdue now, by unit and handler, kept by the database up to a boundary and counted live after it.

A case is overdue when it is open, not held in escrow, and its next deadline has passed.
Counting them on every dashboard reads every overdue case (67,000 at a million cases),
and the set changes with time alone, without any write. So the count is split at a
boundary moment B (OverdueBoundary, a whole UTC hour in the past):

- the open cases not held in escrow whose deadline is before B, counted by (unit,
  handler) in OverdueCount. Time passing adds nothing to this set; only writes do, and
  triggers on the cases keep the counts as every writer changes a case's status,
  escrow, deadline, unit or handler (a form, a queryset update, raw SQL), in the same
  transaction;
- the cases whose deadline is between B and now, counted live through the partial
  index of the open cases (cases_case_overdue_idx): at most about an hour's deadlines.

The sweeper moves B forward to the start of the current hour (`fold`): it adds the
cases whose deadlines fell between the old and the new boundary to the counts. It holds
the cases' writers off meanwhile (SQLite's writers take turns; on PostgreSQL a SHARE lock
on cases_case, waiting at most a few seconds, else the fold is left for the next pass),
so that no write can be judged by its trigger against the old boundary and missed by
the fold. `read` reads both parts in one statement, so in one snapshot of the database.
When "now" is before B (a clock set back), the cases between now and B are taken away
from the counts instead.

SQLite drops a table's triggers when a migration rebuilds it: a migration that alters
cases_case calls `TRIGGER_SET.add` again (which also counts afresh); `ombuds serve`
refuses to start without them; seed-synthetic lifts them for its bulk load and makes
them again after it (`TRIGGER_SET.statements`, then `recount`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.utils import timezone

from ombuds.lib import triggers

NOBODY = 0  # OverdueCount.unit or .assignee for a case with none

_BOUNDARY = "(SELECT boundary_at FROM analytics_overdueboundary WHERE id = 1)"
# Frozen here as the migration that makes them: Status.CLOSED.
_CLOSED = "closed"
WATCHED = ("status", "held_in_escrow", "next_deadline_at", "reporting_unit_id", "assignee_id")


def _counted(alias: str) -> str:
    """SQL: the case (as OLD or NEW) is counted in OverdueCount; NULL (not counted) without a deadline."""
    return f"{alias}.status <> '{_CLOSED}' AND NOT {alias}.held_in_escrow AND {alias}.next_deadline_at < {_BOUNDARY}"


def _key(alias: str) -> str:
    return f"COALESCE({alias}.reporting_unit_id, {NOBODY}), COALESCE({alias}.assignee_id, {NOBODY})"


_COUNT = triggers.KeptCount(
    name="analytics_overdue",
    table="cases_case",
    into="analytics_overduecount",
    key=("unit", "assignee"),
    count="cases",
    key_of=_key,
    counted=_counted,
    sqlite_changed=triggers.changed(WATCHED, postgres=False),
    postgres_changed=triggers.changed(WATCHED, postgres=True),
)


def _between(start: str, end: str) -> str:
    """SQL: the open cases not held in escrow with a deadline in [start, end), by (unit, handler).

    The condition is that of the partial index cases_case_overdue_idx, term for term, so
    that only the index is read, and only the range between the two moments.
    """
    return (
        f"SELECT COALESCE(reporting_unit_id, {NOBODY}) AS unit, COALESCE(assignee_id, {NOBODY}) AS assignee,"  # noqa: S608 - fixed SQL
        " COUNT(*) AS cases FROM cases_case" + f" WHERE held_in_escrow = %s AND NOT (status = '{_CLOSED}')"
        f" AND next_deadline_at >= {start} AND next_deadline_at < {end}"
        f" GROUP BY COALESCE(reporting_unit_id, {NOBODY}), COALESCE(assignee_id, {NOBODY})"
    )


def _moment(value: datetime) -> Any:
    """A moment as the database stores it (naive UTC text on SQLite), so that comparisons with stored ones hold."""
    return connection.ops.adapt_datetimefield_value(value)


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def recount(run: Callable[..., Any], boundary: datetime) -> None:
    """Count afresh every case overdue before `boundary`, and make it the boundary (the triggers in place).

    `run` is a schema editor's execute or a cursor's.
    """
    run("DELETE FROM analytics_overduecount")
    run(
        "INSERT INTO analytics_overduecount (unit, assignee, cases) " + _between("%s", "%s"),
        [False, _moment(datetime(1, 1, 1, tzinfo=UTC)), _moment(boundary)],
    )
    run("DELETE FROM analytics_overdueboundary")
    run("INSERT INTO analytics_overdueboundary (id, boundary_at) VALUES (1, %s)", [_moment(boundary)])


def _recount_now(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Count every case afresh up to the start of this hour."""
    recount(schema_editor.execute, hour_of(timezone.now()))


# Its `add` makes them (again) and counts every case afresh up to the start of this hour.
# Without them the dashboard's overdue counts would drift.
TRIGGER_SET = _COUNT.trigger_set(
    after_add=_recount_now,
    lacking="the cases lack the triggers that keep the dashboard's overdue counts",
    migrate_back_to=("analytics", "0005"),
)


def _kept_sql() -> str:
    """SQL: the kept counts as three texts, of their units, handlers and counts, each joined by commas in one order.

    The rows are joined in the order the table is read: no sort, and no text made per
    row, which cost more than the rest of the read. The three aggregates take the rows
    of one scan, in one order, so their texts line up. The same texts are the same
    counts; the same counts need not give the same texts (on PostgreSQL the order follows
    the rows' updates), which costs only a decision more.
    """
    join = "string_agg({}::text, ',')" if connection.vendor == "postgresql" else "group_concat({})"
    parts = ", ".join(join.format(column) for column in ("unit", "assignee", "cases"))
    return f"SELECT {parts} FROM analytics_overduecount WHERE cases <> 0"  # noqa: S608 - fixed SQL


@dataclass(frozen=True)
class Read:
    """The cases overdue at one moment, as read in one statement (one snapshot of the database).

    `kept` holds the kept counts as the database joined them: the text of their units,
    of their handlers and of their counts, each joined by commas in one order (nobody as
    NOBODY); `live` the cases between the boundary and that moment, (unit, handler,
    count), the count negative when the moment is before the boundary. The texts are
    what the dashboard's key hashes: turning 5,000 kept rows into Python tuples and adding
    the live part to them cost more than the rest of the dashboard's overdue figures at a
    million cases, and is done only when the counts are needed (`rows`), which is when
    the present is decided again.
    """

    kept: tuple[str, str, str]
    live: tuple[tuple[int, int, int], ...]

    def digest(self) -> str:
        """A digest of what was read: equal digests are equal counts (the converse need not hold)."""
        text = json.dumps([self.kept, sorted(self.live)], separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def rows(self) -> list[tuple[int | None, int | None, int]]:
        """(directory unit, handler, count) of every place with cases overdue, None for none, in that order."""
        units, handlers, counts = ([int(number) for number in text.split(",")] if text else [] for text in self.kept)
        summed = dict(zip(zip(units, handlers, strict=True), counts, strict=True))
        for unit, who, n in self.live:
            summed[(unit, who)] = summed.get((unit, who), 0) + n
        return [
            (None if unit == NOBODY else unit, None if who == NOBODY else who, n)
            for (unit, who), n in sorted(summed.items())
            if n
        ]

    def handlers(self) -> set[int]:
        """The handlers (not nobody) with cases overdue: those of `rows`, found without adding the counts up.

        With every kept count and every live one above zero, no sum can be zero, so a
        handler has cases overdue exactly when a row names them.
        """
        _units, handlers, counts = self.kept
        if "-" in counts or any(n <= 0 for _unit, _who, n in self.live):
            return {who for _unit, who, _n in self.rows() if who is not None}
        found = {int(who) for who in set(handlers.split(","))} if handlers else set()
        found.update(who for _unit, who, _n in self.live)
        found.discard(NOBODY)
        return found


def read(now: datetime | None = None) -> Read:
    """The cases overdue at `now` (by default now): the kept counts and the live part, in one statement."""
    now = now or timezone.now()
    nothing = ", ".join(["NULL::text" if connection.vendor == "postgresql" else "NULL"] * 3)
    kept = _kept_sql().removeprefix("SELECT ")
    sql = (
        f"SELECT 0 AS part, 0 AS unit, 0 AS assignee, 0 AS cases, {kept}"  # noqa: S608 - fixed SQL
        f" UNION ALL SELECT 1, unit, assignee, cases, {nothing} FROM ({_between(_BOUNDARY, '%s')}) AS ahead"
        f" UNION ALL SELECT 1, unit, assignee, -cases, {nothing} FROM ({_between('%s', _BOUNDARY)}) AS behind"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [False, _moment(now), False, _moment(now)])
        found = cursor.fetchall()
    first = next(row for row in found if row[0] == 0)
    live = tuple((int(row[1]), int(row[2]), int(row[3])) for row in found if row[0] == 1)
    return Read((first[4] or "", first[5] or "", first[6] or ""), live)


def count(now: datetime | None = None) -> list[tuple[int | None, int | None, int]]:
    """The cases overdue at `now` (by default now): (directory unit, handler, count), None for none, in that order."""
    return read(now).rows()


# On PostgreSQL the fold waits at most this long for the cases' writers, then gives up until the next pass.
LOCK_WAIT = "2s"


def fold(now: datetime) -> bool:
    """The sweeper's part: move the boundary to the start of this hour, adding the cases that fell due meanwhile.

    True when the boundary moved.
    """
    boundary = hour_of(now)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
                cursor.execute("LOCK TABLE cases_case IN SHARE MODE")
            cursor.execute("SELECT boundary_at FROM analytics_overdueboundary WHERE id = 1")
            found = cursor.fetchone()
            if found is None:
                recount(cursor.execute, boundary)
                return True
            before = found[0]
            if isinstance(before, str):  # SQLite, read by a plain cursor
                before = datetime.fromisoformat(before)
            if before.tzinfo is None:
                before = before.replace(tzinfo=UTC)
            if boundary <= before:
                return False
            cursor.execute(
                "INSERT INTO analytics_overduecount (unit, assignee, cases) "
                + _between("%s", "%s")
                + " ON CONFLICT (unit, assignee)"
                " DO UPDATE SET cases = analytics_overduecount.cases + excluded.cases",
                [False, _moment(before), _moment(boundary)],
            )
            cursor.execute("UPDATE analytics_overdueboundary SET boundary_at = %s WHERE id = 1", [_moment(boundary)])
            cursor.execute("DELETE FROM analytics_overduecount WHERE cases = 0")
        return True
    except DatabaseError:
        if connection.vendor != "postgresql":
            raise
        return False  # the cases' writers held the table longer than LOCK_WAIT: the next pass folds
