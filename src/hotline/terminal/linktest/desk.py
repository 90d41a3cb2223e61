"""Link tests: every route tested end to end on a schedule, the two sides alternating.

The Moscow-Washington line has been tested every hour since 1963, the US on
even hours and the Soviets on odd ones, with literary excerpts. A hotline
test here is the same (normative text: ``docs/protocol/linktest.md``):

* **When.** Time is cut into slots of ``test_interval`` seconds from the Unix
  epoch (3600: on the hour, UTC). The party whose signing key sorts first
  tests in even slots, the other in odd ones: both work it out alone, from
  the two keys, and always agree (:func:`slot_parity`, :func:`next_slot`).
* **What.** On every route of the peer, one TEST envelope: a real envelope
  (kind ``test``, channel ``line``, signed and sealed to the peer like any
  message) whose body is an approved text (:mod:`hotline.terminal.linktest.test_texts`)
  and the route and slot it was sent for. Its ``n`` is 1 and ``prev`` zeros:
  each test is a chain of its own. Tests are not messages: they take no
  place in the message serial sequence and never enter the inbox, so a test
  can go out on a route whatever the queue of messages holds.
* **Answer.** The receiver checks it like any envelope (sender, recipient,
  signature, body opens), journals it, and answers on the same connection
  with a signed receipt over the envelope (the ordinary receipt format).
* **Deadline.** The test passes when a receipt that verifies comes back within
  ``test_deadline`` seconds. If the route's session drops meanwhile, the same
  envelope is sent again on the route's next session, within the deadline.
  Otherwise the test is missed: the tester raises a ``test-missed`` alarm at
  once, and tells the peer (an ``alarm`` message, delivered over any route
  that works).

This module holds the pure parts: the schedule and the :class:`LinkTestDesk`,
which makes, answers and checks tests. The daemon runs them on its sessions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from hotline.crypto import (
    ZERO_HASH,
    Envelope,
    EnvelopeHeader,
    Identity,
    Precedence,
    Receipt,
    new_message_id,
    open_envelope,
    salted,
    seal_envelope,
    sign_receipt,
    verify_envelope,
    verify_receipt,
)
from hotline.errors import CryptoError, EnvelopeInvalid, WrongSigner
from hotline.store import PeerRecord, Store
from hotline.terminal.core.line import LinkTestResult
from hotline.terminal.core.signers import Signers
from hotline.terminal.linktest.test_texts import ApprovedText, text_for
from hotline.terminal.runtime.clock import Clock
from hotline.utc import format_utc, time_group

__all__ = [
    "LINE_CHANNEL",
    "TEST_KIND",
    "LinkTestDesk",
    "SentTest",
    "next_slot",
    "receipt_message_id",
    "slot_parity",
]

#: The service channel link tests and alarm notices travel on.
LINE_CHANNEL = "line"
TEST_KIND = "test"


def slot_parity(our_key: bytes, peer_key: bytes) -> int:
    """0 if we test in even slots (our signing key sorts before the peer's), else 1."""
    return 0 if our_key < peer_key else 1


def next_slot(epoch_seconds: float, interval: float, *, parity: int) -> int:
    """The first slot of ``parity`` (0 even, 1 odd) that starts strictly after ``epoch_seconds``."""
    slot = math.floor(epoch_seconds / interval) + 1
    if slot % 2 != parity:
        slot += 1
    return slot


@dataclass(frozen=True, slots=True, kw_only=True)
class SentTest:
    """A test envelope made for one route, waiting for its receipt."""

    peer: str
    route: str
    slot: int
    envelope: Envelope
    text: ApprovedText
    sent_at: str

    @property
    def id(self) -> str:
        return self.envelope.header.message_id


class LinkTestDesk:
    """Makes this terminal's test envelopes, answers the peer's, and checks receipts."""

    def __init__(
        self,
        *,
        store: Store,
        identity: Identity,
        clock: Clock,
        language: str,
        on_result: Callable[[LinkTestResult], None] | None = None,
        signers: Signers | None = None,
    ) -> None:
        self._store = store
        self._signers = signers or Signers(store)
        self._identity = identity
        self._clock = clock
        self._language = language
        #: Told of every finished test once it is journaled (the metrics count them).
        self._on_result = on_result

    def make_test(self, *, peer: PeerRecord, route: str, slot: int, number: int) -> SentTest:
        """Seal a TEST envelope for ``route`` with the ``number``-th text of the rotation."""
        text = text_for(self._language, number)
        now = self._clock.now()
        stamp = format_utc(now)
        header = EnvelopeHeader(
            message_id=new_message_id(),
            sender=self._identity.signing_public,
            recipient=peer.signing_key,
            channel=LINE_CHANNEL,
            serial=1,
            sent_at=stamp,
            time_group=time_group(now),
            precedence=Precedence.ROUTINE,
            kind=TEST_KIND,
            prev_hash=ZERO_HASH,
        )
        envelope = seal_envelope(
            header=header,
            body=salted({"text": text.text, "text_id": text.id, "route": route, "slot": slot}),
            sender=self._identity,
            recipient_encryption_key=peer.encryption_key,
        )
        sent = SentTest(
            peer=peer.party, route=route, slot=slot, envelope=envelope, text=text, sent_at=stamp
        )
        self._store.append_journal(
            kind="link test sent",
            at=stamp,
            data={
                "id": sent.id,
                "peer": peer.party,
                "route": route,
                "slot": slot,
                "text_id": text.id,
                "envelope_hash": envelope.hash.hex(),
            },
        )
        return sent

    def answer(self, *, peer: PeerRecord, route: str, raw: bytes) -> tuple[bytes, str]:
        """Check the peer's TEST envelope, journal it; return our signed receipt and its route.

        The route returned is the one the sender says it sent the test on (its
        name for the route, the one its alarms use); ``route`` is ours.

        Raises :class:`CryptoError` (journaled by the caller as a refusal) if it
        is not a valid test from this peer to us.
        """
        envelope = Envelope.decode(raw)
        header = envelope.header
        if header.sender != peer.signing_key:
            raise WrongSigner(f"test envelope names another sender than {peer.party}")
        if header.recipient != self._identity.signing_public:
            raise WrongSigner("test envelope is addressed to another party")
        if header.kind != TEST_KIND:
            raise EnvelopeInvalid(f"a link test must be of kind {TEST_KIND!r}, not {header.kind!r}")
        verify_envelope(
            envelope,
            sender_signing_key=peer.signing_key,
            signing_key=self._signers.signing_key_for(peer, header.signer, header.sent_at),
        )
        body = open_envelope(envelope, recipient=self._identity)
        if not isinstance(body.get("text"), str) or not body["text"]:
            raise EnvelopeInvalid("a link test carries a text")
        sent_on = body.get("route")
        sent_on = sent_on if isinstance(sent_on, str) and sent_on else route
        stamp = format_utc(self._clock.now())
        self._store.append_journal(
            kind="link test received",
            at=stamp,
            data={
                "id": header.message_id,
                "peer": peer.party,
                "route": route,
                "sent_on": sent_on,
                "slot": body.get("slot") if isinstance(body.get("slot"), int) else None,
                "text_id": str(body.get("text_id", "")),
                "envelope_hash": envelope.hash.hex(),
            },
        )
        receipt = sign_receipt(
            envelope=envelope,
            received_at=stamp,
            journal_head=self._store.journal_head(),
            recipient=self._identity,
        )
        return receipt.encode(), sent_on

    def check_receipt(self, *, test: SentTest, peer: PeerRecord, raw: bytes) -> Receipt:
        """The peer's receipt for ``test``, verified; :class:`CryptoError` if it is not."""
        receipt = Receipt.decode(raw)
        verify_receipt(
            receipt,
            envelope=test.envelope,
            recipient_signing_key=peer.signing_key,
            signing_key=self._signers.signing_key_for(peer, receipt.signer, receipt.received_at),
        )
        return receipt

    def finish(
        self,
        *,
        test: SentTest,
        receipt: Receipt | None,
        round_trip: float | None,
        reason: str | None,
    ) -> LinkTestResult:
        """Journal how ``test`` ended and return the result."""
        stamp = format_utc(self._clock.now())
        result = LinkTestResult(
            peer=test.peer,
            route=test.route,
            id=test.id,
            slot=test.slot,
            text_id=test.text.id,
            sent_at=test.sent_at,
            ok=receipt is not None,
            at=stamp,
            round_trip=round_trip if receipt is not None else None,
            received_at=receipt.received_at if receipt is not None else None,
            reason=None if receipt is not None else (reason or "no receipt"),
        )
        data = result.to_json()
        # The journal holds no floats (they do not survive JSON and CBOR alike): whole µs.
        rtt = data.pop("rtt_ms")
        data["round_trip_us"] = None if rtt is None else round(rtt * 1000)
        if receipt is not None:
            data["receipt_signature"] = receipt.signature.hex()
        self._store.append_journal(
            kind="link test passed" if result.ok else "link test missed", at=stamp, data=data
        )
        if self._on_result is not None:
            self._on_result(result)
        return result


def receipt_message_id(raw: bytes) -> str | None:
    """The message id a raw receipt names, or None if it does not decode."""
    try:
        return Receipt.decode(raw).message_id
    except CryptoError:
        return None
