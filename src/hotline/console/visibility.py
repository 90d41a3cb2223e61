"""Who may read a message's text in the console: the ONE place the console decides it.

A channel configured with members (:class:`~hotline.terminal.desks.channels.ChannelDesk`)
is restricted: only its members read, send and acknowledge on it. Every
console path that shows a message's text or notification data (the traffic
list, the message page and its print view, the JSON API, the meetings list,
the notifications CSV, the record export) asks :func:`message_view` first;
what a non-member gets is :func:`redacted`: that the traffic exists (peer,
time, serial, precedence, channel, state, acknowledgement), and "restricted to
channel X", never the text, the format, the data or the meeting. Live updates
(server-sent events) carry only topics and re-read through these same paths.

Admins manage membership but read a restricted channel only if they are
members of it. The CLI, run as root on the machine through the control
socket, is not restricted (docs/console.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hotline.errors import PermissionDenied
from hotline.store import MessageRecord
from hotline.terminal import Operator, Terminal
from hotline.terminal.desks.channels import ChannelDesk

__all__ = [
    "CONTENT_KEYS",
    "Visibility",
    "channel_view",
    "message_view",
    "redacted",
    "require_member",
    "visible_row",
]

#: The keys of a message row (and of its detail) that carry its content: a
#: non-member gets them empty. Anything else in a row is the traffic's existence.
CONTENT_KEYS: Mapping[str, Any] = {
    "text": "",
    "format": None,
    "format_version": None,
    "data": None,
    "notice": None,
    "meeting": None,
}


@dataclass(frozen=True, slots=True)
class Visibility:
    """Whether a user may read a message, and if not why (``restricted to channel X``)."""

    readable: bool
    reason: str | None = None


def channel_view(terminal: Terminal, operator: Operator, channel: str) -> Visibility:
    """Whether ``operator`` may read (send, acknowledge) on ``channel``."""
    if terminal.desk(ChannelDesk).may_read(operator.name, channel):
        return Visibility(readable=True)
    return Visibility(readable=False, reason=f"restricted to channel {channel}")


def message_view(terminal: Terminal, operator: Operator, record: MessageRecord) -> Visibility:
    """Whether ``operator`` may read ``record``'s text and notification data in the console."""
    return channel_view(terminal, operator, record.channel)


def require_member(terminal: Terminal, operator: Operator, channel: str, what: str) -> None:
    """PermissionDenied unless ``operator`` may act on ``channel`` (send, acknowledge)."""
    if not channel_view(terminal, operator, channel).readable:
        raise PermissionDenied(
            f"{operator.name} may not {what} on channel {channel}: it is restricted to its members"
        )


def redacted(row: Mapping[str, Any], visibility: Visibility) -> dict[str, Any]:
    """``row`` (a traffic row or a message's detail) as ``visibility`` lets it be shown.

    Every row gains ``restricted``: None when readable, else the reason. A
    hidden row keeps its keys (pages and scripts read them) with the content
    ones (:data:`CONTENT_KEYS`) emptied, and cannot be acknowledged or replied to.
    """
    shown = {**row, "restricted": visibility.reason}
    if visibility.readable:
        return shown
    shown.update(CONTENT_KEYS)
    for action in ("acknowledgeable", "can_acknowledge", "can_reply"):
        if action in shown:
            shown[action] = False
    return shown


def visible_row(terminal: Terminal, operator: Operator, row: Mapping[str, Any]) -> dict[str, Any]:
    """A row built by the console's views, redacted by its own channel for ``operator``."""
    return redacted(row, channel_view(terminal, operator, str(row["channel"])))
