"""A TCP forwarder on loopback that can be cut silently: one route of a test line.

Put one in front of each route a peer's card lists, and a test can cut a
route the way a bulldozer cuts a cable: :meth:`RouteProxy.cut` stops
forwarding bytes in both directions and leaves every connection open, so
neither end hears anything (no reset, no FIN) and only heartbeats can tell.
New connections are accepted and then ignored, as a dead path would time out.
:meth:`RouteProxy.heal` forwards again (for new connections; the old ones
have gone silent for ever, as TCP's would after a long outage).

Network-namespace tests (:mod:`hotline.testing.netns`) cut real links; this
one runs anywhere, in the test's own event loop, with no privileges.
"""

from __future__ import annotations

import asyncio
import contextlib

from hotline.errors import LinkError

__all__ = ["RouteProxy"]

_CHUNK = 64 * 1024
#: Loop turns aclose() gives a connection accepted at the moment of closing to
#: reach _accept (transport, protocol, then the callback's task: a turn each).
_SETTLE_TURNS = 8


class RouteProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target`` until cut."""

    def __init__(self, target: str) -> None:
        host, _, port = target.rpartition(":")
        self._target = (host, int(port))
        self._server: asyncio.Server | None = None
        self._cut = False
        #: Bumped by every cut: a connection made before a cut never carries again.
        self._epoch = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._closing = False
        self.connections = 0

    @property
    def address(self) -> str:
        """``HOST:PORT`` to put on a card instead of the target."""
        if self._server is None:
            raise LinkError("start the proxy first (await proxy.start())")
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"{host}:{port}"

    @property
    def is_cut(self) -> bool:
        return self._cut

    async def start(self) -> RouteProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    def cut(self) -> None:
        """Stop forwarding, silently, on every connection, old and new."""
        self._cut = True
        self._epoch += 1

    def heal(self) -> None:
        """Forward again on new connections."""
        self._cut = False

    async def aclose(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.close()
        # A connection accepted just before the close reaches _accept a few turns
        # later; it must see _closing there, or its socket outlives the proxy.
        for _ in range(_SETTLE_TURNS):
            await asyncio.sleep(0)
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closing:
            writer.transport.abort()
            return
        self.connections += 1
        self._writers.add(writer)
        if self._cut:
            # A dead path: the connection exists, nothing ever crosses it.
            self._spawn(self._swallow(reader))
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        if self._closing:
            # Closed while we dialled: aclose() has aborted the writers it knew.
            up_writer.transport.abort()
            writer.transport.abort()
            return
        self._writers.add(up_writer)
        self._spawn(self._pipe(reader, up_writer, self._epoch))
        self._spawn(self._pipe(up_reader, writer, self._epoch))

    def _spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _swallow(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(Exception):
            while await reader.read(_CHUNK):
                pass

    def _dead(self, epoch: int) -> bool:
        return self._cut or epoch != self._epoch

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, epoch: int
    ) -> None:
        try:
            while True:
                data = await reader.read(_CHUNK)
                if not data:
                    break
                if self._dead(epoch):
                    # Cut: swallow everything from now on; never close, never reset.
                    await self._swallow(reader)
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        if not self._dead(epoch):
            writer.transport.abort()
