"""Memory under a connection flood: what strangers who can reach a listening port cost.

Issue 21, defect 4: 250 idle unauthenticated TLS connections raised a terminal's
RSS from 71 to 154 MB and a few hundred refused handshakes to 195-260 MB, never
given back. This runs Moscow of a linked pair as a real process and measures its
RSS (from /proc) at each step, on loopback only:

1. idle, linked to Washington;
2. with ``--idle`` TCP connections open to its route that never speak TLS;
3. those closed, then ``--handshakes`` full TLS handshakes by a stranger (a
   certificate Moscow does not pin), ``--parallel`` at a time, each refused;
4. everything closed, after ``--settle`` seconds.

The reference in the same run is step 1: the figures are increments over it.
The line must still carry a message at the end (checked, not timed).

    .venv/bin/python -m bench.tls_flood --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import ssl
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.harness import rss_mib, terminal_pair
from bench.report import JSON_HELP, emit_json
from hotline.link import parse_route
from hotline.terminal import load_settings

__all__ = ["main"]


def _stranger_context(directory: Path) -> ssl.SSLContext:
    """A TLS 1.3 client with a certificate of its own that no terminal pins."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stranger")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "stranger.pem", directory / "stranger.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(cert_file, key_file)
    return context


async def _idle(host: str, port: int, count: int) -> list[asyncio.StreamWriter]:
    writers = []
    for _ in range(count):
        with contextlib.suppress(OSError):
            _reader, writer = await asyncio.open_connection(host, port)
            writers.append(writer)
    return writers


async def _handshakes(
    host: str, port: int, count: int, parallel: int, context: ssl.SSLContext
) -> dict[str, int]:
    outcome = {"refused": 0, "shed_or_failed": 0}
    gate = asyncio.Semaphore(parallel)

    async def one() -> None:
        async with gate:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port, ssl=context), 30
                )
            except (OSError, ssl.SSLError, TimeoutError):
                outcome["shed_or_failed"] += 1
                return
            # TLS 1.3: the server checks our certificate after our side finished;
            # the refusal arrives as an alert or EOF on the first read.
            with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
                await asyncio.wait_for(reader.read(1), 30)
            outcome["refused"] += 1
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()

    await asyncio.gather(*(one() for _ in range(count)))
    return outcome


def run(idle: int, handshakes: int, parallel: int, settle: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hotline-flood-") as root, terminal_pair() as pair:
        moscow = pair.processes["Moscow"]
        host, port = parse_route(load_settings(pair.moscow / "hotline.toml").listen[0])
        time.sleep(settle)
        figures: dict[str, Any] = {"idle_rss_mib": rss_mib(moscow.pid)}

        async def flood() -> None:
            writers = await _idle(host, port, idle)
            await asyncio.sleep(settle)
            figures["idle_connections_open"] = len(writers)
            figures["rss_with_idle_connections_mib"] = rss_mib(moscow.pid)
            for writer in writers:
                writer.close()
            await asyncio.sleep(settle)
            outcome = await _handshakes(
                host, port, handshakes, parallel, _stranger_context(Path(root))
            )
            figures.update({f"handshakes_{k}": v for k, v in outcome.items()})
            figures["rss_after_handshakes_mib"] = rss_mib(moscow.pid)

        asyncio.run(flood())
        time.sleep(settle)
        figures["rss_settled_mib"] = rss_mib(moscow.pid)
        for key in ("rss_with_idle_connections_mib", "rss_after_handshakes_mib", "rss_settled_mib"):
            figures[key.replace("_mib", "_increase_mib")] = round(
                figures[key] - figures["idle_rss_mib"], 1
            )
        client = pair.client("Washington")
        sent = client.send(to="Moscow", text="still here")
        deadline = time.monotonic() + 60
        while client.message(sent["id"])["state"] not in ("delivered", "acknowledged"):
            if time.monotonic() > deadline:
                raise RuntimeError("the line no longer delivers after the flood")
            time.sleep(0.1)
        figures["line_still_delivers"] = True
        return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=int, default=250, help="idle TCP connections (250)")
    parser.add_argument("--handshakes", type=int, default=300, help="refused handshakes (300)")
    parser.add_argument("--parallel", type=int, default=50, help="handshakes at a time (50)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to settle per step")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    figures = run(args.idle, args.handshakes, args.parallel, args.settle)
    for key, value in figures.items():
        print(f"{key}: {value}")
    if args.json:
        emit_json(
            "tls_flood",
            figures,
            idle=args.idle,
            handshakes=args.handshakes,
            parallel=args.parallel,
            settle=args.settle,
        )


if __name__ == "__main__":
    main()
