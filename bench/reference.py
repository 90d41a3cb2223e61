"""The reference: the same physical work as a hotline delivery, with no protocol logic.

Per message: one SQLite commit (WAL, synchronous=FULL) at the sender, a frame
over a TLS 1.3 connection on loopback, one commit at the receiver, an
acknowledgement frame back, one commit for the receipt at the sender. Sender
and receiver are separate processes, as two hotline terminals are. No
signatures, no encryption beyond TLS, no serial or chain checks: this is the
floor that hotline's figures are divided by.

    python -m bench.reference --n 1000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import multiprocessing
import os
import shutil
import sqlite3
import ssl
import struct
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from bench.harness import free_port, percentiles, summary
from bench.report import JSON_HELP, emit_json

__all__ = [
    "Receiver",
    "closed",
    "connect",
    "context",
    "frame",
    "read_frames",
    "reference_latency",
    "reference_throughput",
]

PAYLOAD = os.urandom(420)  # about the size of a sealed hotline envelope with a short text
ACK = os.urandom(240)  # about the size of a signed receipt


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reference")])
    start = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start.replace(year=9999))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, None)
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def context(server: bool, cert_file: Path, key_file: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(cert_file, key_file)
    context.load_verify_locations(cafile=str(cert_file))
    return context


def _database(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS m (id INTEGER PRIMARY KEY, body BLOB)")
    return db


def _store(db: sqlite3.Connection, bodies: list[bytes]) -> None:
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO m (body) VALUES (?)", [(b,) for b in bodies])
    db.execute("COMMIT")


async def read_frames(reader: asyncio.StreamReader, buffer: bytearray) -> list[bytes]:
    """Read at least one whole frame; return all whole frames buffered."""
    frames: list[bytes] = []
    while not frames:
        chunk = await reader.read(256 * 1024)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
        while len(buffer) >= 4:
            (size,) = struct.unpack_from(">I", buffer)
            if len(buffer) < 4 + size:
                break
            frames.append(bytes(buffer[4 : 4 + size]))
            del buffer[: 4 + size]
    return frames


def frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


def _receiver(port: int, directory: str, ready: multiprocessing.synchronize.Event) -> None:
    root = Path(directory)
    cert_file, key_file = root / "cert.pem", root / "key.pem"
    db = _database(root / "receiver.db")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = bytearray()
        try:
            while True:
                frames = await read_frames(reader, buffer)
                _store(db, frames)  # one commit for everything that arrived together
                writer.write(b"".join(frame(ACK) for _ in frames))
                await writer.drain()
        except ConnectionError:
            writer.close()

    async def main(argv: Sequence[str] | None = None) -> None:
        server = await asyncio.start_server(
            handle, "127.0.0.1", port, ssl=context(True, cert_file, key_file)
        )
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class Receiver:
    """A receiver process listening on TLS 1.3 loopback, with its own folder and certificate.

    ``target(port, directory, ready, *extra)`` runs in the spawned process (the TLS +
    commits receiver by default; bench/lean.py passes its own) and sets ``ready`` once
    it listens.
    """

    def __init__(
        self, target: Callable[..., None] = _receiver, extra: tuple[object, ...] = ()
    ) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="hotline-reference-"))
        self.cert_file, self.key_file = _certificate(self.directory)
        self.port = free_port()
        ready = multiprocessing.get_context("spawn").Event()
        self.process = multiprocessing.get_context("spawn").Process(
            target=target, args=(self.port, str(self.directory), ready, *extra), daemon=True
        )
        self.process.start()
        if not ready.wait(30):
            raise RuntimeError("reference receiver did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)
        # Its certificate and the two databases: nothing to keep after the run.
        shutil.rmtree(self.directory, ignore_errors=True)


async def closed(writer: asyncio.StreamWriter) -> None:
    """Wait for the TLS connection to close, so no socket outlives the run (ResourceWarning)."""
    # The peer may go first: closed all the same.
    with contextlib.suppress(ConnectionError, TimeoutError, ssl.SSLError):
        await asyncio.wait_for(writer.wait_closed(), 10)


async def connect(receiver: Receiver) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(
        "127.0.0.1",
        receiver.port,
        ssl=context(False, receiver.cert_file, receiver.key_file),
        server_hostname=None,
    )


async def _latency(receiver: Receiver, n: int) -> list[float]:
    db = _database(receiver.directory / "sender.db")
    reader, writer = await connect(receiver)
    buffer = bytearray()
    latencies = []
    for _ in range(n):
        _store(db, [PAYLOAD])
        started = time.perf_counter()
        writer.write(frame(PAYLOAD))
        await writer.drain()
        acks = await read_frames(reader, buffer)
        _store(db, acks)
        latencies.append((time.perf_counter() - started) * 1000.0)
    writer.close()
    await closed(writer)
    return latencies


async def _throughput(receiver: Receiver, n: int, batch: int) -> float:
    db = _database(receiver.directory / "sender-burst.db")
    reader, writer = await connect(receiver)
    buffer = bytearray()
    acknowledged = 0

    async def read_acks() -> None:
        nonlocal acknowledged
        while acknowledged < n:
            acks = await read_frames(reader, buffer)
            _store(db, acks)
            acknowledged += len(acks)

    started = time.perf_counter()
    acks_task = asyncio.create_task(read_acks())
    for offset in range(0, n, batch):
        count = min(batch, n - offset)
        _store(db, [PAYLOAD] * count)
        writer.write(frame(PAYLOAD) * count)
        await writer.drain()
    await acks_task
    elapsed = time.perf_counter() - started
    writer.close()
    await closed(writer)
    return n / elapsed


def reference_latency(n: int) -> list[float]:
    """Per-message latency (ms) from durable send to durable acknowledgement."""
    receiver = Receiver()
    try:
        return asyncio.run(_latency(receiver, n))
    finally:
        receiver.stop()


def reference_throughput(n: int, *, batch: int = 500) -> float:
    """Messages per second for a burst of ``n``, committed in batches of ``batch``."""
    receiver = Receiver()
    try:
        return asyncio.run(_throughput(receiver, n, batch))
    finally:
        receiver.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    latencies = reference_latency(args.n)
    burst = reference_throughput(10 * args.n)
    print(summary("reference latency", latencies))
    print(f"reference burst throughput: {burst:,.0f} msg/s")
    if args.json:
        emit_json(
            "reference",
            {"latency_ms": percentiles(latencies), "burst_msg_s": burst},
            n=args.n,
            burst_n=10 * args.n,
        )


if __name__ == "__main__":
    main()
