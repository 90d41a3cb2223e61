"""Witnessing over the line: each terminal cosigns its peers' checkpoints, and they cosign its own.

Modelled on C2SP ``tlog-witness``, carried by the session instead of HTTP
(docs/protocol/record.md, "Witnessing"). Two roles, both in every terminal:

* **as a log**, after each new checkpoint and whenever a session opens, the
  terminal sends each peer a ``WitnessRequest``: the signed checkpoint, the
  size of the last one that peer cosigned, and a consistency proof from that
  size. A ``WitnessCosignature`` answer is checked under the peer's key and
  kept (the newest per peer is what ``verify`` and ``export`` use);
* **as a witness**, it checks a peer's request: the note's origin and
  signature, then the proof against the newest checkpoint of that log it has
  cosigned. It cosigns (C2SP ``cosignature/v1``) only a checkpoint consistent
  with everything it cosigned before.

A checkpoint smaller than one already cosigned (a rollback), or one whose
proof does not verify (a fork), is refused; the refusal raises a
``record-conflict`` alarm on both sides, is journaled, and both signed
checkpoints (the one held and the one offered) are kept as evidence, which
``hotline export`` includes. A witness that was itself restored from a backup
simply says which size it knows (``OLD_SIZE_MISMATCH``) and gets a proof from
there; a log that learns a peer has cosigned more of it than it holds knows its
own record was cut, and says so with the same alarm.

Witnessing is not journaled (it would grow the log it signs, forever); only
conflicts are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hotline import proto
from hotline.crypto import (
    COSIGNATURE_V1_TYPE,
    ED25519_SIGNATURE_TYPE,
    Checkpoint,
    Identity,
    NoteSignature,
    SignedNote,
    cosign,
    note_key_id,
    verify_consistency,
    verify_cosignature,
    verify_note,
)
from hotline.errors import CryptoError, KeyRevoked, WrongSigner
from hotline.proto import WitnessRefusalCode
from hotline.store import (
    CosignatureRecord,
    PeerRecord,
    RecordConflictRecord,
    Store,
    WitnessedRecord,
)
from hotline.terminal.config.settings import RecordSettings
from hotline.terminal.core.alarms import COSIGN_OVERDUE, RECORD_CONFLICT, AlarmBoard
from hotline.terminal.core.revocations import refuse_revoked_use
from hotline.terminal.core.signers import Signers
from hotline.terminal.record.keeper import RecordKeeper
from hotline.terminal.record.origin import record_origin
from hotline.terminal.runtime.clock import Clock
from hotline.utc import format_utc

__all__ = ["WitnessAnswer", "Witnessing", "parse_cosignature_line"]

log = logging.getLogger("hotline.record")

WitnessAnswer = proto.WitnessCosignature | proto.WitnessRefusal


def parse_cosignature_line(checkpoint_body: str, line: bytes) -> tuple[NoteSignature, ...]:
    """The signature lines of a ``cosigned`` frame, read as the signatures of a note.

    Raises :class:`~hotline.errors.NoteInvalid` if they are not signature lines.
    """
    note = SignedNote.decode(checkpoint_body.encode() + b"\n" + line)
    return note.signatures


@dataclass(slots=True)
class _PeerLog:
    """What we know of one peer as a witness of OUR log."""

    #: Largest size of our log the peer has cosigned, as far as we know.
    cosigned: int = 0
    #: (old_size, size) of the last request sent, so a refusal is not answered twice.
    sent: tuple[int, int] | None = None
    #: Monotonic time since which the peer has owed us a cosignature (None: it owes none).
    owing_since: float | None = None


class Witnessing:
    """Both witnessing roles of one terminal."""

    def __init__(
        self,
        *,
        keeper: RecordKeeper,
        store: Store,
        identity: Identity,
        clock: Clock,
        alarms: AlarmBoard,
        settings: RecordSettings,
        journal: Callable[[str, dict[str, Any]], object],
        signers: Signers | None = None,
    ) -> None:
        self._keeper = keeper
        self._signers = signers or Signers(store)
        self._store = store
        self._identity = identity
        self._clock = clock
        self._alarms = alarms
        self._settings = settings
        self._journal = journal
        self._peers: dict[str, _PeerLog] = {}
        for party, cosignature in store.latest_cosignatures().items():
            self._peers[party] = _PeerLog(cosigned=cosignature.size)
        #: (whose log, peer, kind) of conflicts already kept: a forked log offers a new
        #: conflicting checkpoint every interval, and the first one is the evidence.
        self._conflicts_seen: set[tuple[str, str, str]] = set()

    def _peer(self, party: str) -> _PeerLog:
        return self._peers.setdefault(party, _PeerLog())

    # -- as a log ---------------------------------------------------------

    def request_for(self, peer: PeerRecord, *, again: bool = False) -> proto.WitnessRequest | None:
        """The request that asks ``peer`` to cosign our newest checkpoint; None if not needed.

        None when there is no checkpoint, the peer has cosigned it already, or
        (unless ``again``, as when a session has just opened) the same request
        was already sent.
        """
        latest = self._keeper.latest()
        if latest is None:
            return None
        state = self._peer(peer.party)
        if state.cosigned >= latest.size:
            return None
        if state.owing_since is None:
            state.owing_since = self._clock.monotonic()
        old = state.cosigned
        if not again and state.sent == (old, latest.size):
            return None
        state.sent = (old, latest.size)
        return proto.WitnessRequest(
            checkpoint=latest.note,
            old_size=old,
            proof=tuple(self._keeper.consistency(old, latest.size)) if old else (),
        )

    def take_cosignature(self, peer: PeerRecord, frame: proto.WitnessCosignature) -> None:
        """Check and keep a peer's cosignature of one of our checkpoints."""
        ours = self._store.checkpoint_at(frame.size)
        if ours is None:
            log.warning("%s cosigned size %d, a checkpoint we never issued", peer.party, frame.size)
            return
        body = SignedNote.decode(ours.note).text
        name = record_origin(peer.party, peer.signing_key)
        try:
            signatures = parse_cosignature_line(body, frame.signature)
            signature = next(s for s in signatures if s.name == name)
            key = self._peer_key(peer, name, signature.key_id, COSIGNATURE_V1_TYPE)
            timestamp = verify_cosignature(body, signature, name=name, public_key=key)
            self._signers.signing_key_for(peer, key, datetime.fromtimestamp(timestamp, tz=UTC))
        except KeyRevoked as exc:
            self._refuse_revoked(peer, "cosignature", exc, size=frame.size)
            return
        except (CryptoError, WrongSigner, StopIteration) as exc:
            log.warning("cosignature from %s refused: %s", peer.party, exc or "not its name")
            return
        record = CosignatureRecord(
            peer=peer.party,
            size=ours.size,
            root=ours.root,
            timestamp=timestamp,
            line=signature.line().rstrip("\n"),
            received_at=format_utc(self._clock.now()),
        )
        with self._store.transaction():
            self._store.add_cosignature(record)
        state = self._peer(peer.party)
        state.cosigned = max(state.cosigned, ours.size)
        latest = self._keeper.latest()
        if latest is None or state.cosigned >= latest.size:
            state.owing_since = None
            self._alarms.clear_matching(
                kinds=(COSIGN_OVERDUE,), peer=peer.party, route=None, by="cosigned again"
            )

    def take_refusal(
        self, peer: PeerRecord, frame: proto.WitnessRefusal
    ) -> proto.WitnessRequest | None:
        """A peer refused our checkpoint: the request to send again, if any."""
        state = self._peer(peer.party)
        tree = self._keeper.size
        if frame.code is WitnessRefusalCode.OLD_SIZE_MISMATCH and frame.known_size <= tree:
            # The peer knows another size than we thought (it, or we, restored a
            # backup): prove consistency from the size it knows.
            state.cosigned = frame.known_size
            return self.request_for(peer)
        offered = self._keeper.latest()
        if frame.code is WitnessRefusalCode.OLD_SIZE_MISMATCH:
            kind = "rollback"
            detail = (
                f"{peer.party} has cosigned {frame.known_size} entries of our record, "
                f"but this terminal holds only {tree}: our record was cut or restored "
                "from an old backup"
            )
        else:
            kind = _CONFLICT_KIND.get(frame.code, "refused")
            detail = f"{peer.party} refused our checkpoint of size {frame.size}: {frame.reason}"
        self._conflict(
            log_owner="ours",
            peer=peer,
            kind=kind,
            known=b"",
            offered=offered.note if offered is not None else b"",
            proof=(),
            detail=detail,
        )
        return None

    def overdue(self) -> None:
        """Raise ``cosign-overdue`` for a peer that has owed a cosignature too long."""
        now = self._clock.monotonic()
        for party, state in self._peers.items():
            if state.owing_since is None:
                continue
            waited = now - state.owing_since
            if waited >= self._settings.cosign_overdue_after:
                self._alarms.raise_alarm(
                    kind=COSIGN_OVERDUE,
                    peer=party,
                    route=None,
                    detail=(
                        f"{party} has not cosigned our record for {waited:.0f} s "
                        f"(it has cosigned {state.cosigned} entries)"
                    ),
                )

    # -- as a witness -----------------------------------------------------

    def answer(self, peer: PeerRecord, frame: proto.WitnessRequest) -> WitnessAnswer:
        """Check a peer's checkpoint against what we cosigned of its log; cosign or refuse."""
        origin = record_origin(peer.party, peer.signing_key)
        offered_size = 0  # the refusal names the size offered, when it could be read
        try:
            note = SignedNote.decode(frame.checkpoint)
            checkpoint = Checkpoint.parse(note.text)
            offered_size = checkpoint.size
            if checkpoint.origin != origin:
                raise CryptoError(f"origin {checkpoint.origin!r} is not {origin!r}")
            key = peer.signing_key
            for signature in note.signatures:
                if signature.name == origin:
                    key = self._peer_key(peer, origin, signature.key_id, ED25519_SIGNATURE_TYPE)
                    break
            # _peer_key names only the address or a key the peer's master certified;
            # a checkpoint carries no time of its own, so no validity window is applied
            # (the two clocks may differ by more than a rotation is old), but a key
            # the peer revoked is refused all the same.
            verify_note(
                note, name=origin, public_key=self._signers.signing_key_for(peer, key, None)
            )
        except KeyRevoked as exc:
            self._refuse_revoked(peer, "checkpoint", exc, size=offered_size)
            return _refusal(offered_size, WitnessRefusalCode.BAD_SIGNATURE, 0, str(exc))
        except (CryptoError, WrongSigner) as exc:
            return _refusal(offered_size, WitnessRefusalCode.BAD_SIGNATURE, 0, str(exc))
        known = self._store.latest_witnessed(peer.party)
        known_size = known.size if known is not None else 0
        if known is not None and checkpoint.size < known.size:
            detail = (
                f"{peer.party} offered a checkpoint of size {checkpoint.size}, smaller than "
                f"size {known.size} we cosigned: its record was cut or restored from a backup"
            )
            self._conflict(
                log_owner=peer.party,
                peer=peer,
                kind="rollback",
                known=known.note,
                offered=frame.checkpoint,
                proof=frame.proof,
                detail=detail,
            )
            return _refusal(checkpoint.size, WitnessRefusalCode.ROLLBACK, known_size, detail)
        if known is not None and checkpoint.size == known.size:
            if checkpoint.root == known.root:
                return self._cosign_again(known, checkpoint)
        elif frame.old_size != known_size:
            return _refusal(
                checkpoint.size,
                WitnessRefusalCode.OLD_SIZE_MISMATCH,
                known_size,
                f"the last checkpoint of this log we cosigned has size {known_size}",
            )
        if known is not None:
            try:
                verify_consistency(
                    known.size, checkpoint.size, known.root, checkpoint.root, frame.proof
                )
            except CryptoError as exc:
                detail = (
                    f"{peer.party}'s checkpoint of size {checkpoint.size} is not consistent "
                    f"with size {known.size} we cosigned ({exc}): its history was rewritten"
                )
                self._conflict(
                    log_owner=peer.party,
                    peer=peer,
                    kind="fork",
                    known=known.note,
                    offered=frame.checkpoint,
                    proof=frame.proof,
                    detail=detail,
                )
                return _refusal(
                    checkpoint.size, WitnessRefusalCode.INCONSISTENT, known_size, detail
                )
        return self._cosign(peer, note, checkpoint)

    def _cosign(
        self, peer: PeerRecord, note: SignedNote, checkpoint: Checkpoint
    ) -> proto.WitnessCosignature:
        signature = cosign(
            note.text,
            name=self._keeper.origin,
            public_key=self._identity.signer_public,
            sign=self._identity.sign,
            timestamp=int(self._clock.now().timestamp()),
        )
        record = WitnessedRecord(
            peer=peer.party,
            size=checkpoint.size,
            root=checkpoint.root,
            note=note.with_signatures(signature).encode(),
            cosigned_at=format_utc(self._clock.now()),
        )
        with self._store.transaction():
            self._store.add_witnessed(record)
        return proto.WitnessCosignature(size=checkpoint.size, signature=signature.line().encode())

    def _refuse_revoked(self, peer: PeerRecord, what: str, exc: KeyRevoked, *, size: int) -> None:
        refuse_revoked_use(
            alarms=self._alarms,
            journal=self._journal,
            peer=peer.party,
            what=what,
            error=exc,
            size=size,
        )

    def _peer_key(self, peer: PeerRecord, name: str, key_id: bytes, kind: int) -> bytes:
        """The signing key of ``peer`` a note signature's key ID names (its address if none).

        A key ID is a hash of the log name and the key: after a rotation the
        peer's checkpoints and cosignatures name its new key under the same name.
        """
        for key in self._signers.keys_of(peer):
            if note_key_id(name, key, kind) == key_id:
                return key
        return peer.signing_key

    def _cosign_again(
        self, known: WitnessedRecord, checkpoint: Checkpoint
    ) -> proto.WitnessCosignature:
        """The same checkpoint again (the answer was lost): the cosignature we gave."""
        held = SignedNote.decode(known.note)
        ours = [s for s in held.signatures if s.name == self._keeper.origin][-1]
        return proto.WitnessCosignature(size=checkpoint.size, signature=ours.line().encode())

    # -- conflicts --------------------------------------------------------

    def _conflict(
        self,
        *,
        log_owner: str,
        peer: PeerRecord,
        kind: str,
        known: bytes,
        offered: bytes,
        proof: tuple[bytes, ...],
        detail: str,
    ) -> None:
        """Keep the evidence, journal it, raise the alarm (once per distinct conflict)."""
        key = (log_owner, peer.party, kind)
        if key not in self._conflicts_seen:
            self._conflicts_seen.add(key)
            record = RecordConflictRecord(
                id=None,
                log=log_owner,
                peer=peer.party,
                kind=kind,
                detected_at=format_utc(self._clock.now()),
                known=known,
                offered=offered,
                proof=proof,
                detail=detail,
            )
            with self._store.transaction():
                conflict_id = self._store.add_record_conflict(record)
                self._journal(
                    "record conflict",
                    {
                        "id": conflict_id,
                        "log": log_owner,
                        "peer": peer.party,
                        "kind": kind,
                        "detail": detail,
                    },
                )
            log.error("record conflict with %s (%s): %s", peer.party, kind, detail)
        self._alarms.raise_alarm(kind=RECORD_CONFLICT, peer=peer.party, route=None, detail=detail)


def _refusal(
    size: int, code: WitnessRefusalCode, known_size: int, reason: str
) -> proto.WitnessRefusal:
    return proto.WitnessRefusal(size=size, known_size=known_size, code=code, reason=reason[:200])


_CONFLICT_KIND = {
    WitnessRefusalCode.INCONSISTENT: "fork",
    WitnessRefusalCode.ROLLBACK: "rollback",
    WitnessRefusalCode.BAD_SIGNATURE: "bad-signature",
    WitnessRefusalCode.UNKNOWN_LOG: "unknown-log",
}
