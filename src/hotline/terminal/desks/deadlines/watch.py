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
from collections.abc import Iterable
from dataclasses import dataclass, field

from hotline.store import AckRecord, Direction, MessageRecord
from hotline.terminal.config.settings import AckDeadlines
from hotline.terminal.core.alarms import ACK_OVERDUE
from hotline.terminal.core.desk import (
    Acknowledged,
    Desk,
    DeskEvent,
    DeskServices,
    MessageAccepted,
    MessageQueued,
)
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
#: At most this many messages are watched at once (~460 bytes each, ~46 MB in all). Past
#: it, new messages go unwatched until some are acknowledged or overdue; this is logged
#: and journaled once each time the watch fills. A real line is far below it.
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


@dataclass(frozen=True, slots=True)
class _Watched:
    """What a watch keeps of its message: a few fields, never the envelope (memory per message)."""

    id: str
    peer: str
    direction: Direction
    precedence: str
    serial: int
    time_group: str

    @classmethod
    def of(cls, record: MessageRecord) -> _Watched:
        return cls(
            id=record.id,
            peer=record.peer,
            direction=record.direction,
            precedence=record.precedence,
            serial=record.serial,
            time_group=record.time_group,
        )


@dataclass(slots=True)
class _Watch:
    record: _Watched
    deadline: float
    overdue: Overdue | None = None
    #: Escalation alerts still to send: (epoch due, step index, round), earliest first.
    alerts: list[tuple[float, int, int]] = field(default_factory=list)


class DeadlineWatch(Desk):
    """Watches acknowledgement deadlines in both directions; ticks with the supervisor.

    It takes no kind of its own: it watches every message a person must
    acknowledge as it is queued or accepted, and stops at the desk event
    :class:`~hotline.terminal.core.desk.Acknowledged`.
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
        self._watches: dict[str, _Watch] = {}
        #: (deadline, message id), earliest first; entries for ended watches are skipped.
        self._due: list[tuple[float, str]] = []
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
        for record in records:
            if record.id not in acks:
                self.watch(record)

    def watch(self, record: MessageRecord) -> None:
        """Start the deadline of a message a person must acknowledge (others are ignored)."""
        if record.kind not in ACKNOWLEDGEABLE_KINDS or record.id in self._watches:
            return
        if len(self._watches) >= MAX_WATCHES:
            if not self._full:
                self._full = True
                log.error(
                    "deadline watch full (%d messages): %s not watched", MAX_WATCHES, record.id
                )
                self._journal(
                    "deadline watch full", {"watched": MAX_WATCHES, "first_unwatched": record.id}
                )
            return
        self._full = False
        deadline = self._settings.deadline(record.sent_at, record.precedence)
        self._watches[record.id] = _Watch(record=_Watched.of(record), deadline=deadline)
        heapq.heappush(self._due, (deadline, record.id))

    def acknowledged(self, ack: AckRecord) -> None:
        """A person acknowledged the message: the watch, its alarm and its escalation end."""
        watch = self._watches.pop(ack.message_id, None)
        self._alerting.discard(ack.message_id)
        if watch is None or watch.overdue is None:
            return
        if watch.overdue.alarm_id is not None:
            self._alarms.clear(watch.overdue.alarm_id, by=f"acknowledged by {ack.by}")
        self._journal(
            "overdue ended",
            {"id": ack.message_id, "by": ack.by, "at": ack.at},
        )

    def overdue(self) -> list[Overdue]:
        return [w.overdue for w in self._watches.values() if w.overdue is not None]

    def is_overdue(self, message_id: str) -> bool:
        watch = self._watches.get(message_id)
        return watch is not None and watch.overdue is not None

    def deadline_of(self, record: MessageRecord) -> str | None:
        """The message's acknowledgement deadline (UTC text), if it has one."""
        if record.kind not in ACKNOWLEDGEABLE_KINDS:
            return None
        return format_utc_epoch(self._settings.deadline(record.sent_at, record.precedence))

    def tick(self) -> None:
        """Raise what became overdue and send the escalation alerts that are due."""
        now = self._clock.now().timestamp()
        while self._due and self._due[0][0] <= now:
            _, message_id = heapq.heappop(self._due)
            watch = self._watches.get(message_id)
            if watch is not None and watch.overdue is None:
                self._went_overdue(watch, now)
        for message_id in list(self._alerting):
            watch = self._watches.get(message_id)
            if watch is not None:
                self._fire_due_now(watch, now)
            if watch is None or not watch.alerts:
                self._alerting.discard(message_id)

    def _went_overdue(self, watch: _Watch, now: float) -> None:
        record = watch.record
        full = self._store.get_message(record.id) if record.direction is Direction.OUT else None
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
        watch.overdue = Overdue(
            message_id=record.id,
            peer=record.peer,
            direction=record.direction,
            precedence=record.precedence,
            serial=record.serial,
            deadline=format_utc_epoch(watch.deadline),
            alarm_id=alarm.id if alarm is not None else None,
        )
        resent = self._resend(full) if full is not None else 0
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
        assert overdue is not None
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
        return iter(self._watches)


def format_utc_epoch(epoch: float) -> str:
    return format_utc(from_epoch(epoch))


def _duration(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
