"""The watch floor: what a wall screen shows, readable from across the room.

One board, in large type, of what a watch officer must see without walking to
a desk: the line to each peer (its state, the route carrying it, what waits to
go, when people last used it), the open alarms nobody has seen yet, and every
message still waiting for a person's acknowledgement, with the time left to
its deadline (a countdown the page ticks) or how long it has been overdue.

The board is drawn by the server in the reader's language (``_floor_board.html``)
and re-read as a part (``live.js``) when the lines, the alarms or the messages
change; the countdowns tick in the browser from the terminal's clock. No text
of any message is on the board: a wall screen is read by whoever is in the
room, so it names a message by its serial, time group, peer and precedence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hotline.console.i18n import N_, format_utc_text
from hotline.console.views import status_view, traffic
from hotline.terminal import Terminal

__all__ = ["ALARM_LABELS", "FLOOR_ROWS", "STATE_LABELS", "floor_view"]

#: How many of the newest messages the board looks through for those still waiting.
FLOOR_ROWS = 200
#: Each alarm kind and line state in words (the same msgids console.js shows).
ALARM_LABELS: dict[str, str] = {
    "test-missed": N_("Link test missed"),
    "peer-test-missed": N_("Peer's link test missed"),
    "line-down": N_("Line down"),
    "route-down": N_("Route down"),
    "ack-overdue": N_("Acknowledgement overdue"),
    "record-conflict": N_("Record conflict"),
    "cosign-overdue": N_("Record not cosigned"),
    "store-damaged": N_("Stored messages damaged"),
    "restored-behind": N_("Restored behind the peer"),
    "key-revoked": N_("Key revoked"),
    "revoked-key-used": N_("Revoked key used"),
    "key-expiring": N_("Key expiring"),
}
STATE_LABELS: dict[str, str] = {
    "up": N_("up"),
    "degraded": N_("degraded"),
    "down": N_("down"),
    "silent": N_("silent"),
}


def _waiting(
    rows: list[dict[str, Any]], language: str, gettext: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Messages with a deadline and nobody's acknowledgement, the most pressing first."""
    waiting = [
        {
            "id": row["id"],
            "serial": row["serial"],
            "time_group": row["time_group"],
            "peer": row["peer"],
            "direction": row["direction"],
            "precedence": row["precedence"],
            # The precedences' msgids are their names in capitals (FLASH, IMMEDIATE, ...).
            "precedence_label": gettext(row["precedence"].upper()),
            "deadline": row["ack_deadline"],
            "deadline_display": format_utc_text(row["ack_deadline"], language),
            "overdue": row["overdue"],
        }
        for row in rows
        if row["ack_deadline"] is not None and row["acknowledgement"] is None
    ]
    # RFC 3339 UTC texts of one form sort as the times they name.
    return sorted(waiting, key=lambda message: message["deadline"])


def floor_view(
    terminal: Terminal, *, language: str, gettext: Callable[[str], str]
) -> dict[str, Any]:
    """The board's data: ``peers``, ``alarms`` (open, not yet seen), ``waiting``, ``overdue``."""
    status = status_view(terminal, language=language)
    peers = [
        {
            "party": peer["party"],
            "state": peer["state"],
            "state_label": gettext(STATE_LABELS.get(peer["state"], peer["state"])),
            "carrier": peer["carrier"],
            "queued": peer["queued"],
            "in_use": peer["in_use"],
            "last_used": format_utc_text(peer["last_used"], language),
            "last_contact": peer["display"]["last_contact"],
        }
        for peer in status["peers"]
    ]
    alarms = [
        {
            "id": alarm["id"],
            "kind": alarm["kind"],
            "label": gettext(ALARM_LABELS.get(alarm["kind"], alarm["kind"])),
            "peer": alarm["peer"],
            "route": alarm["route"],
            "since": alarm["display"]["since"],
        }
        for alarm in status["alarms"]
        if not alarm["acknowledged"]
    ]
    waiting = _waiting(traffic(terminal, limit=FLOOR_ROWS, language=language), language, gettext)
    return {
        "peers": peers,
        "alarms": alarms,
        "waiting": waiting,
        "overdue": sum(1 for message in waiting if message["overdue"]),
    }
