"""The SQLite statements behind joint statements (``statement_drafts``, ``_signatures``, ``_outcomes``).

A mixin of :class:`~hotline.store.SQLiteStore`. The three tables are
append-only (their triggers refuse UPDATE and DELETE). The queries are written
once, with the placeholder as a class attribute, so the PostgreSQL mixin
(``_pg_statements``) runs the same ones with ``%s``: both dialects hold the
same columns and the ids and names are plain text in both.
"""

# ruff: noqa: S608
# The interpolated names are this module's own column lists and placeholders; every value is bound.

from __future__ import annotations

from typing import Any

from hotline.errors import StoreError
from hotline.store._queries import DialectQueries
from hotline.store._sqlite_core import SQLiteCore
from hotline.store.interfaces._statements import (
    OUTCOMES,
    StatementDraftRecord,
    StatementOutcomeRecord,
    StatementSignatureRecord,
    StatementStore,
)

__all__ = ["SQLiteStatementStore", "StatementQueries"]

_DRAFT_COLUMNS = "id, statement, payload, previous, drafter, drafted_at"
_SIGNATURE_COLUMNS = "draft, party, person, person_key, person_sig, endorsement, signed_at, sk"
_OUTCOME_COLUMNS = "statement, outcome, draft, actor, at"


def _text(what: str, value: object) -> str:
    if not isinstance(value, str) or not value or "\x00" in value:
        raise StoreError(f"a statement's {what} must be a non-empty str, not {value!r}")
    return value


def _blob(what: str, value: object) -> bytes:
    if not isinstance(value, bytes) or not value:
        raise StoreError(f"a statement's {what} must be non-empty bytes")
    return value


def _draft(row: Any) -> StatementDraftRecord:
    draft_id, statement, payload, previous, drafter, drafted_at = row
    return StatementDraftRecord(
        id=draft_id,
        statement=statement,
        payload=bytes(payload),
        previous=previous,
        drafter=drafter,
        drafted_at=drafted_at,
    )


def _signature(row: Any) -> StatementSignatureRecord:
    draft, party, person, person_key, person_sig, endorsement, signed_at, sk = row
    return StatementSignatureRecord(
        draft=draft,
        party=party,
        person=person,
        person_key=bytes(person_key),
        person_sig=bytes(person_sig),
        endorsement=bytes(endorsement),
        signed_at=signed_at,
        sk=None if sk is None else bytes(sk),
    )


class StatementQueries(DialectQueries, StatementStore):
    """:class:`~hotline.store.interfaces.StatementStore` over either dialect's core (``_P``)."""

    def add_statement_draft(self, draft: StatementDraftRecord) -> None:
        row = (
            _text("id", draft.id),
            _text("statement", draft.statement),
            _blob("payload", draft.payload),
            None if draft.previous is None else _text("previous", draft.previous),
            _text("drafter", draft.drafter),
            _text("drafted_at", draft.drafted_at),
        )
        with self._writing("store a statement draft") as connection:
            if self.statement_draft(draft.id) is not None:
                raise StoreError(f"draft {draft.id} is stored already")
            if draft.previous is None:
                if draft.statement != draft.id:
                    raise StoreError(f"the first draft {draft.id} names its own statement")
            else:
                before = self.statement_draft(draft.previous)
                if before is None or before.statement != draft.statement:
                    raise StoreError(
                        f"draft {draft.id} revises {draft.previous}, not a stored draft of "
                        f"statement {draft.statement}"
                    )
                if self._rows(
                    "find a revision",
                    "SELECT 1 FROM statement_drafts WHERE previous = ?",
                    (draft.previous,),
                ):
                    raise StoreError(f"draft {draft.previous} is revised already")
            connection.execute(
                self._sql(
                    f"INSERT INTO statement_drafts ({_DRAFT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
                ),
                row,
            )

    def statement_draft(self, draft_id: str) -> StatementDraftRecord | None:
        rows = self._rows(
            "read a statement draft",
            f"SELECT {_DRAFT_COLUMNS} FROM statement_drafts WHERE id = ?",
            (draft_id,),
        )
        return _draft(rows[0]) if rows else None

    def statement_drafts(self, statement: str) -> list[StatementDraftRecord]:
        rows = self._rows(
            "read a statement's drafts",
            f"SELECT {_DRAFT_COLUMNS} FROM statement_drafts WHERE statement = ? ORDER BY seq",
            (statement,),
        )
        return [_draft(row) for row in rows]

    def list_statements(self) -> list[str]:
        rows = self._rows(
            "list statements",
            "SELECT id FROM statement_drafts WHERE previous IS NULL ORDER BY seq",
            (),
        )
        return [str(row[0]) for row in rows]

    def add_statement_signature(self, signature: StatementSignatureRecord) -> None:
        row = (
            _text("draft", signature.draft),
            _text("party", signature.party),
            _text("person", signature.person),
            _blob("person_key", signature.person_key),
            _blob("person_sig", signature.person_sig),
            _blob("endorsement", signature.endorsement),
            _text("signed_at", signature.signed_at),
            None if signature.sk is None else _blob("sk", signature.sk),
        )
        with self._writing("store a statement signature") as connection:
            if self.statement_draft(signature.draft) is None:
                raise StoreError(f"signature on {signature.draft}, which is not a stored draft")
            if self._rows(
                "find a signature",
                "SELECT 1 FROM statement_signatures WHERE draft = ? AND party = ? AND person_key = ?",
                (row[0], row[1], row[3]),
            ):
                raise StoreError(
                    f"{signature.person} of {signature.party} signed draft {signature.draft} already"
                )
            connection.execute(
                self._sql(
                    f"INSERT INTO statement_signatures ({_SIGNATURE_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                row,
            )

    def statement_signatures(self, statement: str) -> list[StatementSignatureRecord]:
        rows = self._rows(
            "read a statement's signatures",
            f"SELECT {', '.join('s.' + c.strip() for c in _SIGNATURE_COLUMNS.split(','))} "
            "FROM statement_signatures s JOIN statement_drafts d ON d.id = s.draft "
            "WHERE d.statement = ? ORDER BY s.seq",
            (statement,),
        )
        return [_signature(row) for row in rows]

    def add_statement_outcome(self, outcome: StatementOutcomeRecord) -> None:
        row = (
            _text("statement", outcome.statement),
            _text("outcome", outcome.outcome),
            _text("draft", outcome.draft),
            _text("actor", outcome.actor),
            _text("at", outcome.at),
        )
        if outcome.outcome not in OUTCOMES:
            raise StoreError(f"{outcome.outcome!r} is not one of {', '.join(sorted(OUTCOMES))}")
        with self._writing("store a statement's outcome") as connection:
            draft = self.statement_draft(outcome.draft)
            if draft is None or draft.statement != outcome.statement:
                raise StoreError(
                    f"outcome of {outcome.statement} on {outcome.draft}, not one of its drafts"
                )
            if self.statement_outcome(outcome.statement) is not None:
                raise StoreError(f"statement {outcome.statement} has ended already")
            connection.execute(
                self._sql(
                    f"INSERT INTO statement_outcomes ({_OUTCOME_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
                ),
                row,
            )

    def statement_outcome(self, statement: str) -> StatementOutcomeRecord | None:
        rows = self._rows(
            "read a statement's outcome",
            f"SELECT {_OUTCOME_COLUMNS} FROM statement_outcomes WHERE statement = ?",
            (statement,),
        )
        if not rows:
            return None
        statement_id, outcome, draft, actor, at = rows[0]
        return StatementOutcomeRecord(
            statement=statement_id, outcome=outcome, draft=draft, actor=actor, at=at
        )


class SQLiteStatementStore(SQLiteCore, StatementQueries):
    """:class:`~hotline.store.interfaces.StatementStore` on SQLite."""
