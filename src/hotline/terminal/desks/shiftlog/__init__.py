"""The shift log: handover notes signed by their authors."""

from __future__ import annotations

from hotline.terminal.desks.shiftlog.desk import MAX_NOTE_CHARS, ShiftLog

__all__ = ["MAX_NOTE_CHARS", "ShiftLog"]
