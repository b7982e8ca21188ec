"""Signed tree heads, and the signing key kept in its own file."""

from __future__ import annotations

import base64
import json
import re
import stat
from datetime import UTC, datetime, timedelta, timezone
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone as django_timezone
from nacl.signing import SigningKey

from ombuds.audit import merkle, sth
from ombuds.audit.signing_key import create_key_file, read_key_file, signing_key

ROOT = merkle.root(merkle.leaf_hashes([b"first event", b"second event", b"third event"]))


def _key() -> SigningKey:
    return SigningKey.generate()


def _head(size: int = 3, root: bytes = ROOT) -> sth.TreeHead:
    return sth.TreeHead(size, root, datetime(2026, 12, 1, 10, 0, tzinfo=UTC))


# --- Tree heads and their signatures -----------------------------------------------


def test_it_signs_the_canonical_json_of_exactly_the_three_keys() -> None:
    key = _key()
    signed = sth.sign(_head(), key)
    expected = b'{"root_hash":"' + ROOT.hex().encode() + b'","timestamp":"2026-12-01T10:00:00Z","tree_size":3}'
    assert signed.head.signed_bytes() == expected
    key.verify_key.verify(expected, signed.signature)  # raises if it were not the signature of these bytes


def test_it_writes_a_signed_tree_head_as_one_canonical_line_with_the_signature_in_base64() -> None:
    signed = sth.sign(_head(), _key())
    line = signed.to_bytes()
    assert b"\n" not in line
    written = json.loads(line)
    assert list(written) == ["root_hash", "signature", "timestamp", "tree_size"]
    assert base64.b64decode(written["signature"]) == signed.signature
    assert sth.parse(written) == signed


def test_it_verifies_a_signature_only_with_the_signers_public_key() -> None:
    key = _key()
    signed = sth.sign(_head(), key)
    assert sth.verify(signed, key.verify_key)
    assert not sth.verify(signed, _key().verify_key)


@pytest.mark.parametrize(
    "changed",
    [
        {"tree_size": 4},
        {"root_hash": merkle.EMPTY_ROOT},
        {"timestamp": datetime(2026, 12, 1, 10, 0, 1, tzinfo=UTC)},
    ],
)
def test_it_refuses_a_signature_once_any_field_of_the_head_changed(changed: dict[str, Any]) -> None:
    key = _key()
    signed = sth.sign(_head(), key)
    fields = {"tree_size": 3, "root_hash": ROOT, "timestamp": signed.head.timestamp, **changed}
    altered = sth.SignedTreeHead(sth.TreeHead(**fields), signed.signature)
    assert not sth.verify(altered, key.verify_key)


def test_it_refuses_a_signature_with_a_flipped_bit_or_the_wrong_length() -> None:
    key = _key()
    signed = sth.sign(_head(), key)
    flipped = bytes([signed.signature[0] ^ 1]) + signed.signature[1:]
    assert not sth.verify(sth.SignedTreeHead(signed.head, flipped), key.verify_key)
    assert not sth.verify(sth.SignedTreeHead(signed.head, signed.signature[:-1]), key.verify_key)


@time_machine.travel(datetime(2026, 12, 1, 10, 0, 0, 750_000, tzinfo=UTC), tick=False)
def test_it_stamps_a_head_in_utc_to_the_second() -> None:
    head = sth.TreeHead.at(django_timezone.now(), tree_size=3, root_hash=ROOT)
    assert head.as_json()["timestamp"] == "2026-12-01T10:00:00Z"
    shanghai = django_timezone.now().astimezone(timezone(timedelta(hours=8)))
    assert sth.TreeHead.at(shanghai, tree_size=3, root_hash=ROOT) == head


def test_it_refuses_a_head_that_is_not_exactly_representable() -> None:
    moment = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="UTC and in whole seconds"):
        sth.TreeHead(3, ROOT, moment.replace(microsecond=1))
    with pytest.raises(ValueError, match="UTC and in whole seconds"):
        sth.TreeHead(3, ROOT, moment.astimezone(timezone(timedelta(hours=1))))
    with pytest.raises(ValueError, match="UTC and in whole seconds"):
        sth.TreeHead(3, ROOT, moment.replace(tzinfo=None))
    with pytest.raises(ValueError, match="aware"):
        sth.TreeHead.at(moment.replace(tzinfo=None), tree_size=3, root_hash=ROOT)
    with pytest.raises(ValueError, match="32 bytes"):
        sth.TreeHead(3, ROOT[:-1], moment)
    with pytest.raises(ValueError, match="tree_size"):
        sth.TreeHead(-1, ROOT, moment)


def _written(**changes: object) -> dict[str, object]:
    data = sth.sign(_head(), _key()).as_json()
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (_written(extra=1), "exactly the keys"),
        (_written(signature=None), "exactly the keys"),
        (_written(tree_size="3"), "tree_size"),
        (_written(tree_size=True), "tree_size"),
        (_written(tree_size=-1), "tree_size"),
        (_written(root_hash=ROOT.hex().upper()), "root_hash"),
        (_written(root_hash=ROOT.hex()[:-2]), "root_hash"),
        (_written(timestamp="2026-12-01T10:00:00+00:00"), "timestamp"),
        (_written(timestamp="2026-12-01T10:00:00.5Z"), "timestamp"),
        (_written(timestamp="2026-02-30T10:00:00Z"), "not a real date"),
        (_written(timestamp="٢٠٢٦-12-01T10:00:00Z"), "timestamp"),
        (_written(signature="not base64!"), "base64"),
        (_written(signature=base64.b64encode(b"x" * 63).decode()), "64 bytes"),
        (_written(signature=base64.b64encode(b"x" * 64).decode().rstrip("=")), "base64"),
        (_written(signature=base64.urlsafe_b64encode(b"\xff" * 64).decode()), "base64"),
    ],
)
def test_it_refuses_a_written_head_that_is_not_in_the_exact_format(data: dict[str, object], complaint: str) -> None:
    with pytest.raises(sth.InvalidTreeHead, match=complaint):
        sth.parse(data)


def test_it_publishes_the_public_key_as_base64_of_its_32_bytes() -> None:
    key = _key()
    text = sth.public_key_text(key.verify_key)
    assert base64.b64decode(text) == bytes(key.verify_key)
    assert sth.parse_public_key(f"  {text}\n") == key.verify_key
    with pytest.raises(ValueError, match="32 bytes"):
        sth.parse_public_key(base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="base64"):
        sth.parse_public_key("not base64!")


# --- The signing key file ----------------------------------------------------------------


@pytest.fixture
def key_file(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "audit_signing_key"
    settings.OMBUDS_AUDIT_SIGNING_KEY_FILE = path
    settings.PRODUCTION = False
    return path


def test_it_creates_the_key_on_first_use_in_development_readable_only_by_its_owner(key_file: Path) -> None:
    key = signing_key()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert signing_key() == key
    assert [path.name for path in key_file.parent.iterdir()] == ["audit_signing_key"]


def test_it_never_creates_the_key_by_itself_in_production(settings: Any, key_file: Path) -> None:
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured, match=r"OMBUDS_AUDIT_SIGNING_KEY_FILE.*ombuds audit_keys create"):
        signing_key()
    assert not key_file.exists()


def test_it_uses_an_existing_key_in_production(settings: Any, key_file: Path) -> None:
    key = create_key_file(key_file)
    settings.PRODUCTION = True
    assert signing_key() == key


def test_it_never_replaces_an_existing_key(key_file: Path) -> None:
    key = create_key_file(key_file)
    with pytest.raises(FileExistsError):
        create_key_file(key_file)
    assert read_key_file(key_file) == key
    assert [path.name for path in key_file.parent.iterdir()] == ["audit_signing_key"]


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b"", "holds 0 bytes"),
        (b"not base64!\n", "not base64"),
        (base64.b64encode(b"k" * 31) + b"\n", "holds 31 bytes"),
        (base64.b64encode(b"k" * 64) + b"\n", "holds 64 bytes"),
        ("é".encode(), "not base64"),
    ],
)
def test_it_refuses_a_malformed_key_file_loudly(key_file: Path, content: bytes, complaint: str) -> None:
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(content)
    expected = f"OMBUDS_AUDIT_SIGNING_KEY_FILE: {re.escape(str(key_file))}.*{complaint}"
    with pytest.raises(ImproperlyConfigured, match=expected):
        signing_key()


def test_it_refuses_a_key_path_that_is_a_directory(key_file: Path) -> None:
    key_file.mkdir(parents=True)
    with pytest.raises(ImproperlyConfigured, match="cannot read"):
        signing_key()


def test_it_reads_a_key_written_by_hand_with_surrounding_white_space(key_file: Path) -> None:
    seed = bytes(range(32))
    key_file.parent.mkdir(parents=True)
    key_file.write_text(f"\n  {base64.b64encode(seed).decode()}  \n", encoding="ascii")
    assert signing_key() == SigningKey(seed)


# --- ombuds audit_keys -------------------------------------------------------------------


def test_the_command_creates_the_key_and_prints_its_public_key(settings: Any, key_file: Path) -> None:
    settings.PRODUCTION = True
    out = StringIO()
    call_command("audit_keys", "create", stdout=out)
    key = read_key_file(key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert f"Public key: {sth.public_key_text(key.verify_key)}" in out.getvalue()
    assert signing_key() == key


def test_the_command_refuses_to_replace_a_key(key_file: Path) -> None:
    key = create_key_file(key_file)
    with pytest.raises(CommandError, match="never replaced"):
        call_command("audit_keys", "create")
    assert read_key_file(key_file) == key


def test_the_command_shows_only_the_public_key(key_file: Path) -> None:
    key = create_key_file(key_file)
    out = StringIO()
    call_command("audit_keys", "show-public", stdout=out)
    assert out.getvalue() == sth.public_key_text(key.verify_key) + "\n"
    assert base64.b64encode(bytes(key)).decode() not in out.getvalue()


def test_the_command_does_not_create_a_key_to_show(key_file: Path) -> None:
    with pytest.raises(CommandError, match="audit_keys create"):
        call_command("audit_keys", "show-public")
    assert not key_file.exists()


def test_the_command_reports_a_malformed_key_file(key_file: Path) -> None:
    key_file.parent.mkdir(parents=True)
    key_file.write_text("garbage", encoding="ascii")
    with pytest.raises(CommandError, match="not an audit signing key"):
        call_command("audit_keys", "show-public")
