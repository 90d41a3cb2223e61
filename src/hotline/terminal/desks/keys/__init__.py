"""Keys: rotating this terminal's operational keys, and keeping its peers' announced ones.

Also changing the master key, and blocking a peer whose master change awaits its
fingerprint check (``master.py``).
"""

from __future__ import annotations

from hotline.terminal.desks.keys.desk import (
    KEY_EVENT_KIND,
    ROTATABLE,
    KeyDesk,
    KeyRotation,
    read_key_event,
)
from hotline.terminal.desks.keys.master import (
    BLOCKED_STATE,
    BLOCKED_STATUS,
    MASTER_CHANGED,
    MASTER_REFUSED,
    MasterChange,
    blocked_reason,
    read_master_event,
)

__all__ = [
    "BLOCKED_STATE",
    "BLOCKED_STATUS",
    "KEY_EVENT_KIND",
    "MASTER_CHANGED",
    "MASTER_REFUSED",
    "ROTATABLE",
    "KeyDesk",
    "KeyRotation",
    "MasterChange",
    "blocked_reason",
    "read_key_event",
    "read_master_event",
]
