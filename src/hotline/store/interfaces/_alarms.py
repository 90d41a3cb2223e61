"""Alarms about the line: raised, acknowledged, cleared."""

from __future__ import annotations

from abc import ABC, abstractmethod

from hotline.store.records import AlarmRecord

__all__ = ["AlarmStore"]


class AlarmStore(ABC):
    """Alarms, each raised once, acknowledged at most once, cleared at most once.

    Contract: an alarm's id is unique (StoreError on a second ``add_alarm``); once
    cleared it never changes again; alarms are never deleted.
    """

    @abstractmethod
    def add_alarm(self, alarm: AlarmRecord) -> None:
        """Store a newly raised (open) alarm."""

    @abstractmethod
    def clear_alarm(self, alarm_id: str, *, at: str, by: str) -> AlarmRecord | None:
        """Clear an open alarm; return it cleared, or None if it is unknown or already cleared."""

    @abstractmethod
    def open_alarms(self) -> list[AlarmRecord]:
        """Every alarm not yet cleared, oldest first."""

    @abstractmethod
    def acknowledge_alarm(self, alarm_id: str, *, at: str, by: str) -> AlarmRecord | None:
        """Mark an open alarm seen by ``by``; None if unknown, cleared, or already acknowledged."""
