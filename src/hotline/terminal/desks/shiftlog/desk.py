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

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hotline.errors import InvalidArgument, PermissionDenied
from hotline.store import ShiftNoteRecord, Store
from hotline.terminal.desks.accounts.users import Operator, Permission
from hotline.terminal.runtime.clock import Clock
from hotline.utc import format_utc

__all__ = ["MAX_NOTE_CHARS", "SHIFT_NOTE_DOMAIN", "ShiftLog", "note_statement", "verify_note"]

SHIFT_NOTE_DOMAIN = b"hotline-shift-note-v1\x00"
MAX_NOTE_CHARS = 10_000


def note_statement(*, note_id: str, author: str, text: str, at: str) -> bytes:
    """The bytes an author signs for a handover note."""
    statement = {"v": 1, "id": note_id, "author": author, "text": text, "at": at}
    return SHIFT_NOTE_DOMAIN + cbor2.dumps(statement, canonical=True)


def verify_note(note: ShiftNoteRecord) -> bool:
    """True if the note's signature verifies under its author's key."""
    try:
        Ed25519PublicKey.from_public_bytes(note.author_key).verify(
            note.signature,
            note_statement(note_id=note.id, author=note.author, text=note.text, at=note.at),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


class ShiftLog:
    """Writes and reads handover notes."""

    def __init__(self, *, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def add(self, *, operator: Operator, text: str) -> ShiftNoteRecord:
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
