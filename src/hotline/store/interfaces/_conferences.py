"""Conferences: a named, standing group of parties convened by one of them.

A conference (docs/protocol/conferences.md) is kept as one row that never
changes (its id, name, convener and our role in it), the roster versions as
they were sent or received (the signed roster map, byte for byte, and the
group message that carried it), and every answer to a roster version
(invited, joined or refused, with the parties a member had no line to). All
three are append-only: a new roster is a new version, a new answer a new row;
the current state is the latest of each.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = [
    "CONFERENCE_ANSWERS",
    "CONFERENCE_ROLES",
    "ConferenceAnswer",
    "ConferenceRecord",
    "ConferenceStore",
    "RosterRecord",
]

#: Our part in a conference: we convened it, or a convener named us.
CONFERENCE_ROLES = ("convener", "member")
#: What a member said to a roster version ("invited" until it answers).
CONFERENCE_ANSWERS = ("invited", "joined", "refused")


@dataclass(frozen=True, slots=True, kw_only=True)
class ConferenceRecord:
    """A conference as this terminal knows it; never changed once stored."""

    id: str
    name: str
    convener: str
    role: str
    created_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterRecord:
    """One roster version: the signed roster map (canonical CBOR) and the group that carried it."""

    conference: str
    version: int
    #: The canonical CBOR of the ``conference`` map of the roster body.
    roster: bytes
    #: The group id of the roster message (every member got the same bytes).
    group_id: str
    #: "sent" (we convened) or "received".
    direction: str
    at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConferenceAnswer:
    """A member's answer to one roster version."""

    conference: str
    version: int
    party: str
    answer: str
    #: The roster's parties the member has no line to (why it refused).
    missing: tuple[str, ...] = ()
    at: str
    #: The message that carried the answer (None for "invited", which is ours).
    message_id: str | None = None


class ConferenceStore(ABC):
    """Conferences, their roster versions and the members' answers.

    Contract: every row is stored once and never changed or deleted.
    :meth:`add_conference` refuses (StoreError) an id already stored, an
    unknown role and empty fields; :meth:`add_roster` refuses an unknown
    conference and a version not above the latest stored one;
    :meth:`add_answer` refuses an unknown conference or roster version and an
    unknown answer. Names are not unique here (a member may be named in two
    conferences of one name by different conveners); the desk keeps its own
    conferences' names unique.
    """

    @abstractmethod
    def add_conference(self, conference: ConferenceRecord) -> None:
        """Store a new conference; StoreError if its id is taken or a field is bad."""

    @abstractmethod
    def get_conference(self, conference_id: str) -> ConferenceRecord | None:
        """The conference with this id, or None."""

    @abstractmethod
    def list_conferences(self) -> list[ConferenceRecord]:
        """Every conference, in the order they were stored."""

    @abstractmethod
    def add_roster(self, roster: RosterRecord) -> None:
        """Store a roster version above the latest; StoreError otherwise."""

    @abstractmethod
    def rosters(self, conference_id: str) -> list[RosterRecord]:
        """Every roster version of a conference, oldest first ([] if unknown)."""

    @abstractmethod
    def latest_roster(self, conference_id: str) -> RosterRecord | None:
        """The conference's newest roster version, or None."""

    @abstractmethod
    def add_answer(self, answer: ConferenceAnswer) -> None:
        """Store an answer to a stored roster version; StoreError otherwise."""

    @abstractmethod
    def conference_answers(self, conference_id: str) -> list[ConferenceAnswer]:
        """Every answer to every roster version of a conference, in the order stored."""
