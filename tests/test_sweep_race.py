"""Two worker processes race over 1,000 due deadlines: every step happens exactly once."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.realserver import PROJECT_ROOT, RealServer

CASES = 1000

SEED = textwrap.dedent(
    """
    import django
    django.setup()
    from django.contrib.auth.models import Group, User
    from ombuds.cases import actions
    handler = User.objects.create_user(username="h@example.org", email="h@example.org")
    handler.groups.add(Group.objects.get_or_create(name="handler")[0])
    lead = User.objects.create_user(username="l@example.org", email="l@example.org")
    lead.groups.add(Group.objects.get_or_create(name="lead_handler")[0])
    actions.configure_organisation(ack_deadline="PT1S", feedback_deadline="P1D")
    for i in range({cases}):
        actions.file_report(category="bullying", role="witness", narrative="n", anonymous=False, reporter_name="r")
    """
).format(cases=CASES)


@pytest.mark.server
def test_two_workers_take_every_step_exactly_once(tmp_path: Path) -> None:
    server = RealServer(tmp_path, os.environ.get("DATABASE_URL") or None)
    try:
        server.create_database()
        server.migrate()
        env = server.environment()
        subprocess.run([sys.executable, "-c", SEED], cwd=PROJECT_ROOT, env=env, check=True, timeout=300)
        # Every case now has three steps due: the acknowledgement reminder and its escalation to
        # the lead, and the feedback reminder (feedback is due within a day, the reminder 48 h before).
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "ombuds", "sweep", "--until-idle"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [worker.communicate(timeout=600) for worker in workers]
        for worker, (_out, err) in zip(workers, outputs, strict=True):
            assert worker.returncode == 0, err[-2000:]
        taken = [int(out.split()[0]) for out, _err in outputs]
        collisions = [int(out.split(",")[2].split()[0]) for out, _err in outputs]
        expected = CASES * 3
        assert sum(taken) == expected  # between them, every step once
        # They really raced: both took steps, or one found steps the other had just taken.
        assert min(taken) > 0 or sum(collisions) > 0, (taken, collisions)
        ((steps,),) = server.query("SELECT COUNT(*) FROM cases_escalation")
        assert steps == expected
        ((distinct,),) = server.query(
            "SELECT COUNT(*) FROM (SELECT DISTINCT case_id, deadline, step FROM cases_escalation) AS s"
        )
        assert distinct == expected
        ((events,),) = server.query("SELECT COUNT(*) FROM audit_auditevent WHERE event_type IN (40, 41)")
        assert events == expected
        ((notices,),) = server.query("SELECT COUNT(*) FROM cases_notice WHERE kind IN ('deadline_near', 'escalated')")
        assert notices == expected
        ((unsent,),) = server.query("SELECT COUNT(*) FROM cases_notice WHERE NOT sent")
        assert unsent == 0  # every notice, new-case ones included, was handed to the mailer once
    finally:
        server.drop_database()
