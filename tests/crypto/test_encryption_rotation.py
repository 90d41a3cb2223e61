"""Opening envelopes after the recipient rotated its encryption key (docs/keys.md §7).

Nothing in an envelope names the X25519 key it was sealed to, so the
recipient tries its current key, then the older ones it keeps: an envelope
(version 2) or an epoch secret (version 3) sealed to the old key before the
sender learnt of the new one still opens, the chain of an epoch opened under
the old key runs on, and new epochs sealed to the new key open too. A key
the recipient no longer holds opens nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hotline.crypto import (
    ZERO_HASH,
    ChainKey,
    Envelope,
    EnvelopeHeader,
    Identity,
    open_envelope,
    open_envelope_ratcheted,
    salted,
    seal_envelope,
    seal_envelope_ratcheted,
)
from hotline.errors import CryptoError, DecryptionFailed

from .conftest import fixed_identity


def _prev(serial: int) -> bytes:
    return ZERO_HASH if serial == 1 else hashlib.sha256(b"prev %d" % serial).digest()


def _new_key(label: str) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


@pytest.fixture
def receiver() -> Identity:
    # A fresh object per test: rotation changes it in place.
    return fixed_identity("Washington")


def _seal2(
    make_header: Callable[..., EnvelopeHeader],
    sender: Identity,
    receiver: Identity,
    serial: int,
    to_key: bytes,
) -> Envelope:
    return seal_envelope(
        header=make_header(sender, receiver, serial=serial, prev_hash=_prev(serial)),
        body=salted({"text": f"message {serial}"}),
        sender=sender,
        recipient_encryption_key=to_key,
    )


def test_rotation_keeps_the_old_key_and_changes_only_encryption(receiver: Identity) -> None:
    old_key, old_public, signing = (
        receiver.encryption_key,
        receiver.encryption_public,
        receiver.signing_public,
    )
    new_key = _new_key("new")
    receiver.rotate_encryption_key(new_key)
    assert receiver.encryption_key is new_key
    assert receiver.encryption_public != old_public
    assert receiver.previous_encryption_keys == (old_key,)
    assert receiver.decryption_keys == (new_key, old_key)
    assert receiver.signing_public == signing
    newer = _new_key("newer")
    receiver.rotate_encryption_key(newer)
    assert list(receiver.decryption_keys) == [newer, new_key, old_key]
    with pytest.raises(CryptoError):
        receiver.rotate_encryption_key(b"\x00" * 32)  # type: ignore[arg-type]
    with pytest.raises(CryptoError):
        Identity(
            party="Washington",
            signing_key=receiver.signing_key,
            encryption_key=newer,
            previous_encryption_keys=(b"\x00" * 32,),  # type: ignore[arg-type]
        )


def test_version_2_opens_under_the_old_and_the_new_key(
    make_header: Callable[..., EnvelopeHeader], moscow: Identity, receiver: Identity
) -> None:
    before = _seal2(make_header, moscow, receiver, 1, receiver.encryption_public)
    receiver.rotate_encryption_key(_new_key("new"))
    after = _seal2(make_header, moscow, receiver, 2, receiver.encryption_public)
    # Sealed to the old key, in flight while the recipient rotated.
    assert open_envelope(before, recipient=receiver)["text"] == "message 1"
    assert open_envelope(after, recipient=receiver)["text"] == "message 2"
    # Without the old key, what was sealed to it does not open.
    forgetful = Identity(
        party="Washington",
        signing_key=receiver.signing_key,
        encryption_key=receiver.encryption_key,
    )
    with pytest.raises(DecryptionFailed):
        open_envelope(before, recipient=forgetful)
    assert open_envelope(after, recipient=forgetful)["text"] == "message 2"


def test_a_key_never_held_opens_nothing(
    make_header: Callable[..., EnvelopeHeader], moscow: Identity, receiver: Identity
) -> None:
    stranger = _new_key("stranger").public_key().public_bytes_raw()
    envelope = _seal2(make_header, moscow, receiver, 1, stranger)
    receiver.rotate_encryption_key(_new_key("new"))
    with pytest.raises(DecryptionFailed):
        open_envelope(envelope, recipient=receiver)


def test_version_3_epoch_opened_under_the_old_key_runs_on_and_new_epochs_use_the_new(
    make_header: Callable[..., EnvelopeHeader], moscow: Identity, receiver: Identity
) -> None:
    def seal3(serial: int, chain: ChainKey | None, to_key: bytes) -> tuple[Envelope, ChainKey]:
        return seal_envelope_ratcheted(
            header=make_header(moscow, receiver, serial=serial, prev_hash=_prev(serial)),
            body=salted({"text": f"message {serial}"}),
            sender=moscow,
            recipient_encryption_key=to_key,
            chain=chain,
        )

    old_public = receiver.encryption_public
    first, sending = seal3(1, None, old_public)
    second, sending = seal3(2, sending, old_public)
    receiver.rotate_encryption_key(_new_key("new"))
    # The sender learns of the new key and opens a new epoch sealed to it.
    third, _ = seal3(3, None, receiver.encryption_public)
    assert third.header.epoch == 3
    assert third.header.epoch_key is not None
    body, receiving = open_envelope_ratcheted(first, recipient=receiver, chain=None)
    assert body["text"] == "message 1"
    body, receiving = open_envelope_ratcheted(second, recipient=receiver, chain=receiving)
    assert body["text"] == "message 2"
    body, receiving = open_envelope_ratcheted(third, recipient=receiver, chain=receiving)
    assert (body["text"], receiving.epoch) == ("message 3", 3)
    # The new epoch's secret is sealed to the new key only.
    old_only = Identity(
        party="Washington",
        signing_key=receiver.signing_key,
        encryption_key=receiver.previous_encryption_keys[0],
    )
    with pytest.raises(DecryptionFailed):
        open_envelope_ratcheted(third, recipient=old_only, chain=None)
