"""Fencing: the epoch under which the active process of an active/standby pair writes.

Two ``hotline run`` processes of one terminal (docs/ha.md) share one
PostgreSQL store; the one that takes the leader lock raises the epoch, and a
store told its epoch (PostgreSQL's ``fence``) checks it in every write
transaction, so a process that lost the lead writes nothing more. A SQLite file
has one writer process (the directory lock): its epoch stays 0.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

__all__ = ["FencingStore"]


class FencingStore(ABC):
    """The fencing epoch.

    Contract: a new store's epoch is 0; it only rises (only a leader taking
    over raises it, by one, on a backend that has leaders).
    """

    @abstractmethod
    def fencing_epoch(self) -> int:
        """The current fencing epoch (0 until a process first took the lead)."""
