"""The contract every part shares: the interface itself, lifetime, durability, transactions."""

from __future__ import annotations

import inspect

import pytest

from hotline.errors import StoreError
from hotline.store import Direction, Store
from hotline.testing.store_conformance._fixtures import (
    T0,
    StoreFactory,
    burst,
    fill,
    make_message,
    make_party,
    make_peer,
    snapshot,
)

__all__ = ["TestInterface", "TestLifetime", "TestTransactions"]


class TestInterface:
    """The backend implements every method of every part, with the interface's signatures."""

    def test_implements_every_part(self, store: Store) -> None:
        assert isinstance(store, Store)
        assert not type(store).__abstractmethods__

    def test_signatures_match_the_interface(self, store: Store) -> None:
        for name in Store.__abstractmethods__:
            expected = inspect.signature(getattr(Store, name))
            actual = inspect.signature(getattr(type(store), name))
            assert list(actual.parameters) == list(expected.parameters), name
            for parameter in expected.parameters.values():
                assert actual.parameters[parameter.name].kind == parameter.kind, name
                assert actual.parameters[parameter.name].default == parameter.default, name


class TestLifetime:
    """Closing, and what survives it."""

    def test_close_is_final_and_idempotent(self, store: Store) -> None:
        store.close()
        store.close()
        with pytest.raises(StoreError, match="closed"):
            store.get_party()
        with pytest.raises(StoreError, match="closed"), store.transaction():
            pass

    def test_context_manager_closes(self, store_factory: StoreFactory) -> None:
        with store_factory() as store:
            store.set_party(make_party())
        with pytest.raises(StoreError, match="closed"):
            store.get_party()

    def test_everything_survives_close_and_reopen(self, store_factory: StoreFactory) -> None:
        with store_factory() as store:
            fill(store)
            before = snapshot(store)
        with store_factory() as reopened:
            assert snapshot(reopened) == before
            assert reopened.verify_journal() is None

    def test_another_store_sees_each_write_at_once(self, store_factory: StoreFactory) -> None:
        # Durable on return: committed, so visible to a second store on the same database.
        with store_factory() as store, store_factory() as other:
            fill(store)
            assert snapshot(other) == snapshot(store)


class TestTransactions:
    """Group commit, nesting, and all or nothing."""

    def test_group_commit_is_one_commit(self, peered: Store, store_factory: StoreFactory) -> None:
        before = peered.statistics()
        with store_factory() as other:
            with peered.transaction():
                burst(peered, 10)
                # Another store sees none of it yet: nothing was committed.
                assert other.list_messages() == []
                assert list(other.iter_journal()) == []
            assert peered.statistics().commits == before.commits + 1
            assert len(other.list_messages()) == 10
            assert len(list(other.iter_journal())) == 10
            assert other.last_contact("moscow") == T0

    def test_without_a_transaction_each_write_commits(self, peered: Store) -> None:
        before = peered.statistics()
        peered.add_incoming(make_message(1, Direction.IN))
        burst(peered, 3)  # 3 messages + 3 journal entries + last contact
        assert peered.statistics().commits == before.commits + 8
        assert peered.statistics().rollbacks == before.rollbacks

    def test_reads_do_not_commit(self, peered: Store) -> None:
        peered.add_outgoing(make_message(1))
        before = peered.statistics()
        peered.list_messages()
        peered.get_peer("moscow")
        peered.pending_outgoing("moscow")
        peered.verify_journal()
        assert peered.statistics() == before

    def test_nested_transactions_share_one_commit(self, peered: Store) -> None:
        before = peered.statistics()
        with peered.transaction():
            peered.add_outgoing(make_message(1))
            with peered.transaction():
                peered.add_outgoing(make_message(2))
                with peered.transaction():
                    peered.append_journal(kind="k", at=T0, data={})
            assert peered.statistics().commits == before.commits
        assert peered.statistics().commits == before.commits + 1
        assert peered.next_outgoing_serial("moscow")[0] == 3

    def test_failure_rolls_back_the_whole_transaction(
        self, peered: Store, store_factory: StoreFactory
    ) -> None:
        peered.add_outgoing(make_message(1))
        before = peered.statistics()

        def crash() -> None:
            with peered.transaction():
                burst(peered, 3)
                peered.add_outgoing(make_message(2))
                peered.add_peer(make_peer("paris"))
                raise RuntimeError("crash mid-burst")

        with pytest.raises(RuntimeError, match="crash"):
            crash()
        assert peered.statistics().commits == before.commits
        assert peered.statistics().rollbacks == before.rollbacks + 1
        assert [m.id for m in peered.list_messages()] == ["moscow-out-1"]
        assert list(peered.iter_journal()) == []
        assert peered.get_peer("paris") is None
        assert peered.last_contact("moscow") is None
        with store_factory() as other:
            assert [m.id for m in other.list_messages()] == ["moscow-out-1"]
        # The store carries on normally afterwards.
        peered.add_outgoing(make_message(2))
        assert peered.next_outgoing_serial("moscow")[0] == 3

    def test_store_error_escaping_rolls_back(self, peered: Store) -> None:
        def gap() -> None:
            with peered.transaction():
                peered.add_outgoing(make_message(1))
                peered.add_outgoing(make_message(2))
                peered.add_outgoing(make_message(4))

        with pytest.raises(StoreError, match="must be 3"):
            gap()
        assert peered.list_messages() == []

    def test_caught_method_failure_keeps_the_rest(self, peered: Store) -> None:
        with peered.transaction():
            peered.add_incoming(make_message(1, Direction.IN))
            with pytest.raises(StoreError):
                peered.add_incoming(make_message(5, Direction.IN))  # refused, and nothing half-done
            peered.append_journal(kind="serial.gap", at=T0, data={"got": 5, "expected": 2})
        assert peered.last_incoming("moscow")[0] == 1
        assert [entry.kind for entry in peered.iter_journal()] == ["serial.gap"]

    def test_nested_failure_escaping_rolls_back_all(self, peered: Store) -> None:
        def nested() -> None:
            with peered.transaction():
                peered.add_outgoing(make_message(1))
                with peered.transaction():
                    peered.add_outgoing(make_message(2))
                    raise KeyError("inner")

        with pytest.raises(KeyError):
            nested()
        assert peered.list_messages() == []

    def test_nested_failure_caught_undoes_only_the_inner_block(self, peered: Store) -> None:
        def first_try() -> None:
            with peered.transaction():
                peered.add_outgoing(make_message(2, text="first try"))
                raise RuntimeError("inner")

        with peered.transaction():
            peered.add_outgoing(make_message(1))
            with pytest.raises(RuntimeError):
                first_try()
            peered.add_outgoing(make_message(2, text="second try"))
        assert [m.text for m in peered.iter_messages(peer="moscow", direction=Direction.OUT)] == [
            "message 1",
            "second try",
        ]

    def test_closing_inside_a_transaction_saves_nothing(
        self, store_factory: StoreFactory, peered: Store
    ) -> None:
        def close_early() -> None:
            with peered.transaction():
                peered.add_outgoing(make_message(1))
                peered.close()

        with pytest.raises(StoreError, match="nothing was saved"):
            close_early()
        with store_factory() as reopened:
            assert reopened.list_messages() == []
