"""StatementStore: drafts chained without forks, signatures once, one outcome per statement."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from hotline.errors import StoreError
from hotline.store import (
    StatementDraftRecord,
    StatementOutcomeRecord,
    StatementSignatureRecord,
    Store,
)
from hotline.testing.store_conformance._fixtures import T0

__all__ = ["TestStatements"]


def _id(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def _draft(
    label: str, *, statement: str | None = None, previous: str | None = None
) -> StatementDraftRecord:
    draft_id = _id(label)
    return StatementDraftRecord(
        id=draft_id,
        statement=statement or draft_id,
        payload=f"payload {label}".encode(),
        previous=previous,
        drafter="washington",
        drafted_at=T0,
    )


def _signature(
    draft: str, *, party: str = "london", key: bytes = b"k" * 32
) -> StatementSignatureRecord:
    return StatementSignatureRecord(
        draft=draft,
        party=party,
        person="alice",
        person_key=key,
        person_sig=b"s" * 64,
        endorsement=b"e" * 64,
        signed_at=T0,
    )


class TestStatements:
    """The chain of drafts, its signatures and its outcome read back as stored."""

    def test_a_chain_of_drafts_reads_back_in_order(self, store: Store) -> None:
        first = _draft("one")
        second = _draft("two", statement=first.id, previous=first.id)
        other = _draft("other")
        store.add_statement_draft(first)
        store.add_statement_draft(other)
        store.add_statement_draft(second)
        assert store.statement_drafts(first.id) == [first, second]
        assert store.statement_draft(second.id) == second
        assert store.statement_draft(_id("nothing")) is None
        assert store.list_statements() == [first.id, other.id]
        assert store.statement_drafts(_id("nothing")) == []

    def test_a_draft_is_stored_once_and_the_chain_never_forks(self, store: Store) -> None:
        first = _draft("one")
        store.add_statement_draft(first)
        with pytest.raises(StoreError):
            store.add_statement_draft(first)
        store.add_statement_draft(_draft("two", statement=first.id, previous=first.id))
        with pytest.raises(StoreError):
            store.add_statement_draft(_draft("fork", statement=first.id, previous=first.id))
        assert len(store.statement_drafts(first.id)) == 2

    def test_a_revision_names_a_stored_draft_of_its_statement(self, store: Store) -> None:
        first, other = _draft("one"), _draft("other")
        store.add_statement_draft(first)
        store.add_statement_draft(other)
        with pytest.raises(StoreError):
            store.add_statement_draft(_draft("two", statement=first.id, previous=_id("nothing")))
        with pytest.raises(StoreError):
            store.add_statement_draft(_draft("two", statement=first.id, previous=other.id))
        with pytest.raises(StoreError):  # a first draft names itself as its statement
            store.add_statement_draft(_draft("three", statement=first.id))

    def test_signatures_read_back_for_every_draft_once_each(self, store: Store) -> None:
        first = _draft("one")
        second = _draft("two", statement=first.id, previous=first.id)
        store.add_statement_draft(first)
        store.add_statement_draft(second)
        on_first = _signature(first.id)
        on_second = _signature(second.id)
        same_party_other_person = _signature(second.id, key=b"m" * 32)
        for signature in (on_first, on_second, same_party_other_person):
            store.add_statement_signature(signature)
        assert store.statement_signatures(first.id) == [
            on_first,
            on_second,
            same_party_other_person,
        ]
        with pytest.raises(StoreError):
            store.add_statement_signature(on_second)
        with pytest.raises(StoreError):
            store.add_statement_signature(_signature(_id("nothing")))
        assert store.statement_signatures(_id("nothing")) == []

    def test_an_endorsement_by_a_rotated_key_keeps_its_key(self, store: Store) -> None:
        first = _draft("one")
        store.add_statement_draft(first)
        by_address = _signature(first.id)
        by_rotated = dataclasses.replace(
            _signature(first.id, party="paris", key=b"p" * 32), sk=b"r" * 32
        )
        store.add_statement_signature(by_address)
        store.add_statement_signature(by_rotated)
        assert store.statement_signatures(first.id) == [by_address, by_rotated]
        assert [s.sk for s in store.statement_signatures(first.id)] == [None, b"r" * 32]
        with pytest.raises(StoreError):
            store.add_statement_signature(
                dataclasses.replace(_signature(first.id, key=b"q" * 32), sk=b"")
            )

    def test_one_outcome_per_statement(self, store: Store) -> None:
        first = _draft("one")
        store.add_statement_draft(first)
        assert store.statement_outcome(first.id) is None
        ended = StatementOutcomeRecord(
            statement=first.id, outcome="in-force", draft=first.id, actor="paris", at=T0
        )
        with pytest.raises(StoreError):
            store.add_statement_outcome(
                StatementOutcomeRecord(
                    statement=first.id, outcome="ratified", draft=first.id, actor="paris", at=T0
                )
            )
        with pytest.raises(StoreError):
            store.add_statement_outcome(
                StatementOutcomeRecord(
                    statement=first.id, outcome="expired", draft=_id("x"), actor="paris", at=T0
                )
            )
        store.add_statement_outcome(ended)
        assert store.statement_outcome(first.id) == ended
        with pytest.raises(StoreError):
            store.add_statement_outcome(
                StatementOutcomeRecord(
                    statement=first.id, outcome="withdrawn", draft=first.id, actor="paris", at=T0
                )
            )

    def test_a_rolled_back_transaction_stores_nothing(self, store: Store) -> None:
        first = _draft("one")

        def abandoned() -> None:
            with store.transaction():
                store.add_statement_draft(first)
                store.add_statement_signature(_signature(first.id))
                raise RuntimeError("abandon")

        with pytest.raises(RuntimeError):
            abandoned()
        assert store.statement_draft(first.id) is None
        assert store.list_statements() == []
