"""Releases: a marked message turned into a public statement, by a signed release record.

A message may carry handling markings (:mod:`hotline.terminal.core.markings`).
Releasing it lifts them: its sender (or, when ``[markings] release_by =
"either"``, either party) sends the peer a message of kind ``release`` whose
signed body names the marked message and its envelope hash::

    {"text": <a line for the reader>, "op": "release", "message": <id>,
     "envelope_hash": <hex>, "released_at": <UTC>, "public_text": <str, optional>}

Both sides store the release (table ``releases``) in the transaction that
stores or queues the release message, and journal it as ``message released``.
From then on (from ``released_at``) the consoles show the message as a public
statement with its release time and public text. A release of an unknown or
unmarked message, of one already released, or by a party the rules do not
allow, is refused: raised as :class:`~hotline.errors.ReleaseRefused` (or
UnknownMessage) here, its content refused (``refuse_content``) when it arrives.
A message sent to several parties is released whole: every copy of its group,
one release message over each line, in one transaction.
docs/protocol/markings.md §3 is the normative text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hotline.errors import InvalidArgument, ReleaseRefused, UnknownMessage
from hotline.store import Direction, MessageRecord, ReleaseRecord
from hotline.terminal.core.desk import Desk, DeskServices
from hotline.terminal.core.inbox import refuse_content
from hotline.terminal.core.markings import markings_of, parse_moment
from hotline.terminal.core.operators import Operator, Permission
from hotline.terminal.core.outbox import MAX_TEXT_BYTES, decode_body
from hotline.terminal.core.releasing import RELEASE_KIND, Releaser
from hotline.utc import format_utc, parse_utc

__all__ = ["RELEASE_KIND", "ReleaseDesk", "release_json"]


def release_json(release: ReleaseRecord) -> dict[str, Any]:
    """A release as both HTTP APIs return it."""
    return {
        "message": release.message_id,
        "released_by": release.released_by,
        "released_at": release.released_at,
        "public_text": release.public_text,
        "release_id": release.release_id,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class _ReleaseBody:
    message: str
    envelope_hash: str
    released_at: str
    public_text: str | None


class ReleaseDesk(Desk):
    """Signs, sends, receives and records releases of marked messages."""

    kinds = frozenset({RELEASE_KIND})

    def __init__(self, services: DeskServices) -> None:
        super().__init__(services)
        self._store = services.store
        self._clock = services.clock
        self._releaser = Releaser(services)

    # -- reading ----------------------------------------------------------------

    def release_of(self, message_id: str) -> ReleaseRecord | None:
        """The release of a message, if it was released."""
        return self._store.release_of(message_id)

    def may_release(self, record: MessageRecord) -> str | None:
        """Why this side may not release ``record`` now; None when it may."""
        return self._releaser.refusal(record)

    # -- releasing ----------------------------------------------------------------

    def release(
        self,
        message_id: str,
        *,
        public_text: str | None = None,
        at: str | None = None,
        operator: Operator | None = None,
    ) -> tuple[ReleaseRecord, ...]:
        """Release a marked message, and every other copy of its group: sign, send, store.

        A message sent to several parties is one payload sealed over each line
        (:mod:`hotline.terminal.core.groups`); releasing any copy releases them
        all, one release message per copy over its own line, in one transaction.
        Returns the releases, ``message_id``'s first, then the other copies in
        the order they were linked (a copy already released is left as it is).
        ``public_text`` is what may be said in public (None: the message's own
        text); ``at`` the release time (any UTC form ``parse_markings`` takes;
        default now). UnknownMessage, ReleaseRefused, PermissionDenied.
        """
        if operator is not None:
            operator.require(Permission.SEND, "release messages")
        record = self._store.get_message(message_id)
        if record is None:
            raise UnknownMessage(f"no message with id {message_id}")
        refusal = self.may_release(record)
        if refusal is not None:
            raise ReleaseRefused(refusal)
        released_at = self._time(at)
        public = _public_text(public_text)
        copies = self._releaser.copies(record)
        queued: list[MessageRecord] = []
        releases: list[ReleaseRecord] = []
        with self._store.transaction():
            for copy in copies:
                sent, release = self._releaser.release_copy(
                    copy, released_at=released_at, public=public
                )
                queued.append(sent)
                releases.append(release)
        for sent in queued:
            self.services.lines.queued(sent)
        return tuple(releases)

    def received(self, record: MessageRecord) -> None:
        """A release arrived (verified and stored): check it against the rules, then record it."""
        try:
            found = _read_body(decode_body(record.body))
            target = self._store.get_message(found.message)
            if target is None or target.peer != record.peer:
                raise ReleaseRefused(f"no message {found.message} on the line with {record.peer}")
            if target.envelope_hash.hex() != found.envelope_hash:
                raise ReleaseRefused(
                    f"the envelope hash does not match message {found.message} as held here"
                )
            # The peer releases what it sent us; what we sent, only where either may.
            refusal = None
            if target.direction is Direction.OUT and not self._either_may():
                refusal = (
                    f"{record.peer} received message {target.id} and may not release it "
                    '([markings] release_by = "sender")'
                )
            elif target.kind == RELEASE_KIND or markings_of(target) is None:
                refusal = f"message {target.id} carries no markings"
            elif self._store.release_of(target.id) is not None:
                refusal = f"message {target.id} is already released"
            if refusal is not None:
                raise ReleaseRefused(refusal)
        except InvalidArgument as exc:  # ReleaseRefused included
            refuse_content(self._store, self._clock, record, what="release", reason=str(exc))
            return
        with self._store.transaction():
            self._releaser.record(
                target,
                record,
                released_by=record.peer,
                released_at=found.released_at,
                public_text=found.public_text,
            )

    # -- the rules ----------------------------------------------------------------

    def _either_may(self) -> bool:
        return self._releaser.either_may()

    def _time(self, at: str | None) -> str:
        if at is None:
            return format_utc(self._clock.now())
        return parse_moment(at, what="release time")


def _public_text(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    text = text.strip()
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES // 2:
        raise InvalidArgument(f"the public text is longer than {MAX_TEXT_BYTES // 2} bytes")
    return text


def _read_body(body: dict[str, Any]) -> _ReleaseBody:
    """The fields of a release body; InvalidArgument naming what is wrong."""
    if body.get("op") != "release":
        raise InvalidArgument("a release body needs op = release")
    message, digest, at = body.get("message"), body.get("envelope_hash"), body.get("released_at")
    if not isinstance(message, str) or not message:
        raise InvalidArgument("a release names the message it releases")
    if not isinstance(digest, str) or len(digest) != 64:
        raise InvalidArgument("a release carries the released envelope's hash (64 hex digits)")
    if not isinstance(at, str):
        raise InvalidArgument("a release carries its released_at time")
    try:
        parse_utc(at)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"released_at: {exc}") from None
    public = body.get("public_text")
    if public is not None and not isinstance(public, str):
        raise InvalidArgument("public_text must be text")
    return _ReleaseBody(message=message, envelope_hash=digest, released_at=at, public_text=public)
