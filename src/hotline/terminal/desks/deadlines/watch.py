"""Acknowledgement deadlines and escalation: silence is the failure, so silence raises alarms.

The worst real hotline failures were messages nobody acknowledged (US-China
2001 and 2023). Every message a person must acknowledge (kinds ``text`` and
``notification``) has a deadline set by its precedence (``[acknowledgement]``
in hotline.toml; FLASH 2 min, IMMEDIATE 10 min, PRIORITY 1 h, ROUTINE 24 h by
default), counted from its ``sent_at``. Both sides watch the same deadline on
their own clock, so both notice together without telling each other:

* the **sender** watches its outgoing message: not acknowledged in time, it
  goes **overdue**: a ``ack-overdue`` alarm here, the envelope is sent again on
  *every* live route (in case the carrying one is silently broken), and the
  escalation chain starts;
* the **receiver** watches the incoming one the same way: nobody here has
  acknowledged it, so the same alarm and chain run here.

The escalation chain is ordered steps (``[[escalation]]`` tables): each step
names who is alerted, after how long from going overdue, how many times and
how often; each alert runs the alarm hook with an ``escalation`` event. An
acknowledgement ends the watch, clears the alarm and stops the chain.

Overdue is a flag beside the message's state, never instead of it: the sender
always sees whether the message is not delivered, delivered with nobody's
acknowledgement yet, or acknowledged by a named person.
"""

from __future__ import annotations

import heapq
import logging
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from hotline.store import AckRecord, Direction, MessageRecord
from hotline.terminal.config.settings import AckDeadlines
from hotline.terminal.core.ackdeadline import deadline_epoch
from hotline.terminal.core.alarms import ACK_OVERDUE
from hotline.terminal.core.desk import (
    Acknowledged,
    Desk,
    DeskEvent,
    DeskServices,
    MessageAccepted,
    MessageQueued,
)
from hotline.terminal.core.outbox import decode_body
from hotline.terminal.core.statements import ACKNOWLEDGEABLE_KINDS
from hotline.utc import format_utc, from_epoch

__all__ = [
    "MAX_WATCHES",
    "STARTUP_SCAN",
    "DeadlineWatch",
    "Overdue",
    "format_utc_epoch",
]

log = logging.getLogger("hotline.deadlines")

#: At start, the newest this many messages are checked for open deadlines.
STARTUP_SCAN = 5000
#: At most this many messages are watched at once. A watch waiting for its deadline is
#: one heap entry and one set entry (~200 bytes, ~20 MB in all); only an overdue message
#: keeps more (its alarm and escalation). Past the bound, new messages go unwatched until
#: some are acknowledged or overdue; this is logged and journaled once each time the
#: watch fills. A real line is far below it.
MAX_WATCHES = 100_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Overdue:
    """A message whose deadline passed unacknowledged."""

    message_id: str
    peer: str
    direction: Direction
    precedence: str
    serial: int
    deadline: str
    alarm_id: str | None


@dataclass(slots=True)
class _Watch:
    """An overdue message: its alarm and the escalation alerts still to send."""

    overdue: Overdue
    #: Escalation alerts still to send: (epoch due, step index, round), earliest first.
    alerts: list[tuple[float, int, int]] = field(default_factory=list)


class DeadlineWatch(Desk):
    """Watches acknowledgement deadlines in both directions; ticks with the supervisor.

    It takes no kind of its own: it watches every message a person must
    acknowledge as it is queued or accepted, and stops at the desk event
    :class:`~hotline.terminal.core.desk.Acknowledged`.

    Memory is the point of its shape: a message waiting for its deadline costs
    only its id in a set and a ``(deadline, id)`` pair in a heap, never an object
    of its own and never the record; the record is read again from the store in
    the rare case the deadline passes. Only overdue messages hold a :class:`_Watch`.
    """

    def __init__(self, services: DeskServices) -> None:
        super().__init__(services)
        self._store = services.store
        self._clock = services.clock
        self._settings: AckDeadlines = services.settings.acknowledgement
        self._alarms = services.alarms
        self._resend = services.lines.resend_everywhere
        self._journal = services.journal
        self._hook = services.alarms.run_hook
        #: Messages waiting for their deadline (not yet overdue, not acknowledged).
        self._waiting: set[str] = set()
        #: (deadline, message id), earliest first; entries no longer waiting are skipped.
        self._due: list[tuple[float, str]] = []
        #: Overdue, unacknowledged messages.
        self._overdue: dict[str, _Watch] = {}
        #: Overdue messages with escalation alerts still to send (checked every tick).
        self._alerting: set[str] = set()
        self._full = False

    def notice(self, event: DeskEvent) -> None:
        if isinstance(event, MessageQueued | MessageAccepted):
            self.watch(event.record)
        elif isinstance(event, Acknowledged):
            self.acknowledged(event.ack)

    def load(self) -> None:
        """Watch the unacknowledged messages among the newest :data:`STARTUP_SCAN`."""
        records = self._store.list_messages(limit=STARTUP_SCAN)
        acks = self._store.acknowledgements([r.id for r in records])
        opened = [r for r in records if r.kind in ACKNOWLEDGEABLE_KINDS and r.id not in acks]
        # What the watch keeps is first packed into two buffers (one string, one array),
        # and only unpacked once the records are gone. Keeping the records' own id
        # strings would leave one small object in each page of the allocator that the
        # read filled, so the whole read (~8 MiB for 5,000 records) would stay resident.
        ids = "\n".join(r.id for r in reversed(opened))  # oldest first, as they were queued
        deadlines = array("d", [self._deadline(r) for r in opened])
        del records, acks, opened
        deadlines.reverse()
        for message_id, deadline in zip(ids.split("\n") if ids else (), deadlines, strict=True):
            self._arm(message_id, deadline)

    def watch(self, record: MessageRecord) -> None:
        """Start the deadline of a message a person must acknowledge (others are ignored)."""
        if record.kind not in ACKNOWLEDGEABLE_KINDS:
            return
        if record.direction is Direction.OUT:
            # Just queued: its body carries our own setting (ack_within_for), so the
            # body need not be decoded again on the send path.
            self._arm(record.id, self._settings.deadline(record.sent_at, record.precedence))
            return
        self._arm(record.id, self._deadline(record))

    def _deadline(self, record: MessageRecord) -> float:
        """The deadline the message carries (the sender's), else ours by precedence."""
        deadline = deadline_epoch(record, decode_body(record.body), self._settings.seconds)
        assert deadline is not None  # only called for kinds a person acknowledges
        return deadline

    def _arm(self, message_id: str, deadline: float) -> None:
        if message_id in self._waiting or message_id in self._overdue:
            return
        if len(self._waiting) + len(self._overdue) >= MAX_WATCHES:
            if not self._full:
                self._full = True
                log.error(
                    "deadline watch full (%d messages): %s not watched", MAX_WATCHES, message_id
                )
                self._journal(
                    "deadline watch full", {"watched": MAX_WATCHES, "first_unwatched": message_id}
                )
            return
        self._full = False
        self._waiting.add(message_id)
        heapq.heappush(self._due, (deadline, message_id))

    def acknowledged(self, ack: AckRecord) -> None:
        """A person acknowledged the message: the watch, its alarm and its escalation end."""
        self._waiting.discard(ack.message_id)
        self._alerting.discard(ack.message_id)
        if len(self._due) > 2 * len(self._waiting) + 64:
            # Acknowledged messages leave their heap entry behind (skipped when due);
            # drop them once they outnumber the live ones, so the heap stays O(watched).
            self._due = [entry for entry in self._due if entry[1] in self._waiting]
            heapq.heapify(self._due)
        watch = self._overdue.pop(ack.message_id, None)
        if watch is None:
            return
        if watch.overdue.alarm_id is not None:
            self._alarms.clear(watch.overdue.alarm_id, by=f"acknowledged by {ack.by}")
        self._journal(
            "overdue ended",
            {"id": ack.message_id, "by": ack.by, "at": ack.at},
        )

    def overdue(self) -> list[Overdue]:
        return [w.overdue for w in self._overdue.values()]

    def overdue_ids(self) -> list[str]:
        """The ids of the messages overdue now, either direction."""
        return list(self._overdue)

    def is_overdue(self, message_id: str) -> bool:
        return message_id in self._overdue

    def deadline_of(self, record: MessageRecord) -> str | None:
        """The message's acknowledgement deadline (UTC text), if it has one."""
        if record.kind not in ACKNOWLEDGEABLE_KINDS:
            return None
        return format_utc_epoch(self._deadline(record))

    def watched(self) -> int:
        """How many messages are watched now (waiting or overdue)."""
        return len(self._waiting) + len(self._overdue)

    def tick(self) -> None:
        """Raise what became overdue and send the escalation alerts that are due."""
        now = self._clock.now().timestamp()
        while self._due and self._due[0][0] <= now:
            deadline, message_id = heapq.heappop(self._due)
            if message_id not in self._waiting:
                continue  # acknowledged meanwhile
            self._waiting.discard(message_id)
            record = self._store.get_message(message_id)
            if record is not None:
                self._went_overdue(record, deadline, now)
        for message_id in list(self._alerting):
            watch = self._overdue.get(message_id)
            if watch is not None:
                self._fire_due_now(watch, now)
            if watch is None or not watch.alerts:
                self._alerting.discard(message_id)

    def _went_overdue(self, record: MessageRecord, deadline: float, now: float) -> None:
        outgoing = record.direction is Direction.OUT
        who = f"{record.peer}" if outgoing else "anyone here"
        detail = (
            f"{record.precedence.upper()} serial {record.serial} "
            f"{'to' if outgoing else 'from'} {record.peer} ({record.time_group}, id {record.id}) "
            f"not acknowledged by {who} within "
            f"{_duration(self._settings.seconds[record.precedence])}"
        )
        alarm = self._alarms.raise_alarm(
            kind=ACK_OVERDUE, peer=record.peer, route=None, detail=detail
        )
        watch = _Watch(
            overdue=Overdue(
                message_id=record.id,
                peer=record.peer,
                direction=record.direction,
                precedence=record.precedence,
                serial=record.serial,
                deadline=format_utc_epoch(deadline),
                alarm_id=alarm.id if alarm is not None else None,
            )
        )
        self._overdue[record.id] = watch
        resent = self._resend(record) if outgoing else 0
        self._journal(
            "message overdue",
            {
                "id": record.id,
                "peer": record.peer,
                "direction": str(record.direction),
                "precedence": record.precedence,
                "deadline": watch.overdue.deadline,
                "resent_on_routes": resent,
            },
        )
        log.warning("OVERDUE: %s", detail)
        for index, step in enumerate(self._settings.escalation):
            for round_ in range(step.repeat):
                heapq.heappush(
                    watch.alerts, (now + step.after + round_ * step.every, index, round_)
                )
        self._fire_due_now(watch, now)
        if watch.alerts:
            self._alerting.add(record.id)

    def _fire_due_now(self, watch: _Watch, now: float) -> None:
        while watch.alerts and watch.alerts[0][0] <= now:
            _, step, round_ = heapq.heappop(watch.alerts)
            self._escalate(watch, step, round_)

    def _escalate(self, watch: _Watch, index: int, round_: int) -> None:
        step = self._settings.escalation[index]
        overdue = watch.overdue
        event = {
            "event": "escalation",
            "step": index + 1,
            "steps": len(self._settings.escalation),
            "round": round_ + 1,
            "rounds": step.repeat,
            "who": step.who,
            "message": {
                "id": overdue.message_id,
                "peer": overdue.peer,
                "direction": str(overdue.direction),
                "precedence": overdue.precedence,
                "serial": overdue.serial,
                "deadline": overdue.deadline,
            },
            "alarm": overdue.alarm_id,
            "at": format_utc(self._clock.now()),
        }
        self._journal(
            "escalation",
            {
                "id": overdue.message_id,
                "step": index + 1,
                "round": round_ + 1,
                "who": step.who,
            },
        )
        log.warning("ESCALATION step %d (%s) for %s", index + 1, step.who, overdue.message_id)
        self._hook(event)

    def pending(self) -> Iterable[str]:
        """The ids of the watched messages (waiting, then overdue)."""
        return iter([*self._waiting, *self._overdue])


def format_utc_epoch(epoch: float) -> str:
    return format_utc(from_epoch(epoch))


def _duration(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
