"""The shift log: handover notes, each signed by its author and kept in the journal.

At MOLINK and the NRRC every new shift takes over from the last. A note here is
the handover: written by an operator, signed with that operator's own key
(:mod:`hotline.terminal.desks.accounts.users`) over the canonical CBOR map
``{"v": 1, "id", "author", "text", "at"}`` prefixed with
``b"hotline-shift-note-v1\\x00"``, stored, and journaled with its signature, so a
later reader (or ``hotline verify``) can check who wrote what and when.
"""

from __future__ import annotations

import secrets

from hotline.errors import InvalidArgument, PermissionDenied
from hotline.store import ShiftNoteRecord
from hotline.terminal.core.desk import Desk, DeskServices
from hotline.terminal.core.operators import Operator, Permission
from hotline.terminal.core.statements import note_statement
from hotline.utc import format_utc

__all__ = ["MAX_NOTE_CHARS", "ShiftLog"]

MAX_NOTE_CHARS = 10_000


class ShiftLog(Desk):
    """Writes and reads handover notes, signed by their authors' own keys."""

    def __init__(self, services: DeskServices) -> None:
        super().__init__(services)
        self._store = services.store
        self._clock = services.clock

    def add(self, operator: Operator, text: str) -> ShiftNoteRecord:
        """A handover note, signed by ``operator``'s own key, into the store and journal."""
        note = self._write(operator=operator, text=text)
        self.services.events.publish("shift", note.id)
        return note

    def _write(self, *, operator: Operator, text: str) -> ShiftNoteRecord:
        if not operator.may(Permission.SHIFT_NOTE):
            raise PermissionDenied(f"{operator.name} ({operator.role}) may not write shift notes")
        text = text.strip()
        if not text:
            raise InvalidArgument("a shift note needs some text")
        if len(text) > MAX_NOTE_CHARS:
            raise InvalidArgument(f"a shift note has at most {MAX_NOTE_CHARS} characters")
        note_id = secrets.token_hex(8)
        at = format_utc(self._clock.now())
        signature = operator.sign(
            note_statement(note_id=note_id, author=operator.name, text=text, at=at)
        )
        note = ShiftNoteRecord(
            id=note_id,
            author=operator.name,
            text=text,
            at=at,
            author_key=operator.public_key,
            signature=signature,
        )
        with self._store.transaction():
            self._store.add_shift_note(note)
            self._store.append_journal(
                kind="shift note",
                at=at,
                data={
                    "id": note_id,
                    "author": operator.name,
                    "text": text,
                    "author_key": operator.public_key.hex(),
                    "signature": signature.hex(),
                },
            )
        return note

    def recent(self, limit: int = 50) -> list[ShiftNoteRecord]:
        return self._store.shift_notes(limit)
