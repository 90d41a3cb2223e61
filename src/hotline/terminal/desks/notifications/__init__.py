"""Formatted notifications: validated, sent, received, counted in reports."""

from __future__ import annotations

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

__all__ = [
    "CountRow",
    "MEETING",
    "MEETING_REPLY",
    "NOTIFICATION_KIND",
    "NotificationDesk",
    "PERIODS",
    "count_notifications",
    "counts_csv",
    "notification_of",
    "notifications_csv",
]
