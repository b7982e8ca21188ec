"""OPRF(ristretto255, SHA-512) of RFC 9497 and the group and hashing beneath it (ombuds.crypto.oprf, .ristretto255).

The published test vectors are in tests/data: RFC 9497 Appendix A.1.1 and A.1.2 (the
OPRF and VOPRF modes), RFC 9380 Appendix K.3 (expand_message_xmd with SHA-512) and
RFC 9496 Appendix A (ristretto255's encodings, refused encodings and element
derivation). The properties after them check what the vectors cannot: that any input
comes out the same obliviously and directly, and that a wrong key, a changed proof or
a malformed element is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ombuds.crypto import oprf
from ombuds.crypto.errors import DeserializeError, VerifyError
from ombuds.crypto.ristretto255 import (
    ORDER,
    Element,
    Scalar,
    expand_message_xmd,
    hash_to_group,
    hash_to_scalar,
    mul_generator,
)

DATA = Path(__file__).resolve().parent / "data"
RFC9497 = json.loads((DATA / "rfc9497_ristretto255_sha512.json").read_text(encoding="utf-8"))
RFC9380_XMD = json.loads((DATA / "rfc9380_expand_message_xmd_sha512.json").read_text(encoding="utf-8"))
RFC9496 = json.loads((DATA / "rfc9496_ristretto255.json").read_text(encoding="utf-8"))

SUITES = {suite["mode"]: suite for suite in RFC9497["suites"]}


def _vectors(mode: str) -> list[Any]:
    return [pytest.param(vector, id=f"{vector['section']} {vector['name']}") for vector in SUITES[mode]["vectors"]]


def _hex(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


def _key_pair(mode: str) -> oprf.KeyPair:
    suite = SUITES[mode]
    return oprf.derive_key_pair(bytes.fromhex(suite["Seed"]), bytes.fromhex(suite["KeyInfo"]), oprf.Mode[mode])


# --- RFC 9497 Appendix A.1: ristretto255-SHA512 ---------------------------------------------------


def test_the_vector_file_holds_every_ristretto255_vector_of_both_modes() -> None:
    """A.1.1 has two vectors and A.1.2 three, the last a batch of two; none may go missing from the file."""
    assert [vector["section"] for vector in SUITES["OPRF"]["vectors"]] == ["A.1.1.1", "A.1.1.2"]
    assert [vector["section"] for vector in SUITES["VOPRF"]["vectors"]] == ["A.1.2.1", "A.1.2.2", "A.1.2.3"]
    assert [len(vector["Input"]) for vector in SUITES["VOPRF"]["vectors"]] == [1, 1, 2]


@pytest.mark.parametrize("mode", ["OPRF", "VOPRF"])
def test_it_derives_the_rfc_key_pair_from_seed_and_key_info(mode: str) -> None:
    key_pair = _key_pair(mode)
    assert key_pair.secret_key.to_bytes().hex() == SUITES[mode]["skSm"]
    if "pkSm" in SUITES[mode]:
        assert key_pair.public_key.to_bytes().hex() == SUITES[mode]["pkSm"]
    assert key_pair.public_key == mul_generator(key_pair.secret_key)


def test_the_two_modes_derive_different_keys_from_one_seed() -> None:
    assert _key_pair("OPRF").secret_key != _key_pair("VOPRF").secret_key


@pytest.mark.parametrize("vector", _vectors("OPRF"))
def test_it_reproduces_the_rfc_oprf_mode_vector(vector: dict[str, Any]) -> None:
    client = oprf.OPRFClient()
    server = oprf.OPRFServer(_key_pair("OPRF").secret_key)
    for input_, blind, blinded_hex, evaluated_hex, output_hex in zip(
        _hex(vector["Input"]),
        vector["Blind"],
        vector["BlindedElement"],
        vector["EvaluationElement"],
        vector["Output"],
        strict=True,
    ):
        blinded = client.blind(input_, blind=Scalar.from_bytes(bytes.fromhex(blind)))
        assert blinded.blinded_element.to_bytes().hex() == blinded_hex
        evaluated = server.blind_evaluate(Element.from_bytes(blinded.blinded_element.to_bytes()))
        assert evaluated.to_bytes().hex() == evaluated_hex
        output = client.finalize(input_, blinded.blind, Element.from_bytes(bytes.fromhex(evaluated_hex)))
        assert output.hex() == output_hex
        assert server.evaluate(input_).hex() == output_hex


@pytest.mark.parametrize("vector", _vectors("VOPRF"))
def test_it_reproduces_the_rfc_voprf_mode_vector_with_its_proof(vector: dict[str, Any]) -> None:
    key_pair = _key_pair("VOPRF")
    server = oprf.VOPRFServer(key_pair.secret_key)
    client = oprf.VOPRFClient(Element.from_bytes(bytes.fromhex(SUITES["VOPRF"]["pkSm"])))
    inputs = _hex(vector["Input"])
    blinded = [
        client.blind(input_, blind=Scalar.from_bytes(blind))
        for input_, blind in zip(inputs, _hex(vector["Blind"]), strict=True)
    ]
    assert [item.blinded_element.to_bytes().hex() for item in blinded] == vector["BlindedElement"]

    evaluated, proof = server.blind_evaluate_batch(
        [item.blinded_element for item in blinded],
        proof_random=Scalar.from_bytes(bytes.fromhex(vector["ProofRandomScalar"])),
    )
    assert [element.to_bytes().hex() for element in evaluated] == vector["EvaluationElement"]
    assert proof.to_bytes().hex() == vector["Proof"]

    outputs = client.finalize_batch(
        inputs,
        [item.blind for item in blinded],
        [Element.from_bytes(element) for element in _hex(vector["EvaluationElement"])],
        [item.blinded_element for item in blinded],
        oprf.Proof.from_bytes(bytes.fromhex(vector["Proof"])),
    )
    assert [output.hex() for output in outputs] == vector["Output"]
    assert [server.evaluate(input_).hex() for input_ in inputs] == vector["Output"]


@pytest.mark.parametrize("vector", _vectors("VOPRF"))
def test_a_client_refuses_the_rfc_proof_under_the_other_modes_key(vector: dict[str, Any]) -> None:
    client = oprf.VOPRFClient(_key_pair("OPRF").public_key)
    with pytest.raises(VerifyError):
        client.finalize_batch(
            _hex(vector["Input"]),
            [Scalar.from_bytes(blind) for blind in _hex(vector["Blind"])],
            [Element.from_bytes(element) for element in _hex(vector["EvaluationElement"])],
            [Element.from_bytes(element) for element in _hex(vector["BlindedElement"])],
            oprf.Proof.from_bytes(bytes.fromhex(vector["Proof"])),
        )


@pytest.mark.parametrize("vector", _vectors("OPRF"))
def test_hash_to_group_uses_the_rfc_domain_separation_tag(vector: dict[str, Any]) -> None:
    """HashToGroup(input) is Blind⁻¹ · BlindedElement; the vectors fix it for "HashToGroup-" || contextString."""
    blind = Scalar.from_bytes(bytes.fromhex(vector["Blind"][0]))
    expected = blind.invert() * Element.from_bytes(bytes.fromhex(vector["BlindedElement"][0]))
    context = oprf.context_string(oprf.Mode.OPRF)
    assert context == b"OPRFV1-\x00-ristretto255-SHA512"
    assert hash_to_group(bytes.fromhex(vector["Input"][0]), b"HashToGroup-" + context) == expected
    assert hash_to_group(bytes.fromhex(vector["Input"][0]), b"HashToGroup-" + context + b"x") != expected


# --- RFC 9380 Appendix K.3 and RFC 9496 Appendix A ----------------------------------------------------


@pytest.mark.parametrize(
    "vector", [pytest.param(v, id=f"{v['msg'][:12] or 'empty'}-{v['len_in_bytes']}") for v in RFC9380_XMD["vectors"]]
)
def test_expand_message_xmd_matches_rfc9380_sha512_vectors(vector: dict[str, str]) -> None:
    uniform = expand_message_xmd(vector["msg"].encode(), RFC9380_XMD["DST"].encode(), int(vector["len_in_bytes"], 16))
    assert uniform.hex() == vector["uniform_bytes"]


def test_expand_message_xmd_refuses_tags_and_lengths_outside_its_bounds() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        expand_message_xmd(b"msg", b"", 32)
    with pytest.raises(ValueError, match="at most 255"):
        expand_message_xmd(b"msg", b"d" * 256, 32)
    with pytest.raises(ValueError, match="255 blocks"):
        expand_message_xmd(b"msg", b"dst", 255 * 64 + 1)
    with pytest.raises(ValueError, match="255 blocks"):
        expand_message_xmd(b"msg", b"dst", 0)
    assert len(expand_message_xmd(b"msg", b"dst", 255 * 64)) == 255 * 64


def test_the_multiples_of_the_generator_encode_as_rfc9496_lists_them() -> None:
    encodings = [bytes.fromhex(value) for value in RFC9496["multiples_of_generator"]]
    assert Element.identity().to_bytes() == encodings[0]
    assert Element.generator().to_bytes() == encodings[1]
    total = Element.identity()
    for multiple, encoding in enumerate(encodings):
        assert mul_generator(Scalar.from_int(multiple)).to_bytes() == encoding
        assert total.to_bytes() == encoding
        total = total + Element.generator()
    assert all(Element.from_bytes(encoding).to_bytes() == encoding for encoding in encodings[1:])


@pytest.mark.parametrize(
    "encoding",
    [
        pytest.param(value, id=f"{reason} {index}")
        for reason, values in RFC9496["invalid_encodings"].items()
        for index, value in enumerate(values)
    ],
)
def test_it_refuses_every_encoding_rfc9496_says_decode_must_refuse(encoding: str) -> None:
    with pytest.raises(DeserializeError):
        Element.from_bytes(bytes.fromhex(encoding))
    with pytest.raises(DeserializeError):
        Element(bytes.fromhex(encoding))


@pytest.mark.parametrize("vector", RFC9496["element_derivation"], ids=lambda v: v["output"][:8])
def test_element_derivation_matches_rfc9496(vector: dict[str, str]) -> None:
    assert Element.from_uniform(bytes.fromhex(vector["input"])).to_bytes().hex() == vector["output"]


def test_deserialisation_refuses_the_identity_and_wrong_lengths() -> None:
    with pytest.raises(DeserializeError, match="identity"):
        Element.from_bytes(bytes(32))
    for length in (0, 31, 33, 64):
        with pytest.raises(DeserializeError):
            Element.from_bytes(bytes(length))
        with pytest.raises(DeserializeError):
            Scalar.from_bytes(bytes(length))


def test_scalars_must_be_below_the_group_order() -> None:
    assert Scalar.from_bytes((ORDER - 1).to_bytes(32, "little")).to_bytes() == (ORDER - 1).to_bytes(32, "little")
    for value in (ORDER, ORDER + 1, 2**253, 2**256 - 1):
        with pytest.raises(DeserializeError):
            Scalar.from_bytes(value.to_bytes(32, "little"))
    with pytest.raises(ValueError, match="group order"):
        Scalar.from_int(ORDER)


@given(st.binary(min_size=32, max_size=32))
def test_a_scalar_encoding_is_accepted_exactly_when_it_is_below_the_order(raw: bytes) -> None:
    if int.from_bytes(raw, "little") < ORDER:
        assert Scalar.from_bytes(raw).to_bytes() == raw
    else:
        with pytest.raises(DeserializeError):
            Scalar.from_bytes(raw)


@given(st.binary(min_size=32, max_size=32))
def test_any_32_bytes_either_decode_to_an_element_that_encodes_back_the_same_or_are_refused(raw: bytes) -> None:
    try:
        element = Element.from_bytes(raw)
    except DeserializeError:
        return
    assert element.to_bytes() == raw
    assert not element.is_identity()


def test_hash_to_scalar_reduces_64_bytes_little_endian() -> None:
    dst = b"HashToScalar-" + oprf.context_string(oprf.Mode.VOPRF)
    expected = int.from_bytes(expand_message_xmd(b"message", dst, 64), "little") % ORDER
    assert hash_to_scalar(b"message", dst).to_bytes() == expected.to_bytes(32, "little")


def test_scalar_arithmetic_agrees_with_integers_modulo_the_order() -> None:
    a, b = Scalar.from_int(ORDER - 5), Scalar.from_int(12)
    assert (a + b).to_bytes() == (7).to_bytes(32, "little")
    assert (b - a).to_bytes() == (17).to_bytes(32, "little")
    assert (a * b).to_bytes() == ((ORDER - 5) * 12 % ORDER).to_bytes(32, "little")
    assert (b * b.invert()).to_bytes() == (1).to_bytes(32, "little")
    assert (-b).to_bytes() == (ORDER - 12).to_bytes(32, "little")
    with pytest.raises(ZeroDivisionError):
        Scalar.from_int(0).invert()


def test_neither_scalars_nor_servers_show_their_secret_in_a_repr() -> None:
    key_pair = oprf.generate_key_pair()
    secret_hex = key_pair.secret_key.to_bytes().hex()
    for shown in (key_pair, oprf.VOPRFServer(key_pair.secret_key), oprf.OPRFServer(key_pair.secret_key)):
        assert secret_hex not in repr(shown)
        assert secret_hex[:8] not in repr(shown)


# --- Properties ------------------------------------------------------------------------------------

INPUTS = st.binary(max_size=200)


@settings(max_examples=30, deadline=None)
@given(INPUTS)
def test_the_oblivious_output_equals_the_direct_evaluation_in_oprf_mode(input_: bytes) -> None:
    server = oprf.OPRFServer(oprf.generate_key_pair().secret_key)
    client = oprf.OPRFClient()
    blinded = client.blind(input_)
    evaluated = server.blind_evaluate(Element.from_bytes(blinded.blinded_element.to_bytes()))
    assert client.finalize(input_, blinded.blind, evaluated) == server.evaluate(input_)


@settings(max_examples=20, deadline=None)
@given(st.lists(INPUTS, min_size=1, max_size=4))
def test_the_oblivious_outputs_equal_the_direct_evaluations_in_voprf_mode(inputs: list[bytes]) -> None:
    server = oprf.VOPRFServer(oprf.generate_key_pair().secret_key)
    client = oprf.VOPRFClient(server.public_key)
    blinded = [client.blind(input_) for input_ in inputs]
    evaluated, proof = server.blind_evaluate_batch([item.blinded_element for item in blinded])
    outputs = client.finalize_batch(
        inputs,
        [item.blind for item in blinded],
        [Element.from_bytes(element.to_bytes()) for element in evaluated],
        [item.blinded_element for item in blinded],
        oprf.Proof.from_bytes(proof.to_bytes()),
    )
    assert outputs == [server.evaluate(input_) for input_ in inputs]
    # The blind hides the input: the same input blinded twice is sent as two unrelated elements.
    assert client.blind(inputs[0]).blinded_element != blinded[0].blinded_element


@settings(max_examples=20, deadline=None)
@given(INPUTS)
def test_a_proof_made_with_another_key_fails(input_: bytes) -> None:
    published = oprf.VOPRFServer(oprf.generate_key_pair().secret_key)
    other = oprf.VOPRFServer(oprf.generate_key_pair().secret_key)
    client = oprf.VOPRFClient(published.public_key)
    blinded = client.blind(input_)
    evaluated, proof = other.blind_evaluate(blinded.blinded_element)
    with pytest.raises(VerifyError):
        client.finalize(input_, blinded.blind, evaluated, blinded.blinded_element, proof)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=oprf.PROOF_BYTES * 8 - 1))
def test_a_proof_with_any_bit_changed_fails(bit: int) -> None:
    server = oprf.VOPRFServer(oprf.generate_key_pair().secret_key)
    client = oprf.VOPRFClient(server.public_key)
    blinded = client.blind(b"manager@example.com")
    evaluated, proof = server.blind_evaluate(blinded.blinded_element)
    tampered = bytearray(proof.to_bytes())
    tampered[bit // 8] ^= 1 << (bit % 8)
    # A changed bit makes a scalar non-canonical (refused when read) or a proof that does not verify.
    with pytest.raises((DeserializeError, VerifyError)):
        client.finalize(
            b"manager@example.com",
            blinded.blind,
            evaluated,
            blinded.blinded_element,
            oprf.Proof.from_bytes(bytes(tampered)),
        )


def test_a_proof_does_not_cover_a_changed_or_reordered_evaluation() -> None:
    server = oprf.VOPRFServer(oprf.generate_key_pair().secret_key)
    client = oprf.VOPRFClient(server.public_key)
    inputs = [b"first", b"second"]
    blinded = [client.blind(input_) for input_ in inputs]
    blinded_elements = [item.blinded_element for item in blinded]
    blinds = [item.blind for item in blinded]
    evaluated, proof = server.blind_evaluate_batch(blinded_elements)
    assert client.finalize_batch(inputs, blinds, evaluated, blinded_elements, proof) == [
        server.evaluate(input_) for input_ in inputs
    ]
    with pytest.raises(VerifyError):
        client.finalize_batch(inputs, blinds, evaluated[::-1], blinded_elements, proof)
    with pytest.raises(VerifyError):
        client.finalize_batch(
            inputs, blinds, [evaluated[0], evaluated[0] + Element.generator()], blinded_elements, proof
        )
    with pytest.raises(VerifyError):
        client.finalize_batch(
            inputs, blinds, evaluated, [blinded_elements[0], client.blind(b"x").blinded_element], proof
        )


@given(st.binary(min_size=32, max_size=32))
def test_encodings_of_a_negative_or_too_large_field_element_are_refused(raw: bytes) -> None:
    """RFC 9496 §4.3.1: s must be non-negative (its lowest bit clear) and below p (its top bit clear)."""
    negative = bytes([raw[0] | 0x01]) + raw[1:]
    too_large = raw[:31] + bytes([raw[31] | 0x80])
    for malformed in (negative, too_large):
        with pytest.raises(DeserializeError):
            Element.from_bytes(malformed)


@given(st.binary(max_size=64).filter(lambda raw: len(raw) != 32))
def test_elements_scalars_and_proofs_of_the_wrong_length_are_refused(raw: bytes) -> None:
    with pytest.raises(DeserializeError):
        Element.from_bytes(raw)
    with pytest.raises(DeserializeError):
        Scalar.from_bytes(raw)
    if len(raw) != oprf.PROOF_BYTES:
        with pytest.raises(DeserializeError):
            oprf.Proof.from_bytes(raw)


def test_servers_and_clients_refuse_the_identity_element() -> None:
    key_pair = oprf.generate_key_pair()
    identity = Element.identity()
    with pytest.raises(DeserializeError):
        oprf.OPRFServer(key_pair.secret_key).blind_evaluate(identity)
    with pytest.raises(DeserializeError):
        oprf.VOPRFServer(key_pair.secret_key).blind_evaluate(identity)
    with pytest.raises(DeserializeError):
        oprf.OPRFClient().finalize(b"input", Scalar.random(), identity)
    with pytest.raises(DeserializeError):
        oprf.VOPRFClient(identity)


def test_the_two_modes_give_unrelated_outputs_for_one_key_and_input() -> None:
    secret_key = oprf.generate_key_pair().secret_key
    assert oprf.OPRFServer(secret_key).evaluate(b"input") != oprf.VOPRFServer(secret_key).evaluate(b"input")


def test_inputs_seeds_and_keys_outside_the_rfc_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 65534 bytes"):
        oprf.OPRFClient().blind(bytes(oprf.MAX_INPUT_BYTES + 1))
    assert oprf.OPRFServer(oprf.generate_key_pair().secret_key).evaluate(bytes(oprf.MAX_INPUT_BYTES))
    with pytest.raises(ValueError, match="seed is 32 bytes"):
        oprf.derive_key_pair(bytes(31), b"", oprf.Mode.OPRF)
    with pytest.raises(ValueError, match="must not be zero"):
        oprf.VOPRFServer(Scalar.from_int(0))
    with pytest.raises(ValueError, match="must not be zero"):
        oprf.OPRFClient().blind(b"input", blind=Scalar.from_int(0))
    with pytest.raises(DeserializeError):
        oprf.Proof.from_bytes(bytes(63))
    server = oprf.VOPRFServer(oprf.generate_key_pair().secret_key)
    with pytest.raises(ValueError, match="one or more"):
        server.blind_evaluate_batch([])
