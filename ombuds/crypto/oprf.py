"""OPRF(ristretto255, SHA-512) of RFC 9497, in its OPRF mode and its verifiable VOPRF mode.

An oblivious pseudo-random function lets a client learn F(key, input) from a server
that holds the key, without the server learning the input or the output:

    client                                      server (secret key k)
    blind, blinded = client.blind(input)
                         blinded  ------>
                                      evaluated = server.blind_evaluate(blinded)
                         <------  evaluated  (and, in VOPRF mode, a proof)
    output = client.finalize(input, blind, evaluated, ...)

output equals server.evaluate(input), which the holder of the key can compute on its
own. In VOPRF mode the server also proves, with a batched discrete-logarithm-equality
proof (RFC 9497 §2.2), that it used the key whose public key the client knows, so a
server cannot quietly use another key for some clients.

The classes follow the RFC's contexts: OPRFClient/OPRFServer (modeOPRF, 0x00) and
VOPRFClient/VOPRFServer (modeVOPRF, 0x01). The mode is part of every hash's domain
separation tag, so the two modes give unrelated outputs for the same key and input.
Elements and scalars travel as bytes through Element/Scalar.from_bytes and to_bytes
(ombuds/crypto/ristretto255.py), which refuse non-canonical encodings and the
identity; Proof.from_bytes does the same for a proof. The protocol code follows the
RFC's pseudocode step by step; tests/test_oprf.py checks it against every
ristretto255-SHA512 test vector of RFC 9497 Appendix A.1.1 and A.1.2.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from ombuds.crypto.errors import DeriveKeyPairError, DeserializeError, InvalidInputError, VerifyError
from ombuds.crypto.ristretto255 import (
    SCALAR_BYTES,
    Element,
    Scalar,
    hash_to_group,
    hash_to_scalar,
    i2osp,
    mul_generator,
)

IDENTIFIER = b"ristretto255-SHA512"
OUTPUT_BYTES = 64  # Nh: SHA-512
PROOF_BYTES = 2 * SCALAR_BYTES
SEED_BYTES = SCALAR_BYTES  # DeriveKeyPair takes a seed of Ns bytes
# Inputs and key infos are written with a two-byte length (RFC 9497 §5.1): shorter than 2^16 - 1.
MAX_INPUT_BYTES = 2**16 - 2
# A composite's index is written in two bytes (§2.2.1), so a batch holds at most 2^16 elements.
MAX_BATCH = 2**16


class Mode(IntEnum):
    OPRF = 0x00
    VOPRF = 0x01


def context_string(mode: Mode) -> bytes:
    """CreateContextString (§3.1): "OPRFV1-" || I2OSP(mode, 1) || "-" || identifier."""
    return b"OPRFV1-" + i2osp(mode, 1) + b"-" + IDENTIFIER


@dataclass(frozen=True)
class KeyPair:
    """A server's key: the secret scalar skS and the public element pkS = skS·G."""

    secret_key: Scalar
    public_key: Element


def generate_key_pair() -> KeyPair:
    """GenerateKeyPair (§3.2): a random non-zero secret key."""
    secret_key = Scalar.random()
    return KeyPair(secret_key, mul_generator(secret_key))


def derive_key_pair(seed: bytes, info: bytes, mode: Mode) -> KeyPair:
    """DeriveKeyPair (§3.2.1): the key pair a secret 32-byte seed and a public info string give in a mode."""
    if len(seed) != SEED_BYTES:
        raise ValueError(f"a seed is {SEED_BYTES} bytes, not {len(seed)}")
    _check_length(info, "key info")
    derive_input = seed + i2osp(len(info), 2) + info
    dst = b"DeriveKeyPair" + context_string(mode)
    for counter in range(256):
        secret_key = hash_to_scalar(derive_input + i2osp(counter, 1), dst)
        if not secret_key.is_zero():
            return KeyPair(secret_key, mul_generator(secret_key))
    raise DeriveKeyPairError("no non-zero key in 256 tries")


@dataclass(frozen=True)
class Proof:
    """A DLEQ proof (c, s), serialised as the two scalars one after the other."""

    c: Scalar
    s: Scalar

    def to_bytes(self) -> bytes:
        return self.c.to_bytes() + self.s.to_bytes()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Proof:
        """DeserializeError unless raw is two canonical scalars."""
        if len(raw) != PROOF_BYTES:
            raise DeserializeError(f"a proof is {PROOF_BYTES} bytes, not {len(raw)}")
        return cls(Scalar.from_bytes(raw[:SCALAR_BYTES]), Scalar.from_bytes(raw[SCALAR_BYTES:]))


@dataclass(frozen=True)
class Blinded:
    """What Blind() returns: the secret blind, which the client keeps, and the blinded element it sends."""

    blind: Scalar
    blinded_element: Element


# --- OPRF mode -----------------------------------------------------------------------------------


class OPRFClient:
    """The client of the OPRF mode (SetupOPRFClient)."""

    mode = Mode.OPRF

    def blind(self, input_: bytes, *, blind: Scalar | None = None) -> Blinded:
        """Blind (§3.3.1); blind is fixed only by tests that replay the RFC's vectors."""
        return _blind(context_string(self.mode), input_, blind)

    def finalize(self, input_: bytes, blind: Scalar, evaluated_element: Element) -> bytes:
        """Finalize (§3.3.1): the 64-byte output for input."""
        return _finalize(input_, blind, evaluated_element)


class OPRFServer:
    """The server of the OPRF mode (SetupOPRFServer), holding the secret key."""

    mode = Mode.OPRF

    def __init__(self, secret_key: Scalar) -> None:
        if secret_key.is_zero():
            raise ValueError("the secret key must not be zero")
        self._secret_key = secret_key

    def blind_evaluate(self, blinded_element: Element) -> Element:
        """BlindEvaluate (§3.3.1)."""
        _refuse_identity(blinded_element)
        return self._secret_key * blinded_element

    def evaluate(self, input_: bytes) -> bytes:
        """Evaluate (§3.3.1): the output for input, computed directly with the key."""
        return _evaluate(context_string(self.mode), self._secret_key, input_)

    def __repr__(self) -> str:
        return "OPRFServer(<key hidden>)"


# --- VOPRF mode ----------------------------------------------------------------------------------


class VOPRFClient:
    """The client of the VOPRF mode (SetupVOPRFClient), knowing the server's public key."""

    mode = Mode.VOPRF

    def __init__(self, public_key: Element) -> None:
        _refuse_identity(public_key)
        self.public_key = public_key

    def blind(self, input_: bytes, *, blind: Scalar | None = None) -> Blinded:
        """Blind (§3.3.1, the same in both modes but for the context string)."""
        return _blind(context_string(self.mode), input_, blind)

    def finalize(
        self, input_: bytes, blind: Scalar, evaluated_element: Element, blinded_element: Element, proof: Proof
    ) -> bytes:
        """Finalize (§3.3.2): VerifyError unless the proof shows the evaluation used the public key."""
        return self.finalize_batch([input_], [blind], [evaluated_element], [blinded_element], proof)[0]

    def finalize_batch(
        self,
        inputs: Sequence[bytes],
        blinds: Sequence[Scalar],
        evaluated_elements: Sequence[Element],
        blinded_elements: Sequence[Element],
        proof: Proof,
    ) -> list[bytes]:
        """Finalize for a batch evaluated under one proof (§3.3.2 with lists longer than one).

        The proof is verified over the whole batch first; nothing is output if it fails.
        """
        count = len(inputs)
        if not (len(blinds) == len(evaluated_elements) == len(blinded_elements) == count):
            raise ValueError("inputs, blinds, evaluated and blinded elements must be as many")
        for element in evaluated_elements:
            _refuse_identity(element)
        context = context_string(self.mode)
        if not verify_proof(context, Element.generator(), self.public_key, blinded_elements, evaluated_elements, proof):
            raise VerifyError("the proof does not show that the evaluation used the server's public key")
        return [
            _finalize(input_, blind, evaluated)
            for input_, blind, evaluated in zip(inputs, blinds, evaluated_elements, strict=True)
        ]


class VOPRFServer:
    """The server of the VOPRF mode (SetupVOPRFServer), holding the secret key and proving its use."""

    mode = Mode.VOPRF

    def __init__(self, secret_key: Scalar) -> None:
        if secret_key.is_zero():
            raise ValueError("the secret key must not be zero")
        self._secret_key = secret_key
        self.public_key = mul_generator(secret_key)

    def blind_evaluate(self, blinded_element: Element, *, proof_random: Scalar | None = None) -> tuple[Element, Proof]:
        """BlindEvaluate (§3.3.2): the evaluated element and a proof for it."""
        evaluated, proof = self.blind_evaluate_batch([blinded_element], proof_random=proof_random)
        return evaluated[0], proof

    def blind_evaluate_batch(
        self, blinded_elements: Sequence[Element], *, proof_random: Scalar | None = None
    ) -> tuple[list[Element], Proof]:
        """BlindEvaluate for several elements with one constant-size proof for all of them.

        proof_random (the r of GenerateProof) is fixed only by tests replaying the RFC's vectors.
        """
        for element in blinded_elements:
            _refuse_identity(element)
        evaluated = [self._secret_key * element for element in blinded_elements]
        proof = generate_proof(
            context_string(self.mode),
            self._secret_key,
            Element.generator(),
            self.public_key,
            blinded_elements,
            evaluated,
            r=proof_random,
        )
        return evaluated, proof

    def evaluate(self, input_: bytes) -> bytes:
        """Evaluate (§3.3.2 refers to §3.3.1): the output for input, computed directly with the key."""
        return _evaluate(context_string(self.mode), self._secret_key, input_)

    def __repr__(self) -> str:
        return "VOPRFServer(<key hidden>)"


# --- Discrete logarithm equivalence proofs (§2.2) --------------------------------------------------


def generate_proof(
    context: bytes,
    k: Scalar,
    a: Element,
    b: Element,
    c: Sequence[Element],
    d: Sequence[Element],
    *,
    r: Scalar | None = None,
) -> Proof:
    """GenerateProof (§2.2.1): a proof that k·A == B and k·C[i] == D[i] for every i."""
    m, z = _compute_composites_fast(context, k, b, c, d)
    r = r if r is not None else Scalar.random()
    t2 = r * a
    t3 = r * m
    challenge = _challenge(context, b, m, z, t2, t3)
    return Proof(challenge, r - challenge * k)


def verify_proof(
    context: bytes, a: Element, b: Element, c: Sequence[Element], d: Sequence[Element], proof: Proof
) -> bool:
    """VerifyProof (§2.2.2)."""
    m, z = _compute_composites(context, b, c, d)
    t2 = proof.s * a + proof.c * b
    t3 = proof.s * m + proof.c * z
    expected = _challenge(context, b, m, z, t2, t3)
    return hmac.compare_digest(expected.to_bytes(), proof.c.to_bytes())


def _challenge(context: bytes, b: Element, m: Element, z: Element, t2: Element, t3: Element) -> Scalar:
    transcript = b"".join(_length_prefixed(element.to_bytes()) for element in (b, m, z, t2, t3)) + b"Challenge"
    return hash_to_scalar(transcript, _scalar_dst(context))


def _composite_weights(context: bytes, b: Element, c: Sequence[Element], d: Sequence[Element]) -> list[Scalar]:
    """The scalars d_i that ComputeComposites and ComputeCompositesFast weigh C[i] and D[i] with."""
    if not c or len(c) != len(d):
        raise ValueError("a proof covers one or more pairs of elements")
    if len(c) > MAX_BATCH:
        raise ValueError(f"a proof covers at most {MAX_BATCH} pairs of elements")
    seed_dst = b"Seed-" + context
    seed = hashlib.sha512(_length_prefixed(b.to_bytes()) + _length_prefixed(seed_dst)).digest()
    dst = _scalar_dst(context)
    return [
        hash_to_scalar(
            _length_prefixed(seed)
            + i2osp(index, 2)
            + _length_prefixed(ci.to_bytes())
            + _length_prefixed(di.to_bytes())
            + b"Composite",
            dst,
        )
        for index, (ci, di) in enumerate(zip(c, d, strict=True))
    ]


def _compute_composites(
    context: bytes, b: Element, c: Sequence[Element], d: Sequence[Element]
) -> tuple[Element, Element]:
    m = z = Element.identity()
    for weight, ci, di in zip(_composite_weights(context, b, c, d), c, d, strict=True):
        m = weight * ci + m
        z = weight * di + z
    return m, z


def _compute_composites_fast(
    context: bytes, k: Scalar, b: Element, c: Sequence[Element], d: Sequence[Element]
) -> tuple[Element, Element]:
    # The server knows k, so Z = k·M saves one multiplication per element.
    m = Element.identity()
    for weight, ci in zip(_composite_weights(context, b, c, d), c, strict=True):
        m = weight * ci + m
    return m, k * m


# --- Shared steps ---------------------------------------------------------------------------------


def _blind(context: bytes, input_: bytes, blind: Scalar | None) -> Blinded:
    _check_length(input_, "input")
    blind = blind if blind is not None else Scalar.random()
    if blind.is_zero():
        raise ValueError("a blind must not be zero")
    input_element = hash_to_group(input_, _group_dst(context))
    if input_element.is_identity():
        raise InvalidInputError("the input hashes to the identity element")
    return Blinded(blind, blind * input_element)


def _finalize(input_: bytes, blind: Scalar, evaluated_element: Element) -> bytes:
    _check_length(input_, "input")
    _refuse_identity(evaluated_element)
    unblinded = blind.invert() * evaluated_element
    return _output(input_, unblinded)


def _evaluate(context: bytes, secret_key: Scalar, input_: bytes) -> bytes:
    _check_length(input_, "input")
    input_element = hash_to_group(input_, _group_dst(context))
    if input_element.is_identity():
        raise InvalidInputError("the input hashes to the identity element")
    return _output(input_, secret_key * input_element)


def _output(input_: bytes, element: Element) -> bytes:
    hash_input = _length_prefixed(input_) + _length_prefixed(element.to_bytes()) + b"Finalize"
    return hashlib.sha512(hash_input).digest()


def _group_dst(context: bytes) -> bytes:
    return b"HashToGroup-" + context


def _scalar_dst(context: bytes) -> bytes:
    return b"HashToScalar-" + context


def _length_prefixed(value: bytes) -> bytes:
    return i2osp(len(value), 2) + value


def _check_length(value: bytes, what: str) -> None:
    if len(value) > MAX_INPUT_BYTES:
        raise ValueError(f"an OPRF {what} is at most {MAX_INPUT_BYTES} bytes")


def _refuse_identity(element: Element) -> None:
    # Elements from the other party arrive through Element.from_bytes, which refuses the
    # identity already; this keeps one built any other way from slipping through.
    if element.is_identity():
        raise DeserializeError("the identity element is not accepted")
