"""The deadline watch's memory: a few hundred bytes per waiting message, no record kept."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

from hotline.store import AckRecord
from hotline.terminal import Terminal
from hotline.terminal.desks.deadlines import DeadlineWatch
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.helpers import make_pair

STORED = 400


def _fill(directory: Path) -> list[str]:
    """STORED unacknowledged messages to an unreachable Moscow, then the terminal stops."""

    async def main() -> list[str]:
        terminal = Terminal.open(directory, clock=virtual_clock())
        await terminal.start()
        try:
            return [
                terminal.send_text(to="Moscow", text=f"Routine notification {index:04d} " * 8).id
                for index in range(STORED)
            ]
        finally:
            await terminal.stop()

    return run_virtual(main())


def test_a_restart_watches_every_stored_message_in_little_memory(tmp_path: Path) -> None:
    washington_dir, _ = make_pair(tmp_path)
    sent = _fill(washington_dir)

    async def main() -> int:
        terminal = Terminal.open(washington_dir, clock=virtual_clock())
        try:
            watch = terminal.desk(DeadlineWatch)
            gc.collect()
            tracemalloc.start()
            try:
                before = tracemalloc.get_traced_memory()[0]
                watch.load()
                gc.collect()
                kept = tracemalloc.get_traced_memory()[0] - before
            finally:
                tracemalloc.stop()
            assert set(watch.pending()) == set(sent)
            assert watch.watched() == STORED
            assert watch.overdue() == []
            return kept
        finally:
            terminal.store.close()

    kept = run_virtual(main())
    # One id in a set and one (deadline, id) pair in a heap: ~250 bytes a message. A
    # watch object per message (and the records' strings) took ~600.
    assert kept / STORED < 320, f"{kept / STORED:.0f} bytes per watched message"


def test_acknowledged_messages_leave_the_heap(tmp_path: Path) -> None:
    washington_dir, _ = make_pair(tmp_path)
    sent = _fill(washington_dir)

    async def main() -> None:
        terminal = Terminal.open(washington_dir, clock=virtual_clock())
        await terminal.start()
        try:
            watch = terminal.desk(DeadlineWatch)
            assert watch.watched() == STORED
            for message_id in sent:  # as the peer's acknowledgements arrive (desk event)
                watch.acknowledged(
                    AckRecord(
                        message_id=message_id,
                        direction="received",
                        by="Ivanov",
                        at="2026-01-01T00:00:00.000000Z",
                        ack_id=message_id,
                        operator_key=bytes(32),
                        operator_signature=bytes(64),
                    )
                )
            assert watch.watched() == 0
            # The heap is compacted as acknowledgements outnumber the waiting messages.
            assert len(watch._due) <= 64
        finally:
            await terminal.stop()

    run_virtual(main())
