"""The triggers that record which days the stored monthly totals must count again.

Every INSERT, UPDATE and DELETE of a row the totals count (cases, their reports,
escalations, appeals, retaliation flags and repeat-offender alerts in the audit log)
records the UTC calendar day of each moment that places the row in a month, before and
after the change, in analytics_changedday. The database does it, so a queryset update,
a bulk insert, raw SQL and the audit log's own SQL append are all seen; a save that
changes nothing counted (a new deadline, a sealed field) records nothing.
ombuds.analytics.stored.absorb_changes turns the days into stale months.

SQLite drops a table's triggers when a migration rebuilds the table: every migration
that alters one of these tables on SQLite puts them back with `TRIGGER_SET.add` (and
tests/test_analytics_stored.py checks the migrated database has them all).
seed-synthetic drops and makes them around its bulk load with `TRIGGER_SET.statements`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from ombuds.lib import triggers

# EventType.REPEAT_OFFENDER_ALERT, frozen here as the audit log freezes its numbers.
REPEAT_OFFENDER_ALERT = 90


@dataclass(frozen=True)
class Moment:
    """A moment that places a row in a month, and the columns whose change alters what is counted there."""

    sql: str  # X stands for OLD or NEW
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Counted:
    """A table whose rows the totals count."""

    name: str  # short, in the triggers' names
    table: str
    moments: tuple[Moment, ...]
    only: str = ""  # SQL: the rows counted at all (X as above); empty for every row

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the totals read: an update of any other records nothing."""
        return tuple(dict.fromkeys(column for moment in self.moments for column in moment.columns))


_MOVES_A_CASE = ("held_in_escrow", "reporting_unit_id")  # out of the figures, or to another unit

COUNTED = (
    Counted(
        "case",
        "cases_case",
        (
            # The month of receipt: category, reporter role, anonymity, and the durations.
            Moment(
                "X.received_at",
                (
                    "received_at",
                    "category",
                    "anonymous",
                    "acknowledged_at",
                    "feedback_given_at",
                    "closed_at",
                    *_MOVES_A_CASE,
                ),
            ),
            # The month of closing: outcome and finding.
            Moment("X.closed_at", ("closed_at", "outcome", "finding", *_MOVES_A_CASE)),
        ),
    ),
    # The first report's role is the case's: placed in the month its case was received.
    Counted(
        "report",
        "cases_report",
        (Moment("(SELECT received_at FROM cases_case WHERE id = X.case_id)", ("case_id", "role", "submitted_at")),),
    ),
    Counted("escalation", "cases_escalation", (Moment("X.at", ("case_id", "step", "at")),)),
    Counted("appeal", "cases_appeal", (Moment("X.filed_at", ("case_id", "resolution", "filed_at")),)),
    Counted("flag", "watch_retaliationflag", (Moment("X.raised_at", ("case_id", "state", "raised_at")),)),
    Counted(
        "alert",
        "audit_auditevent",
        (Moment("X.at", ("event_type", "at")),),
        only=f"X.event_type = {REPEAT_OFFENDER_ALERT}",
    ),
)

# A case's escalations, appeals and flags are counted in its unit and only while it is not
# held in escrow: when either changes, their days are recorded too.
_DEPENDANTS = (
    "SELECT at AS m FROM cases_escalation WHERE case_id = NEW.id"
    " UNION ALL SELECT filed_at FROM cases_appeal WHERE case_id = NEW.id"
    " UNION ALL SELECT raised_at FROM watch_retaliationflag WHERE case_id = NEW.id"
)

_EVENTS = (("inserted", "INSERT", ("NEW",)), ("updated", "UPDATE", ("OLD", "NEW")), ("deleted", "DELETE", ("OLD",)))


def _of(sql: str, alias: str) -> str:
    return sql.replace("X.", f"{alias}.")


def _when(counted: Counted, event: str, postgres: bool) -> str:
    """The trigger's condition: the row is counted, and (on update) a column the totals read changed."""
    parts = []
    if counted.only:
        aliases = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}[event]
        parts.append("(" + " OR ".join(_of(counted.only, alias) for alias in aliases) + ")")
    if event == "UPDATE":
        parts.append(f"({triggers.changed(counted.columns, postgres=postgres)})")
    return " AND ".join(parts)


# --- SQLite: the days straight into the table, in each trigger --------------------------------

_SQLITE_RECORD = (
    "INSERT OR IGNORE INTO analytics_changedday (day, writer) SELECT date(m), 0 FROM ({rows}) WHERE m IS NOT NULL;"
)


def _sqlite_rows(counted: Counted, aliases: tuple[str, ...]) -> str:
    """SELECTs of the moments to record, one per alias and moment; on update only the moments whose columns changed."""
    selects = []
    for moment in counted.moments:
        condition = f" WHERE {triggers.changed(moment.columns, postgres=False)}" if len(aliases) == 2 else ""
        selects += [f"SELECT {_of(moment.sql, alias)} AS m{condition}" for alias in aliases]
    return " UNION ALL ".join(selects)


def _sqlite_add() -> list[str]:
    statements = []
    for counted in COUNTED:
        for suffix, event, aliases in _EVENTS:
            body = [_SQLITE_RECORD.format(rows=_sqlite_rows(counted, aliases))]
            if counted.name == "case" and event == "UPDATE":
                dependants = f"SELECT date(m), 0 FROM ({_DEPENDANTS}) WHERE m IS NOT NULL"  # noqa: S608 - fixed SQL, nothing from outside
                body.append(
                    f"INSERT OR IGNORE INTO analytics_changedday (day, writer) {dependants}"
                    f" AND ({triggers.changed(_MOVES_A_CASE, postgres=False)});"
                )
            when = _when(counted, event, postgres=False)
            statements.append(
                f"CREATE TRIGGER analytics_{counted.name}_{suffix} AFTER {event} ON {counted.table} FOR EACH ROW"
                + (f" WHEN {when}" if when else "")
                + " BEGIN "
                + " ".join(body)
                + " END"
            )
    return statements


def _sqlite_remove() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS analytics_{counted.name}_{suffix}" for counted in COUNTED for suffix, *_ in _EVENTS
    ]


# --- PostgreSQL: one function per table, the days keyed by the writing transaction ------------

# txid_current(): the top-level transaction, savepoints included. Two transactions never
# share a row, so neither can take away a day the other has recorded but not committed.
_POSTGRES_RECORD = """CREATE OR REPLACE FUNCTION analytics_record_days(VARIADIC moments timestamptz[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO analytics_changedday (day, writer)
    SELECT DISTINCT (m AT TIME ZONE 'UTC')::date, txid_current() FROM unnest(moments) AS m WHERE m IS NOT NULL
    ON CONFLICT DO NOTHING
$$"""


def _postgres_function(counted: Counted) -> str:
    inserted = ", ".join(_of(moment.sql, "NEW") for moment in counted.moments)
    deleted = ", ".join(_of(moment.sql, "OLD") for moment in counted.moments)
    updated = "".join(
        f"""
        IF {triggers.changed(moment.columns, postgres=True)} THEN
            PERFORM analytics_record_days({_of(moment.sql, "OLD")}, {_of(moment.sql, "NEW")});
        END IF;"""
        for moment in counted.moments
    )
    if counted.name == "case":
        updated += f"""
        IF {triggers.changed(_MOVES_A_CASE, postgres=True)} THEN
            PERFORM analytics_record_days(VARIADIC ARRAY(SELECT m FROM ({_DEPENDANTS}) AS dependants));
        END IF;"""  # noqa: S608 - fixed SQL, nothing from outside
    return f"""CREATE OR REPLACE FUNCTION analytics_{counted.name}_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM analytics_record_days({inserted});
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM analytics_record_days({deleted});
    ELSE{updated}
    END IF;
    RETURN NULL;
END
$$"""


def _postgres_add() -> list[str]:
    statements = [_POSTGRES_RECORD]
    for counted in COUNTED:
        statements.append(_postgres_function(counted))
        for suffix, event, _aliases in _EVENTS:
            when = _when(counted, event, postgres=True)
            statements.append(
                f"CREATE TRIGGER analytics_{counted.name}_{suffix} AFTER {event} ON {counted.table} FOR EACH ROW"
                + (f" WHEN ({when})" if when else "")
                + f" EXECUTE FUNCTION analytics_{counted.name}_changed()"
            )
    return statements


def _postgres_remove() -> list[str]:
    statements = [
        f"DROP TRIGGER IF EXISTS analytics_{counted.name}_{suffix} ON {counted.table}"
        for counted in COUNTED
        for suffix, *_ in _EVENTS
    ]
    statements += [f"DROP FUNCTION IF EXISTS analytics_{counted.name}_changed()" for counted in COUNTED]
    statements.append("DROP FUNCTION IF EXISTS analytics_record_days(timestamptz[])")
    return statements


# (table, trigger) of every trigger `TRIGGER_SET.add` makes, on either database.
TRIGGERS = frozenset(
    (counted.table, f"analytics_{counted.name}_{suffix}") for counted in COUNTED for suffix, *_ in _EVENTS
)


def _every_month_stale(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Every month stale: the totals stored before the triggers were made can no longer be trusted."""
    schema_editor.execute("UPDATE analytics_month SET stale = %s", [True])


# Without them the dashboard would keep showing months it believes current: `ombuds
# serve` refuses to start, and the test suite checks a freshly migrated database. Before
# the stored totals' tables exist nothing is missing yet.
TRIGGER_SET = triggers.TriggerSet(
    triggers=TRIGGERS,
    sqlite_add=tuple(_sqlite_add()),
    sqlite_remove=tuple(_sqlite_remove()),
    postgres_add=tuple(_postgres_add()),
    postgres_remove=tuple(_postgres_remove()),
    after_add=_every_month_stale,
    needs_table="analytics_changedday",
    lacking="the analytics' stored totals lack their change triggers",
    migrate_back_to=("analytics", "0001"),
)
