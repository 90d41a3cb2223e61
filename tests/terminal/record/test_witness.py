"""Witnessing, frame by frame: two terminals' record services talk without a network.

Each side is a real terminal directory (store, keys) with its RecordKeeper and
Witnessing; the frames one side produces are handed to the other as the
session would. A FakeClock moves time by hand.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from hotline import proto
from hotline.crypto import Checkpoint, SignedNote, sign_note
from hotline.proto import WitnessRefusalCode
from hotline.store import PeerRecord
from hotline.terminal import verify_store
from hotline.terminal.config import AlarmSettings, RecordSettings, TerminalFiles, open_terminal
from hotline.terminal.core.alarms import COSIGN_OVERDUE, RECORD_CONFLICT, AlarmBoard
from hotline.terminal.record import RecordKeeper, Witnessing, record_origin
from hotline.terminal.record.check import check_record
from hotline.testing import FakeClock
from hotline.utc import format_utc
from tests.terminal.helpers import make_pair


@dataclass
class Side:
    files: TerminalFiles
    keeper: RecordKeeper
    witnessing: Witnessing
    alarms: AlarmBoard
    peer: PeerRecord

    @property
    def party(self) -> str:
        return self.files.settings.party

    def write(self, count: int, clock: FakeClock) -> None:
        """Grow the log by ``count`` entries (any journal entry is a record)."""
        for n in range(count):
            self.files.store.append_journal(kind="test entry", at=_at(clock), data={"n": n})

    def checkpoint(self) -> None:
        assert self.keeper.checkpoint(force=True) is not None


def _at(clock: FakeClock) -> str:
    return format_utc(clock.now())


def _side(files: TerminalFiles, peer_party: str, clock: FakeClock) -> Side:
    settings = RecordSettings(checkpoint_interval=5, cosign_overdue_after=60)
    alarms = AlarmBoard(
        store=files.store, clock=clock, settings=AlarmSettings(), spawn=lambda c, n: None
    )
    keeper = RecordKeeper(
        store=files.store, identity=files.identity, clock=clock, settings=settings
    )
    witnessing = Witnessing(
        keeper=keeper,
        store=files.store,
        identity=files.identity,
        clock=clock,
        alarms=alarms,
        settings=settings,
        journal=lambda kind, data: files.store.append_journal(kind=kind, at=_at(clock), data=data),
    )
    peer = files.store.get_peer(peer_party)
    assert peer is not None
    return Side(files, keeper, witnessing, alarms, peer)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pair(tmp_path: Path, clock: FakeClock) -> tuple[Side, Side]:
    washington_dir, moscow_dir = make_pair(tmp_path)
    washington, moscow = open_terminal(washington_dir), open_terminal(moscow_dir)
    return _side(washington, "Moscow", clock), _side(moscow, "Washington", clock)


def exchange(log: Side, witness: Side) -> Any:
    """log asks witness to cosign its newest checkpoint; returns the witness's answer."""
    request = log.witnessing.request_for(log.peer, again=True)
    assert request is not None
    answer = witness.witnessing.answer(witness.peer, request)
    if isinstance(answer, proto.WitnessCosignature):
        log.witnessing.take_cosignature(log.peer, answer)
    else:
        again = log.witnessing.take_refusal(log.peer, answer)
        if again is not None:
            answer = witness.witnessing.answer(witness.peer, again)
            if isinstance(answer, proto.WitnessCosignature):
                log.witnessing.take_cosignature(log.peer, answer)
            else:
                log.witnessing.take_refusal(log.peer, answer)
    return answer


def open_kinds(side: Side) -> set[str]:
    return {a.kind for a in side.alarms.open_alarms()}


def test_each_side_cosigns_the_other_and_proofs_follow_growth(
    pair: tuple[Side, Side], clock: FakeClock
) -> None:
    washington, moscow = pair
    washington.write(10, clock)
    washington.checkpoint()
    first = washington.keeper.latest()
    assert first is not None
    assert isinstance(exchange(washington, moscow), proto.WitnessCosignature)
    washington.write(25, clock)
    clock.advance(6)
    washington.checkpoint()
    # The second request carries a proof from the size Moscow cosigned.
    request = washington.witnessing.request_for(washington.peer, again=True)
    assert request is not None
    assert request.old_size == first.size
    assert request.proof
    assert isinstance(exchange(washington, moscow), proto.WitnessCosignature)
    latest = washington.keeper.latest()
    assert latest is not None
    cosigned = washington.files.store.latest_cosignatures()["Moscow"]
    assert (cosigned.size, cosigned.root) == (latest.size, latest.root)
    witnessed = moscow.files.store.latest_witnessed("Washington")
    assert witnessed is not None
    assert witnessed.size == latest.size
    # Nothing new: nothing to ask.
    assert washington.witnessing.request_for(washington.peer) is None
    # Moscow witnesses; Washington's record holds against Moscow's signature.
    report = check_record(washington.files.store, washington.files.identity)
    assert report.fault is None
    assert report.cosignatures == 1
    assert report.entries == washington.files.store.journal_size()
    assert not open_kinds(washington)
    assert not open_kinds(moscow)


def test_a_witness_restored_from_a_backup_is_given_a_proof_from_what_it_knows(
    pair: tuple[Side, Side], clock: FakeClock
) -> None:
    washington, moscow = pair
    washington.write(5, clock)
    washington.checkpoint()
    exchange(washington, moscow)
    washington.write(5, clock)
    clock.advance(6)
    washington.checkpoint()
    # Washington believes Moscow cosigned nothing (say its own store lost the cosignature).
    washington.witnessing._peers.clear()
    answer = exchange(washington, moscow)
    assert isinstance(answer, proto.WitnessCosignature)
    assert not open_kinds(washington)
    assert not open_kinds(moscow)


def test_a_smaller_checkpoint_is_a_rollback_on_both_sides(
    pair: tuple[Side, Side], clock: FakeClock, tmp_path: Path
) -> None:
    washington, moscow = pair
    washington.write(5, clock)
    washington.checkpoint()
    exchange(washington, moscow)
    backup = tmp_path / "backup"
    washington.files.store.close()
    shutil.copytree(washington.files.paths.root, backup)
    washington = _side(open_terminal(washington.files.paths.root), "Moscow", clock)
    washington.write(20, clock)
    clock.advance(6)
    washington.checkpoint()
    assert isinstance(exchange(washington, moscow), proto.WitnessCosignature)
    cosigned = washington.files.store.latest_cosignatures()["Moscow"].size
    # Washington is restored from the backup: its record is shorter than Moscow cosigned.
    washington.files.store.close()
    shutil.rmtree(washington.files.paths.root)
    shutil.copytree(backup, washington.files.paths.root)
    restored = _side(open_terminal(washington.files.paths.root), "Moscow", clock)
    restored.write(1, clock)
    clock.advance(6)
    restored.checkpoint()
    answer = exchange(restored, moscow)
    assert isinstance(answer, proto.WitnessRefusal)
    assert answer.code is WitnessRefusalCode.ROLLBACK
    assert answer.known_size == cosigned
    assert RECORD_CONFLICT in open_kinds(moscow)
    assert RECORD_CONFLICT in open_kinds(restored)
    [evidence] = moscow.files.store.record_conflicts()
    assert evidence.kind == "rollback"
    assert evidence.log == "Washington"
    known = Checkpoint.parse(SignedNote.decode(evidence.known).text)
    offered = Checkpoint.parse(SignedNote.decode(evidence.offered).text)
    assert known.size == cosigned
    assert offered.size < cosigned
    # Then the restored terminal writes a different history, past what Moscow cosigned.
    restored.write(40, clock)
    clock.advance(6)
    restored.checkpoint()
    answer = exchange(restored, moscow)
    assert isinstance(answer, proto.WitnessRefusal)
    assert answer.code is WitnessRefusalCode.INCONSISTENT
    kinds = {c.kind for c in moscow.files.store.record_conflicts()}
    assert kinds == {"rollback", "fork"}
    assert [e.kind for e in moscow.files.store.iter_journal()].count("record conflict") == 2
    assert any(c.kind == "fork" for c in restored.files.store.record_conflicts())


def test_a_checkpoint_signed_by_another_key_or_origin_is_refused(
    pair: tuple[Side, Side], clock: FakeClock
) -> None:
    washington, moscow = pair
    washington.write(3, clock)
    washington.checkpoint()
    request = washington.witnessing.request_for(washington.peer, again=True)
    assert request is not None
    note = SignedNote.decode(request.checkpoint)
    # Signed by Moscow's key under Washington's origin: not Washington's signature.
    forged = SignedNote(
        text=note.text,
        signatures=(
            sign_note(
                note.text,
                name=washington.keeper.origin,
                public_key=moscow.files.identity.signing_public,
                sign=moscow.files.identity.sign,
            ),
        ),
    )
    answer = moscow.witnessing.answer(moscow.peer, replace(request, checkpoint=forged.encode()))
    assert isinstance(answer, proto.WitnessRefusal)
    assert answer.code is WitnessRefusalCode.BAD_SIGNATURE
    # Washington's own key, but another log's origin.
    other = Checkpoint.parse(note.text)
    text = Checkpoint(
        origin=record_origin("Elsewhere", bytes(32)), size=other.size, root=other.root
    ).body()
    wrong_origin = SignedNote(
        text=text,
        signatures=(
            sign_note(
                text,
                name=record_origin("Elsewhere", bytes(32)),
                public_key=washington.files.identity.signing_public,
                sign=washington.files.identity.sign,
            ),
        ),
    )
    answer = moscow.witnessing.answer(
        moscow.peer, replace(request, checkpoint=wrong_origin.encode())
    )
    assert isinstance(answer, proto.WitnessRefusal)
    assert answer.code is WitnessRefusalCode.BAD_SIGNATURE
    assert moscow.files.store.latest_witnessed("Washington") is None


def test_a_peer_that_does_not_cosign_raises_cosign_overdue(
    pair: tuple[Side, Side], clock: FakeClock
) -> None:
    washington, moscow = pair
    washington.write(3, clock)
    washington.checkpoint()
    assert washington.witnessing.request_for(washington.peer) is not None  # sent, never answered
    clock.advance(59)
    washington.witnessing.overdue()
    assert COSIGN_OVERDUE not in open_kinds(washington)
    clock.advance(2)
    washington.witnessing.overdue()
    assert COSIGN_OVERDUE in open_kinds(washington)
    exchange(washington, moscow)
    assert COSIGN_OVERDUE not in open_kinds(washington)


def test_verify_finds_the_tail_cut_off_against_the_peers_cosignature(
    pair: tuple[Side, Side], clock: FakeClock
) -> None:
    import sqlite3

    washington, moscow = pair
    washington.write(30, clock)
    washington.checkpoint()
    exchange(washington, moscow)
    size = washington.files.store.journal_size()
    path = washington.files.paths.root / "hotline.db"
    washington.files.store.close()
    connection = sqlite3.connect(path)
    triggers = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'journal'"
    ).fetchall()
    for name, _ in triggers:
        connection.execute(f'DROP TRIGGER "{name}"')
    connection.execute("DELETE FROM journal WHERE seq > ?", (size - 3,))
    for _, sql in triggers:
        connection.execute(sql)
    connection.commit()
    connection.close()
    files = open_terminal(washington.files.paths.root)
    verified = verify_store(files.store, files.identity)
    assert not verified.ok
    assert verified.fault is not None
    assert "Moscow's cosignature" in verified.fault
    report = check_record(files.store, files.identity)
    assert report.fault is not None
    assert "Moscow" in report.fault
    assert f"{size - 3} entries" in report.fault
    assert f"{size} entries" in report.fault
    assert "cut off the end" in report.fault
