"""The record over a real session: two terminals on loopback witness each other's logs."""

from __future__ import annotations

from pathlib import Path

from hotline.terminal import Terminal
from hotline.terminal.record.check import check_record
from hotline.terminal.record.status import record_status
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.helpers import make_pair, wait_until


def test_two_terminals_cosign_each_others_checkpoints_as_they_talk(tmp_path: Path) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        await washington.start()
        await moscow.start()
        try:
            for n in range(5):
                washington.send_text(to="Moscow", text=f"Washington {n}")
                moscow.send_text(to="Washington", text=f"Moscow {n}")

            def cosigned(log: Terminal, witness: str) -> bool:
                latest = log.store.latest_checkpoint()
                cosignature = log.store.latest_cosignatures().get(witness)
                return (
                    latest is not None
                    and latest.size >= 12  # ten messages queued or received, receipts
                    and cosignature is not None
                    and cosignature.size == latest.size
                )

            await wait_until(lambda: cosigned(washington, "Moscow"), within=30, what="cosigned")
            await wait_until(lambda: cosigned(moscow, "Washington"), within=30, what="cosigned")
            for terminal, peer in ((washington, "Moscow"), (moscow, "Washington")):
                report = check_record(terminal.store, terminal.identity)
                assert report.fault is None
                status = record_status(terminal.store, terminal.identity, terminal.clock.now())
                [cosigner] = status.cosigners
                assert cosigner.peer == peer
                assert cosigner.behind == 0
                assert [w.peer for w in status.witnessed] == [peer]
                assert status.conflicts == 0
                assert not terminal.alarms.open_alarms()
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())
