"""The send lane (DIR/send.sock, docs/lane.md): real terminals on loopback, real sockets.

Protocol tests speak the wire format directly (asyncio on the terminal's own
loop); client tests drive :class:`SendLane` from a worker thread, as a program
beside the daemon would. Nothing sleeps: every wait is for an answer or a
condition.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hotline.crypto import Precedence
from hotline.errors import (
    DaemonNotRunning,
    InvalidArgument,
    MessageTooLarge,
    NotInitialised,
    UnknownMessage,
    UnknownPeer,
)
from hotline.store import Direction, MessageState
from hotline.terminal import SendLane, Terminal, TerminalPaths, run_terminal
from hotline.terminal.core import MAX_TEXT_BYTES
from hotline.terminal.lane import (
    MAX_LINE_BYTES,
    LaneSend,
    LaneWait,
    parse_request,
    send_socket_path,
    serve_send_lane,
    tag_of,
)

from .helpers import make_pair, make_terminal, wait_until

#: Every answer is awaited at most this long: a lane that stops answering fails, never hangs.
ANSWER_WITHIN = 20.0


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """(Washington's directory, Moscow's directory), introduced to each other."""
    return make_pair(tmp_path, dialer="Washington", listener="Moscow")


@contextlib.asynccontextmanager
async def running(directory: Path, *, lane: bool = False) -> AsyncIterator[Terminal]:
    """A started terminal (serving its send lane if ``lane``), stopped on the way out."""
    terminal = Terminal.open(directory)
    await terminal.start()
    server: asyncio.Task[None] | None = None
    try:
        if lane:
            started = asyncio.Event()
            server = asyncio.create_task(serve_send_lane(terminal, started))
            await asyncio.wait_for(started.wait(), ANSWER_WITHIN)
        yield terminal
    finally:
        if server is not None:
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server
        await terminal.stop()


class Raw:
    """The wire format, spoken by hand."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, directory: Path) -> Raw:
        path = send_socket_path(TerminalPaths(directory))
        reader, writer = await asyncio.open_unix_connection(str(path))
        return cls(reader, writer)

    async def write(self, *lines: bytes | dict[str, Any]) -> None:
        self.writer.write(
            b"".join(
                line if isinstance(line, bytes) else json.dumps(line).encode() + b"\n"
                for line in lines
            )
        )
        await self.writer.drain()

    async def answer(self) -> dict[str, Any]:
        line = await asyncio.wait_for(self.reader.readline(), ANSWER_WITHIN)
        assert line.endswith(b"\n"), f"connection closed: {line!r}"
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def ask(self, *lines: bytes | dict[str, Any]) -> list[dict[str, Any]]:
        await self.write(*lines)
        return [await self.answer() for _ in lines]

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def send(text: str, tag: Any = None, **fields: Any) -> dict[str, Any]:
    return {"op": "send", "to": "Moscow", "text": text, "tag": tag, **fields}


# -- the request parser (pure) ----------------------------------------------------


def test_parse_request_reads_both_ops_with_their_defaults() -> None:
    assert parse_request(b'{"op":"send","to":"Moscow","text":"hi"}\n') == LaneSend(
        to="Moscow", text="hi"
    )
    flash = parse_request(
        b'{"op":"send","to":"M","text":"","precedence":"flash","channel":"ops","tag":"a"}'
    )
    assert flash == LaneSend(to="M", text="", precedence=Precedence.FLASH, channel="ops", tag="a")
    assert parse_request(b'{"op":"wait","id":"x","within":0,"tag":7}') == LaneWait(
        id="x", within=0.0, tag=7
    )
    assert parse_request(b'{"op":"wait","id":"x"}') == LaneWait(id="x", within=30.0)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b"not json", "not a JSON text"),
        (b"\xff\xfe", "not a JSON text"),
        (b"[1, 2]", "a JSON object"),
        (b'{"op":"send","to":"M","text":"x","tag":true}', "tag"),
        (b'{"op":"send","to":"M","text":"x","tag":1.5}', "tag"),
        (b'{"op":"delete","id":"x"}', "op"),
        (b'{"to":"M","text":"x"}', "op"),
        (b'{"op":"send","to":5,"text":"x"}', "to"),
        (b'{"op":"send","to":"","text":"x"}', "to"),
        (b'{"op":"send","to":"M"}', "text"),
        (b'{"op":"send","to":"M","text":"\\ud800"}', "text"),
        (b'{"op":"send","to":"M","text":"x","precedence":"urgent"}', "precedence"),
        (b'{"op":"send","to":"M","text":"x","precedence":["flash"]}', "precedence"),
        (b'{"op":"send","to":"M","text":"x","channel":7}', "channel"),
        (b'{"op":"send","to":"M","text":"x","prio":"flash"}', "prio"),
        (b'{"op":"wait"}', "id"),
        (b'{"op":"wait","id":"x","within":-1}', "within"),
        (b'{"op":"wait","id":"x","within":3601}', "within"),
        (b'{"op":"wait","id":"x","within":NaN}', "within"),
        (b'{"op":"wait","id":"x","within":"5"}', "within"),
        (b'{"op":"wait","id":"x","within":true}', "within"),
    ],
)
def test_parse_request_refuses_what_the_format_does_not_allow(line: bytes, says: str) -> None:
    with pytest.raises(InvalidArgument, match=says):
        parse_request(line)


def test_tag_of_finds_the_tag_of_a_refused_line_when_it_can() -> None:
    assert tag_of(b'{"op":"delete","tag":"t1"}') == "t1"
    assert tag_of(b'{"op":"delete","tag":3}') == 3
    assert tag_of(b'{"op":"delete","tag":false}') is None
    assert tag_of(b"[1]") is None
    assert tag_of(b"{") is None


# -- the lane on a running terminal ------------------------------------------------


def test_send_and_wait_deliver_through_the_lane(dirs: tuple[Path, Path]) -> None:
    washington_dir, moscow_dir = dirs
    path = send_socket_path(TerminalPaths(washington_dir))

    async def main() -> None:
        async with running(moscow_dir) as moscow, running(washington_dir, lane=True):
            assert path.stat().st_mode & 0o777 == 0o600
            raw = await Raw.connect(washington_dir)
            [sent] = await raw.ask(send("over the lane", tag="s1", precedence="flash"))
            assert sent["ok"] is True
            assert (sent["serial"], sent["tag"]) == (1, "s1")
            assert set(sent) == {"ok", "id", "serial", "time_group", "tag"}
            [done] = await raw.ask({"op": "wait", "id": sent["id"], "within": 30, "tag": "w1"})
            assert (done["ok"], done["id"], done["state"], done["tag"]) == (
                True,
                sent["id"],
                "delivered",
                "w1",
            )
            assert done["delivered_at"] is not None
            held = moscow.store.get_message(sent["id"])
            assert held is not None
            assert (held.direction, held.text, held.precedence) == (
                Direction.IN,
                "over the lane",
                "flash",
            )
            await raw.close()

    asyncio.run(main())
    assert not path.exists()


def test_a_pipelined_burst_of_500_is_durable_in_serial_order_in_few_commits(
    dirs: tuple[Path, Path],
) -> None:
    washington_dir, _ = dirs

    async def main() -> None:
        async with running(washington_dir, lane=True) as washington:
            groups: list[int] = []
            send_many = washington.send_many

            def counted(messages: Any) -> Any:
                groups.append(len(messages))
                return send_many(messages)

            washington.send_many = counted  # type: ignore[method-assign]
            raw = await Raw.connect(washington_dir)
            answers = await raw.ask(*(send(f"burst {i:03d}", tag=i) for i in range(500)))
            assert [a["tag"] for a in answers] == list(range(500))
            assert all(a["ok"] for a in answers)
            assert [a["serial"] for a in answers] == list(range(1, 501))
            # Group commit: what was read together was queued together.
            assert sum(groups) == 500
            assert len(groups) < 100
            assert max(groups) > 1
            stored = washington.store.list_messages(peer="Moscow", direction=Direction.OUT)
            by_serial = sorted(stored, key=lambda r: r.serial)
            assert [r.text for r in by_serial] == [f"burst {i:03d}" for i in range(500)]
            assert [r.id for r in by_serial] == [a["id"] for a in answers]
            await raw.close()

    asyncio.run(main())


def test_every_refusal_is_answered_and_the_connection_keeps_working(
    dirs: tuple[Path, Path],
) -> None:
    washington_dir, _ = dirs
    cases: list[tuple[bytes | dict[str, Any], str, Any]] = [
        (b"not json\n", "InvalidArgument", None),
        (b"[1,2]\n", "InvalidArgument", None),
        (b'{"op":"delete","tag":"t-op"}\n', "InvalidArgument", "t-op"),
        ({"op": "send", "to": 5, "text": "x", "tag": 1}, "InvalidArgument", 1),
        (send("x", tag=2, precedence="urgent"), "InvalidArgument", 2),
        (send("x", tag=3, channel="Not A Channel"), "InvalidArgument", 3),
        (send("x" * (MAX_TEXT_BYTES + 1), tag=4), "MessageTooLarge", 4),
        (send("x", tag=5, to="Beijing"), "UnknownPeer", 5),
        ({"op": "wait", "id": "0" * 32, "within": 0, "tag": 6}, "UnknownMessage", 6),
        ({"op": "wait", "id": "x", "within": -1, "tag": 7}, "InvalidArgument", 7),
    ]

    async def main() -> None:
        async with running(washington_dir, lane=True):
            raw = await Raw.connect(washington_dir)
            for serial, (line, error, tag) in enumerate(cases, start=1):
                [refused] = await raw.ask(line)
                assert refused["ok"] is False
                assert (refused["error"], refused["tag"]) == (error, tag), refused
                assert refused["detail"]
                [ok] = await raw.ask(send("still here", tag="ok"))
                assert (ok["ok"], ok["serial"]) == (True, serial)
            # A blank line is skipped, not answered.
            [ok] = await raw.ask(b"\n\r\n" + json.dumps(send("after blanks")).encode() + b"\n")
            assert ok["serial"] == len(cases) + 1
            await raw.close()

    asyncio.run(main())


def test_a_line_over_the_limit_is_answered_then_the_connection_closes(
    dirs: tuple[Path, Path],
) -> None:
    washington_dir, _ = dirs

    async def main() -> None:
        async with running(washington_dir, lane=True):
            raw = await Raw.connect(washington_dir)
            # The limit itself is allowed (the text is refused for its size, not the line).
            at_limit = json.dumps(send("")).encode()
            at_limit = at_limit[:-1] + b" " * (MAX_LINE_BYTES - len(at_limit)) + b"}"
            assert len(at_limit) == MAX_LINE_BYTES
            [fits] = await raw.ask(at_limit + b"\n")
            assert fits["ok"] is True
            # One byte more, after a pipelined send that is answered first.
            await raw.write(send("before", tag="b"), b"{" + b" " * MAX_LINE_BYTES + b"}\n")
            before, over = await raw.answer(), await raw.answer()
            assert (before["ok"], before["tag"]) == (True, "b")
            assert (over["ok"], over["error"], over["tag"]) == (False, "MessageTooLarge", None)
            assert await asyncio.wait_for(raw.reader.read(), ANSWER_WITHIN) == b""
            await raw.close()
            # The lane itself is fine.
            again = await Raw.connect(washington_dir)
            [ok] = await again.ask(send("next connection"))
            assert ok["serial"] == 3
            await again.close()

    asyncio.run(main())


def test_an_unknown_party_in_a_group_does_not_fail_the_others(dirs: tuple[Path, Path]) -> None:
    washington_dir, _ = dirs

    async def main() -> None:
        async with running(washington_dir, lane=True) as washington:
            first, second = await Raw.connect(washington_dir), await Raw.connect(washington_dir)
            # Both connections' lines reach the loop before it commits: one group.
            await first.write(send("a", tag="a"), send("x", tag="bad", to="Beijing"))
            await second.write(send("b", tag="b"), send("y" * 70_000, tag="big"))
            a, bad = await first.answer(), await first.answer()
            b, big = await second.answer(), await second.answer()
            assert (a["ok"], bad["ok"], b["ok"], big["ok"]) == (True, False, True, False)
            assert (bad["error"], big["error"]) == ("UnknownPeer", "MessageTooLarge")
            assert sorted([a["serial"], b["serial"]]) == [1, 2]
            texts = [
                r.text
                for r in washington.store.list_messages(peer="Moscow", direction=Direction.OUT)
            ]
            assert sorted(texts) == ["a", "b"]
            await first.close()
            await second.close()

    asyncio.run(main())


def test_a_wait_does_not_hold_up_later_requests(dirs: tuple[Path, Path]) -> None:
    washington_dir, _ = dirs  # Moscow is not running: nothing is delivered

    async def main() -> None:
        async with running(washington_dir, lane=True):
            raw = await Raw.connect(washington_dir)
            [queued] = await raw.ask(send("stays queued", tag="q"))
            await raw.write(
                {"op": "wait", "id": queued["id"], "within": 0.5, "tag": "w"}, send("next", tag="n")
            )
            first, second = await raw.answer(), await raw.answer()
            assert (first["tag"], first["serial"]) == ("n", 2)
            assert (second["tag"], second["state"]) == ("w", "queued")
            await raw.close()

    asyncio.run(main())


def test_a_half_closed_client_still_gets_its_answers(dirs: tuple[Path, Path]) -> None:
    washington_dir, _ = dirs

    async def main() -> None:
        async with running(washington_dir, lane=True):
            raw = await Raw.connect(washington_dir)
            # The last line has no newline: end of input ends it.
            raw.writer.write(json.dumps(send("one", tag=1)).encode() + b"\n")
            raw.writer.write(json.dumps(send("two", tag=2)).encode())
            raw.writer.write_eof()
            rest = await asyncio.wait_for(raw.reader.read(), ANSWER_WITHIN)
            answers = [json.loads(line) for line in rest.splitlines()]
            assert [(a["tag"], a["serial"]) for a in answers] == [(1, 1), (2, 2)]
            await raw.close()

    asyncio.run(main())


def test_a_stale_socket_is_replaced_and_the_socket_is_removed_at_stop(tmp_path: Path) -> None:
    directory = make_terminal(tmp_path / "washington", "Washington")
    path = send_socket_path(TerminalPaths(directory))
    # What a killed daemon leaves: the socket file, with nobody listening on it.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(path))
    os.chmod(path, 0o666)

    async def main() -> None:
        async with running(directory, lane=True):
            assert path.stat().st_mode & 0o777 == 0o600
            raw = await Raw.connect(directory)
            [refused] = await raw.ask(send("nobody to send to", tag=1))
            assert refused["error"] == "UnknownPeer"
            # A connection still open when the terminal stops is closed by it.
        assert await asyncio.wait_for(raw.reader.read(), ANSWER_WITHIN) == b""
        await raw.close()

    asyncio.run(main())
    assert not path.exists()


# -- the client --------------------------------------------------------------------


def test_send_lane_client_sends_waits_and_raises_the_daemons_errors(
    dirs: tuple[Path, Path],
) -> None:
    washington_dir, moscow_dir = dirs

    def drive(lane: SendLane) -> None:
        sent = lane.send(to="Moscow", text="from the client", precedence="immediate")
        assert sent["serial"] == 1
        assert lane.wait_delivered(sent["id"], timeout=30)["state"] == "delivered"
        with pytest.raises(UnknownPeer, match="Beijing"):
            lane.send(to="Beijing", text="x")
        with pytest.raises(InvalidArgument, match="precedence"):
            lane.send(to="Moscow", text="x", precedence="urgent")
        with pytest.raises(MessageTooLarge):
            lane.send(to="Moscow", text="x" * (MAX_TEXT_BYTES + 1))
        with pytest.raises(UnknownMessage):
            lane.wait_delivered("0" * 32, timeout=0)
        answers = lane.send_many(
            [
                {"to": "Moscow", "text": f"many {i}", "channel": "ops"}
                if i != 300
                else {"to": "Beijing", "text": "lost"}
                for i in range(600)
            ]
        )
        assert len(answers) == 600
        assert answers[300]["error"] == "UnknownPeer"
        ok = [a for i, a in enumerate(answers) if i != 300]
        assert all(a["ok"] for a in ok)
        assert [a["serial"] for a in ok] == list(range(2, 601))
        last = lane.wait_delivered(ok[-1]["id"], timeout=60)
        assert last["state"] == "delivered"
        assert lane.send(to="Moscow", text="after")["serial"] == 601

    async def main() -> None:
        async with running(moscow_dir) as moscow, running(washington_dir, lane=True):
            with SendLane(washington_dir, timeout=30) as lane:
                await asyncio.to_thread(drive, lane)
            await wait_until(
                lambda: len(moscow.store.list_messages(peer="Washington")) == 601,
                within=60,
                what="all received",
            )
            received = moscow.store.list_messages(peer="Washington", direction=Direction.IN)
            assert all(r.state is MessageState.DELIVERED for r in received)
            by_serial = sorted(received, key=lambda r: r.serial)
            assert [r.text for r in by_serial][1:4] == ["many 0", "many 1", "many 2"]
            assert {r.channel for r in by_serial[1:-1]} == {"ops"}

    asyncio.run(main())


def test_send_lane_client_without_a_daemon(tmp_path: Path) -> None:
    with pytest.raises(NotInitialised):
        SendLane(tmp_path)
    directory = make_terminal(tmp_path / "washington", "Washington")
    with pytest.raises(DaemonNotRunning, match="hotline run"):
        SendLane(directory, timeout=2)


def test_hotline_run_serves_the_lane_and_removes_it_on_sigterm(dirs: tuple[Path, Path]) -> None:
    washington_dir, _ = dirs
    path = send_socket_path(TerminalPaths(washington_dir))

    def drive() -> dict[str, Any]:
        with SendLane(washington_dir, timeout=10) as lane:
            return lane.send(to="Moscow", text="via hotline run")

    async def main() -> None:
        ready = asyncio.Event()
        task = asyncio.create_task(run_terminal(washington_dir, ready=ready))
        await asyncio.wait_for(ready.wait(), ANSWER_WITHIN)
        assert path.stat().st_mode & 0o777 == 0o600
        assert (await asyncio.to_thread(drive))["serial"] == 1
        os.kill(os.getpid(), signal.SIGTERM)  # run_terminal's own handler takes it
        await asyncio.wait_for(task, ANSWER_WITHIN)

    asyncio.run(main())
    assert not path.exists()
