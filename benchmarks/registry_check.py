"""The shared rehire registry's check, end to end on 127.0.0.1, with a million entries (the target is 50 ms).

The registry runs as `ombuds registry serve` (gunicorn) over its own SQLite file, into
which the entries are bulk-inserted directly (random entry keys of one member, plus the
one the checks look for). One check is what a member's ombuds does for one e-mail
address: blind it, have it evaluated (VOPRF, one proof), verify the proof against the
published key and finalise, then look the entry key up; two signed requests.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import closing, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from nacl.signing import SigningKey

from benchmarks.installation import PROJECT_ROOT, BenchError
from ombuds.crypto import match_keys, oprf
from ombuds.crypto.ristretto255 import Element
from ombuds.registry_service import protocol

HOST = "127.0.0.1"
CANDIDATE = "max.mustermann@example.com"
INSERT_BATCH = 50_000


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMBUDS_") and k != "DATABASE_URL"}
    env["OMBUDS_REGISTRY_SERVICE_VAR_DIR"] = str(root)
    return env


def _command(root: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ombuds", "registry", *args],
        cwd=PROJECT_ROOT,
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"ombuds registry {args[0]} failed: {result.stderr[-500:]}")
    return result.stdout


def _fill(database: Path, entries: int, wanted: str) -> None:
    today = datetime.now(UTC).date()
    expires = (today + timedelta(days=5 * 365)).isoformat()
    with closing(sqlite3.connect(database)) as conn:
        position = entries // 2
        made = 0
        while made < entries:
            count = min(INSERT_BATCH, entries - made)
            rows = [
                (wanted if made + i == position else secrets.token_hex(32), 1, today.isoformat(), expires)
                for i in range(count)
            ]
            conn.executemany(
                "INSERT INTO registry_service_entry (key, member_id, created_on, expires_on) VALUES (?, ?, ?, ?)",
                rows,
            )
            conn.commit()
            made += count
        conn.execute("ANALYZE")
        conn.commit()


class _Member:
    def __init__(self, url: str, key: SigningKey, public_key: Element) -> None:
        self.url = url
        self.key = key
        self.client = oprf.VOPRFClient(public_key)
        self.session = requests.Session()

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload).encode()
        headers = protocol.sign_headers(self.key, "POST", path, body, time.time())
        answer = self.session.post(self.url + path, data=body, headers=headers, timeout=10)
        if answer.status_code != 200:
            raise BenchError(f"the registry answered {answer.status_code} to {path}")
        result: dict[str, Any] = answer.json()
        return result

    def check(self, address: str) -> list[Any]:
        input_ = match_keys.email(address).oprf_input()
        blinded = self.client.blind(input_)
        answer = self._post("/v1/evaluate", {"blinded": [protocol.b64(blinded.blinded_element.to_bytes())]})
        evaluated = Element.from_bytes(protocol.unb64(answer["evaluated"][0]))
        proof = oprf.Proof.from_bytes(protocol.unb64(answer["proof"]))
        output = self.client.finalize(input_, blinded.blind, evaluated, blinded.blinded_element, proof)
        hits: list[Any] = self._post("/v1/lookup", {"keys": [protocol.entry_key(output)]})["hits"]
        return hits


def measure(root: Path, *, entries: int, checks: int) -> dict[str, float]:
    """Milliseconds of a whole check (median and 95th percentile) with `entries` entries in the registry."""
    root.mkdir(parents=True, exist_ok=True)
    _command(root, "keygen")
    _command(root, "migrate")
    member = SigningKey.generate()
    _command(
        root, "add-member", "--name", "Bench", "--public-key", protocol.b64(bytes(member.verify_key)),
        "--oversight-contact", "oversight@bench.example",
    )  # fmt: skip
    seed = protocol.read_key_file(root / "voprf_key", protocol.SEED_BYTES, "registry key")
    server = protocol.voprf_server(seed)
    wanted = protocol.entry_key(server.evaluate(match_keys.email(CANDIDATE).oprf_input()))
    _fill(root / "registry.sqlite3", entries, wanted)
    with closing(socket.socket()) as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "ombuds", "registry", "serve", "--bind", f"{HOST}:{port}", "--workers", "2"],
        cwd=PROJECT_ROOT,
        env=_env(root),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        client = _Member(f"http://{HOST}:{port}", member, server.public_key)
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(client.url + "/v1/public-key", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise BenchError("the registry did not start")
            time.sleep(0.1)
        if not client.check(CANDIDATE) or client.check("someone.else@example.com"):
            raise BenchError("the registry's check does not find what it should")
        timings = []
        for number in range(checks):
            address = CANDIDATE if number % 2 else f"candidate{number}@example.com"
            start = time.perf_counter()
            client.check(address)
            timings.append((time.perf_counter() - start) * 1000)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    timings.sort()
    return {
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[min(len(timings) - 1, int(len(timings) * 0.95))],
        "entries": entries,
        "checks": checks,
    }
