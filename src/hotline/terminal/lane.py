"""The send lane: a local client's sender path without HTTP, on ``DIR/send.sock``.

The control API (``control.py``) costs a local sender about as much CPU per
message as the delivery itself: HTTP parsing, routing, request models and the
message's full JSON shape. The send lane is the same two operations the
latency path needs — queue a text, wait for its receipt — as newline-delimited
JSON over a second Unix socket, served with plain asyncio. docs/lane.md is the
normative description of the wire format; this module implements it.

Theory of operation
-------------------
Each connection has a reader loop. A ``send`` request is checked at once
(known peer, precedence, channel, size) and, if sound, joins the *group*: every
``send`` read from any connection before the loop next runs its ready callbacks.
The group is queued with one :meth:`Terminal.send_many` call — one transaction,
one commit — and each request is answered from its record. ``send_many`` is all
or none, so a group it still refuses (a check it makes that this module does
not) is queued again one message at a time, and only the bad one fails.

Answers to ``send`` and to malformed lines leave in request order (each
connection keeps a queue of slots); an answer to ``wait`` leaves when the
receipt comes (the terminal's delivery tracker wakes it, nothing polls), so it
may overtake others: every answer echoes its request's ``tag``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from hotline.crypto import Precedence
from hotline.errors import (
    DaemonError,
    HotlineError,
    InvalidArgument,
    MessageTooLarge,
    UnknownPeer,
)
from hotline.store import MessageRecord
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.core.outbox import DEFAULT_CHANNEL, MAX_TEXT_BYTES, check_channel
from hotline.terminal.daemon import OutgoingText, Terminal

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_WITHIN",
    "SEND_SOCKET",
    "LaneSend",
    "LaneWait",
    "parse_request",
    "send_socket_path",
    "serve_send_lane",
    "tag_of",
]

log = logging.getLogger("hotline.lane")

#: The socket's file name inside the terminal directory.
SEND_SOCKET: Final = "send.sock"
#: The longest request line, in bytes without its newline: a 60,000-byte text
#: fits with room for JSON escapes (docs/lane.md, "Framing").
MAX_LINE_BYTES: Final = 128 * 1024
#: The longest ``wait``, in seconds (as the control API's long-poll).
MAX_WITHIN: Final = 3600.0

_SEND_FIELDS: Final = frozenset({"op", "to", "text", "precedence", "channel", "tag"})
_WAIT_FIELDS: Final = frozenset({"op", "id", "within", "tag"})
_PRECEDENCES: Final = {str(p): p for p in Precedence}

Tag = str | int | None


def send_socket_path(paths: TerminalPaths) -> Path:
    """``DIR/send.sock``."""
    return paths.root / SEND_SOCKET


# -- requests (pure: bytes in, a request or InvalidArgument out) ---------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneSend:
    """``{"op":"send"}``: queue one text durably."""

    to: str
    text: str
    precedence: Precedence = Precedence.ROUTINE
    channel: str = DEFAULT_CHANNEL
    tag: Tag = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneWait:
    """``{"op":"wait"}``: answer once the message is delivered, or ``within`` seconds pass."""

    id: str
    within: float = 30.0
    tag: Tag = None


def parse_request(line: bytes) -> LaneSend | LaneWait:
    """One request line (its newline optional) as a request; InvalidArgument says what is wrong."""
    try:
        value = json.loads(line)
    except ValueError as exc:  # UnicodeDecodeError is one too
        raise InvalidArgument(f"not a JSON text: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidArgument("a request is a JSON object")
    tag = value.get("tag")
    if not _is_tag(tag):
        raise InvalidArgument("tag: a string, an integer or null")
    op = value.get("op")
    if op == "send":
        _no_other_fields(value, _SEND_FIELDS)
        precedence = value.get("precedence", "routine")
        if not isinstance(precedence, str) or precedence not in _PRECEDENCES:
            raise InvalidArgument(f"precedence: one of {', '.join(_PRECEDENCES)}")
        return LaneSend(
            to=_string(value, "to"),
            text=_string(value, "text", empty=True),
            precedence=_PRECEDENCES[precedence],
            channel=_string(value, "channel", default=DEFAULT_CHANNEL),
            tag=tag,
        )
    if op == "wait":
        _no_other_fields(value, _WAIT_FIELDS)
        within = value.get("within", 30.0)
        # NaN and infinities (which json.loads accepts) fail the range check too.
        if type(within) not in (int, float) or not (0 <= within <= MAX_WITHIN):
            raise InvalidArgument(f"within: a number of seconds from 0 to {MAX_WITHIN:g}")
        return LaneWait(id=_string(value, "id"), within=float(within), tag=tag)
    raise InvalidArgument(f"op: 'send' or 'wait', not {op!r}")


def tag_of(line: bytes) -> Tag:
    """The tag to answer a refused line under: its ``tag`` if it is an object with a valid one."""
    with contextlib.suppress(ValueError):
        value = json.loads(line)
        if isinstance(value, dict) and _is_tag(tag := value.get("tag")):
            return tag
    return None


def _is_tag(value: object) -> bool:
    # bool is an int to Python, not to JSON: true is not a tag.
    return value is None or isinstance(value, str) or type(value) is int


def _string(value: dict[str, Any], key: str, *, default: str = "", empty: bool = False) -> str:
    if key not in value and default:
        return default
    item = value.get(key)
    if not isinstance(item, str) or (not item and not empty):
        raise InvalidArgument(f"{key}: a {'string' if empty else 'non-empty string'}")
    try:
        # JSON can spell a lone surrogate (\\ud800); UTF-8, the store and the body cannot.
        item.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgument(f"{key}: not valid Unicode (a lone surrogate)") from None
    return item


def _no_other_fields(value: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InvalidArgument(f"unknown field(s) for op {value['op']!r}: {', '.join(unknown)}")


# -- answers -------------------------------------------------------------------


def _error(exc: HotlineError, tag: Tag) -> dict[str, Any]:
    # The same names the control API uses (hotline.terminal.api.errors.error_body).
    return {"ok": False, "error": type(exc).__name__, "detail": str(exc), "tag": tag}


def _sent(record: MessageRecord, tag: Tag) -> dict[str, Any]:
    return {
        "ok": True,
        "id": record.id,
        "serial": record.serial,
        "time_group": record.time_group,
        "tag": tag,
    }


def _encode(answer: dict[str, Any]) -> bytes:
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


class _Slot:
    """A place in a connection's answer order, filled when the answer is known."""

    __slots__ = ("answer",)

    def __init__(self) -> None:
        self.answer: dict[str, Any] | None = None


class _Connection:
    """One client's connection: answers in request order, except ``wait``'s."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self._slots: deque[_Slot] = deque()
        self.waits: set[asyncio.Task[None]] = set()

    def slot(self) -> _Slot:
        slot = _Slot()
        self._slots.append(slot)
        return slot

    def fill(self, slot: _Slot, answer: dict[str, Any]) -> None:
        slot.answer = answer
        ready = []
        while self._slots and (head := self._slots[0].answer) is not None:
            self._slots.popleft()
            ready.append(_encode(head))
        if ready:
            self.write(b"".join(ready))

    def write(self, data: bytes) -> None:
        if not self.writer.is_closing():
            self.writer.write(data)


@dataclass(frozen=True, slots=True)
class _Queued:
    message: OutgoingText
    connection: _Connection
    slot: _Slot
    tag: Tag


class _Lane:
    """The lane's state on the daemon's loop: the open group and the connections."""

    def __init__(self, terminal: Terminal) -> None:
        self._terminal = terminal
        self._group: list[_Queued] = []
        self._loop = asyncio.get_running_loop()
        self.connections: dict[asyncio.Task[None], _Connection] = {}

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connection = _Connection(writer)
        self.connections[task] = connection
        try:
            await self._read(reader, connection)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: nothing to answer
        finally:
            del self.connections[task]
            for wait in connection.waits:
                wait.cancel()
            with contextlib.suppress(ConnectionError):
                writer.close()
                await writer.wait_closed()

    async def close(self) -> None:
        """End every connection: each reader sees its input end and finishes normally.

        Not by cancelling their tasks: asyncio's server logs a cancelled
        connection task as an error (Python 3.11).
        """
        for connection in self.connections.values():
            connection.writer.transport.abort()
        await asyncio.gather(*self.connections, return_exceptions=True)

    async def _read(self, reader: asyncio.StreamReader, connection: _Connection) -> None:
        while True:
            # Backpressure: a client that pipelines but does not read is not
            # answered into an unbounded buffer.
            await connection.writer.drain()
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                if exc.partial.strip():
                    self._handle(exc.partial, connection)  # a last line without its newline
                await self._settle(connection)  # a half-closed client still gets its answers
                return
            except asyncio.LimitOverrunError:
                # The line's end is not in sight: framing is lost, so answer and close.
                connection.fill(
                    connection.slot(),
                    _error(
                        MessageTooLarge(
                            f"request line over {MAX_LINE_BYTES} bytes; the connection is closed"
                        ),
                        None,
                    ),
                )
                await self._settle(connection)
                return
            if line.strip():  # blank lines are skipped, as a human at nc types them
                self._handle(line, connection)

    async def _settle(self, connection: _Connection) -> None:
        """Let the open group commit, so the answers before a closing error all leave."""
        if any(q.connection is connection for q in self._group):
            # The group's commit was scheduled (call_soon) before this task's
            # wake-up is: one turn of the loop runs it first.
            await asyncio.sleep(0)
        await connection.writer.drain()

    def _handle(self, line: bytes, connection: _Connection) -> None:
        try:
            request = parse_request(line)
        except InvalidArgument as exc:
            connection.fill(connection.slot(), _error(exc, tag_of(line)))
            return
        if isinstance(request, LaneWait):
            task = self._loop.create_task(self._wait(request, connection))
            connection.waits.add(task)
            task.add_done_callback(connection.waits.discard)
            return
        slot = connection.slot()
        try:
            message = self._check(request)
        except HotlineError as exc:
            connection.fill(slot, _error(exc, request.tag))
            return
        if not self._group:
            self._loop.call_soon(self._commit)
        self._group.append(_Queued(message, connection, slot, request.tag))

    def _check(self, request: LaneSend) -> OutgoingText:
        """What ``send_many`` would refuse for this message alone, refused before the group."""
        if request.to not in self._terminal.lines:
            raise UnknownPeer(f"no peer named {request.to!r}")
        check_channel(request.channel)
        size = len(request.text.encode("utf-8"))
        if size > MAX_TEXT_BYTES:
            raise MessageTooLarge(f"the text is {size} bytes; the limit is {MAX_TEXT_BYTES} bytes")
        return OutgoingText(
            to=request.to,
            text=request.text,
            precedence=request.precedence,
            channel=request.channel,
        )

    def _commit(self) -> None:
        group, self._group = self._group, []
        try:
            records = self._terminal.send_many([q.message for q in group])
        except HotlineError:
            # A refusal the checks above did not foresee: one at a time, so
            # only the message it is about fails.
            for queued in group:
                self._commit_one(queued)
            return
        except Exception as exc:
            self._failed(group, exc)
            return
        for queued, record in zip(group, records, strict=True):
            queued.connection.fill(queued.slot, _sent(record, queued.tag))

    def _commit_one(self, queued: _Queued) -> None:
        try:
            record = self._terminal.send_many([queued.message])[0]
        except HotlineError as exc:
            queued.connection.fill(queued.slot, _error(exc, queued.tag))
        except Exception as exc:
            self._failed([queued], exc)
        else:
            queued.connection.fill(queued.slot, _sent(record, queued.tag))

    @staticmethod
    def _failed(group: list[_Queued], exc: Exception) -> None:
        # A bug or a failing disk: the control API would answer 500. Each
        # request is still answered, so no client hangs on it.
        log.error("send lane: queuing %d message(s) failed: %r", len(group), exc)
        error = DaemonError(f"the terminal could not queue the message: {exc!r}")
        for queued in group:
            queued.connection.fill(queued.slot, _error(error, queued.tag))

    async def _wait(self, request: LaneWait, connection: _Connection) -> None:
        try:
            record = await self._terminal.wait_delivered(request.id, within=request.within)
        except HotlineError as exc:
            answer = _error(exc, request.tag)
        else:
            answer = {
                "ok": True,
                "id": record.id,
                "state": str(record.state),
                "delivered_at": record.delivered_at,
                "tag": request.tag,
            }
        connection.write(_encode(answer))


async def serve_send_lane(terminal: Terminal, started: asyncio.Event) -> None:
    """Serve the send lane on ``DIR/send.sock`` until cancelled (a runner ``ExtraServer``)."""
    path = send_socket_path(terminal.files.paths)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # left by a daemon that was killed: we hold the directory lock
    lane = _Lane(terminal)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        # Owner-only before it listens: no moment in which another user could connect.
        os.chmod(path, 0o600)
        server = await asyncio.start_unix_server(lane.serve, sock=sock, limit=MAX_LINE_BYTES)
    except BaseException:
        sock.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        raise
    try:
        started.set()
        await asyncio.Event().wait()  # until cancelled
    finally:
        server.close()
        await lane.close()
        await server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
