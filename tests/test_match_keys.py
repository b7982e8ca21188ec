"""Match keys (ombuds.crypto.match_keys): identifiers normalised per kind, derived obliviously, and the key file."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from ombuds.crypto import match_keys, oprf
from ombuds.crypto.errors import VerifyError
from ombuds.crypto.match_keys import Identifier, Kind


@pytest.fixture
def key_file(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "match_key"
    settings.OMBUDS_MATCH_KEY_FILE = path
    return path


# --- Identifiers ----------------------------------------------------------------------------------


def test_an_email_address_is_trimmed_and_lower_cased() -> None:
    typed = [" Max.Mustermann@Example.COM", "max.mustermann@example.com\n", "MAX.MUSTERMANN@EXAMPLE.COM"]
    identifiers = [match_keys.email(address) for address in typed]
    assert {identifier.value for identifier in identifiers} == {"max.mustermann@example.com"}
    assert len({identifier.oprf_input() for identifier in identifiers}) == 1
    assert match_keys.email("max.mustermann@example.org").oprf_input() != identifiers[0].oprf_input()


@pytest.mark.parametrize("address", ["", "   ", "max", "@example.com", "max@", "max mustermann@example.com"])
def test_what_is_not_an_email_address_is_refused(address: str) -> None:
    with pytest.raises(ValueError, match="e-mail address"):
        match_keys.email(address)


def test_a_phone_number_in_e164_keeps_its_digits_and_loses_its_separators() -> None:
    for typed in ["+442079460958", " +44 20 7946 0958 ", "+44 (20) 7946-0958", "+44.20.7946.0958"]:
        assert match_keys.phone(typed).value == "+442079460958"
    assert match_keys.phone("+8613800138000").value == "+8613800138000"


@pytest.mark.parametrize(
    "number", ["020 7946 0958", "442079460958", "+0442079460958", "+44 20 7946 0958 ext 2", "+1234567890123456", "+"]
)
def test_a_phone_number_not_in_e164_is_refused(number: str) -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        match_keys.phone(number)


def test_an_employee_number_is_trimmed_and_belongs_to_its_organisation() -> None:
    number = match_keys.employee_number("  E-1001 ", organisation="example-corp")
    assert (number.value, number.scope) == ("E-1001", "example-corp")
    other_organisation = match_keys.employee_number("E-1001", organisation="other-corp")
    assert number.oprf_input() != other_organisation.oprf_input()
    with pytest.raises(ValueError, match="must not be empty"):
        match_keys.employee_number("  ", organisation="example-corp")
    with pytest.raises(ValueError, match="organisation scope must not be empty"):
        match_keys.employee_number("E-1001", organisation=" ")


def test_a_reporter_is_case_folded_with_her_spaces_collapsed_and_is_never_an_accused_email() -> None:
    typed = match_keys.reporter("  Anna   MÜLLER ", organisation="example-corp")
    assert (typed.value, typed.scope) == ("anna müller", "example-corp")
    assert typed.oprf_input() == match_keys.reporter("anna müller", organisation="example-corp").oprf_input()
    as_reporter = match_keys.reporter("anna@example.com", organisation="example-corp")
    assert as_reporter.oprf_input() != match_keys.email("anna@example.com").oprf_input()
    with pytest.raises(ValueError, match="must not be empty"):
        match_keys.reporter(" ", organisation="example-corp")


def test_the_same_value_as_two_kinds_gives_two_inputs() -> None:
    """Domain separation: an employee number that happens to equal a directory key is another identifier."""
    as_directory = match_keys.directory_person("1001", organisation="example-corp")
    as_number = match_keys.employee_number("1001", organisation="example-corp")
    assert as_directory.value == as_number.value
    assert as_directory.oprf_input() != as_number.oprf_input()
    assert match_keys.directory_person(1001, organisation="example-corp").oprf_input() == as_directory.oprf_input()


def test_an_identifier_never_shows_its_value_in_a_repr() -> None:
    identifier = match_keys.email("max.mustermann@example.com")
    assert "mustermann" not in repr(identifier)
    assert "email" in repr(identifier)


def test_overlong_values_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 254 characters"):
        match_keys.email("a" * 250 + "@example.com")


@given(
    st.tuples(st.sampled_from(list(Kind)), st.text(max_size=8), st.text(max_size=8)),
    st.tuples(st.sampled_from(list(Kind)), st.text(max_size=8), st.text(max_size=8)),
)
def test_different_identifiers_never_share_an_oprf_input(
    first: tuple[Kind, str, str], second: tuple[Kind, str, str]
) -> None:
    """The encoding is prefix-free: moving characters between value and scope changes the input."""
    left, right = Identifier(first[0], first[1], first[2]), Identifier(second[0], second[1], second[2])
    assert (left.oprf_input() == right.oprf_input()) == (first == second)


# --- Derivation -----------------------------------------------------------------------------------


def test_the_same_person_gets_the_same_match_key_though_each_evaluation_is_blinded_afresh(key_file: Path) -> None:
    first, second, other = match_keys.derive_here(
        [
            match_keys.email("max.mustermann@example.com"),
            match_keys.email(" MAX.MUSTERMANN@example.com "),
            match_keys.email("erika.mustermann@example.com"),
        ]
    )
    assert first == second
    assert first != other
    assert match_keys.derive_here([match_keys.email("max.mustermann@example.com")]) == [first]
    assert repr(first) == "MatchKey(<hidden>)"


def test_a_match_key_is_the_oprf_output_for_the_identifier(key_file: Path) -> None:
    server = match_keys.match_key_server()
    identifier = match_keys.phone("+442079460958")
    [match_key] = match_keys.derive([identifier], server, public_key=server.public_key)
    assert match_key.raw == server.evaluate(identifier.oprf_input())


def test_the_direct_evaluation_here_gives_what_the_oblivious_derivation_gives(key_file: Path) -> None:
    """derive_here evaluates with the key in this process; the blinded round trip must agree with it."""
    server = match_keys.match_key_server()
    identifiers = [
        match_keys.email("max.mustermann@example.com"),
        match_keys.phone("+442079460958"),
        match_keys.employee_number("E-1001", organisation="organisation-1"),
        match_keys.directory_person("E-1001", organisation="organisation-1"),
    ]
    here = match_keys.derive_here(identifiers)
    assert here == match_keys.derive(identifiers, server, public_key=server.public_key)
    assert len({key.raw for key in here}) == len(identifiers)
    assert match_keys.derive_here([]) == []


def test_derivation_refuses_an_evaluator_that_uses_another_key(key_file: Path) -> None:
    trusted = match_keys.match_key_server()
    impostor = oprf.VOPRFServer(oprf.generate_key_pair().secret_key)
    with pytest.raises(VerifyError):
        match_keys.derive([match_keys.email("max@example.com")], impostor, public_key=trusted.public_key)


def test_nothing_to_derive_asks_the_evaluator_nothing() -> None:
    class Refuses:
        def blind_evaluate_batch(self, blinded_elements: Any) -> Any:
            raise AssertionError("asked for nothing")

    assert match_keys.derive([], Refuses(), public_key=oprf.generate_key_pair().public_key) == []


# --- The key file ---------------------------------------------------------------------------------


def test_development_creates_the_key_file_once_with_mode_0600(key_file: Path) -> None:
    server = match_keys.match_key_server()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(base64.b64decode(key_file.read_text(encoding="ascii").strip(), validate=True)) == 32
    assert match_keys.match_key_server().public_key == server.public_key
    assert [path.name for path in key_file.parent.iterdir()] == ["match_key"]


def test_the_key_follows_from_the_seed_in_the_file(key_file: Path) -> None:
    key_file.parent.mkdir(parents=True)
    seed = bytes(range(32))
    key_file.write_text(base64.b64encode(seed).decode() + "\n", encoding="ascii")
    expected = oprf.derive_key_pair(seed, b"ombuds match key v1", oprf.Mode.VOPRF)
    assert match_keys.match_key_server().public_key == expected.public_key
    assert match_keys.public_key_text(match_keys.match_key_server()) == base64.b64encode(
        expected.public_key.to_bytes()
    ).decode("ascii")


def test_an_existing_key_is_never_replaced(key_file: Path) -> None:
    first = match_keys.match_key_server()
    with pytest.raises(FileExistsError):
        match_keys.create_key_file(key_file)
    assert match_keys.match_key_server().public_key == first.public_key


def test_production_never_creates_the_key(key_file: Path, settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured, match=r"OMBUDS_MATCH_KEY_FILE.*never created by itself"):
        match_keys.match_key_server()
    assert not key_file.exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"not base64 at all!\n", "not base64"),
        (base64.b64encode(bytes(16)) + b"\n", "16 bytes, not 32"),
        (b"\xff\xfe", "not base64"),
        (b"", "0 bytes, not 32"),
    ],
)
def test_a_file_that_does_not_hold_one_seed_is_refused(key_file: Path, content: bytes, problem: str) -> None:
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(content)
    with pytest.raises(ImproperlyConfigured, match=rf"OMBUDS_MATCH_KEY_FILE: .*{problem}"):
        match_keys.match_key_server()
