"""Message detail: signature, receipt and acknowledgement checked again, and shown honestly."""

from __future__ import annotations

import dataclasses

import pytest

from hotline.console import (
    Verification,
    check_acknowledgement,
    check_receipt,
    check_signature,
    message_detail,
)
from hotline.store import AckRecord, MessageRecord, MessageState

from .conftest import ConsoleClient, Pair


def delivered(pair: Pair, text: str = "detail check") -> str:
    """Washington sends to Moscow; returns the id once Washington holds the receipt."""
    pair.washington.login_as("wash-op")
    pair.wait_line_up()
    sent = pair.washington.send(text)
    pair.wait_until(
        lambda: (
            (message := pair.washington.terminal.store.get_message(sent["id"])) is not None
            and message.state is MessageState.DELIVERED
        ),
        what="delivery",
    )
    return str(sent["id"])


def stored(pair: Pair, side: str, message_id: str) -> MessageRecord:
    console: ConsoleClient = getattr(pair, side)
    record = console.on_loop(lambda: console.terminal.store.get_message(message_id))
    assert record is not None
    return record


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def test_a_delivered_message_verifies_on_both_sides(pair: Pair) -> None:
    message_id = delivered(pair)
    out = pair.washington.get(f"/api/messages/{message_id}").json()
    assert out["signature"] == {"status": "verified", "reason": ""}
    assert out["receipt"]["status"] == "verified"
    assert out["receipt"]["received_at"]["at"].endswith("Z")
    assert out["sender"]["party"] == "Washington"
    assert out["recipient"]["party"] == "Moscow"
    assert out["recipient"]["fingerprint"] == pair.moscow.state.fingerprint
    assert out["sender"]["fingerprint"] == pair.washington.state.fingerprint
    assert len(out["sender"]["fingerprint"].split()) == 12
    assert out["acknowledgeable"] is False  # outgoing: the peer acknowledges, not us
    pair.moscow.login_as("mos-op")
    incoming = pair.moscow.get(f"/api/messages/{message_id}").json()
    assert incoming["signature"]["status"] == "verified"
    assert incoming["receipt"]["status"] == "verified"  # the receipt Moscow issued
    assert incoming["sender"]["party"] == "Washington"
    assert incoming["acknowledgeable"] is True
    assert incoming["can_acknowledge"] is True
    # Both sides name the same fingerprints.
    assert incoming["sender"]["fingerprint"] == out["sender"]["fingerprint"]
    assert incoming["envelope_hash"] == out["envelope_hash"]


def test_a_queued_message_has_no_receipt_yet(alone: ConsoleClient) -> None:
    sent = alone.send("not yet")
    detail = alone.get(f"/api/messages/{sent['id']}").json()
    assert detail["receipt"] == {"status": "none", "reason": "", "received_at": None}
    assert detail["signature"]["status"] == "verified"


def test_an_altered_envelope_fails_its_signature(pair: Pair) -> None:
    message_id = delivered(pair)
    record = stored(pair, "washington", message_id)
    ours = pair.washington.terminal.identity.signing_public
    assert check_signature(record, sender_key=ours).status == "verified"
    # The signature is the envelope's last field: flip a bit of it.
    tampered = dataclasses.replace(record, envelope=flip(record.envelope, len(record.envelope) - 5))
    result = check_signature(tampered, sender_key=ours)
    assert result.status == "failed"
    assert result.reason
    garbage = dataclasses.replace(record, envelope=b"\xa0not an envelope")
    assert check_signature(garbage, sender_key=ours).status == "failed"
    theirs = pair.moscow.terminal.identity.signing_public
    assert check_signature(record, sender_key=theirs).status == "failed"  # someone else's key
    assert check_signature(record, sender_key=None).status == "failed"


def test_a_wrong_receipt_fails(pair: Pair) -> None:
    first = delivered(pair, "first")
    second = delivered(pair, "second")
    record = stored(pair, "washington", first)
    other = stored(pair, "washington", second)
    moscow_key = pair.moscow.terminal.identity.signing_public
    status, received_at = check_receipt(record, recipient_key=moscow_key)
    assert status.status == "verified"
    assert received_at is not None
    swapped = dataclasses.replace(record, receipt=other.receipt)
    assert check_receipt(swapped, recipient_key=moscow_key)[0].status == "failed"
    assert record.receipt is not None
    forged = dataclasses.replace(record, receipt=flip(record.receipt, len(record.receipt) - 3))
    assert check_receipt(forged, recipient_key=moscow_key)[0].status == "failed"
    ours = pair.washington.terminal.identity.signing_public
    assert check_receipt(record, recipient_key=ours)[0].status == "failed"


def test_the_acknowledgement_signature_is_checked(pair: Pair) -> None:
    message_id = delivered(pair)
    pair.moscow.login_as("mos-op")
    assert pair.moscow.post(f"/api/messages/{message_id}/ack").status_code == 201
    pair.wait_until(
        lambda: bool(pair.washington.terminal.store.acknowledgements([message_id])),
        what="the acknowledgement",
    )
    detail = pair.washington.get(f"/api/messages/{message_id}").json()
    assert detail["state"] == "acknowledged"
    assert detail["acknowledgement"]["by"] == "mos-op"
    assert detail["acknowledgement"]["signature"]["status"] == "verified"
    record = stored(pair, "washington", message_id)
    ack = pair.washington.on_loop(
        lambda: pair.washington.terminal.store.acknowledgements([message_id])[message_id]
    )
    assert check_acknowledgement(record, ack).status == "verified"
    forged: AckRecord = dataclasses.replace(ack, by="someone-else")
    assert check_acknowledgement(record, forged).status == "failed"
    assert check_acknowledgement(record, None).status == "none"


def test_detail_of_each_kind_of_record_builds(pair: Pair) -> None:
    message_id = delivered(pair)
    record = stored(pair, "washington", message_id)
    detail = pair.washington.on_loop(
        lambda: message_detail(pair.washington.terminal, record, fingerprint="f", language="id")
    )
    assert detail["sender"]["fingerprint"] == "f"
    assert detail["text"] == "detail check"


def test_a_verification_checks_itself() -> None:
    assert Verification(status="verified").to_json() == {"status": "verified", "reason": ""}
    with pytest.raises(ValueError):
        Verification(status="maybe")
    with pytest.raises(ValueError):
        Verification(status="failed")  # a failure needs a reason
    with pytest.raises(ValueError):
        Verification(status="verified", reason="but why")
