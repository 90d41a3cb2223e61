"""Joint statements: every draft of each statement, every signature, and how each ended.

A joint statement (docs/protocol/statements.md) is a chain of drafts: the
first names the statement, each later one revises the one before. Every party's
terminal stores the drafts it drafted or received byte for byte (their id is
the hash of those bytes), the signatures (a person's, endorsed by their party),
and at most one outcome per statement: in force, withdrawn or expired. All
three tables are append-only; the state is derived from them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = [
    "StatementDraftRecord",
    "StatementOutcomeRecord",
    "StatementSignatureRecord",
    "StatementStore",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementDraftRecord:
    """One draft: its id, the statement it belongs to (the first draft's id), its bytes."""

    id: str
    #: The first draft's id (equal to ``id`` for the first draft).
    statement: str
    #: The canonical CBOR payload; ``id`` is its hash (the desk checks, the store keeps).
    payload: bytes
    #: The draft this one revises; None for the first.
    previous: str | None
    drafter: str
    drafted_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementSignatureRecord:
    """A person's signature on one draft, and their party's endorsement of it."""

    draft: str
    party: str
    person: str
    person_key: bytes
    person_sig: bytes
    endorsement: bytes
    signed_at: str
    #: The party's signing key that endorsed, when it is not the party's address (a
    #: rotated key: the signature's "sk", docs/protocol/statements.md §2); None: the address.
    sk: bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementOutcomeRecord:
    """How a statement ended: ``in-force``, ``withdrawn`` or ``expired``, on which draft, when."""

    statement: str
    outcome: str
    draft: str
    #: The party that withdrew it; for in-force and expired, this terminal's party.
    actor: str
    at: str


#: The outcomes a statement may end in.
OUTCOMES = frozenset({"in-force", "withdrawn", "expired"})


class StatementStore(ABC):
    """Drafts, signatures and outcomes of joint statements (append-only).

    Contract: a draft is stored once (StoreError for a second with its id);
    a first draft has no ``previous`` and ``statement == id``; a later one names
    a stored draft of the same statement as ``previous``, and each draft is
    revised at most once (the chain never forks). A signature names a stored
    draft and is stored once per (draft, party, person key). A statement has
    at most one outcome, one of :data:`OUTCOMES`, on one of its drafts.
    """

    @abstractmethod
    def add_statement_draft(self, draft: StatementDraftRecord) -> None:
        """Store a draft; StoreError if it breaks the contract."""

    @abstractmethod
    def statement_draft(self, draft_id: str) -> StatementDraftRecord | None:
        """The draft with that id, of any statement."""

    @abstractmethod
    def statement_drafts(self, statement: str) -> list[StatementDraftRecord]:
        """Every draft of a statement, first to current (empty if unknown)."""

    @abstractmethod
    def list_statements(self) -> list[str]:
        """Every statement's id (its first draft's), oldest first."""

    @abstractmethod
    def add_statement_signature(self, signature: StatementSignatureRecord) -> None:
        """Store a signature; StoreError if its draft is unknown or it is stored already."""

    @abstractmethod
    def statement_signatures(self, statement: str) -> list[StatementSignatureRecord]:
        """Every signature on any draft of a statement, in the order stored."""

    @abstractmethod
    def add_statement_outcome(self, outcome: StatementOutcomeRecord) -> None:
        """Store how a statement ended; StoreError for a second outcome or an unknown draft."""

    @abstractmethod
    def statement_outcome(self, statement: str) -> StatementOutcomeRecord | None:
        """How the statement ended, if it did."""
