"""Conformance: a damaged message row (stored text that is not UTF-8) never makes a read fail.

The damage is made behind the store's back, as a flipped bit on the disk
would be: a backend's test module provides the fixture ``damage_row``, a
:data:`DamageRow` that overwrites one column of one stored message with raw
bytes (through its own connection, past the triggers that keep content
immutable), and the store under test must then read on.
"""

from __future__ import annotations

from collections.abc import Callable

from hotline.store import Direction, Store
from hotline.testing.store_conformance._fixtures import make_message

__all__ = ["DamageRow", "TestDamagedRows"]

DamageRow = Callable[[str, str, bytes], None]
"""``damage_row(message_id, column, raw)``: store ``raw`` as that column's text, bypassing the store."""

#: "secret" with one byte flipped to 0xff: not UTF-8.
_DAMAGED = b"sec\xffet"


def _three(store: Store) -> None:
    for serial in (1, 2, 3):
        store.add_outgoing(make_message(serial))
    store.add_incoming(make_message(1, Direction.IN))


class TestDamagedRows:
    def test_a_sound_store_has_no_damaged_rows(self, peered: Store) -> None:
        _three(peered)
        assert peered.damaged_messages() == []

    def test_damaged_text_is_recovered_from_the_body(
        self, peered: Store, damage_row: DamageRow
    ) -> None:
        _three(peered)
        damage_row("moscow-out-2", "text", _DAMAGED)

        listed = peered.list_messages(peer="moscow", direction=Direction.OUT)
        assert [m.text for m in sorted(listed, key=lambda m: m.serial)] == [
            "message 1",
            "message 2",
            "message 3",
        ]
        assert peered.get_message("moscow-out-2") == make_message(2)
        assert [m.serial for m in peered.iter_messages(peer="moscow", direction=Direction.OUT)] == [
            1,
            2,
            3,
        ]
        assert [m.serial for m in peered.pending_outgoing("moscow")] == [1, 2, 3]
        (damage,) = peered.damaged_messages()
        assert (damage.id, damage.peer, damage.direction, damage.serial) == (
            "moscow-out-2",
            "moscow",
            "out",
            2,
        )
        assert damage.columns == ("text",)
        assert damage.recovered
        assert "sec" not in damage.describe()

    def test_another_damaged_column_quarantines_the_row(
        self, peered: Store, damage_row: DamageRow
    ) -> None:
        _three(peered)
        damage_row("moscow-in-1", "kind", _DAMAGED)

        assert peered.get_message("moscow-in-1") is None
        assert peered.list_messages(direction=Direction.IN) == []
        assert [m.id for m in peered.list_messages()] == [
            "moscow-out-3",
            "moscow-out-2",
            "moscow-out-1",
        ]
        # The chain's head is read from serial and hash alone: the direction goes on.
        assert peered.last_incoming("moscow")[0] == 1
        (damage,) = peered.damaged_messages()
        assert (damage.id, damage.direction, damage.columns, damage.recovered) == (
            "moscow-in-1",
            "in",
            ("kind",),
            False,
        )

    def test_a_damaged_text_without_a_readable_body_is_quarantined(
        self, peered: Store, damage_row: DamageRow
    ) -> None:
        peered.add_outgoing(make_message(1, body=b"not cbor \xff"))
        damage_row("moscow-out-1", "text", _DAMAGED)

        assert peered.pending_outgoing("moscow") == []
        (damage,) = peered.damaged_messages()
        assert not damage.recovered
