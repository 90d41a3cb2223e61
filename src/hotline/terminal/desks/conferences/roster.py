"""A conference's roster and what this terminal knows of each member: the shapes, no I/O.

The roster map (docs/protocol/conferences.md §2) travels in the body of a
``conference`` group message under ``"conference"``::

    {"id": <conference id>, "name": <name>, "convener": <party>, "version": <int >= 1>,
     "parties": [{"party": <name>, "key": <32-byte signing key>, "fingerprint": <str>}, ...]}

It is stored as that map's canonical CBOR, so what a member holds is byte for
byte what the convener signed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2

from hotline.crypto import validate_message_id
from hotline.errors import EnvelopeInvalid, InvalidArgument

__all__ = [
    "CONFERENCE_KIND",
    "MAX_MEMBERS",
    "Conference",
    "MemberView",
    "Roster",
    "RosterMember",
    "check_name",
]

#: The envelope kind of rosters and answers.
CONFERENCE_KIND = "conference"
#: The most parties one roster names (one payload names at most 256 recipients).
MAX_MEMBERS = 257
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_KEY_BYTES = 32


def check_name(name: str) -> str:
    """A conference name, or InvalidArgument saying what one looks like."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidArgument(
            f"{name!r} is not a conference name: 1 to 32 of a-z, 0-9, '_' and '-', "
            "starting with a letter or digit"
        )
    return name


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterMember:
    """One party of a roster: its name as on its card, signing key and fingerprint."""

    party: str
    key: bytes
    fingerprint: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Roster:
    """One version of a conference's roster, as signed by its convener."""

    id: str
    name: str
    convener: str
    version: int
    #: The convener first, then the others in the order they were named.
    parties: tuple[RosterMember, ...]

    def to_map(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "convener": self.convener,
            "version": self.version,
            "parties": [
                {"party": m.party, "key": m.key, "fingerprint": m.fingerprint} for m in self.parties
            ],
        }

    def encode(self) -> bytes:
        """The canonical CBOR of :meth:`to_map`, as stored."""
        return bytes(cbor2.dumps(self.to_map(), canonical=True))

    @classmethod
    def decode(cls, data: bytes) -> Roster:
        return cls.from_map(cbor2.loads(data))

    @classmethod
    def from_map(cls, found: object) -> Roster:
        """Parse a roster map; InvalidArgument saying what is wrong."""
        if not isinstance(found, Mapping) or set(found) != {
            "id",
            "name",
            "convener",
            "version",
            "parties",
        }:
            raise InvalidArgument("a roster holds exactly id, name, convener, version, parties")
        try:
            validate_message_id(found["id"])
        except EnvelopeInvalid as exc:
            raise InvalidArgument(f"the conference id is not valid: {exc}") from None
        check_name(found["name"])
        version = found["version"]
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InvalidArgument("a roster version is an integer >= 1")
        entries = found["parties"]
        if not isinstance(entries, list) or not 2 <= len(entries) <= MAX_MEMBERS:
            raise InvalidArgument(f"a roster names 2 to {MAX_MEMBERS} parties")
        parties = []
        for entry in entries:
            if (
                not isinstance(entry, Mapping)
                or set(entry) != {"party", "key", "fingerprint"}
                or not isinstance(entry["party"], str)
                or not entry["party"]
                or not isinstance(entry["key"], bytes)
                or len(entry["key"]) != _KEY_BYTES
                or not isinstance(entry["fingerprint"], str)
            ):
                raise InvalidArgument(
                    "each roster party is {party: name, key: 32-byte key, fingerprint: str}"
                )
            parties.append(
                RosterMember(
                    party=entry["party"], key=entry["key"], fingerprint=entry["fingerprint"]
                )
            )
        names = [m.party for m in parties]
        keys = [m.key for m in parties]
        if len(set(names)) != len(names) or len(set(keys)) != len(keys):
            raise InvalidArgument("a roster names each party and key once")
        convener = found["convener"]
        if not isinstance(convener, str) or convener not in names:
            raise InvalidArgument("the convener must be one of the roster's parties")
        return cls(
            id=found["id"],
            name=found["name"],
            convener=convener,
            version=version,
            parties=tuple(parties),
        )

    def member(self, *, key: bytes) -> RosterMember | None:
        """The party with this signing key, if it is on the roster."""
        return next((m for m in self.parties if m.key == key), None)

    def named(self, party: str) -> RosterMember | None:
        return next((m for m in self.parties if m.party == party), None)

    @property
    def convener_member(self) -> RosterMember:
        found = self.named(self.convener)
        assert found is not None  # from_map and the desk guarantee it
        return found

    def names(self) -> list[str]:
        return [m.party for m in self.parties]


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberView:
    """One member as this terminal knows it: its answer to the newest roster, and why."""

    party: str
    fingerprint: str
    #: "convener", "invited", "joined", "refused", or None (a member does not
    #: learn the other members' answers).
    answer: str | None
    #: The parties it said it has no line to.
    missing: tuple[str, ...]
    at: str | None
    #: True for this terminal's own party.
    us: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "fingerprint": self.fingerprint,
            "answer": self.answer,
            "missing": list(self.missing),
            "at": self.at,
            "us": self.us,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Conference:
    """A conference as :meth:`ConferenceDesk.show` gives it."""

    id: str
    name: str
    convener: str
    #: "convener" or "member".
    role: str
    version: int
    created_at: str
    members: tuple[MemberView, ...]
    #: False once the newest roster no longer names us.
    active: bool

    @property
    def refused(self) -> list[MemberView]:
        return [m for m in self.members if m.answer == "refused"]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "convener": self.convener,
            "role": self.role,
            "version": self.version,
            "created_at": self.created_at,
            "active": self.active,
            "members": [m.to_json() for m in self.members],
        }
