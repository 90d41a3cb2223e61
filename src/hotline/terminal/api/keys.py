"""Key rotation over HTTP: the control socket's router (docs/keys.md, "Rotation").

``POST /keys/rotate`` with ``{"which": "tls"}`` rotates that operational key
of the running terminal and announces it to every peer as a key event
(docs/protocol/key-events.md); it answers the new certificates and the peers
told. ``POST /keys/master`` changes the master key (the ceremony act of
``hotline key change-master``) and announces it to every peer.

``POST /keys/revoke`` with ``{"key": ID, "reason": TEXT, "compromised_since":
UTC or null}`` revokes one of its operational keys (docs/keys.md,
"Revocation") and announces it to every peer; the current key of a kind is
rotated first (``rotated``), and the signing key in use is announced only
after the switch to the new one (``pending``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from hotline.crypto import KeyCertificate, b64url_decode, b64url_encode
from hotline.errors import InvalidArgument
from hotline.terminal.daemon import Terminal
from hotline.terminal.desks.keys import KeyDesk
from hotline.utc import format_utc, from_epoch, parse_utc

__all__ = ["keys_router"]


class KeyRotate(BaseModel):
    which: str = "tls"


class KeyRevoke(BaseModel):
    key: str
    reason: str
    compromised_since: str | None = None


async def _terminal(request: Request) -> Terminal:
    terminal: Terminal = request.app.state.terminal
    return terminal


TerminalDep = Annotated[Terminal, Depends(_terminal)]

keys_router = APIRouter(prefix="/keys", tags=["keys"])


def _certificates(certificates: tuple[KeyCertificate, ...]) -> list[dict[str, Any]]:
    return [
        {
            "id": c.key_id,
            "kind": c.kind,
            "serial": c.serial,
            "not_before": format_utc(from_epoch(c.not_before)),
            "not_after": format_utc(from_epoch(c.not_after)),
        }
        for c in certificates
    ]


@keys_router.post("/rotate", status_code=201)
async def post_key_rotation(body: KeyRotate, terminal: TerminalDep) -> dict[str, Any]:
    rotation = terminal.desk(KeyDesk).rotate(body.which)
    # The master signs the card anew now, while it is open: a token master's card
    # is kept for the commands that have no PIN (config/cardcache.py).
    terminal.card_json()
    return {
        "keys": _certificates(rotation.certificates),
        "announced_to": list(rotation.announced_to),
    }


@keys_router.post("/revoke", status_code=201)
async def post_key_revocation(body: KeyRevoke, terminal: TerminalDep) -> dict[str, Any]:
    try:
        since = None if body.compromised_since is None else parse_utc(body.compromised_since)
    except ValueError as exc:
        raise InvalidArgument(f"compromised_since: {exc}") from None
    sent = terminal.desk(KeyDesk).revoke(body.key, reason=body.reason, compromised_since=since)
    revocation = sent.revocation
    return {
        "key": {
            "id": revocation.key_id,
            "kind": revocation.kind,
            "compromised_since": format_utc(from_epoch(revocation.compromised_since)),
            "revoked_at": format_utc(from_epoch(revocation.revoked_at)),
            "reason": revocation.reason,
        },
        "announced_to": list(sent.announced_to),
        "rotated": _certificates(sent.rotated),
        "pending": sent.pending,
    }


class MasterChangeRequest(BaseModel):
    #: The keys' passphrase (b64url of its bytes) when they are sealed: the new
    #: master key is sealed under it, as the old one is. It never leaves the
    #: owner-only control socket and is not kept.
    passphrase: str | None = None
    #: Move a master held in a PKCS#11 token out of it: the new master is a key file.
    to_software: bool = False


@keys_router.post("/master", status_code=201)
async def post_master_change(body: MasterChangeRequest, terminal: TerminalDep) -> dict[str, Any]:
    """Change the master key (docs/keys.md, "Changing the master key"); tell every peer."""
    passphrase = None if body.passphrase is None else b64url_decode(body.passphrase)
    change = terminal.change_master(passphrase=passphrase, to_software=body.to_software)
    return {
        "fingerprint": change.fingerprint,
        "old_fingerprint": change.old_fingerprint,
        "master_key": b64url_encode(change.transition.new_master),
        "old_master_key": b64url_encode(change.transition.old_master),
        "archived_as": change.archived_as,
        "keys": [
            {"id": c.key_id, "kind": c.kind, "serial": c.serial} for c in change.tiers.current()
        ],
        "announced_to": list(change.announced_to),
    }
