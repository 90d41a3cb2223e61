"""Master transitions: the old master hands the identity to the new one, which counter-signs."""

from __future__ import annotations

import dataclasses
import hashlib

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.crypto import (
    MASTER_COUNTERSIGN_DOMAIN,
    MASTER_TRANSITION_DOMAIN,
    MAX_MASTER_TRANSITION_BYTES,
    MasterTransition,
    SoftwareSigner,
    make_master_transition,
    verify_signature,
)
from hotline.errors import CardInvalid

AT = 1_790_000_000


def signer(label: str) -> SoftwareSigner:
    return SoftwareSigner(
        Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())
    )


OLD = signer("Washington master 1")
NEW = signer("Washington master 2")
THIEF = signer("someone else")


def transition() -> MasterTransition:
    return make_master_transition(party="Washington", old=OLD, new=NEW, at=AT)


def test_round_trip_and_both_signatures_under_their_domains() -> None:
    made = transition()
    assert (made.old_master, made.new_master, made.at) == (OLD.public_key, NEW.public_key, AT)
    assert MasterTransition.decode(made.encode()) == made
    assert made.signed_bytes().startswith(MASTER_TRANSITION_DOMAIN)
    assert made.countersigned_bytes().startswith(MASTER_COUNTERSIGN_DOMAIN)
    verify_signature(OLD.public_key, made.old_signature, made.signed_bytes())
    verify_signature(NEW.public_key, made.new_signature, made.countersigned_bytes())
    # Deterministic: Ed25519 and canonical CBOR.
    assert transition().encode() == made.encode()
    assert len(made.encode()) < MAX_MASTER_TRANSITION_BYTES


def test_a_transition_not_signed_by_the_old_master_is_refused() -> None:
    # The thief signs as "old" but names the real old master: the signature fails.
    forged = make_master_transition(party="Washington", old=THIEF, new=NEW, at=AT)
    claimed = dataclasses.replace(forged, old_master=OLD.public_key)
    with pytest.raises(CardInvalid, match="old master key's signature"):
        claimed.verify()
    with pytest.raises(CardInvalid, match="old master key's signature"):
        MasterTransition.decode(claimed.encode())


def test_a_transition_without_the_new_masters_countersignature_is_refused() -> None:
    made = transition()
    # The old master names a key whose holder did not accept it.
    swapped = dataclasses.replace(made, new_master=THIEF.public_key)
    resigned = dataclasses.replace(swapped, old_signature=OLD.sign(swapped.signed_bytes()))
    with pytest.raises(CardInvalid, match="counter-signature"):
        MasterTransition.decode(resigned.encode())


@pytest.mark.parametrize(
    "change",
    [
        {"party": "Moscow"},
        {"at": AT + 1},
    ],
)
def test_a_changed_field_breaks_the_signature(change: dict[str, object]) -> None:
    changed = dataclasses.replace(transition(), **change)  # type: ignore[arg-type]
    with pytest.raises(CardInvalid, match="does not verify"):
        MasterTransition.decode(changed.encode())


def test_malformed_bytes_are_refused() -> None:
    document = cbor2.loads(transition().encode())
    for bad, message in (
        (b"", "not bytes"),
        (b"\xff" * (MAX_MASTER_TRANSITION_BYTES + 1), "byte limit"),
        (b"\x9f", "not CBOR"),
        (cbor2.dumps([1]), "not a CBOR map"),
        (cbor2.dumps({**document, "v": 2}, canonical=True), "unsupported version"),
        (cbor2.dumps({**document, "extra": 1}, canonical=True), "unexpected"),
        (cbor2.dumps({**document, "at": "now"}, canonical=True), "field 'at'"),
        (cbor2.dumps(dict(reversed(list(document.items())))), "canonical"),
    ):
        with pytest.raises(CardInvalid, match=message):
            MasterTransition.decode(bad)


def test_the_new_master_must_differ_from_the_old() -> None:
    with pytest.raises(CardInvalid, match="must differ"):
        make_master_transition(party="Washington", old=OLD, new=OLD, at=AT)
