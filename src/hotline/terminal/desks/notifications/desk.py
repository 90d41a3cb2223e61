"""Formatted notifications on the line: validated, sent as structured data, meetings tracked.

A notification (flight, launch, exercise, meeting, ceasefire, codeword; see
:mod:`hotline.formats` and docs/formats.md) is an ordinary message of kind
``notification`` whose sealed body holds::

    {"text": <the English rendering>, "format": <code>, "version": <n>, "data": {...}}

The structured ``data`` is authoritative; ``text`` is a convenience for a reader
without the format, and each console renders ``data`` in its user's language.
Bad data is refused field by field (:class:`~hotline.errors.NotificationInvalid`)
before anything is stored or sent.

Meetings have a state that both sides must agree on: a ``meeting`` proposal is
``proposed``; ``meeting-reply`` notifications (naming the proposal's message id)
move it along the table in :mod:`hotline.formats` (agreed in principle,
scheduled, held, cancelled). Each side applies the replies it sends and
receives, in the order it sees them, to its row in the ``meetings`` table; a
reply that breaks the table is refused before sending, and one that arrives
broken is journaled and ignored, so both sides end in the same state.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from hotline.crypto import Precedence
from hotline.errors import ConfigError, InvalidArgument, UnknownProposal
from hotline.formats import (
    Codebook,
    apply_reply,
    get_format,
    parse_codebook,
    read_notification_body,
)
from hotline.store import MeetingRecord, MessageRecord, PeerRecord
from hotline.terminal.core.desk import Desk, DeskServices
from hotline.terminal.core.groups import GroupQueued
from hotline.terminal.core.inbox import refuse_content
from hotline.terminal.core.markings import Markings, check_classification
from hotline.terminal.core.outbox import DEFAULT_CHANNEL, decode_body
from hotline.utc import parse_utc

__all__ = [
    "MEETING",
    "MEETING_REPLY",
    "NOTIFICATION_KIND",
    "NotificationDesk",
    "notification_of",
]


NOTIFICATION_KIND = "notification"
MEETING = "meeting"
MEETING_REPLY = "meeting-reply"


def notification_of(record: MessageRecord) -> tuple[str, int, dict[str, Any]] | None:
    """(format code, version, data) of a notification message, or None for any other."""
    if record.kind != NOTIFICATION_KIND:
        return None
    body = decode_body(record.body)
    code, version, data = body.get("format"), body.get("version"), body.get("data")
    if not isinstance(code, str) or not isinstance(version, int) or not isinstance(data, dict):
        return None
    return code, version, data


class NotificationDesk(Desk):
    """Validates and queues notifications, and keeps meetings' states."""

    kinds = frozenset({NOTIFICATION_KIND})

    def __init__(self, services: DeskServices) -> None:
        super().__init__(services)
        self._store = services.store
        self._outbox = services.outbox
        self._clock = services.clock
        self._codebook_path = services.directory / "codebook.json"

    def send(
        self,
        *,
        to: str,
        format_code: str,
        data: dict[str, Any],
        precedence: Precedence = Precedence.ROUTINE,
        channel: str = DEFAULT_CHANNEL,
        override: bool = False,
        exercise: bool = False,
        markings: Markings | None = None,
    ) -> MessageRecord:
        """Validate and queue a formatted notification (NotificationInvalid lists every bad field).

        ``exercise`` (or ``[terminal] exercise``) marks it EXERCISE in its signed body;
        ``markings`` go in it too (a classification must be agreed for the line).
        """
        check_classification(markings, self.services.settings.markings.classifications)
        peer = self.services.lines.peer(to)
        exercise = exercise or self.services.settings.exercise
        extra: dict[str, Any] = {"exercise": True} if exercise else {}
        if markings is not None and not markings.empty:
            extra["markings"] = markings.to_body()
        record = self.queue(
            peer=peer,
            code=format_code,
            data=data,
            precedence=precedence,
            channel=channel,
            override=override,
            extra_body=extra or None,
        )
        self.services.lines.queued(record, exercise=exercise)
        return record

    def send_group(
        self,
        *,
        to: Sequence[str],
        format_code: str,
        data: dict[str, Any],
        precedence: Precedence = Precedence.ROUTINE,
        channel: str = DEFAULT_CHANNEL,
        override: bool = False,
        exercise: bool = False,
        markings: Markings | None = None,
    ) -> GroupQueued:
        """One formatted notification to several parties ("TO: ALL STATES PARTIES").

        Validated once and sealed over each party's own line with the same
        payload (docs/protocol/parties.md). UnknownPeer naming every unknown
        party, InvalidArgument for a party named twice or a meeting reply (it
        answers one proposer), NotificationInvalid for the data; nothing is
        queued unless all of it holds.
        """
        if format_code == MEETING_REPLY:
            raise InvalidArgument("a meeting reply answers one proposer: send it to one party")
        peers = self.services.lines.peers(to)
        exercise = exercise or self.services.settings.exercise
        fmt = get_format(format_code)
        normalised = fmt.validate(data, now=self._clock.now(), override=override)
        text = fmt.render(normalised, "en", codebook=self.codebook())
        extra: dict[str, Any] = {"format": format_code, "version": fmt.version, "data": normalised}
        if exercise:
            extra["exercise"] = True
        check_classification(markings, self.services.settings.markings.classifications)
        if markings is not None and not markings.empty:
            extra["markings"] = markings.to_body()
        with self._store.transaction():
            group = self._outbox.queue_group(
                peers=peers,
                text=text,
                channel=channel,
                precedence=precedence,
                kind=NOTIFICATION_KIND,
                extra_body=extra,
            )
            if format_code == MEETING:
                # Each party answers the proposal on its own line: one state each.
                for record in group.records:
                    self._store.put_meeting(
                        MeetingRecord(
                            proposal_id=record.id,
                            peer=record.peer,
                            state="proposed",
                            data=_json(normalised),
                            updated_at=record.created_at,
                        )
                    )
        for record in group.records:
            self.services.lines.queued(record, exercise=exercise)
        return group

    def codebook(self) -> Codebook | None:
        """This side's codebook (``DIR/codebook.json``), if it has one."""
        if not self._codebook_path.exists():
            return None
        try:
            text = self._codebook_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read {self._codebook_path}: {exc}") from exc
        return parse_codebook(text)

    def queue(
        self,
        *,
        peer: PeerRecord,
        code: str,
        data: dict[str, Any],
        precedence: Precedence,
        channel: str,
        override: bool = False,
        extra_body: dict[str, Any] | None = None,
    ) -> MessageRecord:
        """Validate ``data`` as format ``code`` and store the notification (one commit)."""
        fmt = get_format(code)
        normalised = fmt.validate(data, now=self._clock.now(), override=override)
        meeting: MeetingRecord | None = None
        if code == MEETING_REPLY:
            meeting = self._next_meeting_state(normalised, peer=peer.party)
        text = fmt.render(normalised, "en", codebook=self.codebook())
        with self._store.transaction():
            record = self._outbox.queue(
                peer=peer,
                text=text,
                channel=channel,
                precedence=precedence,
                kind=NOTIFICATION_KIND,
                extra_body={
                    "format": code,
                    "version": fmt.version,
                    "data": normalised,
                    **(extra_body or {}),
                },
            )
            if code == MEETING:
                self._store.put_meeting(
                    MeetingRecord(
                        proposal_id=record.id,
                        peer=peer.party,
                        state="proposed",
                        data=_json(normalised),
                        updated_at=record.created_at,
                    )
                )
            elif meeting is not None:
                self._store.put_meeting(
                    replace(meeting, updated_at=record.created_at, last_reply=record.id)
                )
        return record

    def received(self, record: MessageRecord) -> None:
        """A notification arrived (its envelope already verified and stored): track meetings."""
        found = notification_of(record)
        if found is None:
            return
        code, _, data = found
        try:
            # Checked as of its signed sending time: a late launch notice must carry its flag.
            read_notification_body(
                {"format": code, "version": found[1], "data": data},
                sent_at=parse_utc(record.sent_at),
            )
        except InvalidArgument as exc:  # NotificationInvalid, UnknownFormat
            refuse_content(self._store, self._clock, record, what="notification", reason=str(exc))
            return
        if code == MEETING:
            if self._store.get_meeting(record.id) is None:
                self._store.put_meeting(
                    MeetingRecord(
                        proposal_id=record.id,
                        peer=record.peer,
                        state="proposed",
                        data=_json(data),
                        updated_at=record.created_at,
                    )
                )
        elif code == MEETING_REPLY:
            try:
                meeting = self._next_meeting_state(data, peer=record.peer)
            except (InvalidArgument, UnknownProposal) as exc:  # NotificationInvalid included
                refuse_content(
                    self._store, self._clock, record, what="meeting reply", reason=str(exc)
                )
                return
            self._store.put_meeting(
                replace(meeting, updated_at=record.created_at, last_reply=record.id)
            )

    def _next_meeting_state(self, reply: dict[str, Any], *, peer: str) -> MeetingRecord:
        proposal_id = str(reply.get("proposal", ""))
        meeting = self._store.get_meeting(proposal_id)
        if meeting is None or meeting.peer != peer:
            raise UnknownProposal(f"no meeting proposal {proposal_id} with {peer}")
        state, data = apply_reply(json.loads(meeting.data), meeting.state, reply)
        return replace(meeting, state=state, data=_json(data))


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
