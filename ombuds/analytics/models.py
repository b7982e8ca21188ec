"""Stored monthly totals for the dashboard, and each month's suppression decided once.

Counts only: a unit id, a month, a category or outcome code and a number. Nothing
reporter-provided is stored here (docs/analytics.md, "Stored monthly totals").
"""

from __future__ import annotations

from django.db import models


class Month(models.Model):
    """A calendar month whose totals are stored, counted in the organisation's time zone `zone`.

    `stale` is set when a case, report, escalation, appeal, flag or alert of the month
    changed (as ChangedDay tells); the next dashboard that needs the month counts it again.
    """

    month = models.CharField(max_length=7, primary_key=True)  # "YYYY-MM"
    zone = models.CharField(max_length=64)
    stale = models.BooleanField(default=False)
    built_at = models.DateTimeField()
    # Dimension -> SHA-256 of the month's stored rows of it, made when the month is
    # counted: the dashboard finds each month's kept suppression by it without hashing the
    # rows on every request (stored.digests). Empty for months counted before it existed.
    digests = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.month


class MonthlyCount(models.Model):
    """How many cases (escalations, appeals...) of a month, in a directory unit, have one value of a dimension."""

    month = models.CharField(max_length=7)
    dimension = models.CharField(max_length=32)
    unit = models.BigIntegerField(null=True)  # a directory unit id; None: no unit known
    value = models.CharField(max_length=64)  # the value, as JSON
    count = models.PositiveIntegerField()

    class Meta:
        # Covering: the dashboard reads every column of its months' rows from the index alone (stored.counts).
        indexes = [models.Index(fields=["month", "dimension", "unit", "value", "count"], name="analytics_count_cells")]

    def __str__(self) -> str:
        return f"{self.month} {self.dimension} {self.unit} {self.value}: {self.count}"


class MonthlyDuration(models.Model):
    """How many cases received in a month took a number of tenths of a day to be acknowledged (answered, closed).

    Rows with `whole` count every case of the month whatever its unit (for the whole
    organisation); the others count the cases of one directory unit.
    """

    month = models.CharField(max_length=7)
    key = models.CharField(max_length=16)
    whole = models.BooleanField()
    unit = models.BigIntegerField(null=True)
    tenths = models.BigIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["month", "key", "whole"], name="analytics_duration_month")]

    def __str__(self) -> str:
        return f"{self.month} {self.key} {self.unit} {self.tenths}: {self.count}"


class Decision(models.Model):
    """One month's suppression of one table, kept for the exact counts and directory it was decided on.

    `digest` is the SHA-256 of everything the decision depends on (threshold, reporting
    units, values, the month's counts, the totals forced hidden); `suppressed` lists the
    cells hidden to protect others, as JSON. Counts below the threshold follow from the
    counts themselves.
    """

    digest = models.CharField(max_length=64, primary_key=True)
    suppressed = models.TextField()
    used_on = models.DateField(db_index=True)

    def __str__(self) -> str:
        return self.digest


class Sheet(models.Model):
    """One reporting unit's suppressed cells of one month, for every dated dimension (ombuds.analytics.sheets).

    `key` is the SHA-256 of everything the month's cells depend on (its stored counts as
    Month.digests names them, the reporting units, the threshold, each dimension's
    values); `cells` is JSON: dimension -> [[value, count, state], ...], only the cells
    that count something or are hidden (any other is a shown zero). Counts and states
    only. Every sheet has a row for the whole organisation (unit 0), which says it exists.
    The month "now" holds the one sheet of the present's figures (cases overdue now,
    measures in force, escrow), keyed by the counts it was decided on.
    """

    key = models.CharField(max_length=64)
    month = models.CharField(max_length=7)
    unit = models.BigIntegerField()  # a reporting unit; 0: the whole organisation
    cells = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "unit"], name="analytics_sheet_once")]
        indexes = [models.Index(fields=["month"], name="analytics_sheet_month")]

    def __str__(self) -> str:
        return f"{self.month} {self.unit}"


class ChangedDay(models.Model):
    """A UTC calendar day on which a row the stored totals count was written, not yet taken into account.

    Written by the database's own triggers (migration 0002_change_triggers), never by
    Python: every INSERT, UPDATE and DELETE of a counted row, whatever makes it, records
    the days of its moments, before and after. `writer` is the writing transaction on
    PostgreSQL (0 on SQLite, whose writers take turns), so that a day recorded by a
    transaction still running is never taken away with one already counted
    (stored.absorb_changes, docs/analytics.md). A flood of changes costs one row per
    distinct day and transaction.
    """

    day = models.DateField()
    writer = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "writer"], name="analytics_changed_day_once")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"


class OverdueCount(models.Model):
    """The open cases not held in escrow whose deadline is before the boundary, by unit and handler.

    Written only by the database's triggers and the sweeper's fold (ombuds.analytics.overdue),
    never by a request. `unit` and `assignee` are ids, overdue.NOBODY for none.
    """

    unit = models.BigIntegerField()
    assignee = models.BigIntegerField()
    cases = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "assignee"], name="analytics_overdue_once")]

    def __str__(self) -> str:
        return f"{self.unit}/{self.assignee}: {self.cases}"


class OverdueBoundary(models.Model):
    """The one row (id 1): OverdueCount counts the cases whose deadline is before this moment."""

    boundary_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.boundary_at:%Y-%m-%d %H:%M}"


class PeriodDurations(models.Model):
    """One duration's histogram summed over a period's months and some units, kept by its key (stored.durations).

    The key names the months' stored histograms (by their digests), the duration and the
    units; `histogram` is JSON [[tenths of a day, count], ...]. Counts only.
    """

    key = models.CharField(max_length=64, unique=True)
    histogram = models.TextField()
    made_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
