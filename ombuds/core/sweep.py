"""One pass of the background sweeper over every app that has periodic work.

The sweeper is the top of the layers: it calls each app's own hook, so no app reaches
into another's tables to tidy them.
"""

from __future__ import annotations

from datetime import datetime

from ombuds.accounts.sweep import purge_login_records
from ombuds.analytics import overdue as analytics_overdue
from ombuds.analytics import sheets as analytics_sheets
from ombuds.analytics import stored as analytics_totals
from ombuds.audit import log, tree_heads, witness
from ombuds.cases import content
from ombuds.cases import sweeps as case_sweeps
from ombuds.cases.actions import escrow as escrow_actions
from ombuds.core import heartbeat
from ombuds.intake import access
from ombuds.policies import actions as policy_actions
from ombuds.retention import actions as retention


def run(now: datetime) -> case_sweeps.SweepResult:
    """Escalate missed deadlines, hand over due notices, and drop what has expired.

    Anonymous reporters' audit events whose batch boundary has passed enter the log first,
    so the ladder's own events come after them; a tree head is signed over them at once,
    so a reporter's proof of filing is ready. Tree heads are signed at least every minute
    while the log grows, and sent to the witnesses on their schedule. Last, the
    cases that fell due in the hours since the last pass are added to the kept overdue
    counts, the analytics' stale monthly totals are counted again, and the last twelve months' suppressed
    cells decided where missing, each for a bounded time, and the present's cells for the counts of now.
    """
    if log.release_pending(now):
        tree_heads.sign_current(now)
    result = case_sweeps.sweep(now)
    purge_login_records(now)
    access.purge_expired(now)
    escrow_actions.sweep_expired(now)
    retention.sweep(now)
    content.remove_orphan_files(now)
    tree_heads.sign_if_due(now)
    witness.send_if_due(now)
    policy_actions.queue_due_reminders(now)
    # Last: the deadlines above never wait for the dashboard's counting.
    analytics_overdue.fold(now)
    analytics_totals.refresh(now)
    analytics_totals.forget_kept_durations(now)
    analytics_sheets.prepare(now)
    analytics_sheets.prepare_present()
    # A write on every pass, so the database files' times never show when a reporter last wrote.
    heartbeat.beat()
    return result
