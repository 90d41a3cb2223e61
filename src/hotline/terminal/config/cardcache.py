"""The card a token master signed, kept so that ``hotline card`` needs no PIN (docs/keys.md §6).

A card is signed by the master key (docs/keys.md §0). With the master in a
PKCS#11 token that means logging in to the token, so every ``hotline card``
(and ``hotline export``, which carries the card) would ask for the PIN. The
master signs the card anyway whenever the keys change while it is open: at
``init``, at each ``hotline run`` (the daemon makes its card at its start),
after a rotation or a master change. Each time, the card is
kept in ``keys/card.json`` with a **stamp**: a hash of everything the card is
made from (the party, the master, the operational keys and every
certificate the master issued, the routes and the time zone). A command later serves the kept card as it is when the stamp
still matches, and otherwise refuses (:class:`~hotline.errors.TokenUnavailable`)
naming the fix: a PIN source, or a ``hotline run``, which signs a new one.

The stamp does not look inside the card: whatever the card builder puts on
it, a card made from the same state is kept and served unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import cbor2

from hotline.crypto import Identity, PeerCard
from hotline.errors import CardInvalid
from hotline.terminal.config.paths import write_private
from hotline.terminal.config.tiers import KeyTiers

__all__ = ["KEPT_CARD_FILE", "card_stamp", "keep_card", "kept_card"]

#: ``keys/card.json``: the card the token master last signed, and its stamp (public).
KEPT_CARD_FILE = "card.json"


def card_stamp(
    identity: Identity,
    tiers: KeyTiers,
    *,
    routes: Sequence[str],
    timezone: str,
) -> str:
    """A hash of everything a card of this terminal is made from (hex)."""
    state = {
        "party": identity.party,
        "master": tiers.master.public_key,
        "address": identity.signing_public,
        "encryption": identity.encryption_public,
        "certificates": [c.encode() for c in tiers.certificates],
        "routes": list(routes),
        "timezone": timezone,
    }
    return hashlib.sha256(cbor2.dumps(state, canonical=True)).hexdigest()


def keep_card(keys_dir: Path, card: PeerCard, stamp: str) -> None:
    """Keep ``card`` with its ``stamp``: written aside and renamed, so a reader sees one or the other."""
    document = {"stamp": stamp, "card": card.to_json()}
    aside = keys_dir / f".{KEPT_CARD_FILE}.new"
    write_private(aside, json.dumps(document, indent=2).encode("utf-8"))
    os.replace(aside, keys_dir / KEPT_CARD_FILE)


def kept_card(keys_dir: Path, stamp: str) -> tuple[PeerCard | None, str]:
    """The kept card if its stamp is ``stamp``; else None and why not (for the error)."""
    path = keys_dir / KEPT_CARD_FILE
    try:
        document = json.loads(path.read_bytes())
        kept, text = document["stamp"], document["card"]
    except FileNotFoundError:
        return None, f"no card signed by the master is kept in {path}"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"the card kept in {path} is damaged ({exc})"
    if kept != stamp or not isinstance(text, str):
        return None, (
            f"the card kept in {path} is stale: the keys, routes or time zone changed "
            "since the master signed it"
        )
    try:
        return PeerCard.from_json(text), ""
    except CardInvalid as exc:
        return None, f"the card kept in {path} does not verify: {exc}"
