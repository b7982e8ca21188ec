"""How many people each unit has, kept by the database as people are written.

The dashboard's figures per 100 employees, and the rule that merges a unit with fewer
people than the threshold into its parent (ombuds.analytics.figures.Units), need every
unit's head count: everyone not marked as having left, by the unit they are placed in.
Counting the directory each time grows with it (a fifth of a second for 200,000 people),
so the database keeps the counts itself (HeadCount): triggers on the directory's people
add one to a unit when someone joins it or stops being "left", and take one away when
someone leaves it, is marked "left" or is deleted. Every writer is seen (a form, an
import's bulk statements, a queryset update, raw SQL), the counts are written in the
same transaction as the change, and a rolled-back change takes its counts with it.

SQLite drops a table's triggers when a migration rebuilds the table: a migration that
alters directory_person calls `TRIGGER_SET.add` again, which also counts everyone
afresh, and `ombuds serve` refuses to start without them (`TRIGGER_SET.missing`).
"""

from __future__ import annotations

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from ombuds.lib import triggers

# HeadCount.unit for the people placed in no unit: no unit has the id 0.
NO_UNIT = 0

# Frozen here as the migration that makes them: PersonStatus.LEFT.
_LEFT = "left"


def _counted(alias: str) -> str:
    return f"{alias}.status <> '{_LEFT}'"


def _unit(alias: str) -> str:
    return f"COALESCE({alias}.unit_id, {NO_UNIT})"


_COUNT = triggers.KeptCount(
    name="directory_head_count",
    table="directory_person",
    into="directory_headcount",
    key=("unit",),
    count="people",
    key_of=_unit,
    counted=_counted,
    sqlite_changed="OLD.unit_id IS NOT NEW.unit_id OR OLD.status IS NOT NEW.status",
    postgres_changed="OLD.unit_id IS DISTINCT FROM NEW.unit_id OR OLD.status IS DISTINCT FROM NEW.status",
)

# Everyone counted afresh, as the triggers would have counted them.
RECOUNT = [
    "DELETE FROM directory_headcount",
    f"INSERT INTO directory_headcount (unit, people) SELECT {_unit('p')}, COUNT(*)"  # noqa: S608 - fixed SQL
    f" FROM directory_person p WHERE {_counted('p')} GROUP BY {_unit('p')}",
]


def _recount(schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in RECOUNT:
        schema_editor.execute(statement)


# Its `add` makes them (again) and counts everyone afresh, in the migration's transaction.
# Without them the head counts would drift from the directory.
TRIGGER_SET = _COUNT.trigger_set(
    after_add=_recount,
    lacking="the directory lacks the triggers that keep each unit's head count",
    migrate_back_to=("directory", "0002"),
)


def counts() -> dict[int | None, int]:
    """The people of each unit (None: placed in no unit), everyone but those who left; units with nobody left out."""
    from ombuds.directory.models import HeadCount

    return {
        (None if unit == NO_UNIT else unit): people
        for unit, people in HeadCount.objects.exclude(people=0).values_list("unit", "people")
    }
