"""Canonical JSON: one byte string per value, and a clear refusal for what JSON readers disagree on."""

from __future__ import annotations

import enum
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ombuds.audit.canonical import MAX_SAFE_INTEGER, NotCanonical, canonical


def test_it_sorts_keys_and_leaves_out_white_space() -> None:
    assert canonical({"time": "2026-12-01T10:00:00Z", "index": 0, "actor": {"b": [1, 2], "a": None}}) == (
        b'{"actor":{"a":null,"b":[1,2]},"index":0,"time":"2026-12-01T10:00:00Z"}'
    )


def test_it_gives_the_same_bytes_whatever_order_the_keys_were_written_in() -> None:
    assert canonical({"b": 1, "a": 2, "c": {"y": True, "x": False}}) == canonical(
        {"c": {"x": False, "y": True}, "a": 2, "b": 1}
    )


def test_it_writes_non_ascii_text_as_utf_8_not_as_escapes() -> None:
    assert canonical({"name": "Zoë 张伟 🙂"}) == '{"name":"Zoë 张伟 🙂"}'.encode()
    assert b"\\u" not in canonical({"name": "张伟"})


def test_it_escapes_only_quotes_backslashes_and_control_characters() -> None:
    assert canonical(['a"b\\c', "\n\t\r\b\f", "\x00\x1f", "\x7f", "\u2028", "/"]) == (
        b'["a\\"b\\\\c","\\n\\t\\r\\b\\f","\\u0000\\u001f","\x7f","\xe2\x80\xa8","/"]'
    )


def test_it_sorts_keys_by_code_point() -> None:
    # Upper case before lower case, and a character outside the Basic Multilingual
    # Plane after every character inside it.
    assert canonical({"b": 1, "a": 1, "B": 1, "\U0001f600": 1, "\uffff": 1, "é": 1}) == (
        '{"B":1,"a":1,"b":1,"é":1,"\uffff":1,"\U0001f600":1}'.encode()
    )


def test_it_writes_booleans_null_and_enumerations_as_their_json_values() -> None:
    class Kind(enum.StrEnum):
        STAFF = "staff"

    class Code(enum.IntEnum):
        VIEWED = 10

    assert canonical({"kind": Kind.STAFF, "code": Code.VIEWED, "yes": True, "no": False, "none": None}) == (
        b'{"code":10,"kind":"staff","no":false,"none":null,"yes":true}'
    )


@pytest.mark.parametrize("value", [1.0, 0.5, float("nan"), float("inf"), -float("inf")])
def test_it_refuses_floats(value: float) -> None:
    with pytest.raises(NotCanonical, match=r"the value\['details'\]\['ratio'\] is a float"):
        canonical({"details": {"ratio": value}})


def test_it_refuses_keys_that_are_not_strings() -> None:
    with pytest.raises(NotCanonical, match="key that is not a string"):
        canonical({1: "one"})
    with pytest.raises(NotCanonical, match="key that is not a string"):
        canonical({"details": {None: 1}})


def test_it_refuses_integers_that_other_json_readers_would_round() -> None:
    assert canonical([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]) == b"[9007199254740991,-9007199254740991]"
    with pytest.raises(NotCanonical, match="outside"):
        canonical([MAX_SAFE_INTEGER + 1])
    with pytest.raises(NotCanonical, match="outside"):
        canonical({"n": -(2**64)})


def test_it_refuses_what_json_cannot_hold() -> None:
    for value in [(1, 2), {1, 2}, b"bytes", object()]:
        with pytest.raises(NotCanonical, match="JSON cannot hold"):
            canonical({"value": value})


def test_it_refuses_text_that_is_not_valid_unicode_without_showing_it() -> None:
    with pytest.raises(NotCanonical, match="lone surrogate") as refused:
        canonical({"name": "secret\ud800"})
    assert "secret" not in str(refused.value)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda children: st.lists(children) | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), children),
    max_leaves=20,
)


@given(json_values)
def test_it_reads_back_to_the_same_value_and_writes_again_to_the_same_bytes(value: object) -> None:
    written = canonical(value)
    assert json.loads(written) == value
    assert canonical(json.loads(written)) == written
