"""Channels with their own people: who on this terminal reads, sends and acknowledges a channel.

A channel is a label every message carries in its signed header. Configured
here with members (console users, each with a role in the channel), it is
restricted: only its members read, send and acknowledge on it in the console
(``hotline.console.visibility``). Every change of membership is journaled and
announced to every peer, signed, as a message of kind ``channel``
(docs/protocol/channels.md); the peers' announcements are kept, so this side
can name who on the other side may acknowledge.
"""

from __future__ import annotations

from hotline.terminal.desks.channels.desk import (
    CHANNEL_KIND,
    CHANNEL_ROLES,
    ChannelDesk,
    ChannelView,
    channel_json,
    parse_member,
)

__all__ = [
    "CHANNEL_KIND",
    "CHANNEL_ROLES",
    "ChannelDesk",
    "ChannelView",
    "channel_json",
    "parse_member",
]
