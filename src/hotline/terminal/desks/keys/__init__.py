"""Keys: rotating this terminal's operational keys, and keeping its peers' announced ones."""

from __future__ import annotations

from hotline.terminal.desks.keys.desk import (
    KEY_EVENT_KIND,
    ROTATABLE,
    KeyDesk,
    KeyRotation,
    read_key_event,
)

__all__ = ["KEY_EVENT_KIND", "ROTATABLE", "KeyDesk", "KeyRotation", "read_key_event"]
