"""Record factories and small helpers shared by the store tests."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hotline.store import (
    Direction,
    MessageRecord,
    MessageState,
    PartyRecord,
    PeerRecord,
)

T0 = "2026-11-22T04:31:14.123456Z"


def at(second: int) -> str:
    """A distinct, ordered timestamp for each small integer."""
    return f"2026-11-22T04:{second // 60:02d}:{second % 60:02d}.000000Z"


def make_party(**overrides: Any) -> PartyRecord:
    fields: dict[str, Any] = {
        "party": "washington",
        "signing_key": b"W" * 32,
        "encryption_key": b"w" * 32,
        "routes": ("hotline.example.gov:7443",),
        "timezone": "America/New_York",
        "created_at": T0,
    }
    fields.update(overrides)
    return PartyRecord(**fields)


def make_peer(party: str = "moscow", **overrides: Any) -> PeerRecord:
    key = hashlib.sha256(party.encode()).digest()
    fields: dict[str, Any] = {
        "party": party,
        "signing_key": key,
        "encryption_key": hashlib.sha256(key).digest(),
        "routes": (f"{party}.example.net:7443", f"{party}-backup.example.net:7443"),
        "timezone": "Europe/Moscow",
        "certificate": b"-----CERT " + party.encode(),
        "card_json": json.dumps({"party": party}),
        "fingerprint": key[:8].hex(),
        "added_at": T0,
    }
    fields.update(overrides)
    return PeerRecord(**fields)


def make_message(
    serial: int,
    direction: Direction = Direction.OUT,
    *,
    peer: str = "moscow",
    **overrides: Any,
) -> MessageRecord:
    envelope = f"envelope {peer} {direction} {serial}".encode()
    incoming = direction is Direction.IN
    fields: dict[str, Any] = {
        "id": f"{peer}-{direction}-{serial}",
        "direction": direction,
        "peer": peer,
        "channel": "main",
        "serial": serial,
        "time_group": "220431Z",
        "sent_at": T0,
        "precedence": "flash" if serial % 2 else "routine",
        "kind": "text",
        "text": f"message {serial}",
        "body": b"\xa1dtextimessage " + str(serial).encode(),
        "envelope": envelope,
        "envelope_hash": hashlib.sha256(envelope).digest(),
        "state": MessageState.DELIVERED if incoming else MessageState.QUEUED,
        "created_at": at(serial),
        "transmitted_at": None,
        "delivered_at": at(serial) if incoming else None,
        "receipt": b"receipt " + envelope if incoming else None,
    }
    fields.update(overrides)
    return MessageRecord(**fields)


def commits(statements: list[str]) -> int:
    """How many COMMIT statements a SQL trace holds."""
    return sum(1 for statement in statements if statement.strip().upper() == "COMMIT")
