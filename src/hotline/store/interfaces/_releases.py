"""Releases: a marked message made a public statement, by whom and when.

A message may carry handling markings (EYES ONLY, EMBARGOED UNTIL, NOT FOR
RELEASE, a classification; docs/protocol/markings.md). Its sender (or, where
both sides agreed, either party) may later release it: a signed message of kind
``release`` that names it, sent to the peer. Both sides store the release here,
in the transaction that stores the release message, and from then on show the
marked message as a public statement. A message is released at most once, and
a release is never changed or withdrawn.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ReleaseRecord", "ReleaseStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseRecord:
    """The release of one marked message.

    ``released_by`` is the party that signed the release; ``released_at`` the
    UTC time it names; ``public_text`` what may be said in public (None: the
    message's own text); ``release_id`` the id of the release message itself.
    """

    message_id: str
    released_by: str
    released_at: str
    public_text: str | None
    release_id: str


class ReleaseStore(ABC):
    """The releases of marked messages.

    Contract: a message has at most one release, stored once and never changed
    or deleted. :meth:`add_release` refuses (StoreError) a release of a message
    that is not stored, a second release of one message, a release message that
    is not stored or already releases another, and empty fields.
    """

    @abstractmethod
    def add_release(self, release: ReleaseRecord) -> None:
        """Store a release; StoreError if it breaks the contract."""

    @abstractmethod
    def release_of(self, message_id: str) -> ReleaseRecord | None:
        """The release of one message, if it was released."""

    @abstractmethod
    def releases(self, message_ids: Sequence[str]) -> dict[str, ReleaseRecord]:
        """The releases of these messages, by message id (unreleased ones absent)."""
