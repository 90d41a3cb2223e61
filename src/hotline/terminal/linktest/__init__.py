"""Link tests: every route tested end to end on a schedule, with texts from an approved list."""

from __future__ import annotations

from hotline.terminal.linktest.desk import (
    LINE_CHANNEL,
    TEST_KIND,
    LinkTestDesk,
    SentTest,
    next_slot,
    receipt_message_id,
    slot_parity,
)
from hotline.terminal.linktest.test_texts import (
    LANGUAGES,
    MAX_TEXT_CHARS,
    SCRIPTS,
    ApprovedText,
    approved_texts,
    missing_letters,
    parse_texts,
    rotation,
    text_for,
)
from hotline.terminal.linktest.tester import ALARM_MESSAGE_KIND, LineTester, PeerAlarmDesk

__all__ = [
    "ALARM_MESSAGE_KIND",
    "ApprovedText",
    "LANGUAGES",
    "LINE_CHANNEL",
    "LineTester",
    "LinkTestDesk",
    "MAX_TEXT_CHARS",
    "PeerAlarmDesk",
    "SCRIPTS",
    "SentTest",
    "TEST_KIND",
    "approved_texts",
    "missing_letters",
    "next_slot",
    "parse_texts",
    "receipt_message_id",
    "rotation",
    "slot_parity",
    "text_for",
]
