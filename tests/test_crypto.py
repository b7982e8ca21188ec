"""Key derivation, key types, sealed boxes, field encryption and private-key wraps (ombuds.crypto).

The autouse fixture in conftest.py makes Argon2id cheap (1 pass, 1 MiB); what is
tested here is behaviour, not cost. benchmarks/kdf.py measures the cost.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ombuds.crypto import kdf, keys
from ombuds.crypto.errors import DecryptionError, FormatError
from ombuds.lib.receipts import new_receipt

PASSWORD = "correct horse battery staple"
NARRATIVE = b"He cornered me in the hotel corridor after the client dinner."


def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    changed = bytearray(data)
    changed[index] ^= 1 << bit
    return bytes(changed)


# --- Key derivation ---------------------------------------------------------------------


def test_it_derives_the_same_key_from_the_same_secret_and_salt() -> None:
    params = kdf.KdfParams.current()
    first = kdf.derive_key(PASSWORD, params)
    assert len(first) == kdf.KEY_BYTES
    assert kdf.derive_key(PASSWORD, params) == first
    assert kdf.derive_key(PASSWORD.encode(), params) == first


def test_it_derives_another_key_for_another_salt_or_secret() -> None:
    params = kdf.KdfParams.current()
    other_salt = kdf.KdfParams.current()
    assert params.salt != other_salt.salt
    key = kdf.derive_key(PASSWORD, params)
    assert kdf.derive_key(PASSWORD, other_salt) != key
    assert kdf.derive_key(PASSWORD + "!", params) != key


def test_it_derives_another_key_for_another_cost() -> None:
    cheap = kdf.KdfParams(opslimit=1, memlimit_kib=1024, salt=b"s" * 16)
    dearer = kdf.KdfParams(opslimit=2, memlimit_kib=1024, salt=b"s" * 16)
    assert kdf.derive_key(PASSWORD, cheap) != kdf.derive_key(PASSWORD, dearer)


def test_it_takes_the_cost_from_settings(settings: Any) -> None:
    settings.OMBUDS_KDF_OPSLIMIT = 3
    settings.OMBUDS_KDF_MEMLIMIT_MIB = 2
    params = kdf.KdfParams.current()
    assert (params.opslimit, params.memlimit_kib) == (3, 2048)
    assert params.is_current()
    settings.OMBUDS_KDF_OPSLIMIT = 4
    assert not params.is_current()


def test_it_reads_back_the_parameters_its_header_holds() -> None:
    params = kdf.KdfParams(opslimit=7, memlimit_kib=65536, salt=bytes(range(16)))
    header = params.header()
    assert len(header) == kdf.HEADER_BYTES == 26
    assert header[:2] == bytes([kdf.HEADER_VERSION, kdf.ARGON2ID13])
    assert kdf.KdfParams.from_header(header + b"rest is ignored") == params


@pytest.mark.parametrize(
    ("version", "algorithm", "opslimit", "memlimit_kib", "problem"),
    [
        (2, 1, 1, 1024, "version"),
        (1, 9, 1, 1024, "algorithm"),
        (1, 1, 0, 1024, "opslimit"),
        (1, 1, kdf.MAX_OPSLIMIT + 1, 1024, "opslimit"),
        (1, 1, 1, 4, "memlimit"),
        (1, 1, 1, 4 * 1024 * 1024, "memlimit"),
    ],
)
def test_it_refuses_a_header_it_cannot_use(
    version: int, algorithm: int, opslimit: int, memlimit_kib: int, problem: str
) -> None:
    # A forged header must fail before any derivation: 4 GiB of memory would be an attack.
    header = bytes([version, algorithm]) + opslimit.to_bytes(4, "big") + memlimit_kib.to_bytes(4, "big") + b"s" * 16
    with pytest.raises(FormatError, match=problem):
        kdf.KdfParams.from_header(header)


def test_it_refuses_a_short_header() -> None:
    with pytest.raises(FormatError):
        kdf.KdfParams.from_header(kdf.KdfParams.current().header()[:-1])


def test_it_refuses_to_derive_from_an_empty_secret() -> None:
    with pytest.raises(ValueError, match="empty"):
        kdf.derive_key("", kdf.KdfParams.current())


# --- Associated data --------------------------------------------------------------------


def test_it_names_a_field_of_a_case_as_associated_data() -> None:
    assert keys.context("case", 123, "narrative") == b"case:123:narrative"
    assert keys.context("case", 123, "message", 9, "body") == b"case:123:message:9:body"


@pytest.mark.parametrize("part", ["", "a:b", "Case", "case 1", "café", "../x", -1, True])
def test_it_refuses_a_context_part_that_could_be_read_two_ways(part: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        keys.context("case", part)


_words = st.one_of(st.from_regex(r"[a-z0-9_-]{1,6}", fullmatch=True), st.integers(min_value=0, max_value=10**6))


@given(st.lists(_words, min_size=1, max_size=4), st.lists(_words, min_size=1, max_size=4))
def test_it_gives_different_lists_of_parts_different_associated_data(first: list[Any], second: list[Any]) -> None:
    same_parts = [str(part) for part in first] == [str(part) for part in second]
    assert (keys.context(*first) == keys.context(*second)) == same_parts


# --- Field encryption -----------------------------------------------------------------------


def test_it_opens_what_it_encrypted() -> None:
    key = keys.DataKey.generate()
    ad = keys.context("case", 1, "narrative")
    ciphertext = keys.encrypt(key, NARRATIVE, ad)
    assert NARRATIVE not in ciphertext
    assert ciphertext[0] == keys.FIELD_VERSION
    assert len(ciphertext) == len(NARRATIVE) + keys.FIELD_OVERHEAD
    assert keys.decrypt(key, ciphertext, ad) == NARRATIVE


def test_it_encrypts_the_same_text_differently_every_time() -> None:
    key = keys.DataKey.generate()
    ad = keys.context("case", 1, "narrative")
    assert keys.encrypt(key, NARRATIVE, ad) != keys.encrypt(key, NARRATIVE, ad)


def test_it_opens_an_empty_value() -> None:
    key = keys.DataKey.generate()
    ad = keys.context("case", 1, "contact")
    assert keys.decrypt(key, keys.encrypt(key, b"", ad), ad) == b""


def test_it_refuses_the_wrong_key() -> None:
    ad = keys.context("case", 1, "narrative")
    ciphertext = keys.encrypt(keys.DataKey.generate(), NARRATIVE, ad)
    with pytest.raises(DecryptionError):
        keys.decrypt(keys.DataKey.generate(), ciphertext, ad)


def test_it_refuses_a_ciphertext_moved_to_another_field_or_case() -> None:
    key = keys.DataKey.generate()
    ciphertext = keys.encrypt(key, NARRATIVE, keys.context("case", 1, "narrative"))
    for elsewhere in (keys.context("case", 1, "contact"), keys.context("case", 2, "narrative")):
        with pytest.raises(DecryptionError):
            keys.decrypt(key, ciphertext, elsewhere)


def test_it_refuses_a_ciphertext_with_any_bit_flipped() -> None:
    key = keys.DataKey.generate()
    ad = keys.context("case", 1, "narrative")
    ciphertext = keys.encrypt(key, b"short", ad)
    for index in range(len(ciphertext)):
        for bit in range(8):
            with pytest.raises(DecryptionError):
                keys.decrypt(key, _flip(ciphertext, index, bit), ad)


def test_it_refuses_a_truncated_ciphertext() -> None:
    key = keys.DataKey.generate()
    ad = keys.context("case", 1, "narrative")
    ciphertext = keys.encrypt(key, NARRATIVE, ad)
    for length in (0, 1, keys.FIELD_OVERHEAD - 1, keys.FIELD_OVERHEAD, len(ciphertext) - 1):
        with pytest.raises(DecryptionError):
            keys.decrypt(key, ciphertext[:length], ad)


def test_it_refuses_a_ciphertext_of_an_unknown_version() -> None:
    key = keys.DataKey.generate()
    ad = keys.context("case", 1, "narrative")
    ciphertext = keys.encrypt(key, NARRATIVE, ad)
    with pytest.raises(FormatError, match="version"):
        keys.decrypt(key, bytes([2]) + ciphertext[1:], ad)


def test_it_refuses_to_encrypt_or_decrypt_without_associated_data() -> None:
    key = keys.DataKey.generate()
    with pytest.raises(ValueError, match="associated data"):
        keys.encrypt(key, NARRATIVE, b"")
    with pytest.raises(ValueError, match="associated data"):
        keys.decrypt(key, keys.encrypt(key, NARRATIVE, b"case:1:narrative"), b"")


def test_it_refuses_a_key_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        keys.DataKey(b"k" * 31)


def test_it_never_shows_a_secret_key_in_its_repr() -> None:
    key = keys.DataKey.generate()
    pair = keys.KeyPair.generate()
    assert key.raw.hex() not in repr(key)
    assert pair.private_bytes().hex()[:16] not in repr(pair)
    assert pair.public_key.hex()[:16] in repr(pair)


# --- Sealed boxes -------------------------------------------------------------------------


def test_it_opens_a_sealed_box_with_the_right_key_pair() -> None:
    handler = keys.KeyPair.generate()
    data_key = keys.DataKey.generate()
    sealed = keys.seal_data_key(handler.public_key, data_key)
    assert len(sealed) == keys.KEY_BYTES + keys.SEAL_OVERHEAD
    assert data_key.raw not in sealed
    assert keys.unseal_data_key(handler, sealed).raw == data_key.raw


def test_it_keeps_a_sealed_box_shut_for_every_other_key_pair() -> None:
    handler, other_handler = keys.KeyPair.generate(), keys.KeyPair.generate()
    sealed = keys.seal_to(handler.public_key, b"data key")
    with pytest.raises(DecryptionError):
        keys.unseal(other_handler, sealed)


def test_it_refuses_an_altered_sealed_box() -> None:
    handler = keys.KeyPair.generate()
    sealed = keys.seal_to(handler.public_key, b"data key")
    for index in (0, 31, 32, len(sealed) - 1):
        with pytest.raises(DecryptionError):
            keys.unseal(handler, _flip(sealed, index))
    with pytest.raises(DecryptionError):
        keys.unseal(handler, sealed[:-1])


def test_it_refuses_to_seal_to_something_that_is_not_a_public_key() -> None:
    with pytest.raises(ValueError, match="public key"):
        keys.seal_to(keys.KeyPair.generate().public_key[:31], b"data key")


def test_it_refuses_a_sealed_box_that_holds_no_data_key() -> None:
    handler = keys.KeyPair.generate()
    with pytest.raises(FormatError):
        keys.unseal_data_key(handler, keys.seal_to(handler.public_key, b"too short"))


def test_it_restores_a_key_pair_from_its_private_bytes() -> None:
    pair = keys.KeyPair.generate()
    restored = keys.KeyPair.from_private_bytes(pair.private_bytes())
    assert restored.public_key == pair.public_key
    assert keys.unseal(restored, keys.seal_to(pair.public_key, b"x")) == b"x"


# --- Private keys under a password --------------------------------------------------------------


def test_it_unwraps_a_private_key_with_the_right_password() -> None:
    pair = keys.KeyPair.generate()
    ad = keys.context("staff", 7, "private-key")
    wrapped = keys.wrap_private_key(pair, PASSWORD, associated_data=ad)
    assert pair.private_bytes() not in wrapped
    unwrapped = keys.unwrap_private_key(wrapped, PASSWORD, associated_data=ad)
    assert unwrapped.private_bytes() == pair.private_bytes()


def test_it_refuses_to_unwrap_with_a_wrong_password() -> None:
    ad = keys.context("staff", 7, "private-key")
    wrapped = keys.wrap_private_key(keys.KeyPair.generate(), PASSWORD, associated_data=ad)
    with pytest.raises(DecryptionError):
        keys.unwrap_private_key(wrapped, PASSWORD.upper(), associated_data=ad)


def test_it_refuses_to_unwrap_another_staff_members_wrap() -> None:
    wrapped = keys.wrap_private_key(
        keys.KeyPair.generate(), PASSWORD, associated_data=keys.context("staff", 7, "private-key")
    )
    with pytest.raises(DecryptionError):
        keys.unwrap_private_key(wrapped, PASSWORD, associated_data=keys.context("staff", 8, "private-key"))


def test_it_refuses_a_wrap_whose_header_was_altered() -> None:
    ad = keys.context("staff", 7, "private-key")
    wrapped = keys.wrap_private_key(keys.KeyPair.generate(), PASSWORD, associated_data=ad)
    opslimit_low_byte = 5
    salt_first_byte = 10
    for index in (opslimit_low_byte, salt_first_byte):
        with pytest.raises(DecryptionError):
            keys.unwrap_private_key(_flip(wrapped, index, 1), PASSWORD, associated_data=ad)


def test_it_still_opens_a_wrap_made_before_the_cost_was_raised(settings: Any) -> None:
    ad = keys.context("staff", 7, "private-key")
    pair = keys.KeyPair.generate()
    old_wrap = keys.wrap_private_key(pair, PASSWORD, associated_data=ad)
    assert not keys.needs_rewrap(old_wrap)

    settings.OMBUDS_KDF_OPSLIMIT = 2
    settings.OMBUDS_KDF_MEMLIMIT_MIB = 2

    assert keys.unwrap_private_key(old_wrap, PASSWORD, associated_data=ad).public_key == pair.public_key
    assert keys.needs_rewrap(old_wrap)
    new_wrap = keys.wrap_private_key(pair, PASSWORD, associated_data=ad)
    new_params = kdf.KdfParams.from_header(new_wrap)
    assert (new_params.opslimit, new_params.memlimit_kib) == (2, 2048)
    assert not keys.needs_rewrap(new_wrap)
    assert keys.unwrap_private_key(new_wrap, PASSWORD, associated_data=ad).public_key == pair.public_key


def test_it_opens_a_data_key_sealed_to_a_staff_member_after_her_password_unlocks_her_key() -> None:
    ad = keys.context("staff", 7, "private-key")
    pair = keys.KeyPair.generate()
    wrapped = keys.wrap_private_key(pair, PASSWORD, associated_data=ad)
    data_key = keys.DataKey.generate()
    sealed = keys.seal_data_key(pair.public_key, data_key)
    narrative = keys.encrypt(data_key, NARRATIVE, keys.context("case", 3, "narrative"))

    unlocked = keys.unwrap_private_key(wrapped, PASSWORD, associated_data=ad)
    opened = keys.decrypt(keys.unseal_data_key(unlocked, sealed), narrative, keys.context("case", 3, "narrative"))
    assert opened == NARRATIVE


# --- Keys from receipts and tokens ------------------------------------------------------------


def test_it_derives_the_reporters_key_pair_from_her_receipt_however_it_is_typed() -> None:
    receipt = new_receipt()
    params = kdf.KdfParams.current()
    pair = keys.receipt_key_pair(receipt, params)
    sealed = keys.seal_data_key(pair.public_key, keys.DataKey.generate())

    typed_again = receipt.replace("-", " ")
    again = keys.receipt_key_pair(typed_again, kdf.KdfParams.from_header(params.header()))
    assert again.public_key == pair.public_key
    assert len(keys.unseal_data_key(again, sealed).raw) == keys.KEY_BYTES


def test_it_gives_another_receipt_another_key_pair() -> None:
    params = kdf.KdfParams.current()
    pair = keys.receipt_key_pair(new_receipt(), params)
    other = keys.receipt_key_pair(new_receipt(), params)
    sealed = keys.seal_to(pair.public_key, b"data key")
    with pytest.raises(DecryptionError):
        keys.unseal(other, sealed)


def test_it_refuses_to_derive_a_key_pair_from_something_that_is_not_a_receipt() -> None:
    with pytest.raises(ValueError, match="receipt"):
        keys.receipt_key_pair("1234-5678", kdf.KdfParams.current())


def test_it_derives_a_token_key_apart_from_the_tokens_lookup_digest() -> None:
    token = "omb_" + "x" * 43
    key = keys.token_key(token)
    assert key.raw == keys.token_key(token).raw
    assert key.raw != keys.token_key(token + "y").raw
    assert key.raw != hashlib.sha256(token.encode()).digest()


def test_it_refuses_a_token_key_from_a_short_secret() -> None:
    with pytest.raises(ValueError, match="high-entropy"):
        keys.token_key("omb_short")
