"""The terminal's own log: the journal as an RFC 6962 tree, and the checkpoints that sign it.

The journal already holds every record the terminal makes or accepts (a
message queued or received, a receipt, an acknowledgement, a call, a shift
note, an alarm, a refusal, a peer added), each bound to its signed bytes by
hash. Journal entry ``seq`` is leaf ``seq - 1`` of the log; its leaf data is
:func:`hotline.store.journal_leaf_data` (docs/protocol/record.md).

Appending a journal entry costs delivery nothing more than before: the tree
is extended in batches, off the message path, by :meth:`RecordKeeper.extend`,
which hashes the new leaves and stores the perfect subtrees they complete
(on average two nodes per leaf). Roots and proofs then read O(log n) stored
nodes. A checkpoint (C2SP ``tlog-checkpoint``, signed as a ``signed-note``
with the terminal's Ed25519 key) is issued when the tree has grown: the keeper
looks once every ``[record] checkpoint_interval``, so a busy log is signed that
often, one signature for the whole batch, and an idle one costs one small read
per interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hotline.crypto import (
    Checkpoint,
    Identity,
    SignedNote,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    sign_note,
    tree_root,
)
from hotline.store import CheckpointRecord, Store, journal_leaf_data
from hotline.terminal.config.settings import RecordSettings
from hotline.terminal.record.origin import record_origin
from hotline.terminal.runtime.clock import Clock
from hotline.utc import format_utc

__all__ = ["EXTEND_BATCH", "RecordKeeper", "RecordTree"]

log = logging.getLogger("hotline.record")

#: Journal entries hashed into the tree per store transaction.
EXTEND_BATCH = 4096
#: Perfect nodes kept in memory: they never change, and proofs reuse the upper ones.
_NODE_CACHE = 65536


@dataclass(frozen=True, slots=True)
class RecordTree:
    """The tree's size and root as stored now (not necessarily checkpointed)."""

    size: int
    root: bytes


class RecordKeeper:
    """Extends the log's tree from the journal, signs checkpoints, and answers proofs."""

    def __init__(
        self, *, store: Store, identity: Identity, clock: Clock, settings: RecordSettings
    ) -> None:
        self._store = store
        self._identity = identity
        self._clock = clock
        self._settings = settings
        self.origin = record_origin(identity.party, identity.signing_public)
        self._nodes: dict[tuple[int, int], bytes] = {}
        #: Monotonic time this process last looked for growth (None: not yet). Set
        #: whether or not a checkpoint came of it, so an idle log is read once per
        #: interval, not on every supervisor tick.
        self._checked_at: float | None = None

    # -- the tree ---------------------------------------------------------

    def perfect(self, level: int, index: int) -> bytes:
        """The hash of a perfect subtree (level 0: a leaf hash), from the store."""
        key = (level, index)
        cached = self._nodes.get(key)
        if cached is None:
            cached = self._store.record_node(level, index)
            if len(self._nodes) >= _NODE_CACHE:
                self._nodes.clear()
            self._nodes[key] = cached
        return cached

    @property
    def size(self) -> int:
        """Leaves in the stored tree."""
        return self._store.record_tree_size()

    def root(self, size: int) -> bytes:
        """The root of the first ``size`` leaves (the tree must hold that many)."""
        return tree_root(size, self.perfect)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size``."""
        return inclusion_proof(index, size, self.perfect)

    def consistency(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 consistency proof from the tree of ``old_size`` to ``new_size``."""
        return consistency_proof(old_size, new_size, self.perfect)

    def extend(self) -> RecordTree:
        """Hash every journal entry not yet in the tree into it; return the tree."""
        size = self._store.record_tree_size()
        builder = TreeBuilder.resume(size, self.perfect)
        while True:
            entries = self._store.journal_entries(size, EXTEND_BATCH)
            if not entries:
                break
            nodes: list[tuple[int, int, bytes]] = []
            for entry in entries:
                if entry.seq != size + 1:
                    # The journal's own contract forbids a gap; never build over one.
                    raise RuntimeError(f"journal seq {entry.seq} follows leaf count {size}")
                nodes.extend(builder.append(leaf_hash(journal_leaf_data(entry))))
                size += 1
            with self._store.transaction():
                self._store.add_record_nodes(size, nodes)
            for level, index, value in nodes:
                if level > 0:
                    self._nodes[(level, index)] = value
            if len(entries) < EXTEND_BATCH:
                break
        return RecordTree(size=size, root=builder.root())

    # -- checkpoints ------------------------------------------------------

    def latest(self) -> CheckpointRecord | None:
        return self._store.latest_checkpoint()

    def due(self) -> bool:
        """Whether the checkpoint interval has passed since this process last looked."""
        return (
            self._checked_at is None
            or self._clock.monotonic() - self._checked_at >= self._settings.checkpoint_interval
        )

    def checkpoint(self, *, force: bool = False) -> CheckpointRecord | None:
        """Extend the tree and sign a checkpoint if it grew; None if nothing is new.

        Unless ``force``, only when :meth:`due`. The checkpoint is stored before
        it is returned (and so before any peer sees it).
        """
        if not force and not self.due():
            return None
        self._checked_at = self._clock.monotonic()
        tree = self.extend()
        latest = self._store.latest_checkpoint()
        if tree.size == 0 or (latest is not None and latest.size >= tree.size):
            return None
        body = Checkpoint(origin=self.origin, size=tree.size, root=tree.root).body()
        signature = sign_note(
            body,
            name=self.origin,
            # The current signer: after a rotation, the checkpoint's key ID names
            # the new key under the same log name (the origin is of the address).
            public_key=self._identity.signer_public,
            sign=self._identity.sign,
        )
        record = CheckpointRecord(
            size=tree.size,
            root=tree.root,
            note=SignedNote(text=body, signatures=(signature,)).encode(),
            issued_at=format_utc(self._clock.now()),
        )
        with self._store.transaction():
            self._store.add_checkpoint(record)
        log.debug("checkpoint %s size %d", self.origin, tree.size)
        return record
