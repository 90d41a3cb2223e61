"""What parties arrange with each other: calls, presence requests and meetings."""

from __future__ import annotations

from abc import ABC, abstractmethod

from hotline.store.records import CallRecord, MeetingRecord, PresenceRecord

__all__ = ["CallStore", "MeetingStore"]


class CallStore(ABC):
    """Call records and presence requests, each written whole on every change.

    Contract: a call's record is replaced until it has an outcome, then final
    (StoreError on a change); a presence request is answered once. Neither is
    ever deleted. Listings are newest first, by the order records were first
    stored.
    """

    @abstractmethod
    def put_call(self, call: CallRecord) -> None:
        """Store a call's record (insert or replace); an ended call's record is final."""

    @abstractmethod
    def get_call(self, call_id: str) -> CallRecord | None:
        """The call with that id, if known."""

    @abstractmethod
    def list_calls(self, limit: int = 200) -> list[CallRecord]:
        """Calls, newest first."""

    @abstractmethod
    def live_calls(self) -> list[CallRecord]:
        """Calls not ended yet, oldest first."""

    @abstractmethod
    def put_presence(self, request: PresenceRecord) -> None:
        """Store a presence request (insert or replace); an answer is given once."""

    @abstractmethod
    def get_presence(self, request_id: str) -> PresenceRecord | None:
        """The presence request with that id, if known."""

    @abstractmethod
    def list_presence(self, limit: int = 100, *, open_only: bool = False) -> list[PresenceRecord]:
        """Presence requests, newest first (only unanswered ones with ``open_only``)."""


class MeetingStore(ABC):
    """Meeting proposals and the state their replies have brought them to."""

    @abstractmethod
    def put_meeting(self, meeting: MeetingRecord) -> None:
        """Store a meeting proposal's current state (insert or replace)."""

    @abstractmethod
    def get_meeting(self, proposal_id: str) -> MeetingRecord | None:
        """The meeting proposed by that message, if known."""

    @abstractmethod
    def list_meetings(self) -> list[MeetingRecord]:
        """Every known meeting, most recently changed first."""
