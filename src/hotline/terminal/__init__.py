"""Layer 3: the terminal daemon and the public API the CLI and console are built on.

``hotline.terminal.control`` (the FastAPI app factory) is not imported here:
it pulls in FastAPI and uvicorn, which CLI verbs that only talk to a running
daemon do not need.
"""

from __future__ import annotations

from hotline.terminal.client import ControlClient
from hotline.terminal.clock import Clock, SystemClock
from hotline.terminal.daemon import (
    OutgoingText,
    PeerLine,
    PeerStatus,
    Terminal,
    TerminalStatus,
    run_terminal,
)
from hotline.terminal.inbox import Inbox, InboxOutcome
from hotline.terminal.outbox import (
    DEFAULT_CHANNEL,
    MAX_TEXT_BYTES,
    Outbox,
    ReceiptOutcome,
    check_channel,
)
from hotline.terminal.paths import TerminalPaths
from hotline.terminal.session import Session
from hotline.terminal.settings import (
    LinkSettings,
    Settings,
    check_timezone,
    load_settings,
    render_settings,
)
from hotline.terminal.setup import (
    PeerAdded,
    TerminalFiles,
    add_peer_card,
    init_terminal,
    open_terminal,
    parse_card,
)
from hotline.terminal.tracker import DeliveryStatistics, DeliveryTracker, percentile
from hotline.terminal.verify import VerifyReport, verify_store

__all__ = [
    "Clock",
    "ControlClient",
    "DEFAULT_CHANNEL",
    "DeliveryStatistics",
    "DeliveryTracker",
    "Inbox",
    "InboxOutcome",
    "LinkSettings",
    "MAX_TEXT_BYTES",
    "Outbox",
    "OutgoingText",
    "PeerAdded",
    "PeerLine",
    "PeerStatus",
    "ReceiptOutcome",
    "Session",
    "Settings",
    "SystemClock",
    "Terminal",
    "TerminalFiles",
    "TerminalPaths",
    "TerminalStatus",
    "VerifyReport",
    "add_peer_card",
    "check_channel",
    "check_timezone",
    "init_terminal",
    "load_settings",
    "open_terminal",
    "parse_card",
    "percentile",
    "render_settings",
    "run_terminal",
    "verify_store",
]
