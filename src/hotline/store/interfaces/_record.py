"""The shared record: our Merkle tree over the journal, checkpoints, cosignatures, evidence."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from hotline.store.records import (
    CheckpointRecord,
    CosignatureRecord,
    JournalEntry,
    RecordConflictRecord,
    WitnessedRecord,
)

__all__ = ["RecordStore"]


class RecordStore(ABC):
    """The record's durable side: tree nodes, checkpoints, cosignatures, witnessed checkpoints.

    The journal is the log: entry ``seq`` is leaf ``seq - 1`` of an RFC 6962
    tree. The terminal extends the tree in batches and persists the hash of
    every perfect subtree it completes, node ``(level, index)`` covering leaves
    ``index * 2**level`` up to ``(index + 1) * 2**level``; a proof then reads
    O(log n) nodes. The store keeps hashes and signed notes as opaque bytes and
    never computes or checks a hash or a signature: that is the terminal's job.

    Contract, for every table here: append-only, nothing is ever changed or
    deleted. Adding what is already held (same key and content, whatever our
    own time on it says) is a no-op that keeps the first (a retry after a crash
    must not fail); a *different* record under the same key is refused with
    StoreError, and so is anything that would make a size go backwards:

    * the tree size only grows, and a node, once stored, keeps its hash;
    * our checkpoints: one per size, issued in increasing size;
    * cosignatures of our checkpoints: all kept (evidence), keyed by
      (peer, line);
    * checkpoints we witnessed: all kept, keyed by (peer, note), and per peer
      never smaller than, nor
      at the same size different from, the newest one (a checkpoint that would
      be is a conflict, recorded with :meth:`add_record_conflict` instead);
    * conflicts: all kept, numbered by the store.
    """

    # -- the tree over the journal ------------------------------------------------------

    @abstractmethod
    def record_tree_size(self) -> int:
        """How many leaves the persisted tree covers (0 before the first batch)."""

    @abstractmethod
    def add_record_nodes(self, size: int, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Grow the tree to ``size`` leaves, storing the ``(level, index, hash)`` nodes completed.

        One transaction. StoreError, and nothing stored, if ``size`` is not
        larger than the current size, a node lies outside the first ``size``
        leaves, or a node is already held with another hash (one held with the
        same hash is skipped).
        """

    @abstractmethod
    def record_node(self, level: int, index: int) -> bytes:
        """The hash of node ``(level, index)``; StoreError if it is not stored."""

    @abstractmethod
    def record_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The hashes of the nodes among ``keys`` that are stored (absent ones are left out)."""

    @abstractmethod
    def journal_entries(self, after_seq: int, limit: int) -> list[JournalEntry]:
        """Up to ``limit`` journal entries with seq above ``after_seq``, ascending seq."""

    @abstractmethod
    def journal_entry(self, seq: int) -> JournalEntry | None:
        """The journal entry ``seq``, or None if there is none."""

    # -- our own checkpoints ---------------------------------------------------------------

    @abstractmethod
    def add_checkpoint(self, cp: CheckpointRecord) -> None:
        """Keep a checkpoint we issued; StoreError for a size below the latest or already held."""

    @abstractmethod
    def latest_checkpoint(self) -> CheckpointRecord | None:
        """The checkpoint we issued with the largest size, or None."""

    @abstractmethod
    def checkpoint_at(self, size: int) -> CheckpointRecord | None:
        """The checkpoint we issued at exactly ``size`` leaves, or None."""

    # -- peers' cosignatures of our checkpoints ----------------------------------------------

    @abstractmethod
    def add_cosignature(self, c: CosignatureRecord) -> None:
        """Keep a peer's cosignature of one of our checkpoints."""

    @abstractmethod
    def latest_cosignatures(self) -> dict[str, CosignatureRecord]:
        """Per peer, its newest cosignature: the largest size, then the largest timestamp.

        Between two with the same size and timestamp, the one added last.
        """

    @abstractmethod
    def cosignatures_for(self, size: int) -> list[CosignatureRecord]:
        """Every cosignature of our checkpoint at ``size``, in the order they were added."""

    # -- peers' checkpoints we cosigned ---------------------------------------------------

    @abstractmethod
    def add_witnessed(self, w: WitnessedRecord) -> None:
        """Keep a peer's checkpoint we cosigned.

        StoreError if it is smaller than the newest one held for that peer, or
        the same size with another root.
        """

    @abstractmethod
    def latest_witnessed(self, peer: str) -> WitnessedRecord | None:
        """The newest checkpoint of ``peer``'s log we cosigned (largest size, then added last)."""

    @abstractmethod
    def latest_witnessed_all(self) -> dict[str, WitnessedRecord]:
        """:meth:`latest_witnessed` for every peer we have cosigned for."""

    # -- conflicts -------------------------------------------------------------------------

    @abstractmethod
    def add_record_conflict(self, c: RecordConflictRecord) -> int:
        """Keep evidence of a fork, rollback, bad proof or bad signature; return its new id.

        ``c.id`` must be None (StoreError otherwise): the store numbers
        conflicts 1, 2, 3…
        """

    @abstractmethod
    def record_conflicts(self, limit: int = 100) -> list[RecordConflictRecord]:
        """The newest ``limit`` conflicts, newest first, each with its id."""
