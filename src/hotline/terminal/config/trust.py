"""Trust in peers beyond their cards: recorded fingerprint checks, and removing a peer.

``peer add`` prints the peer's fingerprint and asks the operator to compare it
with the peer's operator over another channel. :func:`confirm_peer` records
that this was done: the 60 digits read out (they must match the stored card,
or nothing is recorded), how, by whom and when, signed by this terminal's key
over canonical CBOR (:func:`confirmation_bytes`), journalled ``peer confirmed``
in the same transaction.

:func:`remove_peer` marks a peer removed (journal ``peer removed``): its
messages and the record stay, the running terminal drops its line, refuses
its sessions and anything sent to it. Adding the same party's card again needs
``readd`` (``peer add --readd``), which clears the removal (journal ``peer
re-added``): a removal is a decision, and a card pasted by habit must not undo
it. docs/keys.md describes the procedure.

Used by the daemon (through its control API) and by the CLI on a directory
with no terminal running, as :func:`~hotline.terminal.config.setup.add_peer_card` is.
"""

from __future__ import annotations

from typing import Any

from hotline.crypto._cbor import canonical_dumps
from hotline.crypto.identity import verify_signature
from hotline.errors import FingerprintMismatch, InvalidArgument, PeerRemoved, UnknownPeer
from hotline.store import CONFIRMATION_METHODS as CONFIRMATION_METHODS
from hotline.store import PeerConfirmation, PeerRemoval, Store
from hotline.terminal.config.peer_masters import apply_master_confirmation, expected_fingerprint
from hotline.terminal.config.setup import TerminalFiles
from hotline.terminal.runtime.clock import Clock, SystemClock
from hotline.utc import format_utc

__all__ = [
    "CONFIRMATION_DOMAIN",
    "CONFIRMATION_METHODS",
    "confirm_peer",
    "confirmation_bytes",
    "confirmation_json",
    "normalise_fingerprint",
    "refuse_if_removed",
    "remove_peer",
    "verify_confirmation",
]

#: Domain separation: a confirmation's signature is never valid as anything else.
CONFIRMATION_DOMAIN = "hotline peer confirmation v1"


def normalise_fingerprint(digits: str) -> str:
    """The fingerprint ``digits`` in the form ``peer add`` prints: 12 groups of 5 digits.

    Spaces, dashes and line breaks between digits are allowed (however it was
    written down); anything else, or another count of digits, is refused.
    """
    kept = [char for char in digits if char not in " -\t\n"]
    if not kept or any(char not in "0123456789" for char in kept):
        raise InvalidArgument("a fingerprint is 60 digits (12 groups of 5), as peer add prints it")
    if len(kept) != 60:
        raise InvalidArgument(f"a fingerprint is 60 digits, not {len(kept)}")
    text = "".join(kept)
    return " ".join(text[start : start + 5] for start in range(0, 60, 5))


def confirmation_bytes(
    *, party: str, fingerprint: str, method: str, confirmed_by: str, confirmed_at: str
) -> bytes:
    """What a confirmation's signature covers: a canonical CBOR map with the domain."""
    return canonical_dumps(
        {
            "domain": CONFIRMATION_DOMAIN,
            "party": party,
            "fingerprint": fingerprint,
            "method": method,
            "by": confirmed_by,
            "at": confirmed_at,
        }
    )


def verify_confirmation(confirmation: PeerConfirmation, signing_key: bytes) -> None:
    """:class:`~hotline.errors.SignatureInvalid` unless ``signing_key`` signed ``confirmation``."""
    verify_signature(
        signing_key,
        confirmation.signature,
        confirmation_bytes(
            party=confirmation.party,
            fingerprint=confirmation.fingerprint,
            method=confirmation.method,
            confirmed_by=confirmation.confirmed_by,
            confirmed_at=confirmation.confirmed_at,
        ),
    )


def confirmation_json(confirmation: PeerConfirmation) -> dict[str, Any]:
    """A confirmation as JSON for ``peer list --json``, the control API and the console."""
    return {
        "fingerprint": confirmation.fingerprint,
        "method": confirmation.method,
        "by": confirmation.confirmed_by,
        "at": confirmation.confirmed_at,
        "signature": confirmation.signature.hex(),
    }


def refuse_if_removed(store: Store, party: str, *, doing: str) -> None:
    """:class:`~hotline.errors.PeerRemoved` if ``party`` is removed; ``doing`` ends the message."""
    removal = store.peer_removals().get(party)
    if removal is not None:
        raise PeerRemoved(f"{party} was removed on {removal.removed_at}; {doing}")


def confirm_peer(
    files: TerminalFiles,
    party: str,
    *,
    fingerprint: str,
    method: str,
    confirmed_by: str,
    clock: Clock | None = None,
) -> PeerConfirmation:
    """Record that ``confirmed_by`` compared ``party``'s fingerprint by ``method``.

    :class:`FingerprintMismatch` (nothing recorded) if ``fingerprint`` is not
    the stored card's; :class:`UnknownPeer` for an unknown party,
    :class:`PeerRemoved` for a removed one, :class:`InvalidArgument` for a
    method not in ``phone``, ``in-person``, ``video`` or an empty name.
    """
    clock = clock or SystemClock()
    if method not in CONFIRMATION_METHODS:
        raise InvalidArgument(
            f"--method must be one of {', '.join(CONFIRMATION_METHODS)}, not {method!r}"
        )
    confirmed_by = confirmed_by.strip()
    if not confirmed_by:
        raise InvalidArgument("--by names the person who compared the fingerprint")
    digits = normalise_fingerprint(fingerprint)
    store = files.store
    peer = store.get_peer(party)
    if peer is None:
        raise UnknownPeer(f"no peer named {party!r} (add its card with: hotline peer add)")
    refuse_if_removed(store, party, doing="nothing was recorded")
    # A pending master change (config/peer_masters.py) is confirmed by its new fingerprint.
    expected = expected_fingerprint(store, peer, digits)
    if digits != expected:
        raise FingerprintMismatch(
            f"the fingerprint given does not match {party}'s card ({expected}); "
            "nothing was recorded: do not rely on this line until the difference is explained"
        )
    stamp = format_utc(clock.now())
    signature = files.identity.sign(
        confirmation_bytes(
            party=party,
            fingerprint=digits,
            method=method,
            confirmed_by=confirmed_by,
            confirmed_at=stamp,
        )
    )
    confirmation = PeerConfirmation(
        party=party,
        fingerprint=digits,
        method=method,
        confirmed_by=confirmed_by,
        confirmed_at=stamp,
        signature=signature,
    )
    with store.transaction():
        apply_master_confirmation(store, peer, at=stamp)
        store.add_peer_confirmation(confirmation)
        store.append_journal(
            kind="peer confirmed",
            at=stamp,
            data={
                "party": party,
                "fingerprint": digits,
                "method": method,
                "by": confirmed_by,
                "signature": signature.hex(),
            },
        )
    return confirmation


def remove_peer(files: TerminalFiles, party: str, *, clock: Clock | None = None) -> PeerRemoval:
    """Mark ``party`` removed and journal it; its records are kept.

    :class:`UnknownPeer` for an unknown party, :class:`PeerRemoved` if it is
    removed already.
    """
    clock = clock or SystemClock()
    store = files.store
    peer = store.get_peer(party)
    if peer is None:
        raise UnknownPeer(f"no peer named {party!r}")
    refuse_if_removed(store, party, doing="nothing was changed")
    stamp = format_utc(clock.now())
    removal = PeerRemoval(party=party, fingerprint=peer.fingerprint, removed_at=stamp)
    with store.transaction():
        store.mark_peer_removed(removal)
        store.append_journal(
            kind="peer removed",
            at=stamp,
            data={"party": party, "fingerprint": peer.fingerprint},
        )
    return removal
