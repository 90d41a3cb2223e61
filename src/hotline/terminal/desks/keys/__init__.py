"""Keys: rotating and revoking this terminal's operational keys; keeping its peers' announced ones."""

from __future__ import annotations

from hotline.terminal.desks.keys.desk import (
    KEY_EVENT_KIND,
    ROTATABLE,
    KeyDesk,
    KeyRevocationSent,
    KeyRotation,
    read_key_event,
    read_revocation_event,
)

__all__ = [
    "KEY_EVENT_KIND",
    "ROTATABLE",
    "KeyDesk",
    "KeyRevocationSent",
    "KeyRotation",
    "read_key_event",
    "read_revocation_event",
]
