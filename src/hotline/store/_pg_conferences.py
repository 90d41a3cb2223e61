"""The PostgreSQL statements behind conferences (schema migration 10).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_conferences`` (its checks are the same): ``conferences``,
``conference_rosters`` and ``conference_answers``, all append-only by trigger
(UPDATE, DELETE and TRUNCATE are refused). A roster version references its
conference and an answer its roster version, so a stray row fails as a
foreign-key error. The identity columns ``seq`` keep the order conferences and
answers were stored in, which SQLite reads from ``rowid``; an answer's
``message_id`` is UTF-8 ``BYTEA``, as every message id is here.
"""

# Every interpolated name below is a module constant; values always go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

import json
from typing import Any

from hotline.errors import StoreError
from hotline.store._pg_core import PostgreSQLCore
from hotline.store._pg_messages import decode_text
from hotline.store._sqlite_conferences import _conference, _roster, _text
from hotline.store.interfaces._conferences import (
    CONFERENCE_ANSWERS,
    CONFERENCE_ROLES,
    ConferenceAnswer,
    ConferenceRecord,
    ConferenceStore,
    RosterRecord,
)

__all__ = ["PostgreSQLConferenceStore"]

_CONFERENCE_COLUMNS = "id, name, convener, role, created_at"
_ROSTER_COLUMNS = "conference, version, roster, group_id, direction, at"
_ANSWER_COLUMNS = "conference, version, party, answer, missing, at, message_id"


def _answer(row: Any) -> ConferenceAnswer:
    conference, version, party, answer, missing, at, message_id = row
    return ConferenceAnswer(
        conference=conference,
        version=int(version),
        party=party,
        answer=answer,
        missing=tuple(json.loads(missing)),
        at=at,
        message_id=None if message_id is None else decode_text("id", message_id),
    )


class PostgreSQLConferenceStore(PostgreSQLCore, ConferenceStore):
    """:class:`~hotline.store.interfaces.ConferenceStore` on the three conference tables."""

    def add_conference(self, conference: ConferenceRecord) -> None:
        values = tuple(
            _text(name, getattr(conference, name))
            for name in ("id", "name", "convener", "role", "created_at")
        )
        if conference.role not in CONFERENCE_ROLES:
            raise StoreError(f"conference {conference.id}: unknown role {conference.role!r}")
        with self._writing("store a conference") as connection:
            if self.get_conference(conference.id) is not None:
                raise StoreError(f"conference {conference.id} is already stored")
            connection.execute(
                f"INSERT INTO conferences ({_CONFERENCE_COLUMNS}) VALUES (%s, %s, %s, %s, %s)",
                values,
            )

    def get_conference(self, conference_id: str) -> ConferenceRecord | None:
        rows = self._read(
            "read a conference",
            f"SELECT {_CONFERENCE_COLUMNS} FROM conferences WHERE id = %s",
            (conference_id,),
        )
        return _conference(rows[0]) if rows else None

    def list_conferences(self) -> list[ConferenceRecord]:
        rows = self._read(
            "list conferences", f"SELECT {_CONFERENCE_COLUMNS} FROM conferences ORDER BY seq"
        )
        return [_conference(row) for row in rows]

    def add_roster(self, roster: RosterRecord) -> None:
        _text("roster's group id", roster.group_id)
        _text("roster's time", roster.at)
        if not isinstance(roster.version, int) or roster.version < 1:
            raise StoreError(f"a roster version must be an int >= 1, not {roster.version!r}")
        if not isinstance(roster.roster, bytes) or not roster.roster:
            raise StoreError("a roster must be non-empty bytes")
        if roster.direction not in ("sent", "received"):
            raise StoreError(f"a roster's direction is sent or received, not {roster.direction!r}")
        with self._writing("store a roster version") as connection:
            if self.get_conference(roster.conference) is None:
                raise StoreError(f"no conference {roster.conference} to store a roster for")
            latest = self.latest_roster(roster.conference)
            if latest is not None and roster.version <= latest.version:
                raise StoreError(
                    f"conference {roster.conference} already has roster version "
                    f"{latest.version}; version {roster.version} is not newer"
                )
            connection.execute(
                f"INSERT INTO conference_rosters ({_ROSTER_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    roster.conference,
                    roster.version,
                    roster.roster,
                    roster.group_id,
                    roster.direction,
                    roster.at,
                ),
            )

    def rosters(self, conference_id: str) -> list[RosterRecord]:
        rows = self._read(
            "read a conference's rosters",
            f"SELECT {_ROSTER_COLUMNS} FROM conference_rosters WHERE conference = %s "
            "ORDER BY version",
            (conference_id,),
        )
        return [_roster(row) for row in rows]

    def latest_roster(self, conference_id: str) -> RosterRecord | None:
        rows = self._read(
            "read a conference's roster",
            f"SELECT {_ROSTER_COLUMNS} FROM conference_rosters WHERE conference = %s "
            "ORDER BY version DESC LIMIT 1",
            (conference_id,),
        )
        return _roster(rows[0]) if rows else None

    def add_answer(self, answer: ConferenceAnswer) -> None:
        _text("answering party", answer.party)
        _text("answer's time", answer.at)
        if answer.answer not in CONFERENCE_ANSWERS:
            raise StoreError(f"a conference answer is one of {CONFERENCE_ANSWERS}")
        if not all(isinstance(party, str) and party for party in answer.missing):
            raise StoreError("an answer's missing parties must be non-empty strs")
        message_id = (
            None
            if answer.message_id is None
            else _text("answer's message id", answer.message_id).encode("utf-8")
        )
        with self._writing("store a conference answer") as connection:
            known = self._read(
                "find a roster version",
                "SELECT 1 FROM conference_rosters WHERE conference = %s AND version = %s",
                (answer.conference, answer.version),
            )
            if not known:
                raise StoreError(
                    f"conference {answer.conference} has no roster version {answer.version}"
                )
            connection.execute(
                f"INSERT INTO conference_answers ({_ANSWER_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    answer.conference,
                    answer.version,
                    answer.party,
                    answer.answer,
                    json.dumps(list(answer.missing)),
                    answer.at,
                    message_id,
                ),
            )

    def conference_answers(self, conference_id: str) -> list[ConferenceAnswer]:
        rows = self._read(
            "read a conference's answers",
            f"SELECT {_ANSWER_COLUMNS} FROM conference_answers WHERE conference = %s ORDER BY seq",
            (conference_id,),
        )
        return [_answer(row) for row in rows]
