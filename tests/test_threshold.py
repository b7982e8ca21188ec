"""Escrowed report keys, 2-of-n shared on a line keyed by the match key (ombuds.crypto.threshold).

The match keys come from the real OPRF with a throw-away key, as a report's would.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ombuds.crypto import keys, match_keys, oprf, threshold
from ombuds.crypto.errors import CombineError, DecryptionError, DeserializeError
from ombuds.crypto.match_keys import MatchKey
from ombuds.crypto.ristretto255 import Scalar

SERVER = oprf.VOPRFServer(oprf.generate_key_pair().secret_key)
ALICE = b"receipt-public-key-of-alice"
BEATRIZ = b"receipt-public-key-of-beatriz"
CHEN = b"receipt-public-key-of-chen"


def _match_key(address: str) -> MatchKey:
    [match_key] = match_keys.derive([match_keys.email(address)], SERVER, public_key=SERVER.public_key)
    return match_key


def _ad(report: int) -> bytes:
    return keys.context("report", report, "escrow")


MANAGER = _match_key("manager@example.com")
SOMEONE_ELSE = _match_key("someone.else@example.com")


def test_two_reporters_naming_the_same_person_recover_the_key_and_open_both_reports() -> None:
    first_key, second_key = keys.DataKey.generate(), keys.DataKey.generate()
    first = threshold.escrow(MANAGER, first_key, reporter=ALICE, associated_data=_ad(1))
    second = threshold.escrow(_match_key(" Manager@Example.com"), second_key, reporter=BEATRIZ, associated_data=_ad(2))
    assert first.match_id == second.match_id
    assert first.share.x != second.share.x

    recovered = threshold.recover(first, second)
    assert recovered.open(first, associated_data=_ad(1)).raw == first_key.raw
    assert recovered.open(second, associated_data=_ad(2)).raw == second_key.raw
    # Any two reporters on the line rebuild the same key, and it opens a third report too.
    third_key = keys.DataKey.generate()
    third = threshold.escrow(MANAGER, third_key, reporter=CHEN, associated_data=_ad(3))
    assert threshold.recover(third, first).open(third, associated_data=_ad(3)).raw == third_key.raw
    assert threshold.recover(second, third).open(first, associated_data=_ad(1)).raw == first_key.raw


def test_one_share_leaves_every_key_possible() -> None:
    """For any candidate key there is a slope through the one point: the share alone says nothing about k."""
    data_key = keys.DataKey.generate()
    alone = threshold.escrow(MANAGER, data_key, reporter=ALICE, associated_data=_ad(1))
    for _ in range(5):
        candidate = Scalar.random()
        slope = (alone.share.y - candidate) * alone.share.x.invert()
        assert slope * alone.share.x + candidate == alone.share.y
        with pytest.raises(DecryptionError):
            threshold.RecoveredKey(alone.match_id, candidate).open(alone, associated_data=_ad(1))
    with pytest.raises(CombineError, match="same x"):
        threshold.recover(alone, alone)
    assert data_key.raw not in alone.sealed_key
    assert data_key.raw not in alone.share.to_bytes()


def test_two_reports_of_one_reporter_do_not_complete_the_line() -> None:
    first = threshold.escrow(MANAGER, keys.DataKey.generate(), reporter=ALICE, associated_data=_ad(1))
    again = threshold.escrow(MANAGER, keys.DataKey.generate(), reporter=ALICE, associated_data=_ad(2))
    assert first.share == again.share
    with pytest.raises(CombineError, match="same x"):
        threshold.recover(first, again)


def test_a_reporters_x_differs_from_one_accused_person_to_the_next() -> None:
    """x is keyed by the match key, so stored shares do not link one reporter's escrows across people."""
    assert threshold.share_x(MANAGER, ALICE) != threshold.share_x(SOMEONE_ELSE, ALICE)
    assert threshold.share_x(MANAGER, ALICE) != threshold.share_x(MANAGER, BEATRIZ)


def test_shares_of_different_match_keys_do_not_combine() -> None:
    first_key = keys.DataKey.generate()
    first = threshold.escrow(MANAGER, first_key, reporter=ALICE, associated_data=_ad(1))
    other = threshold.escrow(SOMEONE_ELSE, keys.DataKey.generate(), reporter=BEATRIZ, associated_data=_ad(2))
    assert first.match_id != other.match_id
    with pytest.raises(CombineError, match="different match identifiers"):
        threshold.recover(first, other)
    # Forced together, the two points make a line that is neither's: its intercept opens nothing.
    wrong = threshold.RecoveredKey(first.match_id, threshold.intercept(first.share, other.share))
    with pytest.raises(DecryptionError):
        wrong.open(first, associated_data=_ad(1))
    right = threshold.recover(
        first, threshold.escrow(MANAGER, keys.DataKey.generate(), reporter=CHEN, associated_data=_ad(3))
    )
    with pytest.raises(CombineError, match="another match identifier"):
        right.open(other, associated_data=_ad(2))


def test_an_escrow_opens_only_with_the_associated_data_it_was_sealed_with() -> None:
    first = threshold.escrow(MANAGER, keys.DataKey.generate(), reporter=ALICE, associated_data=_ad(1))
    second = threshold.escrow(MANAGER, keys.DataKey.generate(), reporter=BEATRIZ, associated_data=_ad(2))
    recovered = threshold.recover(first, second)
    with pytest.raises(DecryptionError):
        recovered.open(first, associated_data=_ad(2))
    with pytest.raises(ValueError, match="associated data is required"):
        threshold.escrow(MANAGER, keys.DataKey.generate(), reporter=ALICE, associated_data=b"")


def test_a_changed_share_recovers_a_key_that_opens_nothing() -> None:
    first = threshold.escrow(MANAGER, keys.DataKey.generate(), reporter=ALICE, associated_data=_ad(1))
    second = threshold.escrow(MANAGER, keys.DataKey.generate(), reporter=BEATRIZ, associated_data=_ad(2))
    moved = threshold.Escrow(
        second.match_id, threshold.Share(second.share.x, second.share.y + Scalar.from_int(1)), second.sealed_key
    )
    with pytest.raises(DecryptionError):
        threshold.recover(first, moved).open(first, associated_data=_ad(1))


def test_shares_travel_as_64_bytes_and_refuse_a_zero_x() -> None:
    share = threshold.escrow(MANAGER, keys.DataKey.generate(), reporter=ALICE, associated_data=_ad(1)).share
    assert threshold.Share.from_bytes(share.to_bytes()) == share
    assert len(share.to_bytes()) == threshold.SHARE_BYTES == 64
    with pytest.raises(DeserializeError, match="x must not be zero"):
        threshold.Share.from_bytes(bytes(32) + share.y.to_bytes())
    with pytest.raises(DeserializeError):
        threshold.Share.from_bytes(share.to_bytes()[:63])
    with pytest.raises(ValueError, match="reporter must be named"):
        threshold.share_x(MANAGER, b"")


def test_the_recovered_key_does_not_show_itself() -> None:
    first = threshold.escrow(MANAGER, keys.DataKey.generate(), reporter=ALICE, associated_data=_ad(1))
    second = threshold.escrow(MANAGER, keys.DataKey.generate(), reporter=BEATRIZ, associated_data=_ad(2))
    assert repr(threshold.recover(first, second)) == "RecoveredKey(<hidden>)"


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=1, max_size=40), st.binary(min_size=1, max_size=40))
def test_any_two_distinct_reporters_recover_the_same_key(one: bytes, two: bytes) -> None:
    data_key = keys.DataKey.generate()
    first = threshold.escrow(MANAGER, data_key, reporter=one, associated_data=_ad(1))
    second = threshold.escrow(MANAGER, keys.DataKey.generate(), reporter=two, associated_data=_ad(2))
    if one == two:
        with pytest.raises(CombineError):
            threshold.recover(first, second)
    else:
        assert threshold.recover(first, second).open(first, associated_data=_ad(1)).raw == data_key.raw
