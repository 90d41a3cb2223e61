"""The lean crypto reference: protocol v2's physical and cryptographic work, and nothing else.

A one-way burst of N messages between two processes over TLS 1.3 on loopback,
doing per message what a protocol-v2 delivery does (docs/protocol, issue 16), in
plain Python with the same libraries hotline uses and none of hotline's code:

* **sender**, per message: a ratchet step (message key ``HMAC-SHA256(ck, 0x01)``,
  next chain key ``HMAC-SHA256(ck, 0x02)``, ``cryptography``), a salted CBOR body and
  its SHA-256 commitment, the canonical CBOR header, ChaCha20-Poly1305 of the body
  under the message key (header as associated data), an Ed25519 signature over
  header and sealed body (PyNaCl), the envelope's SHA-256 (the next ``prev``); the
  batch of 500 is inserted with **one commit** (as ``send_many``) and framed;
* **receiver**, per message: Ed25519 verify, CBOR decode, serial and ``prev``
  checks, the ratchet step, re-encoding the header for the AEAD's associated data,
  decrypt, the body commitment check, the envelope's SHA-256; everything read
  together is inserted with **one commit** (group commit), then **one batch
  receipt**: Ed25519 over (first serial, last serial, chain head, RFC 6962 root of
  the batch's envelope hashes, time, journal head), sent back;
* **sender**, per receipt: recomputes the root from its own hashes, verifies the
  signature, marks the range delivered with one ``UPDATE`` and one commit.

Every 1,000 messages (``EPOCH_MESSAGES``) the sender opens a new epoch: an
HPKE-shaped seal of a fresh 32-byte epoch secret to the receiver's X25519 key
(ephemeral X25519, HKDF-SHA256, ChaCha20-Poly1305; 80 bytes on the wire, carried
in the opening envelope's ``ek``), which the receiver opens. Nothing else: no
journal, no statistics, no validation of what was just built. This is the
"physical limit" hotline's burst figure is divided by in ``bench.throughput``.

    python -m bench.lean --n 10000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl.signing import SigningKey, VerifyKey

from bench.reference import Receiver, closed, connect, context, frame, read_frames
from bench.report import JSON_HELP, emit_json

__all__ = ["EPOCH_MESSAGES", "lean_throughput", "merkle_root"]

EPOCH_MESSAGES = 1000
_ZERO_NONCE = bytes(12)
_BODY_DOMAIN = b"hotline-body-v3\0"
_ENVELOPE_DOMAIN = b"hotline-envelope-v1\0"
_RECEIPT_DOMAIN = b"hotline-receipt-v2\0"
_EPOCH_INFO = b"hotline-epoch-v3\0"
_CHAIN_INFO = b"hotline-chain-v3\0"


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 §2.1 Merkle Tree Hash of ``leaves`` (leaf data, here 32-byte envelope hashes)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    # Pairing left to right and carrying an odd last node up unchanged gives exactly
    # RFC 6962's split at the largest power of two below n.
    while len(level) > 1:
        paired = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _chain(epoch_secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CHAIN_INFO).derive(
        epoch_secret
    )


def _step(chain_key: bytes) -> tuple[bytes, bytes]:
    """(message key, next chain key): Signal's KDF_CK."""
    return (
        hmac.digest(chain_key, b"\x01", "sha256"),
        hmac.digest(chain_key, b"\x02", "sha256"),
    )


def _epoch_key(shared: bytes, enc: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=enc, info=info).derive(shared)


def _seal_epoch(secret: bytes, recipient: X25519PublicKey, info: bytes) -> bytes:
    ephemeral = X25519PrivateKey.generate()
    enc = ephemeral.public_key().public_bytes_raw()
    key = _epoch_key(ephemeral.exchange(recipient), enc, info)
    return enc + ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, secret, None)


def _open_epoch(ek: bytes, private: X25519PrivateKey, info: bytes) -> bytes:
    enc, sealed = ek[:32], ek[32:]
    key = _epoch_key(private.exchange(X25519PublicKey.from_public_bytes(enc)), enc, info)
    return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, sealed, None)


def _database(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS m (serial INTEGER PRIMARY KEY, hash BLOB NOT NULL, "
        "envelope BLOB NOT NULL, delivered INTEGER NOT NULL DEFAULT 0)"
    )
    return db


def _insert(db: sqlite3.Connection, rows: list[tuple[int, bytes, bytes]]) -> None:
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO m (serial, hash, envelope) VALUES (?, ?, ?)", rows)
    db.execute("COMMIT")


class _Inbound:
    """The receiver's state for the one direction: chain, expected serial, prev, journal head."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        self.sender_key = VerifyKey(keys["sender_verify"])
        self.signing = SigningKey(keys["receiver_sign"])
        self.x25519 = X25519PrivateKey.from_private_bytes(keys["receiver_x25519"])
        self.from_, self.to = keys["sender_verify"], self.signing.verify_key.encode()
        self.serial = 0
        self.prev = bytes(32)
        self.chain_key = b""
        self.head = bytes(32)

    def accept(self, envelope: bytes) -> tuple[int, bytes, bytes]:
        signature, signed = envelope[:64], envelope[64:]
        self.sender_key.verify(_ENVELOPE_DOMAIN + signed, signature)
        header: dict[str, Any] = cbor2.loads(signed)
        body = header.pop("body")
        serial = header["n"]
        if serial != self.serial + 1 or header["prev"] != self.prev:
            raise ValueError(f"out of order: serial {serial} after {self.serial}")
        if header["es"] == serial:
            info = _EPOCH_INFO + self.from_ + self.to + serial.to_bytes(8, "big")
            self.chain_key = _chain(_open_epoch(header["ek"], self.x25519, info))
        message_key, self.chain_key = _step(self.chain_key)
        aad = _BODY_DOMAIN + cbor2.dumps(header, canonical=True)
        plaintext = ChaCha20Poly1305(message_key).decrypt(_ZERO_NONCE, body, aad)
        if hashlib.sha256(plaintext).digest() != header["bc"]:
            raise ValueError(f"body commitment mismatch at serial {serial}")
        digest = hashlib.sha256(envelope).digest()
        self.serial, self.prev = serial, digest
        return serial, digest, envelope

    def receipt(self, rows: list[tuple[int, bytes, bytes]]) -> bytes:
        """One signed receipt for a committed batch (the journal head stands in as a hash chain)."""
        root = merkle_root([digest for _, digest, _ in rows])
        self.head = hashlib.sha256(self.head + root).digest()
        fields = {
            "v": 2,
            "from": self.from_,
            "to": self.to,
            "n0": rows[0][0],
            "n": rows[-1][0],
            "env": rows[-1][1],
            "root": root,
            "at": datetime.now(UTC).isoformat(),
            "head": self.head,
        }
        encoded = cbor2.dumps(fields, canonical=True)
        return self.signing.sign(_RECEIPT_DOMAIN + encoded).signature + encoded


def _receiver(
    port: int, directory: str, ready: Any, keys: dict[str, bytes]
) -> None:  # pragma: no cover - runs in the spawned receiver process
    root = Path(directory)
    db = _database(root / "lean-receiver.db")
    inbound = _Inbound(keys)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = bytearray()
        try:
            while True:
                rows = [inbound.accept(f) for f in await read_frames(reader, buffer)]
                _insert(db, rows)  # group commit: everything read together
                writer.write(frame(inbound.receipt(rows)))
                await writer.drain()
        except ConnectionError:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(
            handle,
            "127.0.0.1",
            port,
            ssl=context(True, root / "cert.pem", root / "key.pem"),
        )
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class _Outbound:
    """The sender's state: signing key, chain, serial, prev, the hashes awaiting receipts."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        self.signing = SigningKey(keys["sender_sign"])
        self.receiver_key = VerifyKey(keys["receiver_verify"])
        self.x25519 = X25519PublicKey.from_public_bytes(keys["receiver_x25519_public"])
        self.from_, self.to = self.signing.verify_key.encode(), keys["receiver_verify"]
        self.serial = 0
        self.prev = bytes(32)
        self.epoch = 0
        self.chain_key = b""
        self.hashes: list[bytes] = []  # index serial - 1

    def seal(self, text: str) -> tuple[int, bytes, bytes]:
        self.serial += 1
        serial = self.serial
        header: dict[str, Any] = {
            "v": 3,
            "from": self.from_,
            "to": self.to,
            "n": serial,
            "prev": self.prev,
            "kind": "text",
            "precedence": "routine",
            "at": datetime.now(UTC).isoformat(),
        }
        if not self.chain_key or serial - self.epoch >= EPOCH_MESSAGES:
            self.epoch = serial
            secret = os.urandom(32)
            info = _EPOCH_INFO + self.from_ + self.to + serial.to_bytes(8, "big")
            header["ek"] = _seal_epoch(secret, self.x25519, info)
            self.chain_key = _chain(secret)
        header["es"] = self.epoch
        message_key, self.chain_key = _step(self.chain_key)
        plaintext = cbor2.dumps({"salt": os.urandom(16), "text": text}, canonical=True)
        header["bc"] = hashlib.sha256(plaintext).digest()
        aad = _BODY_DOMAIN + cbor2.dumps(header, canonical=True)
        header["body"] = ChaCha20Poly1305(message_key).encrypt(_ZERO_NONCE, plaintext, aad)
        signed = cbor2.dumps(header, canonical=True)
        envelope = self.signing.sign(_ENVELOPE_DOMAIN + signed).signature + signed
        digest = hashlib.sha256(envelope).digest()
        self.prev = digest
        self.hashes.append(digest)
        return serial, digest, envelope

    def check_receipt(self, receipt: bytes) -> tuple[int, int]:
        """The receipt's (n0, n) once its root and signature match what was sent."""
        signature, encoded = receipt[:64], receipt[64:]
        fields = cbor2.loads(encoded)
        first, last = fields["n0"], fields["n"]
        mine = self.hashes[first - 1 : last]
        if fields["root"] != merkle_root(mine) or fields["env"] != mine[-1]:
            raise ValueError(f"receipt {first}..{last} does not match what was sent")
        self.receiver_key.verify(_RECEIPT_DOMAIN + encoded, signature)
        return first, last


def _keys() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(sender's keys, receiver's keys), fresh for the run."""
    sender, receiver = SigningKey.generate(), SigningKey.generate()
    x25519 = X25519PrivateKey.generate()
    return (
        {
            "sender_sign": sender.encode(),
            "receiver_verify": receiver.verify_key.encode(),
            "receiver_x25519_public": x25519.public_key().public_bytes_raw(),
        },
        {
            "sender_verify": sender.verify_key.encode(),
            "receiver_sign": receiver.encode(),
            "receiver_x25519": x25519.private_bytes_raw(),
        },
    )


async def _burst(receiver: Receiver, keys: dict[str, bytes], n: int, batch: int) -> float:
    db = _database(receiver.directory / "lean-sender.db")
    outbound = _Outbound(keys)
    reader, writer = await connect(receiver)
    buffer = bytearray()
    delivered = 0

    async def read_receipts() -> None:
        nonlocal delivered
        while delivered < n:
            for receipt in await read_frames(reader, buffer):
                first, last = outbound.check_receipt(receipt)
                db.execute("BEGIN IMMEDIATE")
                db.execute("UPDATE m SET delivered = 1 WHERE serial BETWEEN ? AND ?", (first, last))
                db.execute("COMMIT")
                delivered += last - first + 1

    started = time.perf_counter()
    receipts = asyncio.create_task(read_receipts())
    for offset in range(0, n, batch):
        rows = [outbound.seal(f"burst {offset + i:05d}") for i in range(min(batch, n - offset))]
        _insert(db, rows)  # one commit per queued batch, as send_many
        writer.write(b"".join(frame(envelope) for _, _, envelope in rows))
        await writer.drain()
    await receipts
    elapsed = time.perf_counter() - started
    writer.close()
    await closed(writer)
    (undelivered,) = db.execute("SELECT count(*) FROM m WHERE delivered = 0").fetchone()
    db.close()
    if undelivered:
        raise RuntimeError(f"lean reference: {undelivered} messages without a receipt")
    return n / elapsed


def lean_throughput(n: int, *, batch: int = 500) -> float:
    """Messages per second, one way, for a burst of ``n`` queued in batches of ``batch``."""
    sender_keys, receiver_keys = _keys()
    receiver = Receiver(target=_receiver, extra=(receiver_keys,))
    try:
        return asyncio.run(_burst(receiver, sender_keys, n, batch))
    finally:
        receiver.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="messages (default 10000)")
    parser.add_argument("--batch", type=int, default=500, help="messages per send (default 500)")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    rate = lean_throughput(args.n, batch=args.batch)
    print(f"lean crypto reference, one way, {args.n} msgs: {rate:9,.0f} msg/s")
    if args.json:
        emit_json("lean", {"lean_crypto_msg_s": rate}, n=args.n, batch=args.batch)


if __name__ == "__main__":
    main()
