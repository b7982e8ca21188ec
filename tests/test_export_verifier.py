"""Exports built with the audit library pass the independent verifier, and tampered ones fail it.

The export writer itself comes with the audit trail; `write_export` below builds the
directory described in docs/audit-log.md from the library's parts (canonical JSON,
the Merkle builder, signed tree heads), and tests/independent_verifier.py, written
from that page alone, checks it.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from ombuds.audit import merkle, sth
from ombuds.audit.canonical import canonical
from tests.independent_verifier import main as verifier_main
from tests.independent_verifier import verify_export

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ORGANISATION_KEY = SigningKey(hashlib.sha256(b"test organisation key").digest())
OTHER_KEY = SigningKey(hashlib.sha256(b"someone else's key").digest())
ACTIONS = ["report_filed", "case_viewed", "case_acknowledged", "message_sent", "case_assigned"]


def event(index: int, **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "index": index,
        "time": (START + timedelta(minutes=index)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "actor": {"kind": "staff", "id": 7 + index % 3},
        "action": ACTIONS[index % len(ACTIONS)],
        "object": {"case": f"C-{index % 4:08d}"},
        "details": {"note_id": index, "unit": "研发部"},
    }
    fields.update(changes)
    return fields


def events(count: int) -> list[dict[str, object]]:
    return [event(index) for index in range(count)]


def entry_line(index: int, leaf: bytes) -> bytes:
    return canonical({"index": index, "leaf": leaf.decode("utf-8")}) + b"\n"


def write_export(
    directory: Path,
    log: Sequence[dict[str, object]],
    sizes: Sequence[int],
    key: SigningKey = ORGANISATION_KEY,
    *,
    first_size_signed: int = 0,
    signed_at: dict[int, datetime] | None = None,
) -> None:
    """Write the export directory of docs/audit-log.md: entries, tree heads at `sizes`, public key.

    Tree heads for sizes below `first_size_signed` are left out (a caller adds its
    own); `signed_at` gives the time of a tree head by its size.
    """
    leaves = [canonical(item) for item in log]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "entries.jsonl").write_bytes(b"".join(entry_line(i, leaf) for i, leaf in enumerate(leaves)))
    lines = []
    for size, root in merkle.roots_at(leaves, sizes):
        if size < first_size_signed:
            continue
        moment = (signed_at or {}).get(size, START + timedelta(hours=1, minutes=size))
        head = sth.TreeHead.at(moment, tree_size=size, root_hash=root)
        lines.append(sth.sign(head, key).to_bytes() + b"\n")
    with (directory / "sths.jsonl").open("ab") as handle:
        handle.write(b"".join(lines))
    (directory / "public_key").write_text(sth.public_key_text(key.verify_key) + "\n", encoding="ascii")


def every_size(count: int) -> list[int]:
    return list(range(1, count + 1))


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(0, [0]), (1, [1]), (3, [2, 3]), (10, every_size(10)), (10, [0, 3, 3, 6, 10]), (1030, [5, 1024, 1029, 1030])],
)
def test_it_accepts_an_untouched_export(tmp_path: Path, count: int, sizes: list[int]) -> None:
    write_export(tmp_path, events(count), sizes)
    verdict = verify_export(tmp_path, sth.public_key_text(ORGANISATION_KEY.verify_key))
    assert verdict.ok, verdict.reason
    assert verdict.reason == f"{count} events, all covered by good signed tree heads"


def _change_one_byte_of_a_leaf(directory: Path) -> None:
    lines = _lines(directory / "entries.jsonl")
    changed = lines[5].replace(b"09:05:00Z", b"09:05:01Z", 1)
    assert len(changed) == len(lines[5]) and changed != lines[5]
    lines[5] = changed
    _write_lines(directory / "entries.jsonl", lines)


def _break_the_json_of_a_leaf(directory: Path) -> None:
    lines = _lines(directory / "entries.jsonl")
    lines[5] = lines[5].replace(b'\\"index\\":5', b'\\"index\\":5.', 1)
    _write_lines(directory / "entries.jsonl", lines)


def _delete_a_line(directory: Path) -> None:
    lines = _lines(directory / "entries.jsonl")
    del lines[4]
    _write_lines(directory / "entries.jsonl", lines)


def _swap_two_lines(directory: Path) -> None:
    lines = _lines(directory / "entries.jsonl")
    lines[3], lines[6] = lines[6], lines[3]
    _write_lines(directory / "entries.jsonl", lines)


def _insert_a_line(directory: Path) -> None:
    lines = _lines(directory / "entries.jsonl")
    lines.insert(4, entry_line(4, canonical(event(4, action="case_closed"))))
    _write_lines(directory / "entries.jsonl", lines)


def _insert_a_line_and_renumber_the_rest(directory: Path) -> None:
    log = events(12)
    log.insert(4, event(4, action="case_closed"))
    relabelled = [{**item, "index": index} for index, item in enumerate(log)]
    leaves = [canonical(item) for item in relabelled]
    (directory / "entries.jsonl").write_bytes(b"".join(entry_line(i, leaf) for i, leaf in enumerate(leaves)))


def _rewrite_the_tail_and_resign_with_another_key(directory: Path) -> None:
    log = events(7) + [event(index, action="case_viewed") for index in range(7, 12)]
    (directory / "sths.jsonl").write_bytes(b"".join(_lines(directory / "sths.jsonl")[:7]))
    # The forger re-signs every tree head from size 8 on, and cannot use the organisation's key.
    write_export(directory, log, every_size(12), OTHER_KEY, first_size_signed=8)
    (directory / "public_key").write_text(sth.public_key_text(ORGANISATION_KEY.verify_key) + "\n", encoding="ascii")


def _remove_the_last_event(directory: Path) -> None:
    _write_lines(directory / "entries.jsonl", _lines(directory / "entries.jsonl")[:-1])


def _cut_the_last_line_short(directory: Path) -> None:
    content = (directory / "entries.jsonl").read_bytes()
    (directory / "entries.jsonl").write_bytes(content[:-20])


def _change_a_signed_root(directory: Path) -> None:
    lines = _lines(directory / "sths.jsonl")
    head = json.loads(lines[6])
    head["root_hash"] = "0" * 64
    lines[6] = json.dumps(head).encode() + b"\n"
    _write_lines(directory / "sths.jsonl", lines)


def _swap_two_tree_heads(directory: Path) -> None:
    lines = _lines(directory / "sths.jsonl")
    lines[8], lines[9] = lines[9], lines[8]
    _write_lines(directory / "sths.jsonl", lines)


def _drop_the_last_tree_head(directory: Path) -> None:
    _write_lines(directory / "sths.jsonl", _lines(directory / "sths.jsonl")[:-1])


def _append_an_unsigned_event(directory: Path) -> None:
    with (directory / "entries.jsonl").open("ab") as handle:
        handle.write(entry_line(12, canonical(event(12))))


@pytest.mark.parametrize(
    ("tamper", "first_bad_index"),
    [
        (_change_one_byte_of_a_leaf, 5),
        (_break_the_json_of_a_leaf, 5),
        (_delete_a_line, 4),
        (_swap_two_lines, 3),
        (_insert_a_line, 4),
        (_insert_a_line_and_renumber_the_rest, 4),
        (_rewrite_the_tail_and_resign_with_another_key, 7),
        (_remove_the_last_event, 11),
        (_cut_the_last_line_short, 11),
        (_change_a_signed_root, 6),
        (_swap_two_tree_heads, 10),
        (_drop_the_last_tree_head, 11),
        (_append_an_unsigned_event, 12),
    ],
)
def test_it_finds_the_first_tampered_event_when_every_size_is_signed(
    tmp_path: Path, tamper: Callable[[Path], None], first_bad_index: int
) -> None:
    write_export(tmp_path, events(12), every_size(12))
    assert verify_export(tmp_path).ok
    tamper(tmp_path)
    verdict = verify_export(tmp_path, sth.public_key_text(ORGANISATION_KEY.verify_key))
    assert (verdict.first_bad_index, verdict.ok) == (first_bad_index, False), verdict.reason


def test_it_narrows_a_change_down_to_the_tree_heads_around_it(tmp_path: Path) -> None:
    write_export(tmp_path, events(12), [3, 6, 10, 12])
    _change_one_byte_of_a_leaf(tmp_path)
    verdict = verify_export(tmp_path)
    # Event 5 changed; the heads say events 0-2 are intact and something in 3-5 is not.
    assert verdict.first_bad_index == 3
    assert "sths.jsonl line 1: the root of 6 events does not match" in verdict.reason


def test_it_needs_the_trusted_key_to_catch_a_forger_who_replaced_the_public_key_too(tmp_path: Path) -> None:
    write_export(tmp_path, events(12), every_size(12))
    (tmp_path / "sths.jsonl").unlink()
    forged = events(7) + [event(index, action="case_viewed") for index in range(7, 12)]
    write_export(tmp_path, forged, every_size(12), OTHER_KEY)
    # Everything is consistent with the key in the directory ...
    assert verify_export(tmp_path).ok
    # ... so only the key obtained from the organisation shows the forgery.
    verdict = verify_export(tmp_path, sth.public_key_text(ORGANISATION_KEY.verify_key))
    assert (verdict.first_bad_index, verdict.reason) == (0, "public_key is not the trusted key")


def test_it_refuses_an_export_without_any_tree_head(tmp_path: Path) -> None:
    write_export(tmp_path, events(2), [])
    verdict = verify_export(tmp_path)
    assert (verdict.first_bad_index, verdict.reason) == (0, "sths.jsonl holds no tree head")


def test_it_refuses_a_leaf_that_is_not_canonical_even_if_it_was_signed_so(tmp_path: Path) -> None:
    # A writer that signed non-canonical bytes breaks the format, whatever the signature says.
    leaves = [canonical(item) for item in events(3)]
    leaves[1] = json.dumps(events(3)[1]).encode()
    (tmp_path / "entries.jsonl").write_bytes(b"".join(entry_line(i, leaf) for i, leaf in enumerate(leaves)))
    head = sth.TreeHead.at(START, tree_size=3, root_hash=merkle.root(merkle.leaf_hashes(leaves)))
    (tmp_path / "sths.jsonl").write_bytes(sth.sign(head, ORGANISATION_KEY).to_bytes() + b"\n")
    (tmp_path / "public_key").write_text(sth.public_key_text(ORGANISATION_KEY.verify_key) + "\n", encoding="ascii")
    verdict = verify_export(tmp_path)
    assert (verdict.first_bad_index, verdict.reason) == (1, "entries.jsonl line 1: the leaf is not canonical JSON")


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.data())
def test_any_one_changed_byte_is_caught(count: int, data: st.DataObject) -> None:
    sizes = sorted({*data.draw(st.lists(st.integers(min_value=0, max_value=count), max_size=6)), count})
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        write_export(directory, events(count), sizes)
        assert verify_export(directory).ok
        target = directory / data.draw(st.sampled_from(["entries.jsonl", "sths.jsonl", "public_key"]))
        content = bytearray(target.read_bytes())
        position = data.draw(st.integers(min_value=0, max_value=len(content) - 1))
        content[position] = data.draw(st.integers(min_value=0, max_value=255).filter(lambda b: b != content[position]))
        target.write_bytes(bytes(content))
        assert not verify_export(directory, sth.public_key_text(ORGANISATION_KEY.verify_key)).ok


def test_the_command_line_says_where_it_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_export(tmp_path, events(12), every_size(12))
    assert verifier_main([str(tmp_path)]) == 0
    assert capsys.readouterr().out == "OK: 12 events, all covered by good signed tree heads\n"
    _delete_a_line(tmp_path)
    assert verifier_main([str(tmp_path)]) == 1
    assert capsys.readouterr().out.startswith("FAILED at event 4: entries.jsonl line 4:")


# --- The worked example of docs/audit-log.md ---------------------------------------------

DOC = (ROOT / "docs" / "audit-log.md").read_text(encoding="utf-8")
EXAMPLE_KEY = SigningKey(hashlib.sha256(b"ombuds audit log example key").digest())


def _doc_block_after(title: str, language: str = "") -> str:
    match = re.search(re.escape(title) + r".*?```" + language + r"\n(.*?)```", DOC, re.DOTALL)
    assert match, f"no code block after {title!r} in docs/audit-log.md"
    return match.group(1)


def _example_events() -> list[bytes]:
    return [line.encode() for line in _doc_block_after("with their\nleaf bytes:").splitlines()]


def test_the_documented_example_is_what_the_library_writes(tmp_path: Path) -> None:
    leaves = _example_events()
    assert [canonical(json.loads(leaf)) for leaf in leaves] == leaves
    signed_at = {2: datetime(2026, 12, 1, 9, 15, tzinfo=UTC), 3: datetime(2026, 12, 1, 10, 0, tzinfo=UTC)}
    write_export(tmp_path, [json.loads(leaf) for leaf in leaves], [2, 3], EXAMPLE_KEY, signed_at=signed_at)
    for name in ["entries.jsonl", "sths.jsonl", "public_key"]:
        assert _doc_block_after(f"`{name}`\n").encode() == (tmp_path / name).read_bytes(), name
    assert verify_export(tmp_path, "/0DeyZSqS5FtPhPxeyNsCpyvPnRZIsHlve2b7Jetxcs=").ok
    hashes = merkle.leaf_hashes(leaves)
    for name, value in [
        ("h0  ", hashes[0]),
        ("h1  ", hashes[1]),
        ("h2  ", hashes[2]),
        ("h01 ", merkle.node_hash(hashes[0], hashes[1])),
        ("root", merkle.root(hashes)),
    ]:
        assert f"{name} = {value.hex()}" in DOC
    assert merkle.inclusion_proof(hashes, 1) == [hashes[0], hashes[2]]
    assert merkle.consistency_proof(hashes, 2) == [hashes[2]]


def test_the_documented_lines_of_python_verify_the_example() -> None:
    code = _doc_block_after("check the second tree head by hand:", "python")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout) == (0, "tree head of 3 events verified\n"), result.stderr


def test_the_documented_canonical_example_is_right() -> None:
    assert canonical({"b": 1, "a": {"名": "Zoë", "x": [True, None]}}).decode() in DOC
    assert '`{"a":{"x":[true,null],"名":"Zoë"},"b":1}`' in DOC
