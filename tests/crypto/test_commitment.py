"""Envelope version 2: the salted body commitment, and reading version 1 still.

The sender's signature covers ``"bc"`` = SHA-256 of the body plaintext, so a
third party shown the plaintext can check it without any private key; the
salt keeps a short text from being found by hashing guesses.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.crypto import (
    BODY_COMMIT_DOMAIN,
    ENVELOPE_VERSION,
    SALT_BYTES,
    Envelope,
    EnvelopeHeader,
    Identity,
    body_commitment,
    check_body_commitment,
    open_envelope,
    salted,
    seal_envelope,
    verify_envelope,
)
from hotline.crypto.envelope import _seal_plaintext
from hotline.errors import EnvelopeInvalid, LocalProtocolError, SignatureInvalid
from tests.crypto.helpers import seal_version_1, without_salt

SALT = bytes(range(SALT_BYTES))


# -- salted -----------------------------------------------------------------------


def test_salted_adds_a_fresh_salt_and_keeps_the_rest() -> None:
    body = {"text": "x", "exercise": True}
    one, two = salted(body), salted(body)
    assert without_salt(one) == body
    assert isinstance(one["salt"], bytes)
    assert len(one["salt"]) == SALT_BYTES == 16
    assert one["salt"] != two["salt"]
    assert "salt" not in body  # the caller's map is left alone


def test_salted_takes_an_injected_source() -> None:
    assert salted({"text": "x"}, lambda n: SALT[:n]) == {"text": "x", "salt": SALT}
    with pytest.raises(LocalProtocolError, match="16 bytes"):
        salted({"text": "x"}, lambda n: bytes(n - 1))


def test_salted_refuses_a_body_that_already_has_one() -> None:
    with pytest.raises(LocalProtocolError, match="reserved"):
        salted({"text": "x", "salt": b"mine"})


# -- the commitment ---------------------------------------------------------------


@given(st.binary(max_size=200))
def test_commitment_is_the_written_rule(plaintext: bytes) -> None:
    assert BODY_COMMIT_DOMAIN == b"hotline-body-commit-v1\x00"
    expected = hashlib.sha256(b"hotline-body-commit-v1\x00" + plaintext).digest()
    assert body_commitment(plaintext) == expected


def test_seal_commits_to_the_plaintext_it_seals(
    seal: Callable[..., Envelope], moscow: Identity, washington: Identity
) -> None:
    body = {"text": "Hello", "salt": SALT}
    envelope = seal(moscow, washington, body)
    assert envelope.header.version == ENVELOPE_VERSION == 2
    plaintext = cbor2.dumps(body, canonical=True)
    assert envelope.header.body_commitment == body_commitment(plaintext)
    assert envelope.header.to_map()["bc"] == body_commitment(plaintext)
    opened = open_envelope(envelope, recipient=washington)
    assert opened == body
    assert cbor2.dumps(opened, canonical=True) == plaintext
    check_body_commitment(envelope, opened)
    check_body_commitment(envelope, plaintext)


def test_seal_fills_in_the_header_it_is_given(make_header, moscow, washington) -> None:
    header = make_header(moscow, washington)
    assert header.version == 2
    assert header.body_commitment is None
    with pytest.raises(LocalProtocolError, match="until seal_envelope"):
        header.encode()
    body = salted({"text": "x"})
    envelope = seal_envelope(
        header=header,
        body=body,
        sender=moscow,
        recipient_encryption_key=washington.encryption_public,
    )
    assert envelope.header == dataclasses.replace(
        header, body_commitment=body_commitment(cbor2.dumps(body, canonical=True))
    )
    # Given the header it returned, sealing the same body again is fine ...
    again = seal_envelope(
        header=envelope.header,
        body=body,
        sender=moscow,
        recipient_encryption_key=washington.encryption_public,
    )
    assert again.header == envelope.header
    # ... but not another body under that commitment.
    with pytest.raises(LocalProtocolError, match="commitment"):
        seal_envelope(
            header=envelope.header,
            body=salted({"text": "x"}),
            sender=moscow,
            recipient_encryption_key=washington.encryption_public,
        )


def test_seal_makes_only_version_2(make_header, moscow, washington) -> None:
    with pytest.raises(LocalProtocolError, match="version 2"):
        seal_envelope(
            header=make_header(moscow, washington, version=1),
            body=salted({"text": "x"}),
            sender=moscow,
            recipient_encryption_key=washington.encryption_public,
        )


def test_an_envelope_needs_its_commitment(seal, make_header, moscow, washington) -> None:
    envelope = seal(moscow, washington)
    with pytest.raises(EnvelopeInvalid, match="body commitment"):
        Envelope(header=make_header(moscow, washington), body=envelope.body, signature=bytes(64))


@pytest.mark.parametrize(
    "change",
    [
        lambda body: {**body, "text": "Hello!"},
        lambda body: {**body, "salt": bytes(16)},
        lambda body: {**body, "extra": 1},
        lambda body: without_salt(body),
    ],
)
def test_any_other_body_fails_the_check(seal, moscow, washington, change) -> None:
    body = {"text": "Hello", "salt": SALT}
    envelope = seal(moscow, washington, body)
    with pytest.raises(EnvelopeInvalid, match="not the one its sender committed to"):
        check_body_commitment(envelope, change(body))
    with pytest.raises(EnvelopeInvalid, match="not the one its sender committed to"):
        check_body_commitment(envelope, cbor2.dumps(change(body), canonical=True))


def test_the_check_is_over_the_exact_bytes(seal, moscow, washington) -> None:
    body = {"text": "Hello", "salt": SALT}
    envelope = seal(moscow, washington, body)
    # The same map in another (non-canonical) encoding is not the committed plaintext.
    reordered = cbor2.dumps(body)  # insertion order: "text" before "salt"
    assert reordered != cbor2.dumps(body, canonical=True)
    assert cbor2.loads(reordered) == body
    with pytest.raises(EnvelopeInvalid):
        check_body_commitment(envelope, reordered)


def test_a_sender_cannot_seal_other_than_it_commits(make_header, moscow, washington) -> None:
    """Commit to one body, seal another: the signature holds, the receiver refuses it."""
    committed = cbor2.dumps({"text": "We agree.", "salt": SALT}, canonical=True)
    header = make_header(moscow, washington, body_commitment=body_commitment(committed))
    envelope = _seal_plaintext(
        header=header,
        plaintext=cbor2.dumps({"text": "We refuse.", "salt": SALT}, canonical=True),
        sender=moscow,
        recipient_encryption_key=washington.encryption_public,
    )
    verify_envelope(envelope, sender_signing_key=moscow.signing_public)
    with pytest.raises(EnvelopeInvalid, match="committed to"):
        open_envelope(envelope, recipient=washington)


def test_a_third_party_proves_the_text_without_keys(seal, moscow, washington) -> None:
    """What the recipient can show an auditor: envelope bytes and the plaintext."""
    envelope = seal(moscow, washington, {"text": "Stand down at 0400Z."})
    plaintext = cbor2.dumps(open_envelope(envelope, recipient=washington), canonical=True)
    # The auditor has Moscow's public key only.
    shown = Envelope.decode(envelope.encode())
    verify_envelope(shown, sender_signing_key=moscow.signing_public)
    check_body_commitment(shown, plaintext)
    assert cbor2.loads(plaintext)["text"] == "Stand down at 0400Z."
    # A recipient who edits the text cannot make it pass.
    forged = cbor2.dumps({**cbor2.loads(plaintext), "text": "Stand down at 0500Z."}, canonical=True)
    with pytest.raises(EnvelopeInvalid):
        check_body_commitment(shown, forged)
    # Nor by changing the commitment: that breaks the sender's signature.
    moved = dataclasses.replace(
        shown, header=dataclasses.replace(shown.header, body_commitment=body_commitment(forged))
    )
    with pytest.raises(SignatureInvalid):
        verify_envelope(moved, sender_signing_key=moscow.signing_public)


# -- version 1 --------------------------------------------------------------------


def _v1(make_header: Callable[..., EnvelopeHeader], sender, recipient, body) -> Envelope:
    return seal_version_1(
        header=make_header(sender, recipient, version=1),
        body=body,
        sender=sender,
        recipient_encryption_key=recipient.encryption_public,
    )


def test_version_1_still_decodes_verifies_and_opens(make_header, moscow, washington) -> None:
    body: dict[str, Any] = {"text": "An old message."}
    envelope = _v1(make_header, moscow, washington, body)
    data = envelope.encode()
    assert "bc" not in cbor2.loads(data)
    assert len(cbor2.loads(data)) == 13
    received = Envelope.decode(data)
    assert received.header.version == 1
    assert received.header.body_commitment is None
    verify_envelope(received, sender_signing_key=moscow.signing_public)
    assert open_envelope(received, recipient=washington) == body


def test_version_1_commits_to_nothing(make_header, moscow, washington) -> None:
    envelope = _v1(make_header, moscow, washington, {"text": "An old message."})
    with pytest.raises(EnvelopeInvalid, match="committed to no plaintext"):
        check_body_commitment(envelope, {"text": "An old message."})


def test_version_1_header_has_no_commitment(make_header, moscow, washington) -> None:
    with pytest.raises(EnvelopeInvalid, match="version-1"):
        make_header(moscow, washington, version=1, body_commitment=bytes(32))
    header = make_header(moscow, washington, version=1)
    assert EnvelopeHeader.decode(header.encode()) == header
    assert "bc" not in header.to_map()


def test_upgrading_a_version_1_envelope_breaks_its_signature(
    make_header, moscow, washington
) -> None:
    """Nobody but the sender can turn an uncommitted envelope into a committed one."""
    body = {"text": "An old message."}
    envelope = _v1(make_header, moscow, washington, body)
    header = dataclasses.replace(
        envelope.header,
        version=2,
        body_commitment=body_commitment(cbor2.dumps(body, canonical=True)),
    )
    upgraded = Envelope.decode(dataclasses.replace(envelope, header=header).encode())
    with pytest.raises(SignatureInvalid):
        verify_envelope(upgraded, sender_signing_key=moscow.signing_public)
