"""Layer 3: the terminal daemon, and the public API the CLI, console and benchmarks use.

The package is made of rooms (docs/ARCHITECTURE.md draws them):

* :mod:`hotline.terminal.runtime` — clock, change notices, supervised tasks;
* :mod:`hotline.terminal.config` — the terminal's directory and settings;
* :mod:`hotline.terminal.core` — the delivery core: sessions, lines, inbox,
  outbox, alarms, verification, and the desk registry;
* :mod:`hotline.terminal.linktest` — routes tested end to end on a schedule;
* :mod:`hotline.terminal.desks` — one subpackage per feature, registered by
  the envelope kinds it handles;
* :mod:`hotline.terminal.api` — the one HTTP contract: shared resource models
  and the error → status table, for the control socket and the console;
* ``daemon``, ``runner``, ``control``, ``lane`` and ``client`` — the terminal
  assembled, run, and spoken to over its control socket and its send lane.

This namespace holds what most callers need; a feature's own names (a call's
JSON, a report's CSV) are imported from its desk, e.g.
``hotline.terminal.desks.calls``. ``hotline.terminal.control`` (the FastAPI
control app) is not imported here: CLI verbs that only talk to a running
daemon must not pay for FastAPI and uvicorn.
"""

from __future__ import annotations

from hotline.terminal.client import ControlClient, SendLane
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.settings import Settings, load_settings
from hotline.terminal.config.setup import add_peer_card, init_terminal, open_terminal
from hotline.terminal.core.line import PeerStatus, RouteStatus, TerminalStatus
from hotline.terminal.core.operators import UI_LANGUAGES, Operator, Permission, Role
from hotline.terminal.core.outbox import DEFAULT_CHANNEL, is_exercise
from hotline.terminal.core.tracker import percentile
from hotline.terminal.daemon import OutgoingText, Terminal
from hotline.terminal.record.verify import VerifyReport, verify_store
from hotline.terminal.runner import run_terminal
from hotline.terminal.runtime.clock import Clock, SystemClock
from hotline.terminal.runtime.cpu_wake import hold_cpus_awake
from hotline.terminal.runtime.events import Notice

__all__ = [
    "Clock",
    "ControlClient",
    "DEFAULT_CHANNEL",
    "Notice",
    "Operator",
    "OutgoingText",
    "PeerStatus",
    "Permission",
    "Role",
    "RouteStatus",
    "SendLane",
    "Settings",
    "SystemClock",
    "Terminal",
    "TerminalPaths",
    "TerminalStatus",
    "UI_LANGUAGES",
    "VerifyReport",
    "add_peer_card",
    "hold_cpus_awake",
    "init_terminal",
    "is_exercise",
    "load_settings",
    "open_terminal",
    "percentile",
    "run_terminal",
    "verify_store",
]
