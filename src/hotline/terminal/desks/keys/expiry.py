"""Our own keys ending soon: the ``key-expiring`` alarm, raised before a certificate ends.

Each operational key is certified for two years (docs/keys.md, "Validity
periods"). Past its certificate's ``not_after`` the peers refuse it: what
the signing key signs, a session on the TLS key, and they seal nothing to
the encryption key. So ``[alarms] key_expiring_days`` (default 30) before
that, the keys desk raises ``key-expiring`` for the key in use of each kind
(peer: our own party, route: the kind), naming the ``hotline key rotate``
that fixes it; the rotation clears it. :func:`expiring_keys` says which; the
desk calls :func:`check_expiry` at each supervisor beat (comparing a few
integers).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from hotline.crypto import KeyCertificate
from hotline.terminal.core.alarms import KEY_EXPIRING, AlarmBoard
from hotline.utc import format_utc, from_epoch

__all__ = ["check_expiry", "expiring_keys"]

_DAY = 86400


def expiring_keys(
    in_use: Iterable[KeyCertificate], *, now: datetime, warn_days: float
) -> tuple[KeyCertificate, ...]:
    """Those of ``in_use`` whose certificate ends within ``warn_days`` of ``now`` (or has)."""
    limit = int(now.timestamp() + warn_days * _DAY)
    return tuple(item for item in in_use if item.not_after <= limit)


def check_expiry(
    in_use: Iterable[KeyCertificate],
    *,
    alarms: AlarmBoard,
    party: str,
    directory: Path,
    now: datetime,
    warn_days: float,
) -> None:
    """Raise ``key-expiring`` for each key of ``in_use`` ending soon; clear it for the others."""
    held = tuple(in_use)
    soon = {item.kind: item for item in expiring_keys(held, now=now, warn_days=warn_days)}
    for item in held:
        certificate = soon.get(item.kind)
        if certificate is None:
            if alarms.find(kind=KEY_EXPIRING, peer=party, route=item.kind) is not None:
                alarms.clear_matching(
                    kinds=(KEY_EXPIRING,),
                    peer=party,
                    route=item.kind,
                    by=f"the {item.kind} key is now {item.key_id} #{item.serial}",
                )
            continue
        ends = format_utc(from_epoch(certificate.not_after))
        verb = "expired" if certificate.not_after <= int(now.timestamp()) else "expires"
        alarms.raise_alarm(
            kind=KEY_EXPIRING,
            peer=party,
            route=item.kind,
            detail=(
                f"our {item.kind} key {certificate.key_id} {verb} on {ends}: peers refuse it "
                f"from then on; rotate it: hotline key rotate {directory} --which {item.kind}"
            ),
        )
