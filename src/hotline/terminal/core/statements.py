"""The statements people sign: what an acknowledgement and a handover note bind.

They are record formats, not features: :mod:`hotline.terminal.record.verify`
re-checks every stored signature, and the shared record (docs/ARCHITECTURE.md)
will hold them, without importing the desks that make them. Each statement is
canonical CBOR behind a domain-separation prefix.
"""

from __future__ import annotations

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hotline.store import ShiftNoteRecord

__all__ = [
    "ACKNOWLEDGEABLE_KINDS",
    "ACK_DOMAIN",
    "SHIFT_NOTE_DOMAIN",
    "ack_statement",
    "note_statement",
    "verify_note",
]

ACK_DOMAIN = b"hotline-ack-v1\x00"
#: Kinds of incoming message a person acknowledges (not tests, alarms or acks).
ACKNOWLEDGEABLE_KINDS = frozenset({"text", "notification"})


def ack_statement(*, message_id: str, envelope_hash: bytes, by: str, at: str) -> bytes:
    """The bytes a person signs to acknowledge a message."""
    statement = {"v": 1, "message": message_id, "envelope_hash": envelope_hash, "by": by, "at": at}
    return ACK_DOMAIN + cbor2.dumps(statement, canonical=True)


SHIFT_NOTE_DOMAIN = b"hotline-shift-note-v1\x00"


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
