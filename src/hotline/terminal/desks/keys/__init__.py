"""Keys: rotating and revoking this terminal's operational keys; keeping its peers' announced ones.

Also changing the master key, and blocking a peer whose master change awaits its
fingerprint check (``master.py``).
"""

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
    "KeyDesk",
    "KeyRevocationSent",
    "KeyRotation",
    "MASTER_CHANGED",
    "MASTER_REFUSED",
    "MasterChange",
    "ROTATABLE",
    "blocked_reason",
    "read_key_event",
    "read_master_event",
    "read_revocation_event",
]
