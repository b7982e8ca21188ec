"""A member's side of the shared rehire registry (docs/registry.md): submit, ask, withdraw, see hits.

Off until the organisation sets OMBUDS_REGISTRY_URL and OMBUDS_REGISTRY_PUBLIC_KEY. The
registry only ever sees blinded elements (RFC 9497 VOPRF): this side blinds each
identifier, the registry evaluates the batch under its key with one proof, this side
checks the proof against the public key it was configured with (never one the registry
sends) and finalises. What the registry stores and looks up is protocol.entry_key of
that output: a value nobody can compute for a guessed identifier without the registry's
key file.

Only e-mail addresses and phone numbers go to the registry: directory keys and employee
numbers mean something only inside one organisation, and names are never identifiers.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from nacl.encoding import RawEncoder
from nacl.hash import blake2b
from nacl.signing import SigningKey

from ombuds.crypto import keys, match_keys, oprf
from ombuds.crypto.errors import DeserializeError, VerifyError
from ombuds.crypto.ristretto255 import Element
from ombuds.registry_service import protocol

TIMEOUT_S = 10.0
# An answer is a few kilobytes; anything longer is cut and then refused as not JSON.
MAX_ANSWER = 1024 * 1024
_SEALING_AD = b"ombuds registry pending identifiers v1"


class RegistryUnavailable(RuntimeError):
    """The registry could not be asked, or its answer was refused; the message names no identifier."""


@dataclass(frozen=True)
class Holder:
    member: str
    oversight_contact: str


def is_on() -> bool:
    return bool(settings.OMBUDS_REGISTRY_URL and settings.OMBUDS_REGISTRY_PUBLIC_KEY)


def public_key() -> Element:
    try:
        return Element.from_bytes(protocol.unb64(settings.OMBUDS_REGISTRY_PUBLIC_KEY, size=32))
    except (protocol.ProtocolError, DeserializeError):
        raise RegistryUnavailable("OMBUDS_REGISTRY_PUBLIC_KEY is not a ristretto255 public key") from None


def signing_key() -> SigningKey:
    try:
        return protocol.signing_key_from_file(Path(settings.OMBUDS_REGISTRY_SIGNING_KEY_FILE))
    except protocol.ProtocolError as exc:
        raise RegistryUnavailable(f"OMBUDS_REGISTRY_SIGNING_KEY_FILE: {exc}") from None


def create_signing_key() -> SigningKey:
    """A new signing key file (mode 0600); FileExistsError when there is one."""
    key = SigningKey.generate()
    protocol.write_new_key_file(Path(settings.OMBUDS_REGISTRY_SIGNING_KEY_FILE), bytes(key))
    return key


# --- Identifiers waiting for approval ------------------------------------------------------------
# Between the proposal of a decision and the task that submits it, the identifiers are kept
# encrypted under a key derived from the signing key file: a copy of the database alone
# cannot read them, and they are erased once the entry is submitted.


def _sealing_key() -> keys.DataKey:
    seed = bytes(signing_key())
    return keys.DataKey(blake2b(seed, digest_size=32, person=b"ombuds-reg-seal", encoder=RawEncoder))


def seal_identifiers(pairs: Sequence[tuple[str, str]]) -> str:
    plain = json.dumps(sorted(set(pairs))).encode()
    return protocol.b64(keys.encrypt(_sealing_key(), plain, _SEALING_AD))


def open_identifiers(sealed: str) -> list[tuple[str, str]]:
    if not sealed:
        return []
    plain = keys.decrypt(_sealing_key(), protocol.unb64(sealed), _SEALING_AD)
    return [(str(kind), str(value)) for kind, value in json.loads(plain)]


def identifiers(pairs: Sequence[tuple[str, str]]) -> list[match_keys.Identifier]:
    """The registry's identifiers among (kind, value) pairs: e-mail and phone; others are left out."""
    found: dict[bytes, match_keys.Identifier] = {}
    for kind, value in pairs:
        try:
            if kind == "email":
                identifier = match_keys.email(value)
            elif kind == "phone":
                identifier = match_keys.phone(value)
            else:
                continue
        except ValueError:
            continue
        found[identifier.oprf_input()] = identifier
    return list(found.values())


# --- Talking to the registry ------------------------------------------------------------------------


def _call(method: str, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps(payload).encode() if payload is not None else b""
    headers = protocol.sign_headers(signing_key(), method, path, body, time.time())
    headers["Content-Type"] = "application/json"
    url = settings.OMBUDS_REGISTRY_URL.rstrip("/") + path
    if urlsplit(url).scheme not in ("http", "https"):
        raise RegistryUnavailable("OMBUDS_REGISTRY_URL must be an http:// or https:// address")
    request = urllib.request.Request(url, data=body or None, headers=headers, method=method)  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - scheme checked above
            content = response.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        raise RegistryUnavailable(f"the registry refused the request (HTTP {exc.code})") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RegistryUnavailable(f"the registry did not answer ({type(exc).__name__})") from None
    try:
        answer = json.loads(content)
    except ValueError:
        raise RegistryUnavailable("the registry's answer is not JSON") from None
    if not isinstance(answer, dict):
        raise RegistryUnavailable("the registry's answer is not a JSON object")
    return answer


class RemoteEvaluator:
    """match_keys.Evaluator over HTTP: the registry evaluates blinded elements, with one proof for the batch."""

    def blind_evaluate_batch(self, blinded_elements: Sequence[Element]) -> tuple[list[Element], oprf.Proof]:
        answer = _call("POST", "/v1/evaluate", {"blinded": [protocol.b64(e.to_bytes()) for e in blinded_elements]})
        try:
            evaluated = [Element.from_bytes(protocol.unb64(item)) for item in answer.get("evaluated", [])]
            proof = oprf.Proof.from_bytes(protocol.unb64(answer.get("proof")))
        except (protocol.ProtocolError, DeserializeError):
            raise RegistryUnavailable("the registry's evaluation is malformed") from None
        if len(evaluated) != len(blinded_elements):
            raise RegistryUnavailable("the registry evaluated another number of elements")
        return evaluated, proof


def entry_keys(found: Sequence[match_keys.Identifier]) -> list[str]:
    """The entry keys of identifiers, computed obliviously; RegistryUnavailable when the proof does not verify."""
    try:
        outputs = match_keys.derive(found, RemoteEvaluator(), public_key=public_key())
    except VerifyError:
        raise RegistryUnavailable(
            "the registry's answer is not proven under its published key; it was refused"
        ) from None
    return [protocol.entry_key(output.raw) for output in outputs]


def submit(found: Sequence[match_keys.Identifier], *, expires_on: str) -> list[int]:
    answer = _call("POST", "/v1/entries", {"keys": entry_keys(found), "expires_on": expires_on})
    ids = answer.get("entries")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise RegistryUnavailable("the registry's answer names no entries")
    return ids


def lookup(found: Sequence[match_keys.Identifier]) -> list[Holder]:
    answer = _call("POST", "/v1/lookup", {"keys": entry_keys(found)})
    hits = answer.get("hits")
    if not isinstance(hits, list):
        raise RegistryUnavailable("the registry's answer has no hits list")
    return [Holder(str(h.get("member", "")), str(h.get("oversight_contact", ""))) for h in hits if isinstance(h, dict)]


def withdraw(entry_ids: Sequence[int]) -> int:
    answer = _call("POST", "/v1/entries/withdraw", {"entries": list(entry_ids)})
    return int(answer.get("withdrawn", 0))


def hits() -> list[dict[str, Any]]:
    answer = _call("GET", "/v1/hits")
    found = answer.get("hits")
    return [h for h in found if isinstance(h, dict)] if isinstance(found, list) else []
