"""Match keys: the people a report names, as OPRF outputs that only the holder of the match key file can make.

Two reports name the same person when they share a match key. A match key is the
output of OPRF(ristretto255, SHA-512) in its verifiable mode (RFC 9497, oprf.py) over
one identifier of that person, under the organisation's match key: a secret kept in
a file outside the database (OMBUDS_MATCH_KEY_FILE, `var/keys/match_key` by default),
so a copy of the database yields neither the identifiers nor a way to test a guess.

Identifiers. Each kind is normalised, then encoded with its kind (and, for the kinds
that only mean something inside one organisation, that organisation's scope), so no
value of one kind can meet a value of another:

- directory_person: the directory's stable key of a person picked from it.
- email: trimmed and lower-cased (the whole address, as people type it either way).
- phone: E.164 ("+" and up to 15 digits); spaces, dots, dashes and brackets between
  the digits are dropped. A national number ("020 7946 0958") is refused: turning it
  into E.164 needs the country, which the caller must supply.
- employee_number: trimmed.
- reporter: a named reporter's own name or contact, case-folded with its spaces
  collapsed. It never names an accused person; it only tells whether two reports come
  from the same named reporter (ombuds.linking), where taking two people who share a
  name for one errs on the side of raising no alert.

Names are never identifiers of an accused person: too many people share one.

The key file holds one line, a 32-byte seed in standard base64, made with mode 0600.
The OPRF key is DeriveKeyPair(seed, "ombuds match key v1") in the VOPRF mode (RFC 9497
§3.2.1). In development it is made on first use; in production never, as for the
audit signing key (audit/signing_key.py): a key made silently on a new server would
match nothing filed before. docs/security.md ("Match keys") says who may hold it and
how to back it up.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ombuds.crypto import oprf
from ombuds.crypto.ristretto255 import Element, i2osp

SETTING = "OMBUDS_MATCH_KEY_FILE"
KEY_INFO = b"ombuds match key v1"
MODE = oprf.Mode.VOPRF
MATCH_KEY_BYTES = oprf.OUTPUT_BYTES
# Written in front of every OPRF input: a new encoding gets a new label, never the same one.
INPUT_LABEL = b"ombuds-match-identifier-v1"
MAX_VALUE_CHARS = 254  # the longest e-mail address; longer values are not identifiers

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_WHITESPACE = re.compile(r"\s")


class Kind(StrEnum):
    DIRECTORY_PERSON = "directory-person"
    EMAIL = "email"
    PHONE = "phone"
    EMPLOYEE_NUMBER = "employee-number"
    REPORTER = "reporter"


@dataclass(frozen=True, repr=False)
class Identifier:
    """One normalised identifier of a person; build it with the functions below, never by hand."""

    kind: Kind
    value: str
    # Which organisation's numbering a value belongs to, for the kinds that have no meaning
    # outside it (a directory key, an employee number); empty for e-mail and phone.
    scope: str = ""

    def oprf_input(self) -> bytes:
        """The OPRF input: label, kind, scope and value, each after its two-byte length (a prefix-free encoding)."""
        parts = (INPUT_LABEL, self.kind.value.encode(), self.scope.encode(), self.value.encode())
        return b"".join(i2osp(len(part), 2) + part for part in parts)

    def __repr__(self) -> str:
        # Identifiers name an accused person: never in a log or an error page.
        return f"Identifier({self.kind.value}, <hidden>)"


def directory_person(key: str | int, *, organisation: str) -> Identifier:
    """A person picked from the directory, by the directory's stable key for her."""
    return Identifier(Kind.DIRECTORY_PERSON, _plain(str(key), "a directory key"), _scope(organisation))


def email(address: str) -> Identifier:
    """An e-mail address, trimmed and lower-cased; ValueError unless it looks like local@domain."""
    value = _plain(address, "an e-mail address").lower()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or _WHITESPACE.search(value):
        raise ValueError("not an e-mail address")
    return Identifier(Kind.EMAIL, value)


def phone(number: str) -> Identifier:
    """A phone number in E.164; ValueError for anything else, a national number included."""
    value = _PHONE_SEPARATORS.sub("", _plain(number, "a phone number"))
    if not _E164.fullmatch(value):
        raise ValueError("a phone number must be in E.164 form: + and the country code, then at most 15 digits")
    return Identifier(Kind.PHONE, value)


def employee_number(number: str, *, organisation: str) -> Identifier:
    """An employee number of one organisation, trimmed."""
    return Identifier(Kind.EMPLOYEE_NUMBER, _plain(number, "an employee number"), _scope(organisation))


def reporter(name_or_contact: str, *, organisation: str) -> Identifier:
    """A named reporter, by the name or the contact she gave: case-folded, spaces collapsed."""
    value = " ".join(_plain(name_or_contact, "a reporter's name or contact").casefold().split())
    return Identifier(Kind.REPORTER, value, _scope(organisation))


def _plain(value: str, what: str) -> str:
    # NFC first, so that the same text typed on two keyboards becomes the same bytes.
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        raise ValueError(f"{what} must not be empty")
    if len(text) > MAX_VALUE_CHARS:
        raise ValueError(f"{what} is at most {MAX_VALUE_CHARS} characters")
    return text


def _scope(organisation: str) -> str:
    return _plain(organisation, "an organisation scope")


# --- Match keys ------------------------------------------------------------------------------------


class MatchKey:
    """The 64-byte OPRF output for one identifier. As secret as the escrowed keys it opens: never stored or logged."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        if len(raw) != MATCH_KEY_BYTES:
            raise ValueError(f"a match key is {MATCH_KEY_BYTES} bytes, not {len(raw)}")
        self._raw = bytes(raw)

    @property
    def raw(self) -> bytes:
        return self._raw

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MatchKey):
            return NotImplemented
        return hmac.compare_digest(self._raw, other._raw)

    def __repr__(self) -> str:
        return "MatchKey(<hidden>)"


class Evaluator(Protocol):
    """Whoever holds the match key: an oprf.VOPRFServer in this process, or a service that answers for one."""

    def blind_evaluate_batch(self, blinded_elements: Sequence[Element]) -> tuple[list[Element], oprf.Proof]: ...


def derive(identifiers: Sequence[Identifier], evaluator: Evaluator, *, public_key: Element) -> list[MatchKey]:
    """The match keys of the identifiers, computed obliviously: the evaluator sees only blinded elements.

    public_key is the key the caller trusts (from its own configuration, never from the
    evaluator): the evaluation's proof must verify under it, or VerifyError is raised.
    """
    if not identifiers:
        return []
    client = oprf.VOPRFClient(public_key)
    inputs = [identifier.oprf_input() for identifier in identifiers]
    blinded = [client.blind(input_) for input_ in inputs]
    blinded_elements = [item.blinded_element for item in blinded]
    evaluated, proof = evaluator.blind_evaluate_batch(blinded_elements)
    outputs = client.finalize_batch(inputs, [item.blind for item in blinded], evaluated, blinded_elements, proof)
    return [MatchKey(output) for output in outputs]


def derive_here(identifiers: Sequence[Identifier]) -> list[MatchKey]:
    """The match keys under the key file of this installation (see docs/security.md on why that is an interim).

    The key is in this process, so the OPRF is evaluated directly (RFC 9497 Evaluate):
    the output is the one derive() gets through blinding, unblinding and the proof, at
    one scalar multiplication per identifier instead of about six. Blinding an input
    against a key held by the same process would hide it from nobody.
    """
    if not identifiers:
        return []
    server = match_key_server()
    return [MatchKey(server.evaluate(identifier.oprf_input())) for identifier in identifiers]


# --- The key file ------------------------------------------------------------------------------------

SEED_BYTES = oprf.SEED_BYTES


def key_path() -> Path:
    return Path(settings.OMBUDS_MATCH_KEY_FILE)


def match_key_server() -> oprf.VOPRFServer:
    """The VOPRF server of the configured match key; in development the key file is created if missing."""
    path = key_path()
    try:
        found = path.stat()
    except FileNotFoundError:
        found = None
    if found is not None:
        return _read_once(str(path), found.st_ino, found.st_mtime_ns, found.st_ctime_ns, found.st_size)
    if settings.PRODUCTION:
        raise ImproperlyConfigured(
            f"{SETTING}: {path} does not exist. In production the match key is never created by itself: "
            "create it once (docs/deployment.md) and back it up."
        )
    try:
        return create_key_file(path)
    except FileExistsError:
        # Another process (ombuds serve starts several at once) created it first: use that one.
        return read_key_file(path)


@functools.lru_cache(maxsize=4)
def _read_once(path: str, inode: int, modified_ns: int, changed_ns: int, size: int) -> oprf.VOPRFServer:
    """read_key_file, once per file as it is on disk: every filing that names someone needs the key.

    Keyed by the file's inode, times (content and mode) and size as well as its path, so
    a key file put in place of another (a restore, a test's own key) or made unreadable
    is read again.
    """
    return read_key_file(Path(path))


def server_for_seed(seed: bytes) -> oprf.VOPRFServer:
    return oprf.VOPRFServer(oprf.derive_key_pair(seed, KEY_INFO, MODE).secret_key)


def read_key_file(path: Path) -> oprf.VOPRFServer:
    """The server of the key in `path`, refusing a file that cannot be read or does not hold exactly one seed."""
    try:
        text = path.read_text(encoding="ascii")
    except OSError as exc:
        raise ImproperlyConfigured(f"{SETTING}: cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ImproperlyConfigured(f"{SETTING}: {path} is not a match key (not base64 text)") from None
    try:
        seed = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise ImproperlyConfigured(f"{SETTING}: {path} is not a match key (not base64 text)") from None
    if len(seed) != SEED_BYTES:
        raise ImproperlyConfigured(
            f"{SETTING}: {path} is not a match key (it holds {len(seed)} bytes, not {SEED_BYTES})"
        )
    return server_for_seed(seed)


def create_key_file(path: Path) -> oprf.VOPRFServer:
    """Make a new seed and store it in `path` (mode 0600); FileExistsError if a key is already there.

    An existing key is never replaced: every match key made so far depends on it. The
    seed is written to a temporary file first and then linked into place, so another
    process never reads half a key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = secrets.token_bytes(SEED_BYTES)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(seed).decode("ascii") + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails if the name exists, so of two processes racing only one key wins.
        os.link(temporary, path)
    finally:
        temporary.unlink()
    return server_for_seed(seed)


def public_key_text(server: oprf.VOPRFServer) -> str:
    """The public key in base64: what a client of a separate evaluator must be configured with."""
    return base64.b64encode(server.public_key.to_bytes()).decode("ascii")
