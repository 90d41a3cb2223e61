"""The terminal daemon: listeners, dialers, sessions, and the control API, on one event loop.

Theory of operation
-------------------
For every known peer the terminal keeps a :class:`~hotline.terminal.core.line.PeerLine`:
the peer's record, a :class:`~hotline.terminal.core.line.RouteLine` per route of
the pair (its session and dialer), the peer's failover policy, and the
session that carries the peer's messages. Exactly one side of each pair
dials: the one whose signing key sorts lower (docs/protocol/delivery.md,
section 4); the other listens. The dialer keeps a session open on every
route, each redialed with its own capped exponential backoff. A newly opened
session on a route replaces an older one on that route (the peer dialed
again, so it believes the old one dead).

The supervisor re-evaluates every line often (``heartbeat_interval / 5``) and
whenever a session opens or ends: the failover policy names the route that
carries traffic, and the line's state (up, degraded, down) is journaled and
raises or clears the ``line-down`` alarm (docs/protocol/routes.md). Link tests
run on their schedule through :class:`~hotline.terminal.linktest.tester.LineTester`.

Sending never needs the line: :meth:`Terminal.send_text` stores the message
durably, then wakes the pump, which sends it whenever a session is open.

The store is used from the loop's thread only; each operation is short (one
SQLite commit, ~0.2 ms fsync), and bursts share commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import ssl
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline import proto
from hotline.crypto import Precedence
from hotline.errors import (
    FencedOut,
    KeyExpired,
    LinkError,
    PeerBlocked,
    PeerRemoved,
    PermissionDenied,
    UnknownAlarm,
    UnknownMessage,
    UnknownPeer,
)
from hotline.link import (
    LineState,
    RouteState,
    TLSListener,
    Transport,
    client_context,
    dial,
    server_context,
)
from hotline.proto import CloseCode
from hotline.store import (
    AlarmRecord,
    DamagedMessage,
    Direction,
    MessageRecord,
    MessageState,
    PeerConfirmation,
    PeerMasterChange,
    PeerRecord,
    PeerRemoval,
)
from hotline.terminal.config import trust
from hotline.terminal.config.keyfiles import publish_key_files
from hotline.terminal.config.passphrase import Passphrase
from hotline.terminal.config.setup import PeerAdded, TerminalFiles, add_peer_card, open_terminal
from hotline.terminal.config.tiers import peer_master
from hotline.terminal.config.token import Pin
from hotline.terminal.core.alarms import (
    LINE_DOWN,
    RESTORED_BEHIND,
    REVOKED_KEY_USED,
    ROUTE_DOWN,
    STORE_DAMAGED,
    AlarmBoard,
)
from hotline.terminal.core.desk import (
    D,
    DeskEvent,
    DeskRegistry,
    DeskServices,
    LineAdded,
    MessageQueued,
)
from hotline.terminal.core.groups import GroupQueued, RecipientState, recipient_states
from hotline.terminal.core.inbox import Inbox
from hotline.terminal.core.line import (
    RTT_SAMPLE_EVERY,
    LinkTestResult,
    PeerLine,
    PeerStatus,
    RouteLine,
    RouteStatus,
    TerminalStatus,
)
from hotline.terminal.core.markings import Markings, check_classification, screen_incoming
from hotline.terminal.core.operators import Operator, Permission
from hotline.terminal.core.outbox import DEFAULT_CHANNEL, Draft, Outbox
from hotline.terminal.core.revocations import RevokedKeys
from hotline.terminal.core.session import Session, SessionHandler
from hotline.terminal.core.signers import Signers
from hotline.terminal.core.tracker import DeliveryTracker
from hotline.terminal.desks import DESKS
from hotline.terminal.desks.deadlines import DeadlineWatch
from hotline.terminal.desks.keys import KeyDesk
from hotline.terminal.desks.keys.master import (
    BLOCKED_STATE,
    MASTER_CHANGED,
    MasterChange,
    blocked_reason,
)
from hotline.terminal.linktest.desk import LinkTestDesk
from hotline.terminal.linktest.tester import LineTester, PeerAlarmDesk
from hotline.terminal.metrics import TerminalMetrics
from hotline.terminal.record.keeper import RecordKeeper
from hotline.terminal.record.witness import Witnessing
from hotline.terminal.runtime.clock import Clock, SystemClock
from hotline.terminal.runtime.events import EventHub
from hotline.terminal.runtime.tasks import Supervisor
from hotline.utc import format_utc

__all__ = ["OutgoingText", "Terminal"]

log = logging.getLogger("hotline.terminal")
#: How often (seconds) routes are checked for having been down too long (route-down).
ROUTE_CHECK_EVERY = 1.0

#: Seconds between journaled (and logged) connection refusals from one host; the ones
#: between are counted, and the count goes with the next line.
REFUSAL_JOURNAL_INTERVAL = 10.0
#: Above this many hosts, the refusal memory is pruned of hosts outside their interval.
REFUSAL_HOSTS_REMEMBERED = 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingText:
    """One message to queue with :meth:`Terminal.send_many`."""

    to: str
    text: str
    precedence: Precedence = Precedence.ROUTINE
    channel: str = DEFAULT_CHANNEL


class Terminal:
    """One running terminal. Create with :meth:`open`, then ``await start()``; ``await stop()`` ends it."""

    def __init__(self, files: TerminalFiles, *, clock: Clock | None = None) -> None:
        self.files = files
        self.clock: Clock = clock or SystemClock()
        self.store = files.store
        self.identity = files.identity
        self.settings = files.settings
        #: The peers' revoked keys: every live verifier refuses what they sign.
        self.revoked_keys = RevokedKeys(self.store)
        #: Which key verifies each peer's signatures, refusing a revoked one: one
        #: cache, told by the keys desk.
        self.signers = Signers(self.store, revoked=self.revoked_keys)
        self.inbox = Inbox(
            store=self.store,
            identity=self.identity,
            clock=self.clock,
            revoked_keys=self.revoked_keys,
            signers=self.signers,
        )
        self.outbox = Outbox(
            store=self.store,
            identity=self.identity,
            clock=self.clock,
            ack_seconds=self.settings.acknowledgement.seconds,
            revoked_keys=self.revoked_keys,
            signers=self.signers,
        )
        self.lines: dict[str, PeerLine] = {}
        #: Peers removed with ``hotline peer remove``: no line, sessions refused.
        self.removed: dict[str, PeerRemoval] = self.store.peer_removals()
        #: Peers whose new master key awaits its fingerprint check: no line, sessions
        #: refused, nothing sent (docs/keys.md, "Changing the master key").
        self.blocked: dict[str, PeerMasterChange] = {
            c.party: c for c in self.store.peer_master_changes() if c.pending
        }
        self._line_tests: dict[str, asyncio.Task[Any]] = {}
        self.tracker = DeliveryTracker(self.clock)
        #: Prometheus figures ([metrics] listen); the gauges are read at scrape time.
        self.metrics = TerminalMetrics(
            status=lambda: self.status(),
            overdue=lambda: len(self.desk(DeadlineWatch).overdue_ids()),
        )
        #: Change notices for live views (the console).
        self.events = EventHub()
        self.alarms = AlarmBoard(
            store=self.store,
            clock=self.clock,
            settings=self.settings.alarms,
            spawn=self._spawn,
            on_change=lambda: self.events.publish("alarms"),
        )
        self.tests = LinkTestDesk(
            store=self.store,
            identity=self.identity,
            clock=self.clock,
            language=self.settings.link.test_language,
            on_result=self.metrics.link_test,
            signers=self.signers,
        )
        self.tester = LineTester(
            desk=self.tests,
            alarms=self.alarms,
            outbox=self.outbox,
            clock=self.clock,
            settings=self.settings.link,
            our_key=self.identity.signing_public,
            journal=self._journal,
        )
        #: The shared record: the journal as a Merkle log, its checkpoints, and
        #: the witnessing of peers' logs (docs/protocol/record.md).
        self.record = RecordKeeper(
            store=self.store,
            identity=self.identity,
            clock=self.clock,
            settings=self.settings.record,
        )
        self.witnessing = Witnessing(
            keeper=self.record,
            store=self.store,
            identity=self.identity,
            clock=self.clock,
            alarms=self.alarms,
            settings=self.settings.record,
            journal=self._journal,
            signers=self.signers,
        )
        self._card = files.card()
        services = DeskServices(
            store=self.store,
            clock=self.clock,
            identity=self.identity,
            settings=self.settings,
            directory=files.paths.root,
            outbox=self.outbox,
            alarms=self.alarms,
            events=self.events,
            lines=_DeskLines(self),
            journal=self._journal,
            announce=self._announce,
            fingerprint=self._card.fingerprint,
            key_tiers=files.tiers,
            keys_sealed=files.keys_sealed,
            revoked_keys=self.revoked_keys,
            signers=self.signers,
            key_sealer=files.key_sealer,
            key_files_changed=self._key_files_changed,
            staged_signing=files.staged_signing,
        )
        #: The features, routed to by the kinds they name (hotline.terminal.core.desk).
        self.desks = DeskRegistry(
            [PeerAlarmDesk.create(services), *(desk.create(services) for desk in DESKS)]
        )
        #: host -> (monotonic time of the last journaled refusal, refusals not journaled since)
        self._refusals: dict[str, tuple[float | None, int]] = {}
        self._listeners: list[TLSListener] = []
        self._stopping = asyncio.Event()
        #: Owns every task the terminal starts (dialers, link tests, the supervisor loop).
        self._tasks = Supervisor(f"terminal {self.settings.party}")
        self._started_at = self.clock.monotonic()
        #: (peer, route) with a route-down alarm open; read from the open alarms at the
        #: first look, so an alarm raised before a restart is cleared when the route is up.
        self._route_down: set[tuple[str, str]] | None = None
        #: (the trusted certificates, the context built for them): see _server_context.
        self._server_context_cache: tuple[tuple[bytes, ...], tuple[int, int], Any] | None = None
        self.store_closed = False
        #: Whether the CPUs are held awake ([performance] hold_cpus_awake), for status;
        #: ``hotline run`` makes the request (runner.py, cpu_wake.py).
        self.cpu_wake = "not asked"
        #: Which process of an active/standby pair this is ("active", "standby",
        #: "stepped down"; runtime/leadership.py) and its fencing epoch, for status;
        #: set by ``hotline run``. A SQLite terminal is always active.
        self.role = "active"
        self.epoch: int | None = None

    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        clock: Clock | None = None,
        passphrase: Passphrase | None = None,
        pin: Pin | None = None,
    ) -> Terminal:
        return cls(
            open_terminal(directory, passphrase=passphrase, pin=pin, key_sealer=True), clock=clock
        )

    # -- public operations (used by the control API) ----------------------

    @property
    def party(self) -> str:
        return self.settings.party

    def card_json(self) -> str:
        # A key rotated since the start (hotline key rotate) is on the card from then on.
        tiers = self.desk(KeyDesk).tiers
        if tiers is not self.files.tiers:
            self.files = dataclasses.replace(self.files, tiers=tiers)
            self._card = self.files.card()
        return self._card.to_json()

    @property
    def fingerprint(self) -> str:
        """This terminal's own fingerprint, as its peers see it (of the master with two tiers)."""
        return self._card.fingerprint

    def send_text(
        self,
        *,
        to: str,
        text: str,
        precedence: Precedence = Precedence.ROUTINE,
        channel: str = DEFAULT_CHANNEL,
        exercise: bool = False,
        markings: Markings | None = None,
    ) -> MessageRecord:
        """Queue a message durably and wake the line; returns once it is committed.

        ``exercise`` (or ``[terminal] exercise`` in the settings) marks it EXERCISE
        in its signed body: shown as such on both sides, left out of statistics.
        ``markings`` (docs/protocol/markings.md) go in the signed body too; a
        classification must be one agreed in ``[markings] classifications``.
        """
        check_classification(markings, self.settings.markings.classifications)
        line = self._line(to)
        exercise = exercise or self.settings.exercise
        extra = self._extra_body(exercise, markings, None)
        record = self.outbox.queue(
            peer=line.peer,
            text=text,
            channel=channel,
            precedence=precedence,
            extra_body=extra or None,
        )
        self._queued(line, record, exercise=exercise)
        return record

    def send_group(
        self,
        *,
        to: Sequence[str],
        text: str,
        precedence: Precedence = Precedence.ROUTINE,
        channel: str = DEFAULT_CHANNEL,
        exercise: bool = False,
        conference: str | None = None,
        markings: Markings | None = None,
        kind: str = "text",
        extra_body: Mapping[str, Any] | None = None,
    ) -> GroupQueued:
        """Queue one payload to several parties, each copy over its own line; all or none.

        Every party is checked before anything is written: InvalidArgument if
        ``to`` is empty or names a party twice, UnknownPeer naming every party
        with no line here. Returns once every copy is committed.
        """
        check_classification(markings, self.settings.markings.classifications)
        lines = self._lines_for(to)
        exercise = exercise or self.settings.exercise
        group = self.outbox.queue_group(
            peers=[line.peer for line in lines],
            text=text,
            channel=channel,
            precedence=precedence,
            kind=kind,
            extra_body=self._extra_body(exercise, markings, extra_body),
            conference=conference,
        )
        for line, record in zip(lines, group.records, strict=True):
            self._queued(line, record, exercise=exercise)
        return group

    @staticmethod
    def _extra_body(
        exercise: bool, markings: Markings | None, extra: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = dict(extra or {})
        if exercise:
            body["exercise"] = True
        if markings is not None and not markings.empty:
            body["markings"] = markings.to_body()
        return body

    def outgoing_counts(self) -> dict[str, dict[str, int]]:
        """Per peer, our outgoing messages by where they stand, with ``overdue`` counted too."""
        counts = {party: self.store.outgoing_counts(party) for party in self.lines}
        for party in counts:
            counts[party]["overdue"] = 0
        for message_id in self.desk(DeadlineWatch).overdue_ids():
            record = self.store.get_message(message_id)
            if record is not None and record.direction is Direction.OUT and record.peer in counts:
                counts[record.peer]["overdue"] += 1
        return counts

    def recipients(self, message_id: str) -> list[RecipientState]:
        """Where each copy of an outgoing message stands: one per recipient of its group.

        A message sent to one party has one. UnknownMessage if there is no
        such message; [] for an incoming one (its other copies are not ours).
        """
        record = self.store.get_message(message_id)
        if record is None:
            raise UnknownMessage(f"no message with id {message_id}")
        return self.recipient_states([record])[0]

    def recipient_states(self, records: Sequence[MessageRecord]) -> list[list[RecipientState]]:
        """:meth:`recipients` for many records at once (one read of the links and acks)."""
        links = self.store.group_links([r.id for r in records])
        copies: dict[str, list[MessageRecord]] = {}
        for record in records:
            link = links.get(record.id)
            if link is None or link.group_id in copies:
                continue
            members = self.store.group_members(link.group_id)
            copies[link.group_id] = [
                found
                for found in (self.store.get_message(m.message_id) for m in members)
                if found is not None
            ]
        overdue = self.desk(DeadlineWatch).is_overdue
        result = []
        for record in records:
            link = links.get(record.id)
            group = [record] if link is None else copies[link.group_id]
            result.append(recipient_states(self.store, group, overdue=overdue))
        return result

    def send_many(self, messages: Sequence[OutgoingText]) -> list[MessageRecord]:
        """Queue several messages in one transaction (one commit); all or none."""
        lines = [self._line(message.to) for message in messages]
        records = self.outbox.queue_many(
            [
                Draft(
                    peer=line.peer,
                    text=m.text,
                    channel=m.channel,
                    precedence=m.precedence,
                    extra_body={"exercise": True} if self.settings.exercise else None,
                )
                for line, m in zip(lines, messages, strict=True)
            ]
        )
        for record, line in zip(records, lines, strict=True):
            self._queued(line, record, exercise=self.settings.exercise)
        return records

    def _queued(self, line: PeerLine, record: MessageRecord, *, exercise: bool = False) -> None:
        # Exercise traffic stays out of the real statistics.
        self.tracker.queued(record.id, counted=not exercise)
        line.offer(record)  # first: the envelope leaves before the bookkeeping below
        line.last_used = record.created_at
        self._announce(MessageQueued(record=record))
        self.events.publish("messages", record.id)

    def acknowledge_alarm(self, alarm_id: str, operator: Operator) -> AlarmRecord:
        """``operator`` has seen an open alarm (the console stops sounding it)."""
        if not operator.may(Permission.ACKNOWLEDGE_ALARM):
            raise PermissionDenied(f"{operator.name} ({operator.role}) may not acknowledge alarms")
        acked = self.alarms.acknowledge(alarm_id, by=operator.name)
        if acked is None:
            raise UnknownAlarm(f"no open, unacknowledged alarm with id {alarm_id}")
        return acked

    def desk(self, desk_type: type[D]) -> D:
        """This terminal's desk of that type, e.g. ``terminal.desk(CallDesk)``."""
        return self.desks.get(desk_type)

    def _announce(self, event: DeskEvent) -> None:
        self.desks.announce(event)

    def _send_signal(
        self, kind: str, party: str, channel: str, text: str, extra: dict[str, Any]
    ) -> MessageRecord:
        """Queue a call or presence signal (FLASH: a ringing phone does not wait)."""
        line = self._line(party)
        record = self.outbox.queue(
            peer=line.peer,
            text=text,
            channel=channel,
            precedence=Precedence.FLASH,
            kind=kind,
            extra_body=extra,
        )
        self.tracker.queued(record.id, counted=False)
        line.wake()
        return record

    def _line_down_reason(self, party: str) -> str:
        """Why calls to ``party`` cannot go on ("" while its line is up or degraded)."""
        line = self.lines.get(party)
        if line is not None:
            self._reselect(line)  # the state as of now, not of the last supervisor beat
        if line is None or line.state is not LineState.DOWN:
            return ""
        return f"the line to {party} is down"

    async def wait_delivered(self, message_id: str, *, within: float) -> MessageRecord:
        """Wait until the message holds a verified receipt, or ``within`` seconds pass; return it."""
        record = self.store.get_message(message_id)
        if record is None:
            raise UnknownMessage(f"no message with id {message_id}")
        if record.state is not MessageState.DELIVERED and record.direction is Direction.OUT:
            await self.tracker.wait(message_id, within)
            record = self.store.get_message(message_id) or record
        return record

    def add_peer(self, card_text: str | bytes, *, readd: bool = False) -> PeerAdded:
        """Add or refresh a peer from its card and start dialing it if it is ours to dial.

        A removed peer needs ``readd`` (config/trust.py).
        """
        added = add_peer_card(self.files, card_text, clock=self.clock, readd=readd)
        # A refreshed card may certify a signing key rotated since (cards.md §9.2).
        self.signers.forget(added.peer.party)
        self.removed.pop(added.peer.party, None)
        line = self.lines.get(added.peer.party)
        if line is None:
            line = self._new_line(added.peer)
            if self._listeners:  # running: start its work now
                self._start_line(line)
                self._announce(LineAdded(peer=added.peer))
        else:
            for gone in line.adopt(added.peer, self.settings.card_routes):
                self._drop_route(gone)
            self._ensure_dialers(line)
        return added

    def remove_peer(self, party: str) -> PeerRemoval:
        """Mark ``party`` removed (records kept) and drop its line: no dialing, sessions closed."""
        removal = trust.remove_peer(self.files, party, clock=self.clock)
        self.removed[party] = removal
        self._drop_line(party)
        log.warning("%s removed: its line is refused from now on", party)
        return removal

    def _drop_line(self, party: str) -> None:
        """No more dialing, link tests or sessions for ``party`` (removed or blocked)."""
        line = self.lines.pop(party, None)
        if line is not None:
            tests = self._line_tests.pop(party, None)
            if tests is not None:
                tests.cancel()
            for route in line.routes.values():
                self._drop_route(route)

    def _block(self, party: str, reason: str) -> None:
        """A peer changed its master key (the keys desk kept it pending): block its line."""
        pending = [c for c in self.store.peer_master_changes(party) if c.pending]
        if not pending:  # pragma: no cover - the desk stored it just before
            return
        self.blocked[party] = pending[-1]
        # After this callback: the session that carried the event sends its receipt first.
        asyncio.get_running_loop().call_soon(self._drop_line, party)
        log.warning("%s: its line is blocked: %s", party, reason)

    def change_master(self, *, passphrase: bytes | None, to_software: bool = False) -> MasterChange:
        """Change this terminal's master key and tell every peer (desks/keys/master.py)."""
        change = self.desk(KeyDesk).change_master(passphrase=passphrase, to_software=to_software)
        self.files = dataclasses.replace(self.files, tiers=change.tiers)
        self._card = self.files.card()
        return change

    def confirm_peer(
        self, party: str, *, fingerprint: str, method: str, confirmed_by: str
    ) -> PeerConfirmation:
        """Record an out-of-band fingerprint check of ``party`` (config/trust.py).

        The new fingerprint of a peer whose master change is pending unblocks
        its line: the alarm is cleared and what waited is sent.
        """
        confirmation = trust.confirm_peer(
            self.files,
            party,
            fingerprint=fingerprint,
            method=method,
            confirmed_by=confirmed_by,
            clock=self.clock,
        )
        if party in self.blocked and not any(
            c.pending for c in self.store.peer_master_changes(party)
        ):
            self._unblock(party)
        return confirmation

    def _unblock(self, party: str) -> None:
        del self.blocked[party]
        # The pinned master changed: the signing keys it (and the old one) certified.
        self.signers.forget(party)
        self.alarms.clear_matching(kinds=(MASTER_CHANGED,), peer=party, route=None, by="system")
        peer = self.store.get_peer(party)
        if peer is None or party in self.removed:  # pragma: no cover - confirmed just now
            return
        line = self._new_line(peer)
        if self._listeners:
            self._start_line(line)
        log.warning("%s: its new master key is confirmed: the line is unblocked", party)

    async def run_link_tests(self, party: str | None = None) -> list[LinkTestResult]:
        """Test every route of one peer (or of every peer) now; return the results."""
        lines = [self._line(party)] if party is not None else list(self.lines.values())
        slot = self.tester.slot_now()
        results = await asyncio.gather(*(self.tester.test_line(line, slot) for line in lines))
        return [result for per_line in results for result in per_line]

    def status(self) -> TerminalStatus:
        now = self.clock.monotonic()
        wall = self.clock.now()
        peers = []
        for party in sorted(self.lines):
            line = self.lines[party]
            self._reselect(line)
            routes = tuple(
                RouteStatus(
                    address=view.address,
                    state=str(view.state),
                    active=view.active,
                    rtt_ms=None if view.rtt is None else round(view.rtt * 1000, 2),
                    last_test=line.routes[view.address].last_test,
                    last_error=line.routes[view.address].last_error,
                    rtt_history=tuple(line.routes[view.address].rtt_history),
                )
                for view in line.policy.views(now)
            )
            carrier = line.carrier
            peers.append(
                PeerStatus(
                    party=party,
                    state=str(line.state),
                    last_contact=max(
                        (s.last_heard for s in line.sessions() if s.last_heard),
                        default=None,
                    )
                    or line.last_contact
                    or self.store.last_contact(party),
                    queued=self.store.count_pending(party),
                    address=carrier.route if carrier is not None else None,
                    last_error=next(
                        (r.last_error for r in routes if r.last_error is not None), None
                    ),
                    in_use=line.in_use(wall),
                    last_used=line.last_used,
                    routes=routes,
                )
            )
        for party, change in self.blocked.items():
            peers.append(
                PeerStatus(
                    party=party,
                    state=BLOCKED_STATE,
                    last_contact=self.store.last_contact(party),
                    queued=self.store.count_pending(party),
                    address=None,
                    last_error=blocked_reason(change),
                    in_use=False,
                    last_used=None,
                    routes=(),
                )
            )
        peers.sort(key=lambda peer: peer.party)
        return TerminalStatus(
            party=self.party,
            fingerprint=self._card.fingerprint,
            listen=self.settings.listen,
            peers=tuple(peers),
            alarms=tuple(self.alarms.open_alarms()),
            cpu_wake=self.cpu_wake,
            keys="sealed" if self.files.keys_sealed else "unprotected",
            signing_key=self.identity.signer.describe(),
        )

    def _lines_for(self, parties: Sequence[str]) -> list[PeerLine]:
        """The lines to ``parties``, in order; UnknownPeer naming every party without one.

        (A party named twice or an empty list is the outbox's to refuse.)
        """
        for party in parties:
            self._refuse_removed(party)
        unknown = [party for party in dict.fromkeys(parties) if party not in self.lines]
        if unknown:
            known = ", ".join(sorted(self.lines)) or "none yet"
            raise UnknownPeer(
                f"no line to {', '.join(unknown)} (known peers: {known}); nothing was sent"
            )
        return [self.lines[party] for party in parties]

    def _refuse_removed(self, party: str) -> None:
        removal = self.removed.get(party)
        if removal is not None:
            raise PeerRemoved(f"{party} was removed on {removal.removed_at}; nothing was sent")
        change = self.blocked.get(party)
        if change is not None:
            raise PeerBlocked(f"{blocked_reason(change)}; nothing was sent")
        self._refuse_expired(party)

    def _refuse_expired(self, party: str) -> None:
        """KeyExpired if the encryption key we would seal to for ``party`` has expired."""
        line = self.lines.get(party)
        if line is None:
            return
        problem = self.signers.sealing_problem(line.peer, self.clock.now())
        if problem is not None:
            raise KeyExpired(f"nothing is sealed to an expired key: {problem}; nothing was sent")

    def _line(self, party: str) -> PeerLine:
        line = self.lines.get(party)
        if line is None:
            self._refuse_removed(party)
            known = ", ".join(sorted(self.lines)) or "none yet"
            raise UnknownPeer(
                f"no peer named {party!r} (known peers: {known}; add one with: hotline peer add)"
            )
        self._refuse_expired(party)
        return line

    def _new_line(self, peer: PeerRecord) -> PeerLine:
        line = PeerLine.create(
            peer=peer,
            our_routes=self.settings.card_routes,
            our_key=self.identity.signing_public,
            link=self.settings.link,
        )
        newest = self.store.list_messages(peer=peer.party, limit=1)
        line.last_used = newest[0].created_at if newest else None
        self.lines[peer.party] = line
        return line

    # -- running ------------------------------------------------------------

    async def start(self) -> None:
        """Open the listeners and start dialing and testing; returns once listening."""
        self._report_damage()
        for peer in self.store.list_peers():
            if peer.party not in self.removed and peer.party not in self.blocked:
                self._new_line(peer)
        self.desks.load()
        for route in self.settings.listen:
            listener = TLSListener(
                route=route,
                context_factory=self._server_context,
                on_transport=self._accepted,
                on_refusal=self._refused,
            )
            await listener.start()
            self._listeners.append(listener)
        for line in self.lines.values():
            self._start_line(line)
        self._spawn(self._supervise(), "supervise routes")
        self._journal("terminal started", {"listen": list(self.settings.listen)})
        log.info("%s listening on %s", self.party, ", ".join(self.settings.listen))

    def _report_damage(self) -> None:
        """Journal and alarm damaged message rows (:mod:`hotline.store._damage`), once per peer.

        The store already reads past them (text recovered from the body, or
        the row left out); this tells a person, naming rows and columns only.
        An alarm still open from an earlier start is not raised or journaled again.
        """
        by_peer: dict[str, list[DamagedMessage]] = {}
        for damage in self.store.damaged_messages():
            by_peer.setdefault(damage.peer, []).append(damage)
        for peer, damaged in sorted(by_peer.items()):
            if self.alarms.find(kind=STORE_DAMAGED, peer=peer, route=None) is not None:
                continue
            with self.store.transaction():
                for damage in damaged:
                    self._journal(
                        "store damaged",
                        {
                            "message": damage.id,
                            "peer": damage.peer,
                            "direction": damage.direction,
                            "serial": damage.serial,
                            "columns": list(damage.columns),
                            "recovered": damage.recovered,
                        },
                    )
                self.alarms.raise_alarm(
                    kind=STORE_DAMAGED,
                    peer=peer,
                    route=None,
                    detail="; ".join(damage.describe() for damage in damaged),
                )

    def _start_line(self, line: PeerLine) -> None:
        self._ensure_dialers(line)
        tests = self._spawn(self.tester.schedule(line), f"link tests {line.party}")
        if tests is not None:
            self._line_tests[line.party] = tests

    def request_stop(self) -> None:
        self._stopping.set()

    async def wait_stopped(self) -> None:
        await self._stopping.wait()

    async def stop(self) -> None:
        """Close every session politely, stop listening, close the store."""
        self._stopping.set()
        for line in self.lines.values():
            for session in line.sessions():
                await session.close(CloseCode.SHUTTING_DOWN, "terminal shutting down")
        for listener in self._listeners:
            await listener.aclose()
        # An alarm raised a moment ago must still reach its hook (up to 2 s).
        await self.alarms.drain(within=min(2.0, self.settings.alarms.hook_timeout))
        await self._tasks.aclose()
        # A standby, or a process that lost the lead, may not write (FencedOut): the
        # active process's journal tells the story.
        with contextlib.suppress(FencedOut):
            self._journal("terminal stopped", {})
        self.store_closed = True
        self.store.close()

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any] | None:
        """Start a task the terminal owns; once it has stopped, nothing new starts (None)."""
        if self._tasks.closed:
            coro.close()
            log.debug("not starting %r: the terminal has stopped", name)
            return None
        return self._tasks.spawn(coro, name)

    def _server_context(self) -> Any:
        """The listeners' TLS context, built once per set of trusted certificates.

        Building one reads the key and every peer's certificate (and holds its
        own OpenSSL stores): per accepted connection, as before, it cost ~100 KB
        and a key parse for every stranger's connection. A peer added or removed
        changes the trusted set, so the next connection gets a new context.
        """
        # A removed peer's certificate too: its TLS handshake completes, and
        # it is refused in _accepted with a reason the log can name.
        trusted = (
            tuple(line.peer.certificate for line in self.lines.values())
            + tuple(self._removed_certificates())
            + tuple(self._old_anchors())
        )
        # A rotated TLS key (hotline key rotate) is a new file (a new inode, moved into
        # place): the next handshake uses it.
        found = self.files.paths.tls_key.stat()
        stamp = (found.st_ino, found.st_mtime_ns)
        cached = self._server_context_cache
        if cached is not None and cached[0] == trusted and cached[1] == stamp:
            return cached[2]
        context = server_context(
            cert_file=self.files.paths.certificate,
            key_file=self.files.paths.tls_key,
            key_password=self.files.tls_key_password,
            trusted=list(trusted),
        )
        self._server_context_cache = (trusted, stamp, context)
        return context

    def _removed_certificates(self) -> list[bytes]:
        peers = (self.store.get_peer(party) for party in self.removed)
        return [peer.certificate for peer in peers if peer is not None]

    def _old_anchors(self, party: str | None = None) -> list[bytes]:
        """The TLS anchors of masters that peers changed away from (of ``party``, or all).

        A peer that changed its master key keeps presenting the TLS leaf its
        old master issued until it rotates its TLS key: the old master's
        certificate, which it signed the change with, keeps identifying it.
        A blocked peer's is its pinned one: its handshake completes, so the
        refusal can name it.
        """
        return [
            change.old_certificate
            for change in self.store.peer_master_changes(party)
            if change.party not in self.removed
        ]

    def _old_masters(self, party: str) -> set[bytes]:
        return {change.old_master for change in self.store.peer_master_changes(party)}

    # -- routes: dialing, accepting, sessions ---------------------------------

    def _ensure_dialers(self, line: PeerLine) -> None:
        if self._stopping.is_set() or not line.we_dial:
            return
        for route in line.routes.values():
            if route.dialer is None or route.dialer.done():
                route.dialer = self._spawn(
                    self._dial_loop(line, route), f"dial {line.party} {route.address}"
                )

    def _drop_route(self, route: RouteLine) -> None:
        """A refreshed card no longer lists ``route``: stop dialing it, close its session."""
        if route.dialer is not None:
            route.dialer.cancel()
        if route.session is not None:
            self._spawn(
                route.session.close(CloseCode.NORMAL, "route withdrawn"), "close withdrawn route"
            )

    async def _dial_loop(self, line: PeerLine, route: RouteLine) -> None:
        reported: str | None = None
        while not self._stopping.is_set() and line.routes.get(route.address) is route:
            try:
                transport = await self._dial_route(line.peer, route.address)
            except LinkError as exc:
                route.last_error = str(exc)
                if reported != str(exc):
                    log.info("%s: %s", line.party, exc)
                    reported = str(exc)
            else:
                reported = None
                await self._run_session(transport, line)
            # After a session that opened, the policy has reset this route's
            # backoff; after a failure or a session that never opened, it grows.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(line.policy.retry_delay(route.address)):
                    await self._stopping.wait()

    async def _dial_route(self, peer: PeerRecord, route: str) -> Transport:
        try:
            context = client_context(
                cert_file=self.files.paths.certificate,
                key_file=self.files.paths.tls_key,
                key_password=self.files.tls_key_password,
                peer_certificate=peer.certificate,
                also_trusted=self._old_anchors(peer.party),
            )
        except ssl.SSLError as exc:
            raise LinkError(f"cannot set up TLS for {peer.party}: {exc}") from exc
        return await dial(route, context)

    async def _accepted(self, transport: Transport) -> None:
        peer = self.store.get_peer_by_key(transport.peer_key) or next(
            (
                p
                for p in self.store.list_peers()
                if peer_master(p) == transport.peer_key
                or transport.peer_key in self._old_masters(p.party)
            ),
            None,
        )
        line = self.lines.get(peer.party) if peer is not None else None
        if line is None:
            removal = self.removed.get(peer.party) if peer is not None else None
            change = self.blocked.get(peer.party) if peer is not None else None
            self._refused(
                transport.peer_address,
                f"{removal.party} was removed on {removal.removed_at}: its line is refused"
                if removal is not None
                else blocked_reason(change)
                if change is not None
                else "certificate of no known peer",
            )
            await transport.aclose()
            return
        await self._run_session(transport, line)

    def _tls_key_usable(self, transport: Transport, line: PeerLine) -> bool:
        """False (refused, journaled, alarmed) if the peer's TLS key is one it revoked."""
        presented = transport.presented_key()
        if presented is None:
            return True
        problem = self.revoked_keys.revoked_key_problem(line.party, presented, self.clock.now())
        if problem is None:
            expired = self.signers.tls_problem(line.peer, presented, self.clock.now())
            if expired is not None:
                # Refused and journaled; no alarm: the line shows down, the log says why.
                log.warning("refused a TLS session of %s: %s", line.party, expired)
                self._refused(transport.peer_address, f"TLS certificate: {expired}")
            return expired is None
        reason = f"TLS handshake {problem}"
        self._refused(transport.peer_address, reason)
        self.alarms.raise_alarm(kind=REVOKED_KEY_USED, peer=line.party, route=None, detail=reason)
        return False

    def _refused(self, address: str, reason: str) -> None:
        self.metrics.refused()  # every one, for the metrics
        # Anyone who can reach a listening port can cause refusals; the journal
        # (fsynced) and the log take at most one per host per REFUSAL_JOURNAL_INTERVAL
        # and count the rest, so a port scan floods neither.
        host = address.rsplit(":", 1)[0]
        now = self.clock.monotonic()
        last, suppressed = self._refusals.get(host, (None, 0))
        if last is not None and now - last < REFUSAL_JOURNAL_INTERVAL:
            self._refusals[host] = (last, suppressed + 1)
            return
        if len(self._refusals) >= REFUSAL_HOSTS_REMEMBERED:
            # Many hosts (a distributed scan): forget the ones whose interval has passed.
            self._refusals = {
                h: entry
                for h, entry in self._refusals.items()
                if entry[0] is not None and now - entry[0] < REFUSAL_JOURNAL_INTERVAL
            }
        self._refusals[host] = (now, 0)
        data: dict[str, Any] = {"what": "connection", "address": address, "reason": reason}
        if suppressed:
            data["suppressed_since_last"] = suppressed
            log.warning(
                "refused connection from %s: %s (and %d more from %s since the last such line)",
                address,
                reason,
                suppressed,
                host,
            )
        else:
            log.warning("refused connection from %s: %s", address, reason)
        self._journal("refusal", data)

    async def _run_session(self, transport: Transport, line: PeerLine) -> bool:
        """Run one session to its end; True if it opened (hello exchanged)."""
        if transport.peer_key == peer_master(line.peer) or transport.peer_key in self._old_masters(
            line.party
        ):
            # A two-tier peer: TLS proved its master key (its TLS key is in a
            # leaf the master issued), and it speaks with the signing key its
            # card certifies; the session checks hello against that one.
            transport.peer_key = line.peer.signing_key
        if transport.peer_key != line.peer.signing_key:
            self._refused(transport.peer_address, f"certificate is not {line.party}'s")
            await transport.aclose()
            return False
        if not self._tls_key_usable(transport, line):
            await transport.aclose()
            return False
        route = line.routes.get(transport.route)
        if route is None:
            # The peer dialed us on a route that is not this pair's (it dials only
            # if its key sorts first; our listen addresses are the pair's routes).
            self._refused(transport.peer_address, f"{line.party} is not on a route of this pair")
            await transport.aclose()
            return False
        session = Session(
            transport=transport,
            peer=line.peer,
            our_key=self.identity.signing_public,
            store=self.store,
            inbox=self.inbox,
            outbox=self.outbox,
            clock=self.clock,
            settings=self.settings.link,
            handler=_LineHandler(self, line),
            carrying=False,
        )
        reason = await session.run()
        if route.session is session:
            route.session = None
            route.last_error = reason
            line.last_contact = session.last_heard or line.last_contact
            if not self.store_closed:
                line.policy.closed(route.address, self.clock.monotonic())
                self._reselect(line)
                if line.last_contact is not None:
                    self.store.set_last_contact(line.party, line.last_contact)
                self._journal(
                    "link down",
                    {
                        "peer": line.party,
                        "route": route.address,
                        "address": transport.peer_address,
                        "reason": reason,
                    },
                )
            log.info("link to %s via %s down: %s", line.party, route.address, reason)
        return session.opened

    def _session_opened(self, line: PeerLine, session: Session) -> None:
        route = line.routes[session.route]
        old = route.session
        route.session = session
        route.last_error = None
        line.ever_up = True
        line.last_contact = format_utc(self.clock.now())
        if old is not None and old is not session:
            if line.carrier is old:
                line.carrier = None
            self._spawn(
                old.close(CloseCode.NORMAL, "replaced by a newer session"), "close old session"
            )
        line.policy.opened(route.address, self.clock.monotonic())
        if session.protocol is not None:
            # From now on the outbox seals what this peer's version can open.
            self.outbox.peer_speaks(line.peer, session.protocol)
        self._journal(
            "link up",
            {
                "peer": line.party,
                "route": route.address,
                "address": session.transport.peer_address,
                "dialed": session.transport.dialed,
                "protocol": session.protocol,
            },
        )
        log.info("link to %s up via %s", line.party, route.address)
        self._reselect(line)
        # A new session: the request sent on an older one may have been lost with it.
        self._ask_to_cosign(line, session, again=True)

    # -- which route carries, and the line's state ----------------------------

    async def _supervise(self) -> None:
        """Re-evaluate every line often: a route that goes quiet loses its traffic."""
        period = self.settings.link.heartbeat_interval / 5
        next_sample = next_route_check = 0.0
        while True:
            await asyncio.sleep(period)
            for line in list(self.lines.values()):
                self._reselect(line)
            # Route-down alarms count in seconds to minutes: once a second is plenty,
            # not every heartbeat / 5 for every route of every line.
            if self.clock.monotonic() >= next_route_check:
                next_route_check = self.clock.monotonic() + ROUTE_CHECK_EVERY
                for line in list(self.lines.values()):
                    self._route_alarms(line)
            self.desks.tick()
            self._record_tick()
            if self.clock.monotonic() >= next_sample:
                next_sample = self.clock.monotonic() + RTT_SAMPLE_EVERY
                self._sample_rtt()

    def _record_tick(self) -> None:
        """Sign a checkpoint when one is due, and ask every peer on the line to cosign it."""
        if self.record.checkpoint() is not None:
            for line in self.lines.values():
                self._ask_to_cosign(line, None, again=False)
        self.witnessing.overdue()

    def _ask_to_cosign(self, line: PeerLine, session: Session | None, *, again: bool) -> None:
        """Send ``line``'s peer our newest checkpoint to cosign, on ``session`` or the carrier.

        ``again``: even if this very request was sent before (see Witnessing.request_for).
        """
        session = session or line.carrier or next(iter(line.sessions()), None)
        if session is None:
            return  # asked again when a session opens
        request = self.witnessing.request_for(line.peer, again=again)
        if request is not None:
            session.send_witness_request(request)

    def _witness_answer(
        self,
        line: PeerLine,
        session: Session,
        answer: proto.WitnessCosignature | proto.WitnessRefusal,
    ) -> None:
        if isinstance(answer, proto.WitnessCosignature):
            self.witnessing.take_cosignature(line.peer, answer)
        else:
            again = self.witnessing.take_refusal(line.peer, answer)
            if again is not None:
                session.send_witness_request(again)
        self.events.publish("record")

    def _sample_rtt(self) -> None:
        """Note every route's smoothed RTT (None when down), for the console's sparkline."""
        now, epoch = self.clock.monotonic(), self.clock.now().timestamp()
        for line in self.lines.values():
            for view in line.policy.views(now):
                rtt = None if view.rtt is None else round(view.rtt * 1000, 2)
                line.routes[view.address].rtt_history.append((epoch, rtt))

    def _reselect(self, line: PeerLine) -> None:
        if self.store_closed or self._stopping.is_set():
            return  # shutting down: routes closing now are not the line failing
        now = self.clock.monotonic()
        for route in line.routes.values():
            live = route.live
            if live is not None and live.heard_at is not None:
                line.policy.heard(route.address, live.heard_at)
        active = line.policy.select(now)
        carrier = line.routes[active].live if active is not None else None
        if carrier is not line.carrier:
            old, line.carrier = line.carrier, carrier
            if old is not None:
                old.set_carrying(False)
            if carrier is not None:
                carrier.set_carrying(True)
            self.events.publish("lines", line.party)
            self._journal(
                "route change",
                {
                    "peer": line.party,
                    "from": old.route if old is not None else None,
                    "to": carrier.route if carrier is not None else None,
                },
            )
        state = line.policy.line_state(now)
        if state is not line.state:
            self._journal(
                "line state", {"peer": line.party, "state": str(state), "was": str(line.state)}
            )
            line.state = state
            self.events.publish("lines", line.party)
            if state is not LineState.DOWN:
                self.alarms.clear_matching(
                    kinds=(LINE_DOWN,), peer=line.party, route=None, by="a route is up again"
                )
            elif line.ever_up:
                self._line_down_alarm(line, "every route to the peer is down")
        if (
            state is LineState.DOWN
            and not line.ever_up
            and now - self._started_at >= self.settings.link.test_deadline
        ):
            self._line_down_alarm(
                line,
                f"no route has answered in the {self.settings.link.test_deadline:g} s "
                "since the terminal started",
            )

    def _route_alarms(self, line: PeerLine) -> None:
        """Raise ``route-down`` for a route down too long while the line holds; clear it when up.

        The whole line down is ``line-down``'s alarm; this one is for the cut
        route a degraded line hides until the next link test, maybe an hour away.
        """
        if self.store_closed or self._stopping.is_set():
            return
        if self._route_down is None:
            self._route_down = {
                (a.peer, a.route)
                for a in self.alarms.open_of_kind(ROUTE_DOWN)
                if a.route is not None
            }
        now = self.clock.monotonic()
        after = self.settings.alarms.route_down_after
        for view in line.policy.views(now):
            key = (line.party, view.address)
            if view.state is not RouteState.DOWN:
                if key in self._route_down:
                    self._route_down.discard(key)
                    self.alarms.clear_matching(
                        kinds=(ROUTE_DOWN,),
                        peer=line.party,
                        route=view.address,
                        by="the route is up again",
                    )
                continue
            down_since = view.since if view.since is not None else self._started_at
            if key in self._route_down or now - down_since < after:
                continue
            if line.state is LineState.DOWN:
                continue  # every route is down: that is line-down's alarm
            self._route_down.add(key)
            error = line.routes[view.address].last_error
            self.alarms.raise_alarm(
                kind=ROUTE_DOWN,
                peer=line.party,
                route=view.address,
                detail=f"the route has been down for {now - down_since:.0f} s"
                + (f" ({error})" if error else ""),
            )

    def _line_down_alarm(self, line: PeerLine, detail: str) -> None:
        errors = "; ".join(
            f"{r.address}: {r.last_error}" for r in line.routes.values() if r.last_error
        )
        self.alarms.raise_alarm(
            kind=LINE_DOWN,
            peer=line.party,
            route=None,
            detail=f"{detail} ({errors})" if errors else detail,
        )

    def _received(self, line: PeerLine, records: tuple[MessageRecord, ...]) -> None:
        line.last_used = records[-1].created_at
        # Markings are every desk's concern: a malformed map refuses the content
        # before any desk acts on it (hotline.terminal.core.markings).
        standing = screen_incoming(
            self.store,
            self.clock,
            records,
            classifications=self.settings.markings.classifications,
        )
        self.desks.received(standing)
        self.events.publish("messages")

    def _resend_everywhere(self, record: MessageRecord) -> int:
        """An overdue message goes out again on every live route; how many took it."""
        line = self.lines.get(record.peer)
        if line is None:
            return 0
        return sum(session.resend(record.envelope) for session in line.sessions())

    def _delivered(self, message_ids: tuple[str, ...]) -> None:
        self.metrics.delivered(len(message_ids), self.tracker.delivered(message_ids))
        self.events.publish("messages")

    def _key_files_changed(self) -> None:
        """Publish the key files for the standby (docs/ha.md §6), on a shared store only.

        A SQLite terminal has no standby: publishing would only put sealed
        keys into every copy of hotline.db. Unprotected keys are never put in
        a store (they would be plaintext there): their standby is copied by hand.
        """
        if self.settings.store_url is None:
            return
        if not self.files.keys_sealed:
            log.warning(
                "keys unprotected: the standby is not sent the changed key files "
                "(copy keys/ and tls/ to it by hand; docs/ha.md §6)"
            )
            return
        publish_key_files(self.store, self.files.paths, at=format_utc(self.clock.now()))

    def _journal(self, kind: str, data: dict[str, Any]) -> None:
        self.store.append_journal(kind=kind, at=format_utc(self.clock.now()), data=data)


class _DeskLines:
    """The terminal's lines as desks see them (hotline.terminal.core.desk.Lines)."""

    def __init__(self, terminal: Terminal) -> None:
        self._terminal = terminal

    def peer(self, party: str) -> PeerRecord:
        return self._terminal._line(party).peer

    def peers(self, parties: Sequence[str]) -> list[PeerRecord]:
        return [line.peer for line in self._terminal._lines_for(parties)]

    def queued(self, record: MessageRecord, *, exercise: bool = False) -> None:
        self._terminal._queued(self._terminal._line(record.peer), record, exercise=exercise)

    def send_signal(
        self, kind: str, party: str, channel: str, text: str, extra: dict[str, Any]
    ) -> MessageRecord:
        return self._terminal._send_signal(kind, party, channel, text, extra)

    def wake(self, party: str) -> None:
        self._terminal._line(party).wake()

    def line_down_reason(self, party: str) -> str:
        return self._terminal._line_down_reason(party)

    def resend_everywhere(self, record: MessageRecord) -> int:
        return self._terminal._resend_everywhere(record)

    def block(self, party: str, reason: str) -> None:
        self._terminal._block(party, reason)

    def peer_changed(self, party: str) -> None:
        line = self._terminal.lines.get(party)
        peer = self._terminal.store.get_peer(party)
        if line is not None and peer is not None:
            # What the outbox seals to is the line's record: the next message uses the new key.
            line.peer = peer


class _LineHandler(SessionHandler):
    """What a session on one of ``line``'s routes tells the terminal."""

    def __init__(self, terminal: Terminal, line: PeerLine) -> None:
        self._terminal = terminal
        self._line = line

    def opened(self, session: Session) -> None:
        self._terminal._session_opened(self._line, session)

    def delivered(self, message_ids: tuple[str, ...]) -> None:
        self._terminal._delivered(message_ids)

    def received(self, records: tuple[MessageRecord, ...]) -> None:
        self._terminal._received(self._line, records)

    def link_test(self, session: Session, envelope: bytes) -> bytes | None:
        return self._terminal.tester.answer(self._line, session, envelope)

    def link_test_receipt(self, session: Session, receipt: bytes) -> None:
        self._terminal.tester.receipt_arrived(self._line, receipt)

    def rtt(self, session: Session, seconds: float) -> None:
        self._line.policy.rtt_sample(session.route, seconds)

    def witness_request(
        self, session: Session, request: proto.WitnessRequest
    ) -> proto.WitnessCosignature | proto.WitnessRefusal | None:
        answer = self._terminal.witnessing.answer(self._line.peer, request)
        self._terminal.events.publish("record")
        return answer

    def witness_answer(
        self, session: Session, answer: proto.WitnessCosignature | proto.WitnessRefusal
    ) -> None:
        self._terminal._witness_answer(self._line, session, answer)

    def revoked_key_used(self, session: Session, detail: str) -> None:
        self._terminal.alarms.raise_alarm(
            kind=REVOKED_KEY_USED, peer=self._line.party, route=None, detail=detail
        )

    def restored_behind(self, session: Session, detail: str) -> None:
        self._terminal.alarms.raise_alarm(
            kind=RESTORED_BEHIND, peer=self._line.party, route=None, detail=detail
        )
