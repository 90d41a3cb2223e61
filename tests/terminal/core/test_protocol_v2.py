"""Protocol v2 between live terminals: ratcheted envelopes, one receipt per batch, v1 peers.

Real terminals on loopback, on the loop's virtual clock (docs/protocol/session.md §3,
envelope.md §12, receipts.md §7).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.crypto import Envelope, Receipt
from hotline.errors import ConfigError
from hotline.store import Direction, MessageState
from hotline.terminal import OutgoingText, Terminal, verify_store
from hotline.terminal.config import LinkSettings
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.helpers import FAST_LINK, make_pair, set_link_settings, wait_until


@contextlib.asynccontextmanager
async def running(directory: Path) -> AsyncIterator[Terminal]:
    terminal = Terminal.open(directory, clock=virtual_clock())
    await terminal.start()
    try:
        yield terminal
    finally:
        await terminal.stop()


def _line_up(terminal: Terminal, party: str) -> bool:
    return any(p.party == party and p.state == "up" for p in terminal.status().peers)


def _delivered(terminal: Terminal, party: str) -> list[str]:
    return [
        m.id
        for m in terminal.store.iter_messages(peer=party, direction=Direction.OUT)
        if m.state is MessageState.DELIVERED
    ]


def _verified(terminal: Terminal) -> None:
    report = verify_store(terminal.store, terminal.identity)
    assert report.ok, report.summary()


def _pair(tmp_path: Path, *, washington: int, moscow: int) -> tuple[Path, Path]:
    washington_dir, moscow_dir = make_pair(tmp_path)
    set_link_settings(washington_dir, dataclasses.replace(FAST_LINK, protocol=washington))
    set_link_settings(moscow_dir, dataclasses.replace(FAST_LINK, protocol=moscow))
    return washington_dir, moscow_dir


async def _exchange(washington: Terminal, moscow: Terminal, count: int) -> None:
    """``count`` messages each way, queued in one batch per side; wait for every receipt."""
    await wait_until(lambda: _line_up(washington, "Moscow"), what="the line up")
    before_w = len(_delivered(washington, "Moscow"))
    before_m = len(_delivered(moscow, "Washington"))
    washington.send_many([OutgoingText(to="Moscow", text=f"w{i}") for i in range(count)])
    moscow.send_many([OutgoingText(to="Washington", text=f"m{i}") for i in range(count)])
    await wait_until(
        lambda: (
            len(_delivered(washington, "Moscow")) == before_w + count
            and len(_delivered(moscow, "Washington")) == before_m + count
        ),
        within=60,
        what="every message receipted",
    )


def test_two_version_2_terminals_ratchet_and_answer_a_batch_with_one_receipt(
    tmp_path: Path,
) -> None:
    washington_dir, moscow_dir = _pair(tmp_path, washington=2, moscow=2)

    async def main() -> None:
        async with running(washington_dir) as washington, running(moscow_dir) as moscow:
            await _exchange(washington, moscow, 300)
            for terminal, peer in ((washington, "Moscow"), (moscow, "Washington")):
                sent = list(terminal.store.iter_messages(peer=peer, direction=Direction.OUT))
                assert [m.serial for m in sent] == list(range(1, 301))
                versions = {Envelope.decode(m.envelope).header.version for m in sent}
                assert versions == {3}  # the session was open before they were queued
                receipts = {m.receipt for m in sent}
                # Far fewer receipts than messages: a committed batch shares one.
                assert len(receipts) < len(sent) / 2
                decoded = [Receipt.decode(r) for r in receipts if r is not None]
                assert {r.version for r in decoded} == {2}
                # Together the receipts' ranges cover every serial exactly once.
                covered = sorted(n for r in decoded for n in range(r.first_serial, r.serial + 1))
                assert covered == list(range(1, 301))
                received = list(terminal.store.iter_messages(peer=peer, direction=Direction.IN))
                assert [m.text for m in received] == [
                    f"{'m' if peer == 'Moscow' else 'w'}{i}" for i in range(300)
                ]
                _verified(terminal)
            # The used message keys are gone: each side holds one chain per direction.
            chain = moscow.store.chain("Washington", Direction.IN)
            assert chain is not None
            assert chain.epoch + chain.index == 301

    run_virtual(main())


@pytest.mark.parametrize(("washington", "moscow"), [(1, 2), (2, 1), (1, 1)])
def test_a_version_1_terminal_and_a_version_2_terminal_still_talk(
    tmp_path: Path, washington: int, moscow: int
) -> None:
    washington_dir, moscow_dir = _pair(tmp_path, washington=washington, moscow=moscow)

    async def main() -> None:
        async with running(washington_dir) as w, running(moscow_dir) as m:
            await _exchange(w, m, 40)
            for terminal, peer in ((w, "Moscow"), (m, "Washington")):
                sent = list(terminal.store.iter_messages(peer=peer, direction=Direction.OUT))
                # A version-1 session: HPKE per message, a receipt per message.
                assert {Envelope.decode(s.envelope).header.version for s in sent} == {2}
                assert {Receipt.decode(s.receipt).version for s in sent if s.receipt} == {1}
                assert len({s.receipt for s in sent}) == len(sent)
                assert terminal.store.peer_protocol(peer) == 1
                _verified(terminal)

    run_virtual(main())


def test_messages_queued_before_the_first_session_are_version_2_envelopes(
    tmp_path: Path,
) -> None:
    """Until a peer has spoken protocol 2, every hotline can open what is sealed to it."""
    washington_dir, moscow_dir = _pair(tmp_path, washington=2, moscow=2)

    async def main() -> None:
        async with running(washington_dir) as washington:
            early = washington.send_text(to="Moscow", text="before the line was ever up")
            assert Envelope.decode(early.envelope).header.version == 2
            async with running(moscow_dir) as moscow:
                await _exchange(washington, moscow, 5)
                later = washington.send_text(to="Moscow", text="after")
                assert Envelope.decode(later.envelope).header.version == 3
                await wait_until(
                    lambda: later.id in _delivered(washington, "Moscow"), what="the later one"
                )
                texts = [
                    r.text
                    for r in moscow.store.iter_messages(peer="Washington", direction=Direction.IN)
                ]
                assert texts[0] == "before the line was ever up"
                assert texts[-1] == "after"
                _verified(washington)
                _verified(moscow)

    run_virtual(main())


def test_link_protocol_setting_is_checked() -> None:
    with pytest.raises(ConfigError, match="protocol"):
        LinkSettings(protocol=3)
