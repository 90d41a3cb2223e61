"""Which of our keys ``hotline key revoke`` may revoke, and how: at once, or after a rotation.

The keys desk (:meth:`hotline.terminal.desks.keys.KeyDesk.revoke`) asks
:func:`revocable` what a ``--key ID`` names and what must happen first
(docs/keys.md, "Revocation"):

- a **superseded** key (one a rotation replaced, no longer in use) is revoked
  at once;
- the **current TLS or encryption key** is rotated first (the new key is in
  place at once), then the old one is revoked: two key events, in order;
- the **signing key in use** is rotated first too, but the switch to the new
  key waits until every peer has receipted the rotation's key event, and the
  revoked key must sign nothing after its revocation: so the revocation is
  signed at once, kept in ``keys/revocation-pending.cbor``, and announced
  (signed by the new key) after the switch. A signing key staged and not yet
  switched to is refused: it is not in use yet, and revoking it would leave
  the terminal nothing to switch to.

:func:`sign_revocation` checks the reason and the compromise time and has the
master sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hotline.crypto import KeyCertificate, KeyRevocation, b64url_encode, revoke_key
from hotline.errors import InvalidArgument
from hotline.freetext import check_free_text
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.revocations import pending_revocation, read_revocations
from hotline.terminal.config.tiers import KeyTiers
from hotline.utc import format_utc, from_epoch

__all__ = ["Revocable", "revocable", "sign_revocation"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Revocable:
    """A key ``hotline key revoke`` may revoke, and what must happen before."""

    certificate: KeyCertificate
    #: Rotate its kind first: it is the current key of its kind (or the signing key in use).
    rotate_first: bool
    #: The signing key in use while a rotation waits for its switch: revoke after the switch.
    after_switch: bool


def revocable(
    tiers: KeyTiers | None,
    key_id: str,
    *,
    directory: Path,
    signer_in_use: bytes,
    staged: KeyCertificate | None,
) -> Revocable:
    """What ``key_id`` names and what revoking it takes; InvalidArgument if it cannot be.

    ``signer_in_use`` is the public key signing today; ``staged`` the signing
    key waiting for its switch, if any. Refused: a single-tier terminal, a
    master key, an unknown id (naming those ``key list`` shows), a staged
    signing key, a key revoked already or waiting to be.
    """
    if tiers is None:
        raise InvalidArgument(
            "a single-tier terminal has no master key to sign a revocation "
            "(docs/keys.md, 'The key hierarchy')"
        )
    if key_id.startswith("master") or key_id == b64url_encode(tiers.master.public_key):
        raise InvalidArgument(
            "a master key is not revoked with 'hotline key revoke': that is a master-key "
            "change (docs/keys.md, 'Not yet')"
        )
    known = {c.key_id: c for c in tiers.certificates}
    certificate = known.get(key_id)
    if certificate is None:
        raise InvalidArgument(
            f"no key {key_id!r} in {directory}: 'hotline key list' shows {', '.join(known)}"
        )
    if staged is not None and certificate == staged:
        raise InvalidArgument(
            f"{key_id} is the new signing key, waiting for every peer to receipt its key "
            "event: it signs nothing yet; revoke it once it is in use (hotline key list)"
        )
    paths = TerminalPaths(directory)
    for held in read_revocations(paths):
        if held.key_id == key_id:
            raise InvalidArgument(
                f"{key_id} was revoked already at {format_utc(from_epoch(held.revoked_at))} "
                f"(compromised since {format_utc(from_epoch(held.compromised_since))})"
            )
    waiting = pending_revocation(paths)
    if waiting is not None:
        raise InvalidArgument(
            f"the revocation of {waiting.key_id} waits for the switch to a new signing key; "
            "revoke another key once it is announced (hotline key list)"
        )
    in_use = certificate.kind == "signing" and certificate.public_key == signer_in_use
    return Revocable(
        certificate=certificate,
        rotate_first=certificate in tiers.current() or (in_use and staged is None),
        after_switch=in_use,
    )


def sign_revocation(
    tiers: KeyTiers,
    certificate: KeyCertificate,
    *,
    party: str,
    reason: str,
    compromised_since: datetime | None,
    now: datetime,
) -> KeyRevocation:
    """The master's revocation of ``certificate``'s key; InvalidArgument for a bad reason or
    a compromise time in the future (``compromised_since`` None: now)."""
    revoked_at = int(now.timestamp())
    since = revoked_at if compromised_since is None else int(compromised_since.timestamp())
    if since > revoked_at:
        raise InvalidArgument(
            f"--compromised-since {format_utc(from_epoch(since))} is in the future"
        )
    check_free_text(reason, "the reason")
    return revoke_key(
        master=tiers.master,
        party=party,
        kind=certificate.kind,
        public_key=certificate.public_key,
        compromised_since=since,
        revoked_at=revoked_at,
        reason=reason,
    )
