"""Helpers for envelope tests here and in the terminal tests: version-1 sealing, salt removal."""

from __future__ import annotations

from typing import Any

import cbor2

from hotline.crypto import Envelope, EnvelopeHeader, Identity
from hotline.crypto.envelope import _seal_plaintext


def seal_version_1(
    *,
    header: EnvelopeHeader,
    body: dict[str, Any],
    sender: Identity,
    recipient_encryption_key: bytes,
) -> Envelope:
    """A version-1 envelope, as hotline made them before body commitments.

    ``seal_envelope`` makes only version 2 now; this runs the same HPKE seal
    and signature (envelope.md §5-6) over a version-1 header and an unsalted
    body, to prove such envelopes still decode, verify, open and pass
    ``hotline verify``.
    """
    if header.version != 1:
        raise ValueError("seal_version_1 needs a version-1 header")
    return _seal_plaintext(
        header=header,
        plaintext=cbor2.dumps(body, canonical=True),
        sender=sender,
        recipient_encryption_key=recipient_encryption_key,
    )


def without_salt(body: dict[str, Any]) -> dict[str, Any]:
    """An opened body minus its salt: what its sender wrote."""
    return {key: value for key, value in body.items() if key != "salt"}
