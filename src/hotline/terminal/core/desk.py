"""Desks: the terminal's features, each registered by the envelope kinds it handles.

Theory of operation
-------------------
The delivery core moves envelopes; what an envelope *means* (an
acknowledgement, a call signal, a formatted notification) is a desk's
business. A desk is a class with:

* ``kinds``: the envelope kinds it takes when they arrive. The
  :class:`DeskRegistry` routes every accepted incoming message to the one desk
  that named its kind (two desks naming one kind is an error when the terminal
  is built); a kind no desk names is stored and shown, and nothing more.
* ``__init__(services)`` (or ``create``): how it is built from :class:`DeskServices`, the core's
  offer to every desk (the store, the clock, the outbox, the alarm board, the
  lines to the peers, the journal).
* hooks the terminal calls on every desk: :meth:`Desk.load` when the terminal
  starts, :meth:`Desk.tick` on the supervisor's beat, and :meth:`Desk.notice`
  for each :data:`DeskEvent` announced.

Desks never import each other (tests/test_layers.py). When one desk's work
matters to another (an acknowledgement stops a deadline), the first announces a
:data:`DeskEvent` and the registry hands it to every desk; the second reacts in
its ``notice``. Adding a desk is a new package under ``terminal/desks/`` and one
line in :data:`hotline.terminal.desks.DESKS`; the daemon and the session do not
change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self, TypeVar

from hotline.crypto import Identity, SealingKey
from hotline.store import AckRecord, MessageRecord, PeerRecord, Store
from hotline.terminal.config.rotation import StagedSigning
from hotline.terminal.config.settings import Settings
from hotline.terminal.config.tiers import KeyTiers
from hotline.terminal.core.alarms import AlarmBoard
from hotline.terminal.core.outbox import Outbox
from hotline.terminal.core.revocations import RevokedKeys
from hotline.terminal.core.signers import Signers
from hotline.terminal.runtime.clock import Clock
from hotline.terminal.runtime.events import EventHub

__all__ = [
    "Acknowledged",
    "Desk",
    "DeskEvent",
    "DeskRegistry",
    "DeskServices",
    "LineAdded",
    "Lines",
    "MessageAccepted",
    "MessageQueued",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageQueued:
    """A message a person wrote (text or notification) was stored to go out."""

    record: MessageRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageAccepted:
    """An incoming message was accepted, and the desk of its kind has handled it."""

    record: MessageRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class Acknowledged:
    """A person acknowledged a message: one of ours by the peer, or the peer's by us."""

    ack: AckRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class LineAdded:
    """A peer new to this terminal was added while it runs: it has a line now."""

    peer: PeerRecord


#: What desks announce to each other through the registry.
DeskEvent = MessageQueued | MessageAccepted | Acknowledged | LineAdded


class Lines(Protocol):
    """What the terminal tells desks about its lines to the peers, and does for them."""

    def peer(self, party: str) -> PeerRecord:
        """The peer named ``party``; UnknownPeer (naming the known ones) if there is none."""

    def peers(self, parties: Sequence[str]) -> list[PeerRecord]:
        """The peers named, in order; UnknownPeer naming every one with no line here."""

    def queued(self, record: MessageRecord, *, exercise: bool = False) -> None:
        """A message a person wrote was stored: send it, track it, announce it."""

    def send_signal(
        self, kind: str, party: str, channel: str, text: str, extra: dict[str, Any]
    ) -> MessageRecord:
        """Queue a signal (a call's, a presence request's) at FLASH, outside the statistics."""

    def wake(self, party: str) -> None:
        """Something was queued for ``party`` outside :meth:`queued`: let its line look."""

    def line_down_reason(self, party: str) -> str:
        """Why nothing can reach ``party`` now ("" while its line is up or degraded)."""

    def resend_everywhere(self, record: MessageRecord) -> int:
        """Send a stored message again on every live route to its peer; how many took it."""

    def block(self, party: str, reason: str) -> None:
        """Block the line to ``party`` (a master change awaiting its check): drop it, refuse it."""

    def peer_changed(self, party: str) -> None:
        """The peer's stored record changed (its encryption key switched): its line takes it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeskServices:
    """What the core offers every desk when it is built."""

    store: Store
    clock: Clock
    identity: Identity
    settings: Settings
    #: The terminal's directory (a desk may keep a file there, e.g. the codebook).
    directory: Path
    outbox: Outbox
    alarms: AlarmBoard
    #: Change notices for live views (the console).
    events: EventHub
    lines: Lines
    journal: Callable[[str, dict[str, Any]], None]
    announce: Callable[[DeskEvent], None]
    #: This terminal's own fingerprint, as its card (and so its peers) give it.
    fingerprint: str = ""
    #: The master key and its certificates (None: single-tier), for the keys desk.
    key_tiers: KeyTiers | None = None
    #: Whether the private keys are sealed under a passphrase (a new key is sealed alike).
    keys_sealed: bool = False
    #: The peers' revoked keys (the keys desk adds what it stores; None in bare tests).
    revoked_keys: RevokedKeys | None = None
    #: Which key verifies each peer's signatures (the keys desk tells it of new certificates).
    signers: Signers | None = None
    #: Seals a rotated key's file under the passphrase (None: raw keys, or single-tier).
    key_sealer: SealingKey | None = None
    #: Call once this terminal's key files changed (a key event journaled): the daemon
    #: publishes them for a standby (docs/ha.md §6); nothing in bare tests.
    key_files_changed: Callable[[], None] = lambda: None
    #: A signing key a stop left staged, for the keys desk to resume (None: none).
    staged_signing: StagedSigning | None = None


class Desk:
    """A feature of the terminal; subclass it, name ``kinds``, implement ``create``."""

    #: Envelope kinds this desk takes when they arrive (see the module docstring).
    kinds: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, services: DeskServices) -> None:
        self.services = services

    @classmethod
    def create(cls, services: DeskServices) -> Self:
        """Build the desk from what the core offers (a desk may override how)."""
        return cls(services)

    def received(self, record: MessageRecord) -> None:
        """An incoming message of one of :attr:`kinds` was verified and stored."""
        raise NotImplementedError(f"{type(self).__name__} names kinds but takes none")

    def notice(self, event: DeskEvent) -> None:
        """Another part of the terminal announced ``event``; most desks ignore most."""

    def load(self) -> None:
        """The terminal is starting: pick up what the store holds."""

    def tick(self) -> None:
        """The supervisor's beat (a fifth of a heartbeat): look at the clock."""


D = TypeVar("D", bound=Desk)


class DeskRegistry:
    """The desks of one terminal, and which takes which kind."""

    def __init__(self, desks: Iterable[Desk]) -> None:
        self._desks = tuple(desks)
        self._by_kind: dict[str, Desk] = {}
        self._by_type: dict[type[Desk], Desk] = {}
        for desk in self._desks:
            if type(desk) in self._by_type:
                raise ValueError(f"two desks of one type: {type(desk).__name__}")
            self._by_type[type(desk)] = desk
            for kind in desk.kinds:
                other = self._by_kind.setdefault(kind, desk)
                if other is not desk:
                    raise ValueError(
                        f"kind {kind!r} is claimed by both {type(other).__name__} "
                        f"and {type(desk).__name__}"
                    )

    def __iter__(self) -> Iterator[Desk]:
        return iter(self._desks)

    def get(self, desk_type: type[D]) -> D:
        """The desk of that type (LookupError if this terminal has none)."""
        desk = self._by_type.get(desk_type)
        if desk is None:
            raise LookupError(f"this terminal has no {desk_type.__name__}")
        assert isinstance(desk, desk_type)
        return desk

    def for_kind(self, kind: str) -> Desk | None:
        """The desk that takes ``kind``, if any."""
        return self._by_kind.get(kind)

    @property
    def kinds(self) -> frozenset[str]:
        """Every kind some desk takes."""
        return frozenset(self._by_kind)

    def received(self, records: Iterable[MessageRecord]) -> None:
        """Hand each accepted incoming message to its desk, then announce it to all."""
        for record in records:
            desk = self._by_kind.get(record.kind)
            if desk is not None:
                desk.received(record)
            self.announce(MessageAccepted(record=record))

    def announce(self, event: DeskEvent) -> None:
        for desk in self._desks:
            desk.notice(event)

    def load(self) -> None:
        for desk in self._desks:
            desk.load()

    def tick(self) -> None:
        for desk in self._desks:
            desk.tick()
