"""Messages to several parties: one payload, committed to once, sealed over each line.

A group message (docs/protocol/parties.md) is one body map, salted once, that
names every recipient under ``"party"``. The outbox seals that same plaintext
to each recipient as an ordinary message of its line (own id, serial, envelope
and receipt), so every copy's signed header carries the same body commitment:
the **payload hash**. Comparing it across copies shows whether a sender told
different parties different things; each receipt covers it (through the
envelope hash), and both sides journal it.

This module holds the ``"party"`` map's shape (:class:`PartyBlock`), what
queuing a group returns (:class:`GroupQueued`), and each recipient's state
(:func:`recipient_states`) for ``hotline messages`` and the console's grid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hotline.crypto import validate_message_id
from hotline.errors import DeliveryError, EnvelopeInvalid
from hotline.store import Direction, MessageRecord, Store

__all__ = [
    "GroupQueued",
    "PartyBlock",
    "RecipientState",
    "party_block",
    "recipient_states",
]

#: The most parties one payload may name (the OSCE network has 57 states).
MAX_RECIPIENTS = 256
_KEY_BYTES = 32


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyBlock:
    """The ``"party"`` map of a group copy's body: the group, every recipient, the conference."""

    group_id: str
    #: (party name as on its card, Ed25519 signing key), sorted by key.
    to: tuple[tuple[str, bytes], ...]
    conference: str | None = None

    def to_body(self) -> dict[str, Any]:
        """The map as it goes into the body (canonical CBOR sorts its keys)."""
        block: dict[str, Any] = {
            "group": self.group_id,
            "to": [{"p": party, "k": key} for party, key in self.to],
        }
        if self.conference is not None:
            block["conference"] = self.conference
        return block

    def names(self) -> list[str]:
        """The recipients' party names, in key order."""
        return [party for party, _ in self.to]

    def names_key(self, key: bytes) -> bool:
        """Whether ``key`` is one of the recipients'."""
        return any(found == key for _, found in self.to)


def party_block(body: Mapping[str, Any]) -> PartyBlock | None:
    """The ``"party"`` map of a decoded body; None if it has none.

    DeliveryError, saying what is wrong, for a map that is not the shape
    docs/protocol/parties.md §2 gives.
    """
    found = body.get("party")
    if found is None:
        return None
    if not isinstance(found, Mapping) or not set(found) <= {"group", "to", "conference"}:
        raise DeliveryError("the party map must hold only group, to and conference")
    group_id = found.get("group")
    try:
        validate_message_id(group_id)
    except EnvelopeInvalid as exc:
        raise DeliveryError(f"the group id is not valid: {exc}") from None
    recipients = found.get("to")
    if not isinstance(recipients, list) or not 1 <= len(recipients) <= MAX_RECIPIENTS:
        raise DeliveryError(f"the party map must name 1 to {MAX_RECIPIENTS} recipients")
    to: list[tuple[str, bytes]] = []
    for entry in recipients:
        if (
            not isinstance(entry, Mapping)
            or set(entry) != {"p", "k"}
            or not isinstance(entry["p"], str)
            or not entry["p"]
            or not isinstance(entry["k"], bytes)
            or len(entry["k"]) != _KEY_BYTES
        ):
            raise DeliveryError("each recipient must be {p: party name, k: 32-byte signing key}")
        to.append((entry["p"], entry["k"]))
    keys = [key for _, key in to]
    if keys != sorted(set(keys)):
        raise DeliveryError("the recipients must be sorted by key, each named once")
    conference = found.get("conference")
    if conference is not None and (not isinstance(conference, str) or not conference):
        raise DeliveryError("the conference must be a non-empty id")
    return PartyBlock(group_id=group_id, to=tuple(to), conference=conference)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupQueued:
    """A group message, durable: its id, its payload hash, and one copy per recipient."""

    group_id: str
    #: The body commitment in every copy's header.
    payload_hash: bytes
    conference: str | None
    #: One record per recipient, in the order the recipients were given.
    records: tuple[MessageRecord, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientState:
    """Where one recipient's copy stands: queued, sent, delivered or acknowledged (and overdue)."""

    party: str
    message_id: str
    serial: int
    state: str
    delivered_at: str | None
    acknowledged_by: str | None
    acknowledged_at: str | None
    overdue: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "id": self.message_id,
            "serial": self.serial,
            "state": self.state,
            "delivered_at": self.delivered_at,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": self.acknowledged_at,
            "overdue": self.overdue,
        }


def recipient_states(
    store: Store, records: Sequence[MessageRecord], *, overdue: Callable[[str], bool]
) -> list[RecipientState]:
    """The state of each outgoing copy in ``records`` (incoming ones are skipped), with its ack.

    ``overdue(message_id)`` says whether its acknowledgement deadline passed
    (the deadline watch knows); an acknowledged copy is never overdue.
    """
    outgoing = [r for r in records if r.direction is Direction.OUT]
    acks = store.acknowledgements([r.id for r in outgoing])
    states = []
    for record in outgoing:
        ack = acks.get(record.id)
        states.append(
            RecipientState(
                party=record.peer,
                message_id=record.id,
                serial=record.serial,
                state="acknowledged" if ack is not None else str(record.state),
                delivered_at=record.delivered_at,
                acknowledged_by=None if ack is None else ack.by,
                acknowledged_at=None if ack is None else ack.at,
                overdue=ack is None and overdue(record.id),
            )
        )
    return states
