"""Recording a key ceremony into the shared record (``hotline ceremony``; docs/keys.md, "Key ceremony").

A ministry does not take a party's keys on one operator's word: keys are made,
rotated or resealed at a ceremony, before people who sign that they were
there. :func:`record_ceremony` writes one journal entry (kind ``key
ceremony``, :mod:`hotline.terminal.record.ceremonies` says its fields) naming
the purpose, who was present, the witnesses and the keys the terminal holds
(from its certificates, as ``hotline key list`` shows them), signed by every
participant's person key (a console user's, unlocked with their password).
The entry enters the record the peers cosign, and ``hotline verify`` checks
its signatures.

The terminal must be stopped (it holds ``terminal.lock`` while it runs): a
ceremony is an offline event, and the running daemon owns its journal. The
keys' passphrase is not needed: nothing here uses the party's private keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotline.crypto import b64url_encode
from hotline.errors import InvalidArgument, NotInitialised
from hotline.store import Store, open_store
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.config.settings import Settings, load_settings
from hotline.terminal.config.tiers import read_certificates
from hotline.terminal.desks.accounts.users import authenticate
from hotline.terminal.record.ceremonies import CEREMONY_KIND, ceremony_statement
from hotline.terminal.runner import DirectoryLock
from hotline.utc import format_utc

__all__ = ["Ceremony", "ceremonies_in", "list_ceremonies", "record_ceremony"]


@dataclass(frozen=True, slots=True)
class Ceremony:
    """One recorded key ceremony, as its journal entry holds it."""

    seq: int
    at: str
    purpose: str
    present: tuple[str, ...]
    witnesses: tuple[str, ...]
    #: The keys the terminal held: id, kind, serial, public key, validity.
    keys: tuple[Mapping[str, Any], ...]
    #: Who signed (each with their person key).
    signers: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "purpose": self.purpose,
            "present": list(self.present),
            "witnesses": list(self.witnesses),
            "keys": [dict(key) for key in self.keys],
            "signed_by": list(self.signers),
        }


def record_ceremony(
    directory: Path,
    *,
    purpose: str,
    present: Sequence[str],
    witnesses: Sequence[str],
    passwords: Mapping[str, str],
    now: datetime,
) -> Ceremony:
    """Record a ceremony in the stopped terminal in ``directory``, signed by every participant.

    ``passwords`` holds each participant's console password.
    :class:`~hotline.errors.InvalidArgument` if a name is given twice or has no
    password, :class:`~hotline.errors.AuthenticationFailed` if one does not
    unlock its user's key, :class:`DaemonError` if the terminal runs; nothing
    is recorded then.
    """
    participants = [*present, *witnesses]
    if not purpose.strip():
        raise InvalidArgument("--purpose must say what the ceremony is for")
    if not present:
        raise InvalidArgument("name at least one person present (--present NAME)")
    if len(set(participants)) != len(participants):
        raise InvalidArgument("each person is named once, as present or as a witness")
    missing = [name for name in participants if name not in passwords]
    if missing:
        raise InvalidArgument(
            f"no password for {', '.join(missing)}: every participant signs "
            "(--password-file NAME=FILE)"
        )
    paths, settings = _terminal(directory)
    lock = DirectoryLock(paths.lock)
    lock.acquire_stopped("hotline ceremony records into a stopped terminal's journal")
    try:
        store = _open_store(paths, settings)
        try:
            operators = [authenticate(store, name, passwords[name]) for name in participants]
            body: dict[str, Any] = {
                "party": settings.party,
                "purpose": purpose.strip(),
                "at": format_utc(now),
                "present": list(present),
                "witnesses": list(witnesses),
                "keys": _keys(paths, store),
            }
            statement = ceremony_statement(body)
            body["signatures"] = [
                {
                    "name": operator.name,
                    "key": operator.public_key.hex(),
                    "signature": operator.signing_key.sign(statement).hex(),
                }
                for operator in operators
            ]
            with store.transaction():
                entry = store.append_journal(kind=CEREMONY_KIND, at=body["at"], data=body)
        finally:
            store.close()
    finally:
        lock.release()
    return _ceremony(entry.seq, body)


def list_ceremonies(store: Store) -> list[Ceremony]:
    """Every ceremony recorded in ``store``'s journal, oldest first."""
    return [
        _ceremony(entry.seq, entry.data)
        for entry in store.iter_journal()
        if entry.kind == CEREMONY_KIND
    ]


def ceremonies_in(directory: Path) -> list[Ceremony]:
    """Every ceremony recorded in the terminal in ``directory``; it may run (a read)."""
    paths, settings = _terminal(directory)
    store = _open_store(paths, settings)
    try:
        return list_ceremonies(store)
    finally:
        store.close()


def _terminal(directory: Path) -> tuple[TerminalPaths, Settings]:
    paths = TerminalPaths(directory)
    if not paths.is_initialised():
        raise NotInitialised(
            f"{directory} is not a hotline terminal (create one with: hotline init)"
        )
    return paths, load_settings(paths.config)


def _open_store(paths: TerminalPaths, settings: Settings) -> Store:
    # A URL's database is opened without creating a schema, as open_terminal does.
    if settings.store_url is not None:
        return open_store(settings.store_url, create=False)
    return open_store(paths.database)


def _keys(paths: TerminalPaths, store: Store) -> list[dict[str, Any]]:
    certificates = read_certificates(paths)
    if not certificates:
        party = store.get_party()
        if party is None:
            raise NotInitialised(f"{paths.root}: the store holds no party")
        # Single tier: one identity key signs everything; it has no certificate.
        return [{"kind": "identity", "public_key": b64url_encode(party.signing_key)}]
    keys: list[dict[str, Any]] = [
        {"kind": "master", "public_key": b64url_encode(certificates[0].master_key)}
    ]
    keys.extend(
        {
            "id": item.key_id,
            "kind": item.kind,
            "serial": item.serial,
            "public_key": b64url_encode(item.public_key),
            "not_before": _utc(item.not_before),
            "not_after": _utc(item.not_after),
        }
        for item in certificates
    )
    return keys


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ceremony(seq: int, data: Mapping[str, Any]) -> Ceremony:
    return Ceremony(
        seq=seq,
        at=str(data.get("at", "")),
        purpose=str(data.get("purpose", "")),
        present=tuple(data.get("present", ())),
        witnesses=tuple(data.get("witnesses", ())),
        keys=tuple(data.get("keys", ())),
        signers=tuple(item.get("name", "") for item in data.get("signatures", ())),
    )
