"""A terminal's configuration: its directory, its settings file, and setting one up."""

from __future__ import annotations

from hotline.terminal.config.passphrase import (
    CREDENTIAL_NAME,
    PASSPHRASE_ENV,
    Passphrase,
    find_passphrase,
    passphrase_missing,
    read_passphrase_file,
)
from hotline.terminal.config.paths import (
    PRIVATE_UMASK,
    TerminalPaths,
    private_dir,
    private_file,
    write_private,
)
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
    "CREDENTIAL_NAME",
    "CallSettings",
    "DEFAULT_DEADLINES",
    "EscalationStep",
    "LinkSettings",
    "MarkingSettings",
    "PASSPHRASE_ENV",
    "PRIVATE_UMASK",
    "Passphrase",
    "PeerAdded",
    "RecordSettings",
    "Settings",
    "TEST_LANGUAGES",
    "TerminalFiles",
    "TerminalPaths",
    "add_peer_card",
    "check_console",
    "check_store_url",
    "check_timezone",
    "find_passphrase",
    "init_terminal",
    "load_settings",
    "open_terminal",
    "parse_card",
    "passphrase_missing",
    "private_dir",
    "private_file",
    "read_passphrase_file",
    "render_settings",
    "write_private",
]
