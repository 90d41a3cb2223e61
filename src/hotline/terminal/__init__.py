"""Layer 3: the terminal daemon and the public API the CLI and console are built on.

``hotline.terminal.control`` (the FastAPI app factory) is not imported here:
it pulls in FastAPI and uvicorn, which CLI verbs that only talk to a running
daemon do not need.
"""

from __future__ import annotations

from hotline.terminal.alarms import ALARM_KINDS, AlarmDesk, alarm_json
from hotline.terminal.client import ControlClient
from hotline.terminal.clock import Clock, SystemClock
from hotline.terminal.daemon import OutgoingText, Terminal, run_terminal
from hotline.terminal.inbox import Inbox, InboxOutcome
from hotline.terminal.line import PeerLine, PeerStatus, RouteLine, RouteStatus, TerminalStatus
from hotline.terminal.linktest import (
    LinkTestDesk,
    LinkTestResult,
    SentTest,
    next_slot,
    receipt_message_id,
    slot_parity,
)
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
    TEST_LANGUAGES,
    AlarmSettings,
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
from hotline.terminal.test_texts import (
    ApprovedText,
    approved_texts,
    missing_letters,
    parse_texts,
    rotation,
    text_for,
)
from hotline.terminal.tester import ALARM_MESSAGE_KIND, LineTester
from hotline.terminal.tracker import DeliveryStatistics, DeliveryTracker, percentile
from hotline.terminal.verify import VerifyReport, verify_store

__all__ = [
    "ALARM_KINDS",
    "ALARM_MESSAGE_KIND",
    "AlarmDesk",
    "AlarmSettings",
    "ApprovedText",
    "Clock",
    "ControlClient",
    "DEFAULT_CHANNEL",
    "DeliveryStatistics",
    "DeliveryTracker",
    "Inbox",
    "InboxOutcome",
    "LineTester",
    "LinkSettings",
    "LinkTestDesk",
    "LinkTestResult",
    "MAX_TEXT_BYTES",
    "Outbox",
    "OutgoingText",
    "PeerAdded",
    "PeerLine",
    "PeerStatus",
    "ReceiptOutcome",
    "RouteLine",
    "RouteStatus",
    "SentTest",
    "Session",
    "Settings",
    "SystemClock",
    "TEST_LANGUAGES",
    "Terminal",
    "TerminalFiles",
    "TerminalPaths",
    "TerminalStatus",
    "VerifyReport",
    "add_peer_card",
    "alarm_json",
    "approved_texts",
    "check_channel",
    "check_timezone",
    "init_terminal",
    "load_settings",
    "missing_letters",
    "next_slot",
    "open_terminal",
    "parse_card",
    "parse_texts",
    "percentile",
    "receipt_message_id",
    "render_settings",
    "rotation",
    "run_terminal",
    "slot_parity",
    "text_for",
    "verify_store",
]
