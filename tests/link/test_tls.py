"""Mutual TLS 1.3 pinned to identity keys: the right peer connects, an unpinned one is refused.

Each party here is an identity with its self-signed certificate written to
files, as a terminal directory holds them. Bob listens with a
:class:`TLSListener` that trusts the certificates in ``bob.trusted``; the
others dial him with :func:`dial`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hotline.crypto import Identity, certificate_pem, make_tls_certificate, private_key_pem
from hotline.errors import LinkError
from hotline.link import (
    StreamTransport,
    TLSListener,
    client_context,
    dial,
    parse_route,
    server_context,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Party:
    identity: Identity
    cert_file: Path
    key_file: Path
    certificate: bytes

    @property
    def key(self) -> bytes:
        return self.identity.signing_public

    def client(self, pinned: Party) -> ssl.SSLContext:
        return client_context(
            cert_file=self.cert_file, key_file=self.key_file, peer_certificate=pinned.certificate
        )


def make_party(directory: Path, name: str) -> Party:
    identity = Identity.generate(name)
    certificate = make_tls_certificate(identity)
    directory.mkdir()
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_text(certificate_pem(certificate), encoding="ascii")
    key_file.write_bytes(private_key_pem(identity))
    return Party(identity, cert_file, key_file, certificate)


@pytest.fixture
def alice(tmp_path: Path) -> Party:
    return make_party(tmp_path / "alice", "Alice")


@pytest.fixture
def bob(tmp_path: Path) -> Party:
    return make_party(tmp_path / "bob", "Bob")


@pytest.fixture
def carol(tmp_path: Path) -> Party:
    return make_party(tmp_path / "carol", "Carol")


@dataclass
class Listening:
    """Bob's listener and what it saw."""

    route: str
    trusted: list[bytes]
    accepted: list[StreamTransport] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    refusal: asyncio.Event = field(default_factory=asyncio.Event)
    listener: TLSListener | None = None


@contextlib.asynccontextmanager
async def listening(bob: Party, *trusted: Party) -> AsyncIterator[Listening]:
    state = Listening(route=f"127.0.0.1:{free_port()}", trusted=[p.certificate for p in trusted])

    async def on_transport(transport: StreamTransport) -> None:
        # An echo service that shouts back, so both directions are exercised. Like a
        # hotline session it speaks first: a dialer waits for that to know it was let in.
        state.accepted.append(transport)
        await transport.send(GREETING)
        while data := await transport.receive():
            await transport.send(data.upper())
        await transport.aclose()

    def on_refusal(address: str, reason: str) -> None:
        state.refused.append((address, reason))
        state.refusal.set()

    listener = TLSListener(
        route=state.route,
        context_factory=lambda: server_context(
            cert_file=bob.cert_file, key_file=bob.key_file, trusted=state.trusted
        ),
        on_transport=on_transport,
        on_refusal=on_refusal,
    )
    await listener.start()
    state.listener = listener
    try:
        yield state
    finally:
        await listener.aclose()


GREETING = b"HI "


async def echo(transport: StreamTransport, text: bytes) -> bytes:
    """Send ``text``; return what comes back, without the listener's greeting."""
    await transport.send(text)
    received = b""
    while len(received.removeprefix(GREETING)) < len(text):
        received += await asyncio.wait_for(transport.receive(), 5)
    return received.removeprefix(GREETING)


# -- parse_route -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("127.0.0.1:7001", ("127.0.0.1", 7001)),
        ("[::1]:7001", ("::1", 7001)),
        ("[2001:db8::1]:1", ("2001:db8::1", 1)),
        ("hotline.example.org:443", ("hotline.example.org", 443)),
        ("localhost:65535", ("localhost", 65535)),
    ],
)
def test_parse_route(route: str, expected: tuple[str, int]) -> None:
    assert parse_route(route) == expected


@pytest.mark.parametrize(
    "route",
    [
        "",
        "nohost",
        ":7001",
        "host:",
        "host:0",
        "host:65536",
        "host:07001",
        "host:abc",
        "host:-1",
        "host: 7001",
        "::1:7001",
        "[::1]",
        "[::1:7001",
        "[nonsense]:7001",
        "10.0.0.300:7001",
        "bad_host!:7001",
        "127.0.0.1:\u00b2",  # superscript two: str.isdigit() says yes, int() says no
        "127.0.0.1:\u0667\u0660\u0660\u0661",  # 7001 in Arabic-Indic digits
    ],
)
def test_parse_route_refuses(route: str) -> None:
    with pytest.raises(LinkError, match="HOST:PORT"):
        parse_route(route)


# -- contexts -------------------------------------------------------------------------


def test_contexts_speak_tls_1_3_only_and_require_a_certificate(alice: Party, bob: Party) -> None:
    contexts = [
        server_context(cert_file=bob.cert_file, key_file=bob.key_file, trusted=[alice.certificate]),
        alice.client(bob),
    ]
    for context in contexts:
        assert context.minimum_version is ssl.TLSVersion.TLSv1_3
        assert context.maximum_version is ssl.TLSVersion.TLSv1_3
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert not context.check_hostname


# -- handshakes -----------------------------------------------------------------------


def test_pinned_peers_connect_and_learn_each_others_keys(alice: Party, bob: Party) -> None:
    async def main() -> None:
        async with listening(bob, alice) as bob_side:
            transport = await dial(bob_side.route, alice.client(bob))
            try:
                assert (transport.peer_key, transport.dialed) == (bob.key, True)
                assert transport.peer_address == bob_side.route
                assert await echo(transport, b"hello, bob") == b"HELLO, BOB"
                [accepted] = bob_side.accepted
                assert (accepted.peer_key, accepted.dialed) == (alice.key, False)
                assert accepted.peer_address.startswith("127.0.0.1:")
            finally:
                await transport.aclose()
            assert bob_side.refused == []

    asyncio.run(main())


def test_dialer_refuses_a_listener_it_did_not_pin(alice: Party, bob: Party, carol: Party) -> None:
    async def main() -> None:
        async with listening(bob, alice) as bob_side:
            # Alice means to reach Carol, but Bob answers at that address.
            with pytest.raises(LinkError, match=r"TLS handshake with .* failed"):
                await dial(bob_side.route, alice.client(carol))
            await asyncio.wait_for(bob_side.refusal.wait(), 5)
            assert bob_side.accepted == []

    asyncio.run(main())


def test_listener_refuses_a_dialer_it_does_not_trust(
    bob: Party, carol: Party, alice: Party
) -> None:
    async def main() -> None:
        async with listening(bob, alice) as bob_side:
            try:
                transport = await dial(bob_side.route, carol.client(bob))
            except LinkError:
                pass  # the better outcome; see the xfail test below
            else:
                # TLS 1.3: the dialer's handshake ended before Bob judged its
                # certificate; the refusal reaches it as the end of the stream.
                try:
                    assert await asyncio.wait_for(transport.receive(), 5) == b""
                finally:
                    await transport.aclose()
            await asyncio.wait_for(bob_side.refusal.wait(), 5)
            [(address, reason)] = bob_side.refused
            assert address.startswith("127.0.0.1:")
            assert reason.startswith("TLS handshake failed: ")
            assert "CERTIFICATE_VERIFY_FAILED" in reason
            assert bob_side.accepted == []

    asyncio.run(main())


def test_dialer_learns_at_dial_time_that_it_was_refused(
    bob: Party, carol: Party, alice: Party
) -> None:
    async def main() -> None:
        async with listening(bob, alice) as bob_side:
            transport: StreamTransport | None = None
            try:
                with pytest.raises(LinkError):
                    transport = await dial(bob_side.route, carol.client(bob))
            finally:
                if transport is not None:
                    await transport.aclose()

    asyncio.run(main())


def test_listener_trusts_what_its_factory_trusts_at_each_connection(
    alice: Party, bob: Party, carol: Party
) -> None:
    async def main() -> None:
        async with listening(bob, alice) as bob_side:
            with pytest.raises(LinkError):
                await dial(bob_side.route, carol.client(bob))
            await asyncio.wait_for(bob_side.refusal.wait(), 5)
            # Carol is added while the listener runs: her next connection is accepted.
            bob_side.trusted.append(carol.certificate)
            transport = await dial(bob_side.route, carol.client(bob))
            try:
                assert await echo(transport, b"let me in") == b"LET ME IN"
            finally:
                await transport.aclose()
            assert [t.peer_key for t in bob_side.accepted] == [carol.key]

    asyncio.run(main())


def test_listener_with_no_trusted_peers_refuses_everyone(alice: Party, bob: Party) -> None:
    async def main() -> None:
        async with listening(bob) as bob_side:
            with contextlib.suppress(LinkError):
                transport = await dial(bob_side.route, alice.client(bob))
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(transport.receive(), 5)
                await transport.aclose()
            await asyncio.wait_for(bob_side.refusal.wait(), 5)
            assert bob_side.accepted == []

    asyncio.run(main())


def _tls_1_2_client(alice: Party, bob: Party) -> ssl.SSLContext:
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    old.check_hostname = False
    old.load_cert_chain(alice.cert_file, alice.key_file)
    old.load_verify_locations(cadata=certificate_pem(bob.certificate))
    return old


def test_tls_1_2_dialer_is_refused(alice: Party, bob: Party) -> None:
    async def main() -> None:
        async with listening(bob, alice) as bob_side:
            with pytest.raises(LinkError, match=bob_side.route):
                await dial(bob_side.route, _tls_1_2_client(alice, bob))
            await asyncio.wait_for(bob_side.refusal.wait(), 5)
            assert bob_side.accepted == []
            [(_, reason)] = bob_side.refused
            assert reason == "TLS handshake failed: UNSUPPORTED_PROTOCOL"

    asyncio.run(main())


def test_link_error_always_says_why(alice: Party, bob: Party) -> None:
    async def main() -> None:
        async with listening(bob, alice) as bob_side:
            with pytest.raises(LinkError) as refused:
                await dial(bob_side.route, _tls_1_2_client(alice, bob))
            assert not str(refused.value).endswith(": ")

    asyncio.run(main())


def test_plain_tcp_client_is_refused(alice: Party, bob: Party) -> None:
    async def main() -> None:
        async with listening(bob, alice) as bob_side:
            host, port = parse_route(bob_side.route)
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"GET / HTTP/1.0\r\n\r\n")
            await writer.drain()
            await asyncio.wait_for(bob_side.refusal.wait(), 5)
            assert await asyncio.wait_for(reader.read(), 5) == b""
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            assert bob_side.refused[0][1].startswith("TLS handshake failed")

    asyncio.run(main())


async def _until(predicate: Callable[[], bool], within: float = 30.0) -> None:
    """Wait for real sockets to get where ``predicate`` says; a wide deadline, no timing asserted."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - the listener has no event to wait on
            await asyncio.sleep(0.01)


def test_connections_in_their_handshake_are_capped_per_host_and_a_peer_gets_in_after(
    alice: Party, bob: Party
) -> None:
    """Issue 21, defect 4: idle unauthenticated connections grew the terminal without bound."""

    async def main() -> None:
        async with listening(bob, alice) as bob_side:
            listener = bob_side.listener
            assert listener is not None
            listener.max_handshakes_per_host = 3
            host, port = parse_route(bob_side.route)
            idle = [await asyncio.open_connection(host, port) for _ in range(5)]
            # Three wait in their handshake (they never speak); two are shed at once.
            await _until(lambda: listener.shed == 2 and listener.handshaking == 3)
            assert (listener.shed, listener.handshaking) == (2, 3)
            shed = [reason for _, reason in bob_side.refused if "too many" in reason]
            assert len(shed) == 2
            for reader, _writer in idle[3:]:
                assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the listener
            # The idle ones leave; a pinned peer from the same host is let in.
            for _, writer in idle:
                writer.close()
            await _until(lambda: listener.handshaking == 0)
            assert listener.handshaking == 0
            transport = await dial(bob_side.route, alice.client(bob))
            assert await echo(transport, b"in") == b"IN"
            await transport.aclose()

    asyncio.run(main())


def test_the_total_cap_holds_across_hosts(alice: Party, bob: Party) -> None:
    async def main() -> None:
        async with listening(bob, alice) as bob_side:
            listener = bob_side.listener
            assert listener is not None
            listener.max_handshakes = 2
            host, port = parse_route(bob_side.route)
            idle = [await asyncio.open_connection(host, port) for _ in range(4)]
            await _until(lambda: listener.shed == 2)
            assert (listener.shed, listener.handshaking) == (2, 2)
            for _, writer in idle:
                writer.close()

    asyncio.run(main())


# -- failures around the handshake ---------------------------------------------------------


def test_dial_to_a_closed_port_is_link_error(alice: Party, bob: Party) -> None:
    async def main() -> None:
        with pytest.raises(LinkError, match="cannot reach"):
            await dial(f"127.0.0.1:{free_port()}", alice.client(bob))

    asyncio.run(main())


def test_dial_times_out_on_a_silent_listener(alice: Party, bob: Party) -> None:
    async def main() -> None:
        connections: list[asyncio.StreamWriter] = []
        accepted = asyncio.Event()

        async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections.append(writer)  # accepts TCP, never speaks TLS
            accepted.set()

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            with pytest.raises(LinkError):
                await dial(f"127.0.0.1:{port}", alice.client(bob), handshake_timeout=0.2)
            # On a loaded machine the dial can time out before the server's
            # callback has run; closing before it runs would leak its socket
            # (Python 3.11's wait_closed does not wait for connections).
            async with asyncio.timeout(30):
                await accepted.wait()
        finally:
            for writer in connections:
                writer.close()
            server.close()
            await server.wait_closed()

    asyncio.run(main())


def test_listening_on_a_busy_address_is_link_error(alice: Party, bob: Party) -> None:
    async def main() -> None:
        async with listening(bob, alice) as bob_side:
            second = TLSListener(
                route=bob_side.route,
                context_factory=lambda: server_context(
                    cert_file=bob.cert_file, key_file=bob.key_file, trusted=[]
                ),
                on_transport=lambda _transport: asyncio.sleep(0),
                on_refusal=lambda _address, _reason: None,
            )
            with pytest.raises(LinkError, match="cannot listen"):
                await second.start()

    asyncio.run(main())
