"""Shared fixtures for the crypto tests: two fixed identities and a sealing helper."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from hotline.crypto import (
    ZERO_HASH,
    Envelope,
    EnvelopeHeader,
    Identity,
    Precedence,
    salted,
    seal_envelope,
)


def fixed_identity(party: str) -> Identity:
    """A deterministic identity: keys are SHA-256 of a label, so tests need no RNG."""
    return Identity.from_private_bytes(
        party,
        hashlib.sha256(f"{party} signing".encode()).digest(),
        hashlib.sha256(f"{party} encryption".encode()).digest(),
    )


@pytest.fixture(scope="session")
def moscow() -> Identity:
    return fixed_identity("Moscow")


@pytest.fixture(scope="session")
def washington() -> Identity:
    return fixed_identity("Washington")


@pytest.fixture(scope="session")
def mallory() -> Identity:
    return fixed_identity("Mallory")


def _make_header(sender: Identity, recipient: Identity, /, **overrides: Any) -> EnvelopeHeader:
    fields: dict[str, Any] = {
        "message_id": "00112233445566778899aabbccddeeff",
        "sender": sender.signing_public,
        "recipient": recipient.signing_public,
        "channel": "leaders",
        "serial": 1,
        "sent_at": "1973-10-23T16:00:00.000000Z",
        "time_group": "231600Z",
        "precedence": Precedence.FLASH,
        "kind": "text",
        "prev_hash": ZERO_HASH,
    }
    fields.update(overrides)
    return EnvelopeHeader(**fields)


@pytest.fixture(scope="session")
def make_header() -> Callable[..., EnvelopeHeader]:
    """``make_header(sender, recipient, **overrides)``: a valid header, fields overridable."""
    return _make_header


@pytest.fixture(scope="session")
def seal() -> Callable[..., Envelope]:
    """``seal(sender, recipient, body=None, **header_overrides)``: a sealed, signed envelope.

    A body without a ``"salt"`` is given a fresh one (:func:`salted`), as
    every real caller does; one with a salt is sealed as it is.
    """

    def _seal(
        sender: Identity,
        recipient: Identity,
        body: dict[str, Any] | None = None,
        /,
        **overrides: Any,
    ) -> Envelope:
        body = body if body is not None else {"text": "Hello, Washington."}
        return seal_envelope(
            header=_make_header(sender, recipient, **overrides),
            body=body if "salt" in body else salted(body),
            sender=sender,
            recipient_encryption_key=recipient.encryption_public,
        )

    return _seal
