import math

from hypothesis import given
from hypothesis import strategies as st

from ombuds.lib import receipts


def test_it_has_at_least_80_bits_of_entropy() -> None:
    assert receipts.DIGITS * math.log2(10) >= 80


def test_it_groups_28_digits_in_sevens_of_four() -> None:
    receipt = receipts.new_receipt()
    groups = receipt.split("-")
    assert len(groups) == 7
    assert all(len(g) == 4 and g.isdigit() for g in groups)


def test_it_never_repeats_itself() -> None:
    assert len({receipts.new_receipt() for _ in range(2000)}) == 2000


def test_it_accepts_spaces_and_full_width_digits() -> None:
    receipt = receipts.new_receipt()
    spaced = receipt.replace("-", " ")
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in receipt)
    assert receipts.digest(spaced) == receipts.digest(receipt)
    assert receipts.digest(full_width) == receipts.digest(receipt)


def test_it_refuses_wrong_lengths_and_letters() -> None:
    receipt = receipts.new_receipt()
    assert receipts.digest(receipt[:-1]) is None
    assert receipts.digest(receipt + "1") is None
    assert receipts.digest(receipt[:-1] + "a") is None


def test_it_keys_the_digest(settings) -> None:
    receipt = receipts.new_receipt()
    first = receipts.digest(receipt)
    settings.OMBUDS_RECEIPT_KEY = "another-key-another-key-another-key"
    assert receipts.digest(receipt) != first
    assert first is not None
    assert receipt.replace("-", "") not in first


@given(st.text(max_size=60))
def test_it_never_crashes_on_arbitrary_text(text: str) -> None:
    result = receipts.digest(text)
    assert result is None or len(result) == 64
