"""What a terminal shows of a joint statement: its state, drafts and each party's signature.

:func:`statement_view` turns a derived
:class:`~hotline.terminal.core.joint.StatementStatus` and the stored
signatures into the one shape both HTTP APIs answer (``to_json``) and the CLI
prints: the current draft's texts, every draft's id and texts (for the
differences between revisions), and each party: signed (by whom, when) or
waiting since the current draft circulated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hotline.store import StatementSignatureRecord
from hotline.terminal.core.joint import StatementStatus

__all__ = ["PartyView", "StatementView", "statement_view"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyView:
    """One party of a statement: whether its signature on the current draft counts, and since when."""

    party: str
    key: bytes
    signed: bool
    person: str | None
    signed_at: str | None
    #: While unsigned: when the current draft circulated (what it has waited since).
    waiting_since: str | None
    us: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "key": self.key.hex(),
            "signed": self.signed,
            "person": self.person,
            "signed_at": self.signed_at,
            "waiting_since": self.waiting_since,
            "us": self.us,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementView:
    """A statement as :meth:`StatementDesk.show` gives it."""

    status: StatementStatus
    parties: tuple[PartyView, ...]
    signatures: tuple[StatementSignatureRecord, ...]

    @property
    def id(self) -> str:
        return self.status.id

    @property
    def state(self) -> str:
        return str(self.status.state)

    def to_json(self) -> dict[str, Any]:
        status, current = self.status, self.status.current
        return {
            "id": status.id,
            "current": current.id,
            "title": current.title,
            "conference": current.conference,
            "state": self.state,
            "policy": {"k": current.k, "n": current.n},
            "signed": len(status.counted),
            "effective": current.effective,
            "expires": current.expires,
            "authoritative": current.authoritative,
            "texts": dict(current.texts),
            "drafter": status.first.drafter,
            "drafted_at": status.first.drafted_at,
            "revised_at": current.drafted_at if len(status.drafts) > 1 else None,
            "in_force_at": status.in_force_at,
            "withdrawn_at": status.withdrawn_at,
            "releases": (
                None
                if current.releases is None
                else {
                    "message": current.releases.message,
                    "envelope_hash": current.releases.envelope_hash,
                    "group": current.releases.group,
                }
            ),
            "parties": [p.to_json() for p in self.parties],
            "drafts": [
                {
                    "id": d.id,
                    "previous": d.previous,
                    "drafter": d.drafter,
                    "drafted_at": d.drafted_at,
                    "texts": dict(d.texts),
                }
                for d in status.drafts
            ],
            "signatures": [
                {
                    "draft": s.draft,
                    "party": s.party,
                    "person": s.person,
                    "person_key": s.person_key.hex(),
                    "signed_at": s.signed_at,
                    "counts": status.counted.get(s.party) is not None
                    and status.counted[s.party].person_key == s.person_key
                    and s.draft == current.id,
                }
                for s in self.signatures
            ],
        }


def statement_view(
    status: StatementStatus, signatures: Sequence[StatementSignatureRecord], *, us: str
) -> StatementView:
    current = status.current
    parties = []
    for p in current.parties:
        counted = status.counted.get(p.party)
        parties.append(
            PartyView(
                party=p.party,
                key=p.key,
                signed=counted is not None,
                person=None if counted is None else counted.person,
                signed_at=None if counted is None else counted.signed_at,
                waiting_since=current.drafted_at if counted is None else None,
                us=p.party == us,
            )
        )
    return StatementView(status=status, parties=tuple(parties), signatures=tuple(signatures))
