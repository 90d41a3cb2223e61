"""RouteProxy: forwards until cut; a cut is silent (no reset, no FIN) and kills old connections."""

from __future__ import annotations

import asyncio

import pytest

from hotline.errors import LinkError
from hotline.testing import RouteProxy


async def _echo_server() -> tuple[asyncio.Server, str]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    return server, f"{host}:{port}"


async def _roundtrip(address: str, payload: bytes, *, within: float) -> bytes:
    host, port = address.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(payload)
        await writer.drain()
        async with asyncio.timeout(within):
            return await reader.readexactly(len(payload))
    finally:
        writer.transport.abort()


def test_forwards_then_cut_is_silent_then_heal_serves_new_connections() -> None:
    async def main() -> None:
        server, target = await _echo_server()
        proxy = await RouteProxy(target).start()
        try:
            assert await _roundtrip(proxy.address, b"ping", within=2) == b"ping"
            # An open connection goes silent at the cut: no data, and no end of stream.
            host, port = proxy.address.rsplit(":", 1)
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(b"a")
            await writer.drain()
            assert await reader.readexactly(1) == b"a"
            proxy.cut()
            assert proxy.is_cut
            writer.write(b"b")
            await writer.drain()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await reader.read(1)
            # New connections during the cut are accepted and then ignored.
            with pytest.raises(TimeoutError):
                await _roundtrip(proxy.address, b"x", within=0.3)
            proxy.heal()
            assert await _roundtrip(proxy.address, b"again", within=2) == b"again"
            # The connection made before the cut stays dead after the heal.
            writer.write(b"c")
            await writer.drain()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await reader.read(1)
            writer.transport.abort()
            assert proxy.connections == 4
        finally:
            await proxy.aclose()
            server.close()
            await server.wait_closed()

    asyncio.run(main())


def test_address_before_start_is_an_error() -> None:
    with pytest.raises(LinkError, match="start the proxy first"):
        _ = RouteProxy("127.0.0.1:9").address
