"""The acknowledgement deadline travels with the message: both sides watch the sender's.

Each terminal used to count a message's deadline from its own
``[acknowledgement]`` settings, so two terminals configured differently watched
different deadlines for the same message (issue 21, defect 2), although
docs/protocol/acknowledgements.md §6 says both watch the same one. The sender
now puts its deadline in the message's signed body, as a duration counted from
the header's ``sent_at``::

    "ack_within": <seconds, a number in (0, 30 days]>

so both sides compute ``sent_at + ack_within`` from the same signed bytes. A
body without it (from a terminal before this change) or with a value out of
range falls back to the receiver's own settings, as before: the message is
still watched, never refused for it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hotline.store import MessageRecord
from hotline.terminal.core.statements import ACKNOWLEDGEABLE_KINDS
from hotline.utc import parse_utc

__all__ = ["ACK_WITHIN", "MAX_ACK_WITHIN", "ack_within_for", "ack_within_of", "deadline_epoch"]

#: The body key holding the sender's deadline, in seconds from ``sent_at``.
ACK_WITHIN = "ack_within"
#: The longest deadline a body may carry (the settings' own limit).
MAX_ACK_WITHIN = 30 * 86400


def ack_within_for(
    kind: str, precedence: str, own_seconds: Mapping[str, float] | None
) -> dict[str, Any]:
    """What a new message's body adds: ``{"ack_within": seconds}`` for kinds a person acknowledges."""
    if own_seconds is None or kind not in ACKNOWLEDGEABLE_KINDS:
        return {}
    seconds = own_seconds[precedence]
    # A whole number encodes as a CBOR integer: the shortest, and what a reader expects.
    return {ACK_WITHIN: int(seconds) if float(seconds).is_integer() else seconds}


def ack_within_of(body: Mapping[str, Any]) -> float | None:
    """The deadline a body carries, in seconds; None if it carries none or one out of range."""
    value = body.get(ACK_WITHIN)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 < value <= MAX_ACK_WITHIN:
        return None
    return float(value)


def deadline_epoch(
    record: MessageRecord, body: Mapping[str, Any], own_seconds: Mapping[str, float]
) -> float | None:
    """UTC epoch seconds by which a person must acknowledge ``record``; None for other kinds.

    ``body`` is the record's decoded body: its ``ack_within`` when it carries
    one, else ``own_seconds`` by precedence.
    """
    if record.kind not in ACKNOWLEDGEABLE_KINDS:
        return None
    seconds = ack_within_of(body)
    if seconds is None:
        seconds = own_seconds[record.precedence]
    return parse_utc(record.sent_at).timestamp() + seconds
