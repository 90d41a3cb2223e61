"""Presence requests: "bring the principal to the machine", and who came, when.

Before a leaders' conversation MOLINK would ask that the President be "at the
machine". An operator sends a request (a message of kind ``presence``: serialised,
signed, sealed, receipted like any other); the other console shows it on every
page until a person there answers; the answer goes back the same way and the
requester sees who answered and when. One answer per request: the store's
trigger ``presence_answered_once`` keeps the first (docs/protocol/calls.md §7).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from typing import Any

from hotline.errors import CallError, InvalidArgument, UnknownCall
from hotline.store import Direction, MessageRecord, PresenceRecord
from hotline.terminal.core.desk import Desk, DeskServices
from hotline.terminal.core.inbox import refuse_content
from hotline.terminal.core.operators import Operator, Permission
from hotline.terminal.core.outbox import check_channel, decode_body
from hotline.terminal.desks.calls.desk import SendSignal
from hotline.utc import format_utc, parse_utc

__all__ = ["MAX_PRESENCE_NOTE_CHARS", "PRESENCE_KIND", "PresenceDesk", "presence_json"]


PRESENCE_KIND = "presence"
#: The longest note a request may carry.
MAX_PRESENCE_NOTE_CHARS = 500


def presence_json(record: PresenceRecord) -> dict[str, Any]:
    """The JSON form of a presence request (CLI, control API and console share it)."""
    return {
        "id": record.id,
        "peer": record.peer,
        "direction": str(record.direction),
        "channel": record.channel,
        "note": record.note,
        "requested_at": record.requested_at,
        "requested_by": record.requested_by,
        "answered_at": record.answered_at,
        "answered_by": record.answered_by,
    }


class PresenceDesk(Desk):
    """Sends presence requests and answers, and records the peer's."""

    kinds = frozenset({PRESENCE_KIND})

    def __init__(self, services: DeskServices) -> None:
        super().__init__(services)
        self._store = services.store
        self._clock = services.clock
        self._party = services.settings.party
        self._send: SendSignal = services.lines.send_signal
        self._publish: Callable[[str, str], None] = services.events.publish

    def recent(self, open_only: bool = False) -> list[PresenceRecord]:
        """Requests both ways, newest first (only unanswered ones with ``open_only``)."""
        return self._store.list_presence(open_only=open_only)

    def request(
        self, *, to: str, channel: str, operator: Operator, note: str = ""
    ) -> PresenceRecord:
        """Ask the peer ``to`` to bring its principal to the machine."""
        operator.require(Permission.SEND, "ask for the principal")
        peer = self.services.lines.peer(to).party
        check_channel(channel)
        note = note.strip()
        if len(note) > MAX_PRESENCE_NOTE_CHARS:
            raise InvalidArgument(f"the note is over {MAX_PRESENCE_NOTE_CHARS} characters")
        at = format_utc(self._clock.now())
        request = PresenceRecord(
            id=f"presence-{secrets.token_hex(8)}",
            peer=peer,
            direction=Direction.OUT,
            channel=channel,
            note=note,
            requested_at=at,
            requested_by=operator.name,
        )
        text = f"REQUEST: {self._party} asks that the principal be at the machine"
        signal = {"type": "request", "id": request.id, "at": at, "by": operator.name, "note": note}
        with self._store.transaction():
            self._store.put_presence(request)
            self._send(
                PRESENCE_KIND,
                peer,
                channel,
                text + (f" ({note})" if note else ""),
                {"presence": signal},
            )
            self._journal("presence requested", presence_json(request))
        self._publish("presence", request.id)
        return request

    def answer(self, request_id: str, *, operator: Operator) -> PresenceRecord:
        """A person here answers the peer's request: they are at the machine."""
        operator.require(Permission.ACKNOWLEDGE, "answer presence requests")
        request = self._store.get_presence(request_id)
        if request is None or request.direction is not Direction.IN:
            raise UnknownCall(f"no presence request from a peer with id {request_id}")
        if request.answered_at is not None:
            raise CallError(f"already answered by {request.answered_by} at {request.answered_at}")
        at = format_utc(self._clock.now())
        request = dataclasses.replace(request, answered_at=at, answered_by=operator.name)
        with self._store.transaction():
            self._store.put_presence(request)
            self._send(
                PRESENCE_KIND,
                request.peer,
                request.channel,
                f"AT THE MACHINE: {operator.name} at {self._party}",
                {"presence": {"type": "answer", "id": request.id, "at": at, "by": operator.name}},
            )
            self._journal("presence answered", presence_json(request))
        self._publish("presence", request.id)
        return request

    def received(self, message: MessageRecord) -> None:
        """A ``presence`` message arrived: a request for us, or the answer to ours."""
        try:
            self._signal(message, dict(decode_body(message.body)["presence"]))
        except (KeyError, TypeError, ValueError, InvalidArgument, CallError) as exc:
            reason = f"presence signal refused: {exc}"
            refuse_content(self._store, self._clock, message, what="presence signal", reason=reason)

    def _signal(self, message: MessageRecord, signal: dict[str, Any]) -> None:
        kind, request_id, at = str(signal["type"]), str(signal["id"]), str(signal["at"])
        parse_utc(at)
        held = self._store.get_presence(request_id)
        if kind == "request":
            if held is not None:
                raise CallError(f"presence request {request_id} is already known")
            request = PresenceRecord(
                id=request_id,
                peer=message.peer,
                direction=Direction.IN,
                channel=message.channel,
                note=str(signal.get("note", ""))[:MAX_PRESENCE_NOTE_CHARS],
                requested_at=at,
                requested_by=str(signal["by"]),
            )
            journal = "presence requested"
        elif kind == "answer":
            if held is None or held.direction is not Direction.OUT or held.peer != message.peer:
                raise CallError(f"an answer to {request_id}, not our request to {message.peer}")
            if held.answered_at is not None:
                return  # the first answer stands
            request = dataclasses.replace(held, answered_at=at, answered_by=str(signal["by"]))
            journal = "presence answered"
        else:
            raise CallError(f"unknown presence signal {kind!r}")
        self._store.put_presence(request)
        self._journal(journal, presence_json(request))
        self._publish("presence", request.id)

    def _journal(self, kind: str, data: dict[str, Any]) -> None:
        self._store.append_journal(kind=kind, at=format_utc(self._clock.now()), data=data)
