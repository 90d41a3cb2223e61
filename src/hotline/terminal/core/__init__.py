"""The delivery core: sessions, lines, inbox and outbox, the tracker, alarms, verification,
and the types every desk shares (operators, signed statements, the desk registry).
"""

from __future__ import annotations

from hotline.terminal.core.alarms import (
    ACK_OVERDUE,
    ALARM_KINDS,
    LINE_DOWN,
    PEER_TEST_MISSED,
    TEST_MISSED,
    AlarmBoard,
    alarm_json,
)
from hotline.terminal.core.desk import (
    Acknowledged,
    Desk,
    DeskEvent,
    DeskRegistry,
    DeskServices,
    Lines,
    MessageAccepted,
    MessageQueued,
)
from hotline.terminal.core.inbox import Inbox, InboxOutcome, refuse_content
from hotline.terminal.core.line import (
    IN_USE_WINDOW,
    RTT_SAMPLE_EVERY,
    RTT_SAMPLES,
    LinkTestResult,
    PeerLine,
    PeerStatus,
    RouteLine,
    RouteStatus,
    TerminalStatus,
)
from hotline.terminal.core.markings import MAX_CLASSIFICATION, Markings, markings_of, parse_markings
from hotline.terminal.core.operators import PERMISSIONS, UI_LANGUAGES, Operator, Permission, Role
from hotline.terminal.core.outbox import (
    DEFAULT_CHANNEL,
    MAX_TEXT_BYTES,
    Draft,
    Outbox,
    ReceiptOutcome,
    check_channel,
    decode_body,
    is_exercise,
)
from hotline.terminal.core.proofs import receipt_proof
from hotline.terminal.core.session import (
    DELIVERY_SLICE,
    HIGH_WATER,
    PUMP_BATCH,
    Session,
    SessionHandler,
)
from hotline.terminal.core.statements import (
    ACK_DOMAIN,
    ACKNOWLEDGEABLE_KINDS,
    SHIFT_NOTE_DOMAIN,
    ack_statement,
    note_statement,
    verify_note,
)
from hotline.terminal.core.tracker import DeliveryStatistics, DeliveryTracker, percentile

__all__ = [
    "ACKNOWLEDGEABLE_KINDS",
    "ACK_DOMAIN",
    "ACK_OVERDUE",
    "ALARM_KINDS",
    "Acknowledged",
    "AlarmBoard",
    "DEFAULT_CHANNEL",
    "DELIVERY_SLICE",
    "DeliveryStatistics",
    "DeliveryTracker",
    "Desk",
    "DeskEvent",
    "DeskRegistry",
    "DeskServices",
    "Draft",
    "HIGH_WATER",
    "IN_USE_WINDOW",
    "Inbox",
    "InboxOutcome",
    "LINE_DOWN",
    "Lines",
    "LinkTestResult",
    "MAX_CLASSIFICATION",
    "MAX_TEXT_BYTES",
    "Markings",
    "MessageAccepted",
    "MessageQueued",
    "Operator",
    "Outbox",
    "PEER_TEST_MISSED",
    "PERMISSIONS",
    "PUMP_BATCH",
    "PeerLine",
    "PeerStatus",
    "Permission",
    "RTT_SAMPLES",
    "RTT_SAMPLE_EVERY",
    "ReceiptOutcome",
    "Role",
    "RouteLine",
    "RouteStatus",
    "SHIFT_NOTE_DOMAIN",
    "Session",
    "SessionHandler",
    "TEST_MISSED",
    "TerminalStatus",
    "UI_LANGUAGES",
    "ack_statement",
    "alarm_json",
    "check_channel",
    "decode_body",
    "is_exercise",
    "markings_of",
    "note_statement",
    "parse_markings",
    "percentile",
    "receipt_proof",
    "refuse_content",
    "verify_note",
]
