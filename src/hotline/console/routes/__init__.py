"""The console's routers, one module per concern: ``auth`` (login, logout), ``pages`` (HTML),
``api`` (JSON under ``/api``, one router per resource), and the JSON of formatted
``notifications`` (formats, sending, checking, meetings), ``reports`` (counts, CSV)
``calls`` (video and voice calls, presence requests) and ``record`` (the shared record:
its page, its JSON and the export download) and ``conferences`` (the conference pages
and their grid), ``floor`` (the watch floor's wall board) and ``statements`` (joint statements: their pages, signing, export)."""

from __future__ import annotations

from hotline.console.routes import (
    api,
    auth,
    calls,
    channels,
    conferences,
    floor,
    notifications,
    pages,
    record,
    reports,
    statements,
)

__all__ = [
    "api",
    "auth",
    "calls",
    "channels",
    "conferences",
    "floor",
    "notifications",
    "pages",
    "record",
    "reports",
    "statements",
]
