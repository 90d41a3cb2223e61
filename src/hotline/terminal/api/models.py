"""The resources both HTTP APIs return: one shape each for a message, a peer's line, an alarm.

Each model holds raw values only: ids, states, RFC 3339 UTC times as text,
hex hashes. The control API returns them as they are (``hotline messages
--json`` and ``hotline status --json`` print them); the console returns the
same keys with the same values and adds what its reader needs beside them
(``display``: the times written for the reader's language; the traffic view's
``line_state``, ``times``, ``acknowledgement``, ``notice`` and ``meeting``).
docs/console.md and the README describe the shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from hotline.crypto import body_commitment
from hotline.errors import DeliveryError, InvalidArgument
from hotline.store import AckRecord, AlarmRecord, Direction, MessageRecord, ReleaseRecord
from hotline.terminal.core.groups import PartyBlock, RecipientState, party_block
from hotline.terminal.core.line import PeerStatus, RouteStatus
from hotline.terminal.core.markings import Markings
from hotline.terminal.core.outbox import decode_body
from hotline.terminal.desks.notifications.desk import notification_of

__all__ = [
    "Acknowledgement",
    "Alarm",
    "Group",
    "LinkTest",
    "Message",
    "Peer",
    "Recipient",
    "Route",
]


class _Resource(BaseModel):
    # What the API promises is exactly these keys: a field added by mistake
    # in a builder fails here, not in a client.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Recipient(_Resource):
    """One recipient's copy of an outgoing message: queued, sent, delivered or acknowledged."""

    party: str
    id: str
    serial: int
    state: str
    delivered_at: str | None
    acknowledged_by: str | None
    acknowledged_at: str | None
    overdue: bool


class Message(_Resource):
    """A message on the line, in or out, with its acknowledgement and deadline.

    ``state`` is ``queued``, ``sent``, ``delivered`` (``received`` is
    ``delivered`` for an incoming one), or ``acknowledged`` once a person has
    acknowledged it (``acknowledged_by``/``acknowledged_at`` say who and when:
    for an outgoing message a person at the peer, for an incoming one a person
    here). ``ack_deadline`` is when that acknowledgement is due (None for kinds
    nobody acknowledges) and ``overdue`` whether it passed unacknowledged. For a
    formatted notification, ``format``, ``format_version`` and ``data`` (the
    structured data, which is what counts); None for any other message.
    ``markings``: the handling markings of its signed body (docs/protocol/markings.md),
    as the body holds them, or None; ``release``: its release once released
    (``released_by``, ``released_at``, ``public_text``, ``release_id``), else None.
    """

    id: str
    direction: str
    peer: str
    channel: str
    serial: int
    time_group: str
    precedence: str
    kind: str
    state: str
    #: Exactly as signed: never translated, trimmed or reformatted.
    text: str
    created_at: str
    sent_at: str
    transmitted_at: str | None
    delivered_at: str | None
    envelope_hash: str
    exercise: bool
    acknowledged_by: str | None
    acknowledged_at: str | None
    ack_deadline: str | None
    overdue: bool
    format: str | None
    format_version: int | None
    data: dict[str, Any] | None
    #: A message to several parties: the group its copies share, the payload
    #: hash every copy's header commits to, and the conference (all None for a
    #: message to one party).
    group: str | None
    payload_hash: str | None
    conference: str | None
    #: Every party the message names as a recipient.
    to: list[str]
    #: Outgoing: each recipient's copy and where it stands ([] for incoming).
    recipients: list[Recipient]
    #: The handling markings in its signed body (docs/protocol/parties.md §4), or None.
    markings: dict[str, Any] | None
    #: Once a marked message is released: who, when, the public text (else None).
    release: dict[str, Any] | None

    @classmethod
    def of(
        cls,
        record: MessageRecord,
        *,
        ack: AckRecord | None,
        deadline: str | None = None,
        overdue: bool = False,
        recipients: Sequence[RecipientState] = (),
        our_party: str = "",
        release: ReleaseRecord | None = None,
    ) -> Message:
        """The message of a stored record, with its acknowledgement (if any) and deadline."""
        found = notification_of(record)
        code, version, data = (None, None, None) if found is None else found
        # Decoded once here: the group, the markings and the exercise flag all read it.
        body = decode_body(record.body)
        block = _block(body)
        try:
            markings = Markings.from_body(body)
        except InvalidArgument:
            markings = None
        return cls(
            id=record.id,
            direction=str(record.direction),
            peer=record.peer,
            channel=record.channel,
            serial=record.serial,
            time_group=record.time_group,
            precedence=record.precedence,
            kind=record.kind,
            state="acknowledged" if ack is not None else str(record.state),
            text=record.text,
            created_at=record.created_at,
            sent_at=record.sent_at,
            transmitted_at=record.transmitted_at,
            delivered_at=record.delivered_at,
            envelope_hash=record.envelope_hash.hex(),
            exercise=body.get("exercise") is True,
            acknowledged_by=None if ack is None else ack.by,
            acknowledged_at=None if ack is None else ack.at,
            ack_deadline=deadline,
            # Overdue is a flag beside the state; an acknowledged message is never overdue.
            overdue=overdue and ack is None,
            format=code,
            format_version=version,
            data=data,
            group=None if block is None else block.group_id,
            payload_hash=None if block is None else _payload_hash(record),
            conference=None if block is None else block.conference,
            to=_named(record, block, our_party),
            recipients=[Recipient(**state.to_json()) for state in recipients],
            markings=None if markings is None else markings.to_body(),
            release=None
            if release is None
            else {
                "released_by": release.released_by,
                "released_at": release.released_at,
                "public_text": release.public_text,
                "release_id": release.release_id,
            },
        )


class Group(_Resource):
    """What sending to several parties answers (201): the group and one message per copy."""

    group: str
    payload_hash: str
    conference: str | None
    messages: list[Message]


def _block(body: dict[str, Any]) -> PartyBlock | None:
    # A malformed map was refused on arrival and is shown as no group.
    try:
        return party_block(body)
    except DeliveryError:
        return None


def _payload_hash(record: MessageRecord) -> str:
    return body_commitment(record.body).hex()


def _named(record: MessageRecord, block: PartyBlock | None, our_party: str) -> list[str]:
    if block is not None:
        return block.names()
    if record.direction is Direction.OUT:
        return [record.peer]
    return [our_party] if our_party else []


class LinkTest(_Resource):
    """The last link test on a route: passed (``ok``) or missed, and when (docs/protocol/linktest.md)."""

    id: str
    peer: str
    route: str
    slot: int
    text_id: str
    sent_at: str
    #: When it passed or was given up on.
    at: str
    ok: bool
    rtt_ms: float | None
    received_at: str | None
    reason: str | None


class Route(_Resource):
    """One route to a peer: ``up``, ``silent`` or ``down``, and whether it carries traffic now."""

    address: str
    state: str
    active: bool
    rtt_ms: float | None
    last_test: LinkTest | None
    last_error: str | None

    @classmethod
    def of(cls, route: RouteStatus) -> Route:
        test = route.last_test
        return cls(
            address=route.address,
            state=route.state,
            active=route.active,
            rtt_ms=route.rtt_ms,
            last_test=None if test is None else LinkTest.model_validate(test.to_json()),
            last_error=route.last_error,
        )


_NO_MESSAGES = {"queued": 0, "sent": 0, "delivered": 0, "acknowledged": 0, "overdue": 0}


class Peer(_Resource):
    """The line to one peer: ``up`` (every route), ``degraded`` (some) or ``down`` (none).

    ``address`` is the route carrying traffic now, if any; ``queued`` the
    messages waiting for it; ``in_use``/``last_used`` whether and when people
    last used the line (beyond link tests).
    """

    party: str
    state: str
    last_contact: str | None
    queued: int
    address: str | None
    last_error: str | None
    in_use: bool
    last_used: str | None
    routes: list[Route]
    #: Our outgoing messages to this peer by where they stand: ``queued``,
    #: ``sent``, ``delivered``, ``acknowledged``, and ``overdue`` (unacknowledged
    #: past the deadline; also counted in the state it is in).
    messages: dict[str, int]

    @classmethod
    def of(cls, peer: PeerStatus, *, messages: dict[str, int] | None = None) -> Peer:
        return cls(
            messages=dict(messages or _NO_MESSAGES),
            party=peer.party,
            state=peer.state,
            last_contact=peer.last_contact,
            queued=peer.queued,
            address=peer.address,
            last_error=peer.last_error,
            in_use=peer.in_use,
            last_used=peer.last_used,
            routes=[Route.of(route) for route in peer.routes],
        )


class Alarm(_Resource):
    """An alarm about the line, open from ``since`` until ``cleared_at``.

    ``kind`` is ``test-missed``, ``peer-test-missed``, ``line-down`` or
    ``ack-overdue``; ``route`` None for an alarm about the whole line.
    ``acknowledged_by``/``acknowledged_at``: an operator has seen it (it stops
    sounding, and stays open until it clears).
    """

    id: str
    kind: str
    peer: str
    route: str | None
    since: str
    detail: str
    cleared_at: str | None
    cleared_by: str | None
    acknowledged_at: str | None
    acknowledged_by: str | None

    @classmethod
    def of(cls, alarm: AlarmRecord) -> Alarm:
        return cls(
            id=alarm.id,
            kind=alarm.kind,
            peer=alarm.peer,
            route=alarm.route,
            since=alarm.since,
            detail=alarm.detail,
            cleared_at=alarm.cleared_at,
            cleared_by=alarm.cleared_by,
            acknowledged_at=alarm.acknowledged_at,
            acknowledged_by=alarm.acknowledged_by,
        )


class Acknowledgement(_Resource):
    """What acknowledging a message answers (201): which message, who, and when (UTC).

    The keys are the message's own (``Message.acknowledged_by``/``_at``), so a
    client reads an acknowledgement the same way it reads a message row.
    """

    id: str
    acknowledged_by: str
    acknowledged_at: str

    @classmethod
    def of(cls, ack: AckRecord) -> Acknowledgement:
        return cls(id=ack.message_id, acknowledged_by=ack.by, acknowledged_at=ack.at)
