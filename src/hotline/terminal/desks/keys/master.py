"""Keys: changing this terminal's master key, and blocking a peer that changed its own.

``hotline key change-master`` (``POST /keys/master``) makes a new master key
(:mod:`hotline.terminal.config.masterchange`), journals ``master key changed``
and sends every peer not removed a key event of op ``master`` (FLASH)::

    {"text": <a line for the reader>, "op": "master",
     "transition": <MasterTransition bytes>, "card": <the new card, JSON>}

A peer checks the transition (its old master is the one pinned here, both
signatures, the party) and the new card (its master is the transition's new
one, the operational keys are the ones it knows, every certificate holds),
stores it **pending** (``peer_master_changes``), journals ``peer master
changed (pending)``, raises a ``master-changed`` alarm and **blocks the line**
(the terminal drops it, refuses its sessions before ``hello`` and refuses to
send to it; what is queued waits). ``hotline peer confirm`` with the new
fingerprint ends it (:mod:`hotline.terminal.config.peer_masters`). A
transition that does not hold is refused (journal ``refusal``, alarm
``master-refused``) and nothing changes. docs/keys.md, "Changing the master
key", and docs/protocol/key-events.md are the normative text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from hotline.crypto import (
    KeyCertificate,
    MasterTransition,
    PeerCard,
    Precedence,
    b64url_encode,
    make_card,
    master_fingerprint,
)
from hotline.errors import CardInvalid, InvalidArgument
from hotline.store import MessageRecord, PeerMasterChange, PeerRecord
from hotline.terminal.config.masterchange import MasterChanged, change_master
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.tiers import KeyTiers, peer_master
from hotline.terminal.core.desk import DeskServices
from hotline.terminal.core.inbox import refuse_content
from hotline.terminal.core.outbox import decode_body
from hotline.utc import format_utc

__all__ = [
    "BLOCKED_STATE",
    "BLOCKED_STATUS",
    "MASTER_CHANGED",
    "MASTER_REFUSED",
    "MasterChange",
    "blocked_reason",
    "change_our_master",
    "read_master_event",
    "take_master_event",
]

MASTER_CHANGED: Final = "master-changed"
"""The alarm of a peer whose new master key awaits its fingerprint check (its line is blocked)."""
BLOCKED_STATE: Final = "blocked"
"""A blocked line's state in ``hotline status`` (beside "up", "degraded", "down")."""
BLOCKED_STATUS: Final = "blocked: master key changed, fingerprint not confirmed"
"""What ``status``, ``peer list`` and the console say of a blocked line."""
MASTER_REFUSED: Final = "master-refused"
"""The alarm of a master change that did not hold (not by the pinned master): nothing changed."""

_MAX_CARD_CHARS = 16_384


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterChange:
    """What one master change did: the new master, its fingerprint, the peers told."""

    tiers: KeyTiers
    transition: MasterTransition
    fingerprint: str
    old_fingerprint: str
    archived_as: str
    announced_to: tuple[str, ...]


def blocked_reason(change: PeerMasterChange) -> str:
    """Why ``change.party``'s line is blocked: the status, the refusals and the errors say it."""
    return (
        f"{change.party} changed its master key on {change.received_at}: confirm the new "
        "fingerprint with `hotline peer confirm`"
    )


def change_our_master(
    services: DeskServices,
    tiers: KeyTiers | None,
    *,
    passphrase: bytes | None,
    queued: list[MessageRecord],
) -> MasterChange:
    """Change this terminal's master key and queue the key event to every peer not removed.

    The events are appended to ``queued`` (the caller hands them to the lines).
    InvalidArgument on a single-tier terminal.
    """
    if tiers is None:
        raise InvalidArgument(
            "a single-tier terminal has no master key to change (docs/keys.md, 'The key hierarchy')"
        )
    identity = services.identity
    now = services.clock.now()
    changed: MasterChanged = change_master(
        TerminalPaths(services.directory),
        identity,
        tiers,
        passphrase=passphrase,
        sealed=services.keys_sealed,
        now=now,
    )
    card = make_card(
        identity,
        routes=services.settings.card_routes,
        timezone=services.settings.timezone,
        master=changed.tiers.master,
        # The card names the party by its address, certified again by the new master;
        # a rotated signing key stays accepted by its old master's certificate, issued
        # before the change (core/signers.py, earlier_masters).
        key_certificates=changed.tiers.card_certificates(identity.signing_public),
    )
    store = services.store
    removed = store.peer_removals()
    peers = [p for p in store.list_peers() if p.party not in removed]
    transition = changed.transition
    old_fingerprint = master_fingerprint(party=identity.party, master_key=transition.old_master)
    body: dict[str, Any] = {
        "op": "master",
        "transition": transition.encode(),
        "card": card.to_json(),
    }
    line = (
        f"MASTER KEY CHANGED: {identity.party}'s new fingerprint is {card.fingerprint}; "
        "confirm it with our operator by telephone or in person before using this line"
    )
    with store.transaction():
        store.append_journal(
            kind="master key changed",
            at=format_utc(now),
            data={
                "old_master": b64url_encode(transition.old_master),
                "new_master": b64url_encode(transition.new_master),
                "old_fingerprint": old_fingerprint,
                "fingerprint": card.fingerprint,
                "transition": transition.encode().hex(),
                "keys": [_certificate_json(c) for c in changed.tiers.current()],
                "archived_as": changed.archived_as,
                "announced_to": [p.party for p in peers],
            },
        )
        for peer in peers:
            queued.append(
                services.outbox.queue(
                    peer=peer,
                    text=line,
                    precedence=Precedence.FLASH,
                    kind="key",
                    extra_body=body,
                )
            )
    return MasterChange(
        tiers=changed.tiers,
        transition=transition,
        fingerprint=card.fingerprint,
        old_fingerprint=old_fingerprint,
        archived_as=changed.archived_as,
        announced_to=tuple(p.party for p in peers),
    )


def read_master_event(
    body: dict[str, Any], *, peer: PeerRecord
) -> tuple[MasterTransition, PeerCard]:
    """The transition and new card of an op ``master`` key event from ``peer``, checked.

    InvalidArgument naming what does not hold: the shape, a transition that
    does not verify or is not by the master pinned here, a card that is not
    the transition's new master's or changes the operational keys.
    """
    raw, text = body.get("transition"), body.get("card")
    if not isinstance(raw, bytes) or not isinstance(text, str) or len(text) > _MAX_CARD_CHARS:
        raise InvalidArgument("a master key event carries a transition (bytes) and a card (text)")
    try:
        transition = MasterTransition.decode(raw)
        card = PeerCard.from_json(text)
    except CardInvalid as exc:
        raise InvalidArgument(str(exc)) from None
    party = peer.party
    if transition.party != party:
        raise InvalidArgument(f"the master transition is of {transition.party!r}, not {party!r}")
    if transition.old_master != peer_master(peer):
        raise InvalidArgument(
            f"the master transition is not signed by {party}'s master key as pinned here"
        )
    if card.party != party or card.master != transition.new_master:
        raise InvalidArgument("the card is not of the transition's party and new master key")
    if card.signing_key != peer.signing_key or card.encryption_key != peer.encryption_key:
        raise InvalidArgument("a master change keeps the operational keys; this card names others")
    return transition, card


def take_master_event(services: DeskServices, record: MessageRecord, peer: PeerRecord) -> None:
    """A key event of op ``master`` arrived from ``peer``: keep it pending and block, or refuse it."""
    store, clock = services.store, services.clock
    try:
        transition, card = read_master_event(decode_body(record.body), peer=peer)
    except InvalidArgument as exc:
        refuse_content(store, clock, record, what="master key change", reason=str(exc))
        services.alarms.raise_alarm(
            kind=MASTER_REFUSED,
            peer=peer.party,
            route=None,
            detail=f"a master key change from {peer.party} was refused: {exc}",
        )
        return
    at = format_utc(clock.now())
    change = PeerMasterChange(
        party=peer.party,
        old_master=transition.old_master,
        new_master=transition.new_master,
        transition=transition.encode(),
        card_json=card.to_json(),
        old_certificate=peer.certificate,
        received_at=at,
    )
    held = store.peer_master_changes(peer.party)
    if any(c.pending for c in held) and not any(c.transition == change.transition for c in held):
        refuse_content(
            store,
            clock,
            record,
            what="master key change",
            reason=f"a master change of {peer.party} is pending already",
        )
        return
    with store.transaction():
        if not store.add_peer_master_change(change):
            return  # a re-delivery: blocked already
        store.append_journal(
            kind="peer master changed (pending)",
            at=at,
            data={
                "peer": peer.party,
                "message": record.id,
                "old_master": b64url_encode(transition.old_master),
                "new_master": b64url_encode(transition.new_master),
                "old_fingerprint": peer.fingerprint,
                "fingerprint": card.fingerprint,
                "transition": transition.encode().hex(),
            },
        )
    services.alarms.raise_alarm(
        kind=MASTER_CHANGED,
        peer=peer.party,
        route=None,
        detail=(
            f"{peer.party} changed its master key: its line is blocked until its new "
            f"fingerprint {card.fingerprint} is confirmed out of band (hotline peer confirm)"
        ),
    )
    services.lines.block(peer.party, blocked_reason(change))


def _certificate_json(certificate: KeyCertificate) -> dict[str, Any]:
    return {"key_id": certificate.key_id, "kind": certificate.kind, "serial": certificate.serial}
