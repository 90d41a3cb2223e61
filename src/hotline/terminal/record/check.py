"""``hotline verify``'s part for the record: the log against every checkpoint signed or cosigned.

The journal's hash chain shows an entry changed or removed in the middle; it
cannot show entries cut off the end, since the head moves with them. The
record can: a peer cosigned a checkpoint naming the size and root of our log
at some moment, so a log now shorter than that size, or whose first entries no
longer hash to that root, was cut or rewritten — and the peer's signature,
held here, says so. The journal is hashed once, in order, and the root is
taken at every size some checkpoint names.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from hotline.crypto import (
    Checkpoint,
    Identity,
    SignedNote,
    TreeBuilder,
    leaf_hash,
    verify_cosignature,
    verify_note,
)
from hotline.errors import CryptoError, StoreError
from hotline.store import Store, journal_leaf_data
from hotline.terminal.record.origin import record_origin
from hotline.terminal.record.witness import parse_cosignature_line
from hotline.utc import format_utc

__all__ = ["RecordCheck", "check_record"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordCheck:
    """What the record check found: counts of what held, and the first fault."""

    entries: int
    checkpoints: int
    cosignatures: int
    witnessed: int
    fault: str | None


class _Fault(Exception):
    pass


def check_record(store: Store, identity: Identity) -> RecordCheck:
    """Check our checkpoints, peers' cosignatures of them, and the log against both."""
    counts = {"entries": 0, "checkpoints": 0, "cosignatures": 0, "witnessed": 0}
    fault: str | None = None
    try:
        _check(store, identity, counts)
    except _Fault as exc:
        fault = str(exc)
    except (StoreError, CryptoError) as exc:
        fault = f"record: {type(exc).__name__}: {exc}"
    return RecordCheck(fault=fault, **counts)


def _check(store: Store, identity: Identity, counts: dict[str, int]) -> None:
    origin = record_origin(identity.party, identity.signing_public)
    peers = {peer.party: peer for peer in store.list_peers()}
    #: size -> (who vouches for it, the root they signed)
    claims: dict[int, list[tuple[str, bytes]]] = defaultdict(list)
    latest = store.latest_checkpoint()
    if latest is not None:
        _check_own_checkpoint(latest.note, origin, identity, latest.size, latest.root)
        claims[latest.size].append(("our own checkpoint", latest.root))
        counts["checkpoints"] += 1
    for party, cosignature in store.latest_cosignatures().items():
        ours = store.checkpoint_at(cosignature.size)
        peer = peers.get(party)
        who = f"{party}'s cosignature (at {_when(cosignature.timestamp)})"
        if ours is None:
            raise _Fault(
                f"record: {who} is of a checkpoint of size {cosignature.size} "
                "that this terminal no longer holds"
            )
        body = _check_own_checkpoint(ours.note, origin, identity, ours.size, ours.root)
        counts["checkpoints"] += 1
        if peer is not None:
            try:
                signatures = parse_cosignature_line(body, cosignature.line.encode() + b"\n")
                name = record_origin(party, peer.signing_key)
                verify_cosignature(
                    body,
                    next(s for s in signatures if s.name == name),
                    name=name,
                    public_key=peer.signing_key,
                )
            except (CryptoError, StopIteration) as exc:
                raise _Fault(f"record: {who} does not verify: {exc or 'wrong name'}") from None
        counts["cosignatures"] += 1
        claims[cosignature.size].append((who, cosignature.root))
    for party, witnessed in store.latest_witnessed_all().items():
        peer = peers.get(party)
        if peer is None:
            continue
        try:
            verify_note(
                SignedNote.decode(witnessed.note),
                name=record_origin(party, peer.signing_key),
                public_key=peer.signing_key,
            )
        except CryptoError as exc:
            raise _Fault(
                f"record: the checkpoint of {party}'s log we cosigned does not verify: {exc}"
            ) from None
        counts["witnessed"] += 1
    _check_log(store, claims, counts)


def _check_own_checkpoint(
    note_bytes: bytes, origin: str, identity: Identity, size: int, root: bytes
) -> str:
    try:
        note = SignedNote.decode(note_bytes)
        verify_note(note, name=origin, public_key=identity.signing_public)
        checkpoint = Checkpoint.parse(note.text)
    except CryptoError as exc:
        raise _Fault(f"record: our checkpoint of size {size} does not verify: {exc}") from None
    if (checkpoint.origin, checkpoint.size, checkpoint.root) != (origin, size, root):
        raise _Fault(f"record: our checkpoint of size {size} differs from its stored fields")
    return note.text


def _check_log(
    store: Store, claims: dict[int, list[tuple[str, bytes]]], counts: dict[str, int]
) -> None:
    builder = TreeBuilder()
    pending = sorted(claims)
    for entry in store.iter_journal():
        builder.append(leaf_hash(journal_leaf_data(entry)))
        while pending and pending[0] == builder.size:
            _compare(builder.size, builder.root(), claims[pending.pop(0)])
    counts["entries"] = builder.size
    if pending:
        size = pending[-1]
        who = ", ".join(name for name, _ in claims[size])
        raise _Fault(
            f"record: the journal holds {builder.size} entries, but {who} signed a "
            f"checkpoint of {size} entries: entries were cut off the end of the record"
        )
    stored = store.record_tree_size()
    if stored > builder.size:
        raise _Fault(
            f"record: the tree holds {stored} leaves but the journal only {builder.size} entries"
        )


def _compare(size: int, root: bytes, vouchers: list[tuple[str, bytes]]) -> None:
    for who, signed_root in vouchers:
        if signed_root != root:
            raise _Fault(
                f"record: the first {size} journal entries no longer hash to the root "
                f"{who} signed: the record was rewritten"
            )


def _when(timestamp: int) -> str:
    return format_utc(datetime.fromtimestamp(timestamp, tz=UTC))
