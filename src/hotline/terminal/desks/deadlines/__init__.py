"""Acknowledgement deadlines: overdue messages are resent, alarmed and escalated."""

from __future__ import annotations

from hotline.terminal.desks.deadlines.watch import (
    MAX_WATCHES,
    STARTUP_SCAN,
    DeadlineWatch,
    Overdue,
    format_utc_epoch,
)

__all__ = ["DeadlineWatch", "MAX_WATCHES", "Overdue", "STARTUP_SCAN", "format_utc_epoch"]
