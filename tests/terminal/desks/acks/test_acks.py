"""Acknowledgements across the line, shift notes, alarm acknowledgement, exercise marking."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from hotline.errors import InvalidArgument, PermissionDenied
from hotline.store import Direction
from hotline.terminal import Terminal, is_exercise, verify_store
from hotline.terminal.core import verify_note
from hotline.terminal.desks.accounts import authenticate, create_user
from hotline.terminal.desks.acks import AckDesk
from hotline.terminal.desks.shiftlog import ShiftLog
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.helpers import make_pair, wait_until

PASSWORD = "correct horse battery"


def test_a_person_acknowledges_and_the_sender_sees_who(tmp_path: Path) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)

    async def main() -> None:
        washington, moscow = (
            Terminal.open(washington_dir, clock=virtual_clock()),
            Terminal.open(moscow_dir, clock=virtual_clock()),
        )
        await washington.start()
        await moscow.start()
        try:
            create_user(
                moscow.store, moscow.clock, name="ivanov", role="operator", password=PASSWORD
            )
            create_user(moscow.store, moscow.clock, name="audit", role="auditor", password=PASSWORD)
            sent = washington.send_text(to="Moscow", text="Please confirm receipt.")
            await wait_until(lambda: moscow.store.get_message(sent.id) is not None)
            auditor = authenticate(moscow.store, "audit", PASSWORD)
            with pytest.raises(PermissionDenied):
                moscow.desk(AckDesk).acknowledge(sent.id, auditor)
            operator = authenticate(moscow.store, "ivanov", PASSWORD)
            seq = washington.events.seq
            given = moscow.desk(AckDesk).acknowledge(sent.id, operator)
            assert given.by == "ivanov"
            with pytest.raises(InvalidArgument, match="already acknowledged by ivanov"):
                moscow.desk(AckDesk).acknowledge(sent.id, operator)
            await wait_until(
                lambda: sent.id in washington.store.acknowledgements([sent.id]),
                what="Washington records the acknowledgement",
            )
            received = washington.store.acknowledgements([sent.id])[sent.id]
            assert (received.direction, received.by, received.at) == (
                "received",
                "ivanov",
                given.at,
            )
            assert received.operator_key == operator.public_key
            assert washington.events.seq > seq  # the console hears of it
            # The acknowledgement travelled as a message of kind "ack", receipted like any.
            [ack_message] = [
                m
                for m in washington.store.iter_messages(peer="Moscow", direction=Direction.IN)
                if m.kind == "ack"
            ]
            assert "by ivanov" in ack_message.text
            # An outgoing message cannot be acknowledged here, nor an ack itself.
            with pytest.raises(InvalidArgument):
                washington.desk(AckDesk).acknowledge(sent.id, operator)
            for terminal in (washington, moscow):
                assert verify_store(terminal.store, terminal.identity).ok
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


def test_shift_notes_are_signed_by_their_author(tmp_path: Path) -> None:
    washington_dir, _ = make_pair(tmp_path)

    async def main() -> None:
        terminal = Terminal.open(washington_dir, clock=virtual_clock())
        await terminal.start()
        try:
            create_user(
                terminal.store, terminal.clock, name="smith", role="operator", password=PASSWORD
            )
            create_user(
                terminal.store, terminal.clock, name="boss", role="principal", password=PASSWORD
            )
            smith = authenticate(terminal.store, "smith", PASSWORD)
            note = terminal.desk(ShiftLog).add(
                smith, "  Line quiet. Moscow test at 1300Z missed on route 2.  "
            )
            assert note.text == "Line quiet. Moscow test at 1300Z missed on route 2."
            assert verify_note(note)
            [stored] = terminal.desk(ShiftLog).recent()
            assert stored == note
            assert [e.kind for e in terminal.store.iter_journal()][-1] == "shift note"
            with pytest.raises(PermissionDenied):
                terminal.desk(ShiftLog).add(authenticate(terminal.store, "boss", PASSWORD), "hi")
            with pytest.raises(InvalidArgument):
                terminal.desk(ShiftLog).add(smith, "   ")
            assert not verify_note(replace(note, text="Line busy."))
        finally:
            await terminal.stop()

    run_virtual(main())


def test_exercise_messages_are_marked_and_left_out_of_statistics(tmp_path: Path) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)

    async def main() -> None:
        washington, moscow = (
            Terminal.open(washington_dir, clock=virtual_clock()),
            Terminal.open(moscow_dir, clock=virtual_clock()),
        )
        await washington.start()
        await moscow.start()
        try:
            drill = washington.send_text(to="Moscow", text="EXERCISE launch notice", exercise=True)
            real = washington.send_text(to="Moscow", text="Real message")
            assert is_exercise(drill)
            assert not is_exercise(real)
            await wait_until(lambda: washington.store.count_pending("Moscow") == 0)
            arrived = moscow.store.get_message(drill.id)
            assert arrived is not None
            assert is_exercise(arrived)  # the mark is inside the signed body
            stats = washington.tracker.statistics()
            assert (stats.queued, stats.delivered) == (1, 1)
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


def test_an_operator_acknowledges_an_alarm(tmp_path: Path) -> None:
    washington_dir, _ = make_pair(tmp_path)

    async def main() -> None:
        terminal = Terminal.open(washington_dir, clock=virtual_clock())
        await terminal.start()
        try:
            create_user(
                terminal.store, terminal.clock, name="smith", role="operator", password=PASSWORD
            )
            create_user(
                terminal.store, terminal.clock, name="audit", role="auditor", password=PASSWORD
            )
            alarm = terminal.alarms.raise_alarm(
                kind="line-down", peer="Moscow", route=None, detail="test"
            )
            assert alarm is not None
            with pytest.raises(PermissionDenied):
                terminal.acknowledge_alarm(
                    alarm.id, authenticate(terminal.store, "audit", PASSWORD)
                )
            acked = terminal.acknowledge_alarm(
                alarm.id, authenticate(terminal.store, "smith", PASSWORD)
            )
            assert acked.acknowledged_by == "smith"
            [still_open] = terminal.alarms.open_alarms()
            assert still_open.acknowledged_by == "smith"  # seen, but open until it clears
        finally:
            await terminal.stop()

    run_virtual(main())


def test_verify_catches_a_rewritten_acknowledgement_or_shift_note(tmp_path: Path) -> None:
    import sqlite3

    from hotline.terminal import open_terminal

    washington_dir, moscow_dir = make_pair(tmp_path)

    async def main() -> None:
        washington, moscow = (
            Terminal.open(washington_dir, clock=virtual_clock()),
            Terminal.open(moscow_dir, clock=virtual_clock()),
        )
        await washington.start()
        await moscow.start()
        try:
            create_user(
                moscow.store, moscow.clock, name="ivanov", role="operator", password=PASSWORD
            )
            operator = authenticate(moscow.store, "ivanov", PASSWORD)
            sent = washington.send_text(to="Moscow", text="Confirm.")
            await wait_until(lambda: moscow.store.get_message(sent.id) is not None)
            moscow.desk(AckDesk).acknowledge(sent.id, operator)
            moscow.desk(ShiftLog).add(operator, "Quiet watch.")
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())
    files = open_terminal(moscow_dir)
    assert verify_store(files.store, files.identity).ok
    files.store.close()
    for table, triggers, column, value in (
        ("acknowledgements", ("immutable", "no_delete"), "by_name", "petrov"),
        ("shift_notes", ("append_only", "no_delete"), "text", "Busy watch."),
    ):
        connection = sqlite3.connect(moscow_dir / "hotline.db")
        with connection:
            for trigger in triggers:  # only someone bypassing the store can do this
                connection.execute(f"DROP TRIGGER {table}_{trigger}")
            connection.execute(f"UPDATE {table} SET {column} = ?", (value,))
        connection.close()
        files = open_terminal(moscow_dir)
        report = verify_store(files.store, files.identity)
        files.store.close()
        assert not report.ok
        assert "signature does not verify" in (report.fault or "")
        # Put it right for the next case.
        connection = sqlite3.connect(moscow_dir / "hotline.db")
        with connection:
            connection.execute(f"DELETE FROM {table}")
        connection.close()
