"""Messages to several parties: which per-line copies carry one payload.

A message sent to several parties at once (docs/protocol/parties.md) is one
payload, committed to once, sealed over each recipient's own line as an
ordinary message with that line's serial. The copies are linked here by the
group id they share, with the payload's hash (the body commitment every copy's
header carries) and the conference they belong to, if any. The links are made
in the transaction that stores the copies and are never changed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["GroupLink", "GroupStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupLink:
    """One per-line copy of a group message: its message id, the group, the payload, the conference."""

    message_id: str
    group_id: str
    payload_hash: bytes
    conference: str | None = None


class GroupStore(ABC):
    """The links between a group's per-line copies.

    Contract: a message has at most one link, made once and never changed or
    deleted; :meth:`add_group_links` stores all of its links or none, and
    refuses (StoreError) a message that is not stored or already linked, a
    payload hash that is not 32 bytes, and empty ids.
    """

    @abstractmethod
    def add_group_links(self, links: Sequence[GroupLink]) -> None:
        """Link stored messages to their group; all or none, else StoreError."""

    @abstractmethod
    def group_links(self, message_ids: Sequence[str]) -> dict[str, GroupLink]:
        """The links of these messages, by message id (unlinked ones absent)."""

    @abstractmethod
    def group_members(self, group_id: str) -> list[GroupLink]:
        """Every copy of one group, in the order they were linked ([] for an unknown group)."""

    @abstractmethod
    def conference_groups(self, conference: str, *, limit: int | None = None) -> list[str]:
        """The group ids of a conference's messages, newest first."""
