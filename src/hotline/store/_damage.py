"""Damaged message rows: found, named without their content, and kept out of the way.

A flipped bit on the disk (or a careless hand in the database) can leave a
stored text column that is not UTF-8. Read strictly, one such row made every
query that touched it fail, so the terminal refused to start, and the driver's
error quoted the damaged plaintext. Instead, both backends:

* read strictly first (the happy path costs nothing more), and only when a
  read fails to decode re-read the same rows leniently, with undecodable bytes
  kept as lone surrogates (``surrogateescape``), which no real text contains;
* hand back a row whose only damaged column is ``text`` with its text
  recovered from its ``body``: the body is what the envelope's commitment and
  signature bind, the text column only a copy of the body's ``text``;
* leave out (quarantine) a row with any other damaged column: its content can
  no longer be trusted, and a listing or delivery that needs it goes without;
* name every damaged row in :meth:`~hotline.store.interfaces.MessageStore.damaged_messages`
  (its id, peer, direction, serial and the column), never its content, for
  ``hotline verify`` and for the terminal's ``store-damaged`` alarm.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import cbor2

from hotline.store.records import MessageRecord

__all__ = [
    "DamagedMessage",
    "is_decode_error",
    "lenient_text",
    "printable",
    "read_stored",
    "safe_error",
]

#: A sqlite3 ``text_factory`` that never fails: undecodable bytes become lone
#: surrogates. A partial of the builtin, so a lenient re-read stays in C.
lenient_text = partial(str, encoding="utf-8", errors="surrogateescape")

#: What SQLite's strict decoding says when a stored text is not UTF-8 (its
#: message then quotes the text, which is never shown).
SQLITE_DECODE_ERROR = "Could not decode to UTF-8"


@dataclass(frozen=True, slots=True, kw_only=True)
class DamagedMessage:
    """One message row with a stored text column that is not UTF-8."""

    #: The message's id (undecodable bytes shown as ``?``).
    id: str
    peer: str
    direction: str
    serial: int
    #: The damaged columns, in the record's field order.
    columns: tuple[str, ...]
    #: True when only ``text`` is damaged and it was recovered from the body.
    recovered: bool

    def describe(self) -> str:
        """One line naming the row and its columns; never any of its content."""
        word = "to" if self.direction == "out" else "from"
        what = (
            "text recovered from its body"
            if self.recovered
            else "quarantined (left out of listings and delivery)"
        )
        return (
            f"message {self.id} ({word} {self.peer}, serial {self.serial}): "
            f"stored {', '.join(self.columns)} not UTF-8; {what}"
        )


def printable(value: object) -> str:
    """A stored value with undecodable bytes as ``?``: safe to print or journal."""
    text = str(value)
    if text.isascii() or not _has_surrogate(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\ufffd", "?")


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _text_of(body: bytes) -> str | None:
    """The ``text`` a stored body carries ("" if none), or None if the body does not decode."""
    try:
        decoded = cbor2.loads(body)
    except Exception:
        return None
    if not isinstance(decoded, dict):
        return None
    text = decoded.get("text", "")
    return text if isinstance(text, str) else ""


def read_stored(
    stored: Mapping[str, Any],
) -> tuple[MessageRecord | None, DamagedMessage | None]:
    """A leniently read row: its record (None if quarantined) and what is damaged (None if nothing).

    ``stored`` maps every :class:`~hotline.store.MessageRecord` field to its
    value as read; damaged text holds lone surrogates.
    """
    columns = tuple(
        name for name, value in stored.items() if isinstance(value, str) and _has_surrogate(value)
    )
    if not columns:
        return MessageRecord(**stored), None
    recovered = None
    body = stored.get("body")
    if columns == ("text",) and isinstance(body, bytes | bytearray | memoryview):
        recovered = _text_of(bytes(body))
    damage = DamagedMessage(
        id=printable(stored.get("id", "")),
        peer=printable(stored.get("peer", "")),
        direction=printable(stored.get("direction", "")),
        serial=int(stored.get("serial", 0) or 0),
        columns=columns,
        recovered=recovered is not None,
    )
    if recovered is None:
        return None, damage
    return MessageRecord(**{**stored, "text": recovered}), damage


def is_decode_error(exc: BaseException) -> bool:
    """Whether a sqlite3 error is SQLite refusing to decode a stored text."""
    return isinstance(exc, sqlite3.OperationalError) and str(exc).startswith(SQLITE_DECODE_ERROR)


def safe_error(exc: BaseException) -> str:
    """The driver's error, except that a decoding error (which quotes the text) is not shown."""
    if is_decode_error(exc):
        return "a stored text is not UTF-8 (a damaged row; hotline verify names it)"
    return str(exc)
