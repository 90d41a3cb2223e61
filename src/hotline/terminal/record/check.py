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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from hotline.crypto import (
    COSIGNATURE_V1_TYPE,
    ED25519_SIGNATURE_TYPE,
    Checkpoint,
    Identity,
    KeyCertificate,
    SignedNote,
    TreeBuilder,
    leaf_hash,
    note_key_id,
    verify_cosignature,
    verify_note,
)
from hotline.errors import CryptoError, StoreError, WrongSigner
from hotline.store import Store, journal_leaf_data
from hotline.terminal.core.signers import Signers, own_masters, signing_certificates
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


def check_record(
    store: Store, identity: Identity, *, certificates: Sequence[KeyCertificate] = ()
) -> RecordCheck:
    """Check our checkpoints, peers' cosignatures of them, and the log against both.

    ``certificates``: our master's key certificates, for checkpoints signed
    after a rotation of the signing key (their key ID names the new key);
    after a master change, every master's, oldest first
    (:func:`~hotline.terminal.config.masterchange.certificate_history`).
    """
    counts = {"entries": 0, "checkpoints": 0, "cosignatures": 0, "witnessed": 0}
    fault: str | None = None
    master, earlier = own_masters(certificates, fallback=identity.signing_public)
    ours = (
        identity.signing_public,
        *signing_certificates(certificates, party=identity.party, master=master, earlier=earlier),
    )
    try:
        _check(store, identity, counts, ours)
    except _Fault as exc:
        fault = str(exc)
    except (StoreError, CryptoError, WrongSigner) as exc:
        fault = f"record: {type(exc).__name__}: {exc}"
    return RecordCheck(fault=fault, **counts)


def note_key(keys: Sequence[bytes], name: str, key_id: bytes, kind: int) -> bytes:
    """The key among ``keys`` (a party's signing keys, address first) a note signature names."""
    for key in keys:
        if note_key_id(name, key, kind) == key_id:
            return key
    return keys[0]


def _check(store: Store, identity: Identity, counts: dict[str, int], ours: Sequence[bytes]) -> None:
    origin = record_origin(identity.party, identity.signing_public)
    signers = Signers(store)
    peers = {peer.party: peer for peer in store.list_peers()}
    #: size -> (who vouches for it, the root they signed)
    claims: dict[int, list[tuple[str, bytes]]] = defaultdict(list)
    latest = store.latest_checkpoint()
    if latest is not None:
        _check_own_checkpoint(latest.note, origin, ours, latest.size, latest.root)
        claims[latest.size].append(("our own checkpoint", latest.root))
        counts["checkpoints"] += 1
    for party, cosignature in store.latest_cosignatures().items():
        ours_note = store.checkpoint_at(cosignature.size)
        peer = peers.get(party)
        who = f"{party}'s cosignature (at {_when(cosignature.timestamp)})"
        if ours_note is None:
            raise _Fault(
                f"record: {who} is of a checkpoint of size {cosignature.size} "
                "that this terminal no longer holds"
            )
        body = _check_own_checkpoint(ours_note.note, origin, ours, ours_note.size, ours_note.root)
        counts["checkpoints"] += 1
        if peer is not None:
            try:
                signatures = parse_cosignature_line(body, cosignature.line.encode() + b"\n")
                name = record_origin(party, peer.signing_key)
                line = next(s for s in signatures if s.name == name)
                key = note_key(signers.keys_of(peer), name, line.key_id, COSIGNATURE_V1_TYPE)
                timestamp = verify_cosignature(body, line, name=name, public_key=key)
                signers.signing_key_for(peer, key, datetime.fromtimestamp(timestamp, tz=UTC))
            except (CryptoError, WrongSigner, StopIteration) as exc:
                raise _Fault(f"record: {who} does not verify: {exc or 'wrong name'}") from None
        counts["cosignatures"] += 1
        claims[cosignature.size].append((who, cosignature.root))
    for party, witnessed in store.latest_witnessed_all().items():
        peer = peers.get(party)
        if peer is None:
            continue
        try:
            note = SignedNote.decode(witnessed.note)
            name = record_origin(party, peer.signing_key)
            keys = signers.keys_of(peer)
            key = next(
                (
                    note_key(keys, name, line.key_id, ED25519_SIGNATURE_TYPE)
                    for line in note.signatures
                    if line.name == name
                ),
                peer.signing_key,
            )
            verify_note(note, name=name, public_key=key)
        except CryptoError as exc:
            raise _Fault(
                f"record: the checkpoint of {party}'s log we cosigned does not verify: {exc}"
            ) from None
        counts["witnessed"] += 1
    _check_log(store, claims, counts)


def _check_own_checkpoint(
    note_bytes: bytes, origin: str, ours: Sequence[bytes], size: int, root: bytes
) -> str:
    try:
        note = SignedNote.decode(note_bytes)
        key = next(
            (
                note_key(ours, origin, line.key_id, ED25519_SIGNATURE_TYPE)
                for line in note.signatures
                if line.name == origin
            ),
            ours[0],
        )
        verify_note(note, name=origin, public_key=key)
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
