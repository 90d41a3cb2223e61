"""Releasing a marked message: the one path every kind of release takes.

A marked message (docs/protocol/markings.md §3) is released by a signed
release message over its line: by a person (the releases desk, ``hotline
release``) or by a joint statement that names it and comes into force (the
statements desk, docs/protocol/statements.md §6). Desks never import each
other, so what both need lives here (:class:`Releaser`): who may release a
message, how the release messages of a message and of every other copy of its
group are queued, and how a release is stored and journalled (the
``releases`` row, the ``message released`` entry, the live-view notice), so a
release reads the same in the record, ``hotline verify`` and the consoles
whichever way it came.
"""

from __future__ import annotations

from typing import Any

from hotline.crypto import Precedence
from hotline.store import Direction, MessageRecord, ReleaseRecord
from hotline.terminal.core.desk import DeskServices
from hotline.terminal.core.markings import markings_of
from hotline.utc import format_utc

__all__ = ["RELEASE_KIND", "Releaser"]

#: The envelope kind of a release message.
RELEASE_KIND = "release"


class Releaser:
    """Checks, queues and records releases for a desk (within the caller's transaction)."""

    def __init__(self, services: DeskServices) -> None:
        self.services = services
        self._store = services.store

    def either_may(self) -> bool:
        """``[markings] release_by = "either"``: a recipient may release too."""
        return self.services.settings.markings.release_by == "either"

    def refusal(self, record: MessageRecord) -> str | None:
        """Why this side may not release ``record`` now; None when it may."""
        if record.kind == RELEASE_KIND or markings_of(record) is None:
            return f"message {record.id} carries no markings: there is nothing to release"
        if self._store.release_of(record.id) is not None:
            return f"message {record.id} is already released"
        if record.direction is Direction.IN and not self.either_may():
            return (
                f"only its sender, {record.peer}, may release message {record.id} "
                '([markings] release_by = "sender")'
            )
        return None

    def copies(self, record: MessageRecord) -> list[MessageRecord]:
        """``record`` and the other copies of its group this side may still release."""
        link = self._store.group_links([record.id]).get(record.id)
        found = [record]
        if link is None:
            return found
        for member in self._store.group_members(link.group_id):
            if member.message_id == record.id:
                continue
            copy = self._store.get_message(member.message_id)
            # Only copies held in the same direction are ours to release with it;
            # one released already (before groups were released whole) stays so.
            if copy is not None and copy.direction is record.direction and not self.refusal(copy):
                found.append(copy)
        return found

    def release_copy(
        self,
        record: MessageRecord,
        *,
        released_at: str,
        public: str | None,
        extra: dict[str, Any] | None = None,
    ) -> tuple[MessageRecord, ReleaseRecord]:
        """Queue the release message of one copy over its line and record it.

        ``extra`` joins the signed body (a statement's release names the statement).
        The caller holds the transaction and hands the queued message to its line after.
        """
        body: dict[str, Any] = {
            "op": "release",
            "message": record.id,
            "envelope_hash": record.envelope_hash.hex(),
            "released_at": released_at,
            **(extra or {}),
        }
        if public is not None:
            body["public_text"] = public
        line = f"RELEASED {released_at}: message serial {record.serial} ({record.time_group})"
        sent = self.services.outbox.queue(
            peer=self.services.lines.peer(record.peer),
            text=line if public is None else f"{line}: {public}",
            channel=record.channel,
            precedence=Precedence(record.precedence),
            kind=RELEASE_KIND,
            extra_body=body,
        )
        release = self.record(
            record,
            sent,
            released_by=self.services.settings.party,
            released_at=released_at,
            public_text=public,
        )
        return sent, release

    def record(
        self,
        target: MessageRecord,
        release_message: MessageRecord,
        *,
        released_by: str,
        released_at: str,
        public_text: str | None,
    ) -> ReleaseRecord:
        """Store and journal the release of ``target`` that ``release_message`` carries."""
        release = ReleaseRecord(
            message_id=target.id,
            released_by=released_by,
            released_at=released_at,
            public_text=public_text,
            release_id=release_message.id,
        )
        self._store.add_release(release)
        self._store.append_journal(
            kind="message released",
            at=format_utc(self.services.clock.now()),
            data={
                "id": target.id,
                "peer": target.peer,
                "released_by": released_by,
                "released_at": released_at,
                "release": release_message.id,
                **({} if public_text is None else {"public_text": public_text}),
            },
        )
        self.services.events.publish("messages", target.id)
        return release
