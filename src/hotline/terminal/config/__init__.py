"""A terminal's configuration: its directory, its settings file, and setting one up."""

from __future__ import annotations

from hotline.terminal.config.backup import (
    BACKUP_FORMAT,
    BackupManifest,
    backup_terminal,
    restore_terminal,
)
from hotline.terminal.config.console_tls import (
    CONSOLE_CERTIFICATE_DAYS,
    ConsoleTLS,
    certificate_fingerprint,
    console_certificate_path,
    console_tls,
    make_console_certificate,
)
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.settings import (
    DEFAULT_DEADLINES,
    TEST_LANGUAGES,
    AckDeadlines,
    AlarmSettings,
    CallSettings,
    EscalationStep,
    LinkSettings,
    MarkingSettings,
    RecordSettings,
    Settings,
    check_console,
    check_metrics,
    check_store_url,
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

__all__ = [
    "AckDeadlines",
    "AlarmSettings",
    "BACKUP_FORMAT",
    "BackupManifest",
    "CONSOLE_CERTIFICATE_DAYS",
    "CallSettings",
    "ConsoleTLS",
    "DEFAULT_DEADLINES",
    "EscalationStep",
    "LinkSettings",
    "MarkingSettings",
    "PeerAdded",
    "RecordSettings",
    "Settings",
    "TEST_LANGUAGES",
    "TerminalFiles",
    "TerminalPaths",
    "add_peer_card",
    "backup_terminal",
    "certificate_fingerprint",
    "check_console",
    "check_metrics",
    "check_store_url",
    "check_timezone",
    "console_certificate_path",
    "console_tls",
    "init_terminal",
    "load_settings",
    "make_console_certificate",
    "open_terminal",
    "parse_card",
    "render_settings",
    "restore_terminal",
]
