"""What ``hotline record`` and the console's Record page show: the log and its witnesses.

Read from the store alone, so it answers whether or not the terminal runs
(SQLite lets a reader beside the running terminal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotline.crypto import Identity
from hotline.store import Store
from hotline.terminal.record.origin import record_origin
from hotline.utc import format_utc

__all__ = ["CosignerStatus", "RecordStatus", "WitnessedStatus", "record_status"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CosignerStatus:
    """A peer as a witness of our log: the newest checkpoint of ours it cosigned."""

    peer: str
    size: int
    #: When the peer says it cosigned (its signed timestamp), UTC text.
    cosigned_at: str
    #: Seconds since then, at the time of the status.
    age: float
    #: Entries of our newest checkpoint it has not cosigned yet.
    behind: int


@dataclass(frozen=True, slots=True, kw_only=True)
class WitnessedStatus:
    """A peer's log as we witness it: the newest checkpoint of it we cosigned."""

    peer: str
    size: int
    root: str
    cosigned_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordStatus:
    """The record at a glance (docs/protocol/record.md)."""

    origin: str
    #: Entries in the log (journal entries), and how many the tree holds so far.
    entries: int
    tree_size: int
    checkpoint_size: int | None
    checkpoint_root: str | None
    checkpoint_at: str | None
    checkpoint_note: str | None
    cosigners: tuple[CosignerStatus, ...]
    #: Peers with a line that have never cosigned any checkpoint of ours.
    never_cosigned: tuple[str, ...]
    witnessed: tuple[WitnessedStatus, ...]
    conflicts: int

    def to_json(self) -> dict[str, object]:
        return {
            "origin": self.origin,
            "entries": self.entries,
            "tree_size": self.tree_size,
            "checkpoint": None
            if self.checkpoint_size is None
            else {
                "size": self.checkpoint_size,
                "root": self.checkpoint_root,
                "issued_at": self.checkpoint_at,
                "note": self.checkpoint_note,
            },
            "cosigners": [
                {
                    "peer": c.peer,
                    "size": c.size,
                    "cosigned_at": c.cosigned_at,
                    "age_seconds": round(c.age, 1),
                    "behind": c.behind,
                }
                for c in self.cosigners
            ],
            "never_cosigned": list(self.never_cosigned),
            "witnessed": [
                {"peer": w.peer, "size": w.size, "root": w.root, "cosigned_at": w.cosigned_at}
                for w in self.witnessed
            ],
            "conflicts": self.conflicts,
        }


def record_status(store: Store, identity: Identity, now: datetime) -> RecordStatus:
    """The record's status as stored now."""
    latest = store.latest_checkpoint()
    newest = latest.size if latest is not None else 0
    cosigners = []
    for party, cosignature in sorted(store.latest_cosignatures().items()):
        when = datetime.fromtimestamp(cosignature.timestamp, tz=now.tzinfo)
        cosigners.append(
            CosignerStatus(
                peer=party,
                size=cosignature.size,
                cosigned_at=format_utc(when),
                age=max(0.0, (now - when).total_seconds()),
                behind=max(0, newest - cosignature.size),
            )
        )
    cosigned = {c.peer for c in cosigners}
    witnessed = [
        WitnessedStatus(peer=party, size=w.size, root=w.root.hex(), cosigned_at=w.cosigned_at)
        for party, w in sorted(store.latest_witnessed_all().items())
    ]
    return RecordStatus(
        origin=record_origin(identity.party, identity.signing_public),
        entries=store.journal_size(),
        tree_size=store.record_tree_size(),
        checkpoint_size=latest.size if latest is not None else None,
        checkpoint_root=latest.root.hex() if latest is not None else None,
        checkpoint_at=latest.issued_at if latest is not None else None,
        checkpoint_note=latest.note.decode() if latest is not None else None,
        cosigners=tuple(cosigners),
        never_cosigned=tuple(
            sorted(p.party for p in store.list_peers() if p.party not in cosigned)
        ),
        witnessed=tuple(witnessed),
        conflicts=len(store.record_conflicts(limit=1000)),
    )
