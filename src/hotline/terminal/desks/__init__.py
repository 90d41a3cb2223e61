"""One subpackage per feature (a desk), each registered by the envelope kinds it handles.

A desk imports the core (:mod:`hotline.terminal.core`), the runtime and the
configuration, never another desk (tests/test_layers.py checks it). Desks that
must react to each other do so through the core's desk events
(:mod:`hotline.terminal.core.desk`), which the terminal announces to every desk.

:data:`DESKS` is the registry's list: a new desk is a new subpackage here and
one line below; the daemon builds whatever is listed.
"""

from __future__ import annotations

from hotline.terminal.core.desk import Desk
from hotline.terminal.desks.acks import AckDesk
from hotline.terminal.desks.calls import CallDesk, PresenceDesk
from hotline.terminal.desks.channels import ChannelDesk
from hotline.terminal.desks.conferences import ConferenceDesk
from hotline.terminal.desks.deadlines import DeadlineWatch
from hotline.terminal.desks.keys import KeyDesk
from hotline.terminal.desks.notifications import NotificationDesk
from hotline.terminal.desks.releases import ReleaseDesk
from hotline.terminal.desks.shiftlog import ShiftLog
from hotline.terminal.desks.statements import StatementDesk

__all__ = ["DESKS"]

#: The desks every terminal runs, built in this order (each hook runs in it too).
DESKS: tuple[type[Desk], ...] = (
    NotificationDesk,
    AckDesk,
    DeadlineWatch,
    CallDesk,
    PresenceDesk,
    ShiftLog,
    ChannelDesk,
    ConferenceDesk,
    ReleaseDesk,
    StatementDesk,
    KeyDesk,
)
