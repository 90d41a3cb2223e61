"""Layer 3: the terminal daemon and the public API the CLI and console are built on.

``hotline.terminal.control`` (the FastAPI app factory) is not imported here:
it pulls in FastAPI and uvicorn, which CLI verbs that only talk to a running
daemon do not need.
"""

from __future__ import annotations

from hotline.terminal.client import ControlClient
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.settings import (
    DEFAULT_DEADLINES,
    TEST_LANGUAGES,
    AckDeadlines,
    AlarmSettings,
    CallSettings,
    EscalationStep,
    LinkSettings,
    Settings,
    check_console,
    check_timezone,
    load_settings,
    render_settings,
)
from hotline.terminal.config.setup import (
    PeerAdded,
    TerminalFiles,
    add_peer_card,
    init_terminal,
    open_terminal,
    parse_card,
)
from hotline.terminal.core.alarms import ALARM_KINDS, AlarmDesk, alarm_json
from hotline.terminal.core.inbox import Inbox, InboxOutcome, refuse_content
from hotline.terminal.core.line import PeerLine, PeerStatus, RouteLine, RouteStatus, TerminalStatus
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
from hotline.terminal.core.session import Session
from hotline.terminal.core.tracker import DeliveryStatistics, DeliveryTracker, percentile
from hotline.terminal.core.verify import VerifyReport, verify_store
from hotline.terminal.daemon import OutgoingText, Terminal
from hotline.terminal.desks.accounts.users import (
    MIN_PASSWORD_CHARS,
    PERMISSIONS,
    UI_LANGUAGES,
    Operator,
    Permission,
    Role,
    authenticate,
    check_user_name,
    create_user,
    set_password,
    user_json,
)
from hotline.terminal.desks.acks.desk import (
    ACK_DOMAIN,
    ACK_KIND,
    ACKNOWLEDGEABLE_KINDS,
    AckDesk,
    ack_statement,
)
from hotline.terminal.desks.calls.desk import (
    CALL_KIND,
    MEDIA_STATES,
    CallDesk,
    LiveCall,
    SendSignal,
    call_json,
)
from hotline.terminal.desks.calls.presence import (
    MAX_PRESENCE_NOTE_CHARS,
    PRESENCE_KIND,
    PresenceDesk,
    presence_json,
)
from hotline.terminal.desks.calls.state import (
    CALL_TABLE,
    MAX_SDP_BYTES,
    CallEvent,
    CallState,
    next_state,
    sdp_fingerprint,
)
from hotline.terminal.desks.deadlines.watch import (
    MAX_WATCHES,
    STARTUP_SCAN,
    DeadlineWatch,
    Overdue,
    format_utc_epoch,
)
from hotline.terminal.desks.notifications.desk import (
    MEETING,
    MEETING_REPLY,
    NOTIFICATION_KIND,
    NotificationDesk,
    notification_of,
)
from hotline.terminal.desks.notifications.reports import (
    PERIODS,
    CountRow,
    count_notifications,
    counts_csv,
    notifications_csv,
)
from hotline.terminal.desks.shiftlog.desk import (
    MAX_NOTE_CHARS,
    SHIFT_NOTE_DOMAIN,
    ShiftLog,
    note_statement,
    verify_note,
)
from hotline.terminal.linktest.desk import (
    LinkTestDesk,
    LinkTestResult,
    SentTest,
    next_slot,
    receipt_message_id,
    slot_parity,
)
from hotline.terminal.linktest.test_texts import (
    ApprovedText,
    approved_texts,
    missing_letters,
    parse_texts,
    rotation,
    text_for,
)
from hotline.terminal.linktest.tester import ALARM_MESSAGE_KIND, LineTester
from hotline.terminal.runner import (
    ExtraServer,
    run_terminal,
)
from hotline.terminal.runtime.clock import Clock, SystemClock
from hotline.terminal.runtime.cpu_wake import (
    CPU_DMA_LATENCY,
    CpuWakeHold,
    enforced_latency_us,
    hold_cpus_awake,
)
from hotline.terminal.runtime.events import (
    EventHub,
    Notice,
)

__all__ = [
    "ACKNOWLEDGEABLE_KINDS",
    "ACK_DOMAIN",
    "ACK_KIND",
    "ALARM_KINDS",
    "ALARM_MESSAGE_KIND",
    "AckDeadlines",
    "AckDesk",
    "AlarmDesk",
    "AlarmSettings",
    "ApprovedText",
    "CALL_KIND",
    "CALL_TABLE",
    "CPU_DMA_LATENCY",
    "CallDesk",
    "CallEvent",
    "CallSettings",
    "CallState",
    "Clock",
    "ControlClient",
    "CountRow",
    "CpuWakeHold",
    "DEFAULT_CHANNEL",
    "DEFAULT_DEADLINES",
    "DeadlineWatch",
    "DeliveryStatistics",
    "DeliveryTracker",
    "Draft",
    "EscalationStep",
    "EventHub",
    "ExtraServer",
    "Inbox",
    "InboxOutcome",
    "LineTester",
    "LinkSettings",
    "LinkTestDesk",
    "LinkTestResult",
    "LiveCall",
    "MAX_NOTE_CHARS",
    "MAX_PRESENCE_NOTE_CHARS",
    "MAX_SDP_BYTES",
    "MAX_TEXT_BYTES",
    "MAX_WATCHES",
    "MEDIA_STATES",
    "MEETING",
    "MEETING_REPLY",
    "MIN_PASSWORD_CHARS",
    "NOTIFICATION_KIND",
    "Notice",
    "NotificationDesk",
    "Operator",
    "Outbox",
    "OutgoingText",
    "Overdue",
    "PERIODS",
    "PERMISSIONS",
    "PRESENCE_KIND",
    "PeerAdded",
    "PeerLine",
    "PeerStatus",
    "Permission",
    "PresenceDesk",
    "ReceiptOutcome",
    "Role",
    "RouteLine",
    "RouteStatus",
    "SHIFT_NOTE_DOMAIN",
    "STARTUP_SCAN",
    "SendSignal",
    "SentTest",
    "Session",
    "Settings",
    "ShiftLog",
    "SystemClock",
    "TEST_LANGUAGES",
    "Terminal",
    "TerminalFiles",
    "TerminalPaths",
    "TerminalStatus",
    "UI_LANGUAGES",
    "VerifyReport",
    "ack_statement",
    "add_peer_card",
    "alarm_json",
    "approved_texts",
    "authenticate",
    "call_json",
    "check_channel",
    "check_console",
    "check_timezone",
    "check_user_name",
    "count_notifications",
    "counts_csv",
    "create_user",
    "decode_body",
    "enforced_latency_us",
    "format_utc_epoch",
    "hold_cpus_awake",
    "init_terminal",
    "is_exercise",
    "load_settings",
    "missing_letters",
    "next_slot",
    "next_state",
    "note_statement",
    "notification_of",
    "notifications_csv",
    "open_terminal",
    "parse_card",
    "parse_texts",
    "percentile",
    "presence_json",
    "receipt_message_id",
    "refuse_content",
    "render_settings",
    "rotation",
    "run_terminal",
    "sdp_fingerprint",
    "set_password",
    "slot_parity",
    "text_for",
    "user_json",
    "verify_note",
    "verify_store",
]
