"""Mutual TLS 1.3 between terminals, pinned to the peers' identity keys.

Every terminal's certificate is self-signed by its Ed25519 identity key (see
``hotline.crypto.certificate``) and travels in its peer card. Pinning is done
by trust anchors: a dialing terminal trusts exactly the one certificate of the
peer it means to reach; a listening terminal trusts exactly the certificates of
the peers it knows, rebuilt for every connection so a newly added peer is
accepted at once. A certificate that is not pinned fails the handshake, and
the listener reports the refusal with the address and OpenSSL's reason.

The TLS handshake proves each side holds its identity key, or (for a signing
key in a hardware token) a TLS key that identity key certified; the protocol
hello that follows (``hotline.proto``) binds the session to both identity keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from hotline.crypto import certificate_pem, identity_key
from hotline.crypto import parse_route as card_route
from hotline.errors import CardInvalid, InvalidArgument, LinkError
from hotline.link.transport import StreamTransport

__all__ = [
    "RefusalHandler",
    "TLSListener",
    "TransportHandler",
    "client_context",
    "dial",
    "parse_route",
    "server_context",
]

log = logging.getLogger("hotline.link")

HANDSHAKE_TIMEOUT = 10.0

TransportHandler = Callable[[StreamTransport], Awaitable[None]]
#: Called with (peer address, reason) when a connection is refused before a session exists.
RefusalHandler = Callable[[str, str], None]


def parse_route(route: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` (``[v6]:PORT`` for IPv6) into host and port; :class:`LinkError` if bad."""
    try:
        return card_route(route)
    except InvalidArgument as exc:
        raise LinkError(str(exc)) from exc


def _base_context(
    *, server_side: bool, cert_file: Path, key_file: Path, key_password: bytes | None = None
) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    # Identity comes from the pinned key, not from a host name: there is no CA and no DNS.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    # An encrypted key file (sealed keys, docs/keys.md) is opened with its
    # password in memory: the plaintext key never touches the disk.
    context.load_cert_chain(certfile=str(cert_file), keyfile=str(key_file), password=key_password)
    return context


def server_context(
    *,
    cert_file: Path,
    key_file: Path,
    trusted: Sequence[bytes],
    key_password: bytes | None = None,
) -> ssl.SSLContext:
    """A listening context that accepts exactly the peers whose certificates are ``trusted``."""
    context = _base_context(
        server_side=True, cert_file=cert_file, key_file=key_file, key_password=key_password
    )
    if trusted:
        context.load_verify_locations(cadata="".join(certificate_pem(der) for der in trusted))
    return context


def client_context(
    *,
    cert_file: Path,
    key_file: Path,
    peer_certificate: bytes,
    key_password: bytes | None = None,
    also_trusted: Sequence[bytes] = (),
) -> ssl.SSLContext:
    """A dialing context that accepts only the one peer it means to reach.

    ``also_trusted``: that peer's older anchors (the certificate of a master
    key it changed away from, which may still issue its TLS leaf).
    """
    context = _base_context(
        server_side=False, cert_file=cert_file, key_file=key_file, key_password=key_password
    )
    anchors = (peer_certificate, *also_trusted)
    context.load_verify_locations(cadata="".join(certificate_pem(der) for der in anchors))
    return context


def _peer_key(writer: asyncio.StreamWriter) -> bytes:
    ssl_object = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    if not der:
        raise LinkError("the peer presented no certificate")
    try:
        # The card's self-signed certificate, or a TLS leaf issued by the key
        # of one (a signing key in a token, docs/keys.md): the identity key is
        # the pinned one either way, among the anchors this context trusts.
        return identity_key(der, ssl_object.context.get_ca_certs(binary_form=True))
    except CardInvalid as exc:
        raise LinkError(f"the peer's certificate carries no Ed25519 identity key: {exc}") from exc


def _address(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return str(peer)


async def dial(
    route: str, context: ssl.SSLContext, *, handshake_timeout: float = HANDSHAKE_TIMEOUT
) -> StreamTransport:
    """Connect to ``route`` and complete the TLS handshake; :class:`LinkError` on any failure."""
    host, port = parse_route(route)
    try:
        async with asyncio.timeout(handshake_timeout):
            reader, writer = await asyncio.open_connection(
                host,
                port,
                ssl=context,
                server_hostname=None if _is_ip(host) else host,
                ssl_handshake_timeout=handshake_timeout,
            )
    except ssl.SSLError as exc:
        raise LinkError(f"TLS handshake with {route} failed: {exc.reason or exc}") from exc
    except (OSError, TimeoutError) as exc:
        raise LinkError(f"cannot reach {route}: {str(exc) or type(exc).__name__}") from exc
    try:
        peer_key = _peer_key(writer)
        first = await _first_bytes(route, reader, handshake_timeout)
    except BaseException:
        # A refusal, or a cancellation (the terminal is stopping): never leave the
        # socket to the garbage collector. Aborted, not closed: a TLS close waits
        # for an exchange with the peer, which a stopping event loop never finishes.
        writer.transport.abort()
        raise
    return StreamTransport(
        reader,
        writer,
        peer_key=peer_key,
        peer_address=route,
        dialed=True,
        route=route,
        initial=first,
    )


async def _first_bytes(route: str, reader: asyncio.StreamReader, within: float) -> bytes:
    """Wait for the listener's first bytes (its protocol hello comes at once).

    In TLS 1.3 the client finishes its handshake before the server has checked
    the client's certificate, so a listener that does not accept us is only
    heard from now: as a TLS alert, or as the connection closing.
    """
    try:
        async with asyncio.timeout(within):
            first = await reader.read(256 * 1024)
    except ssl.SSLError as exc:
        raise LinkError(f"{route} refused us in the TLS handshake: {exc.reason or exc}") from exc
    except TimeoutError as exc:
        raise LinkError(f"{route} sent nothing for {within:g} s after the TLS handshake") from exc
    except OSError as exc:
        raise LinkError(
            f"{route} dropped the connection: {str(exc) or type(exc).__name__}"
        ) from exc
    if not first:
        raise LinkError(
            f"{route} closed the connection right after the TLS handshake (does it have our card?)"
        )
    return first


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


#: Loop turns aclose() gives connections accepted at the moment of closing (see there).
_SETTLE_TURNS = 8
#: Connections still in their TLS handshake (not yet proven to be a pinned peer),
#: at most, in total and from one host. A handshake holds ~100-170 KB of OpenSSL
#: buffers until it completes or times out (HANDSHAKE_TIMEOUT): without a cap,
#: anyone who can reach the port can grow the terminal by that much per socket.
#: A real peer opens one connection per route; the per-host cap leaves room for
#: several terminals behind one address (or on one test machine).
MAX_HANDSHAKES = 64
MAX_HANDSHAKES_PER_HOST = 16


def _host(address: str) -> str:
    """The host part of ``address`` as :func:`_address` formats it."""
    host = address.rsplit(":", 1)[0]
    return host[1:-1] if host.startswith("[") else host


class TLSListener:
    """Accepts TCP connections on one address and upgrades each to mutual TLS.

    The handshake is done here, not by ``asyncio.start_server(ssl=...)``, so a
    failed handshake (unknown or mismatched certificate) reaches ``on_refusal``
    with its reason instead of vanishing into the event loop's log.
    """

    def __init__(
        self,
        *,
        route: str,
        context_factory: Callable[[], ssl.SSLContext],
        on_transport: TransportHandler,
        on_refusal: RefusalHandler,
    ) -> None:
        self.route = route
        self._context_factory = context_factory
        self._on_transport = on_transport
        self._on_refusal = on_refusal
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self.max_handshakes = MAX_HANDSHAKES
        self.max_handshakes_per_host = MAX_HANDSHAKES_PER_HOST
        #: Connections in their handshake now, by host.
        self._handshaking: dict[str, int] = {}
        #: Connections closed at once because a cap was reached (a count for status).
        self.shed = 0

    @property
    def handshaking(self) -> int:
        """How many accepted connections are in their TLS handshake now."""
        return sum(self._handshaking.values())

    async def start(self) -> None:
        host, port = parse_route(self.route)
        try:
            self._server = await asyncio.start_server(self._accept, host, port, reuse_address=True)
        except OSError as exc:
            raise LinkError(f"cannot listen on {self.route}: {exc.strerror or exc}") from exc

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closing:
            # Accepted just before the server closed, started after aclose() took
            # its list of tasks: nobody is left to hand it to (or to journal into).
            writer.close()
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        address = _address(writer)
        host = _host(address)
        if (
            self.handshaking >= self.max_handshakes
            or self._handshaking.get(host, 0) >= self.max_handshakes_per_host
        ):
            # Shed before any TLS state exists: this is what keeps memory flat.
            writer.close()
            if task is not None:
                self._tasks.discard(task)
            self.shed += 1
            self._on_refusal(address, "too many connections in their TLS handshake; closed")
            return
        self._handshaking[host] = self._handshaking.get(host, 0) + 1
        try:
            try:
                await writer.start_tls(
                    self._context_factory(), ssl_handshake_timeout=HANDSHAKE_TIMEOUT
                )
                peer_key = _peer_key(writer)
            except (ssl.SSLError, LinkError, OSError, TimeoutError) as exc:
                # Closed first: reporting may fail (a stopping terminal), the socket must not leak.
                writer.close()
                if not self._closing:
                    reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
                    self._on_refusal(address, f"TLS handshake failed: {reason}")
                return
            except BaseException:
                writer.close()  # cancelled mid-handshake (the listener is closing)
                raise
            finally:
                left = self._handshaking[host] - 1
                if left:
                    self._handshaking[host] = left
                else:
                    del self._handshaking[host]
            transport = StreamTransport(
                reader,
                writer,
                peer_key=peer_key,
                peer_address=address,
                dialed=False,
                route=self.route,
            )
            try:
                await self._on_transport(transport)
            except BaseException:
                # Cancelled (the listener is closing) or failed while the terminal
                # held it: the socket must not outlive the listener (aborted: see dial).
                writer.transport.abort()
                raise
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def aclose(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await self._server.wait_closed()
        # A connection accepted just before the close is still on its way to us:
        # asyncio builds its transport, then its protocol, then schedules our
        # callback's task, one loop turn each. A few turns let that task start, see
        # _closing and close its socket (a task cancelled before its first step
        # never runs its body, and its socket would leak).
        for _ in range(_SETTLE_TURNS):
            await asyncio.sleep(0)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
