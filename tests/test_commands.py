"""The `ombuds` command, the demo seed, and `ombuds serve` stopping cleanly."""

import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from ombuds.cases.models import Organisation
from ombuds.directory.models import Person
from ombuds.investigations.models import InvestigationPolicy

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_seeding_the_demo_twice_changes_nothing_and_prints_the_logins(settings, tmp_path) -> None:
    settings.VAR_DIR = tmp_path
    first, second = StringIO(), StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    assert first.getvalue() == second.getvalue()
    assert "handler@demo.example" in first.getvalue()
    assert "oversight@demo.example" in first.getvalue()
    assert "hr@demo.example" in first.getvalue()  # the rehire checks have a demo login too
    assert "investigator@demo.example" in first.getvalue() and "investigator\n" in first.getvalue()
    assert get_user_model().objects.count() == 7
    investigator = get_user_model().objects.get(username="investigator@demo.example")
    assert list(investigator.groups.values_list("name", flat=True)) == ["investigator"]
    assert Person.objects.get(email="investigator@demo.example").user == investigator
    # Every demo login is someone in the directory (the recruiter had the investigator's employee id).
    unlinked = get_user_model().objects.filter(person__isnull=True).values_list("username", flat=True)
    assert list(unlinked) == []
    assert Organisation.objects.get().name == "Demo Organisation"
    email, password = (tmp_path / "demo-logins.txt").read_text().splitlines()[0].split(" ")
    assert get_user_model().objects.get(username=email).check_password(password)


@pytest.mark.django_db
def test_the_organisation_sets_the_standard_of_proof_of_its_investigations() -> None:
    out = StringIO()
    call_command("organisation", "set", "--standard-of-proof", "clear_and_convincing", stdout=out)
    assert "standard of proof:      clear_and_convincing" in out.getvalue()
    assert InvestigationPolicy.objects.get().standard_of_proof == "clear_and_convincing"
    with pytest.raises(CommandError):
        call_command("organisation", "set", "--standard-of-proof", "gut_feeling")
    assert InvestigationPolicy.objects.get().standard_of_proof == "clear_and_convincing"


def test_the_console_script_wraps_management_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ombuds", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    for command in ["migrate", "seed_demo", "serve", "db_worker"]:
        assert command in result.stdout


def test_the_makefile_finds_a_python_of_at_least_3_12() -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "find-python")], capture_output=True, text=True, timeout=30, check=True
    )
    path = result.stdout.strip()
    version = subprocess.run(
        [path, "-c", "import sys; print(sys.version_info[:2] >= (3, 12))"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == "True"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in result.stdout.split()]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.server
def test_serve_runs_web_and_worker_and_ctrl_c_stops_both(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMBUDS_")}
    env["OMBUDS_VAR_DIR"] = str(tmp_path)
    if "DATABASE_URL" in env:
        pytest.skip("uses its own SQLite database; PostgreSQL serving is covered by the durability test")
    subprocess.run(
        [sys.executable, "-m", "ombuds", "migrate", "--no-input"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ombuds", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # As a job in the background of a script is started: with SIGINT ignored. Ctrl-C
        # (SIGINT) must stop it all the same.
        preexec_fn=_ignore_sigint,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "serve said nothing within a minute"
        line = process.stdout.readline().decode()
        assert f"ombuds is serving on http://127.0.0.1:{port}/" in line
        # Said only once the port is bound: the very first request is answered, not refused. A
        # worker still importing the project on a busy machine answers it late, not never.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=90) as response:
            assert response.status == 200
        assert len(_children(process.pid)) == 3  # gunicorn, the task worker and the sweeper
        children = _children(process.pid)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        for child in children:
            with pytest.raises(ProcessLookupError):
                os.kill(child, 0)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_a_stop_kills_children_that_ignore_sigterm_within_one_allowance_for_all(monkeypatch) -> None:
    """Three children that ignore SIGTERM share one allowance and are then killed, none left running."""
    from ombuds.core.management.commands import serve

    monkeypatch.setattr(serve, "STOP_SECONDS", 2)
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(flush=True); time.sleep(120)"
    polite = "import time; print(flush=True); time.sleep(120)"
    processes = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) for code in (stubborn, polite, stubborn)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            process.stdout.readline()  # the handler is in place before the stop begins
        started = time.monotonic()
        serve._stop(processes)
        elapsed = time.monotonic() - started
        assert [p.returncode for p in processes] == [-signal.SIGKILL, -signal.SIGTERM, -signal.SIGKILL]
        # One allowance for all, not one each: with one each the two stubborn ones took 4 s or more.
        assert elapsed < 4
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
