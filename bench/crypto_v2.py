"""Cryptography per message, protocol v1 against v2: each operation timed alone, in µs.

Times the per-message crypto path as hotline calls it: the version-2 envelope
(HPKE per message) and the version-1 receipt per message, against the
version-3 envelope (a ratchet step and one AEAD per message) and one
version-2 receipt per batch; and Ed25519 from ``cryptography`` (OpenSSL)
against ``Identity.sign`` / ``verify_signature``. The protocol-v2 rows are
skipped when run against code that predates them, so the same script
measures before and after::

    PYTHONPATH=src .venv/bin/python -m bench.crypto_v2 [--json] [--calls N]

Each figure is the best of five rounds of the mean CPU time of N calls (default 2,000).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
import timeit
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import hotline.crypto as crypto
from hotline.crypto import (
    ZERO_HASH,
    Envelope,
    EnvelopeHeader,
    Identity,
    Precedence,
    open_envelope,
    salted,
    seal_envelope,
    sign_receipt,
    verify_envelope,
    verify_receipt,
    verify_signature,
)

__all__ = ["measure"]

SENT_AT = "1973-10-23T16:00:00.000000Z"
TEXT = {"text": "FLASH test message 00001: the line is open, please acknowledge."}


def _identity(party: str) -> Identity:
    return Identity.from_private_bytes(
        party,
        hashlib.sha256(f"bench {party} signing".encode()).digest(),
        hashlib.sha256(f"bench {party} encryption".encode()).digest(),
    )


def _header(sender: Identity, recipient: Identity, serial: int) -> EnvelopeHeader:
    return EnvelopeHeader(
        message_id=f"{serial:032x}",
        sender=sender.signing_public,
        recipient=recipient.signing_public,
        serial=serial,
        sent_at=SENT_AT,
        time_group="231600Z",
        precedence=Precedence.FLASH,
        prev_hash=ZERO_HASH if serial == 1 else hashlib.sha256(b"prev").digest(),
    )


def _best(operation: Callable[[], object], calls: int) -> float:
    # CPU time of this process, not wall time: on a machine shared with other work,
    # waiting for a core is not the operation's cost.
    rounds = timeit.repeat(operation, number=calls, repeat=5, timer=time.process_time)
    return min(rounds) / calls * 1e6


def measure(calls: int) -> dict[str, float]:
    """Every operation's time in µs, keyed by the row names of the table."""
    washington, moscow = _identity("Washington"), _identity("Moscow")
    body = salted(TEXT)
    signed = b"x" * 400
    openssl = Ed25519PrivateKey.from_private_bytes(washington.signing_key.private_bytes_raw())
    openssl_public = openssl.public_key()
    signature = washington.sign(signed)
    rows: dict[str, float] = {
        "Ed25519 sign, cryptography (OpenSSL)": _best(lambda: openssl.sign(signed), calls),
        "Ed25519 sign, Identity.sign": _best(lambda: washington.sign(signed), calls),
        "Ed25519 verify, cryptography (OpenSSL)": _best(
            lambda: openssl_public.verify(signature, signed), calls
        ),
        "Ed25519 verify, verify_signature": _best(
            lambda: verify_signature(washington.signing_public, signature, signed), calls
        ),
    }

    header = _header(washington, moscow, 2)
    envelope = seal_envelope(
        header=header,
        body=body,
        sender=washington,
        recipient_encryption_key=moscow.encryption_public,
    )
    data = envelope.encode()

    def receive_v2() -> object:
        received = Envelope.decode(data)
        verify_envelope(received, sender_signing_key=washington.signing_public)
        return open_envelope(received, recipient=moscow)

    receipt = sign_receipt(
        envelope=envelope, received_at=SENT_AT, journal_head=ZERO_HASH, recipient=moscow
    )
    rows |= {
        "v1: seal_envelope (HPKE + sign)": _best(
            lambda: seal_envelope(
                header=header,
                body=body,
                sender=washington,
                recipient_encryption_key=moscow.encryption_public,
            ),
            calls,
        ),
        "v1: decode + verify_envelope + open_envelope": _best(receive_v2, calls),
        "v1: sign_receipt (one per message)": _best(
            lambda: sign_receipt(
                envelope=envelope, received_at=SENT_AT, journal_head=ZERO_HASH, recipient=moscow
            ),
            calls,
        ),
        "v1: verify_receipt": _best(
            lambda: verify_receipt(
                receipt, envelope=envelope, recipient_signing_key=moscow.signing_public
            ),
            calls,
        ),
    }
    if hasattr(crypto, "seal_envelope_ratcheted"):
        rows |= _measure_v2(washington, moscow, body, calls)
    return rows


def _measure_v2(
    washington: Identity, moscow: Identity, body: dict[str, Any], calls: int
) -> dict[str, float]:
    seal, open_ = crypto.seal_envelope_ratcheted, crypto.open_envelope_ratcheted
    # Mid-epoch: the chain of serial 1's epoch, at serial 2 (the common case).
    opener, chain = seal(
        header=_header(washington, moscow, 1),
        body=body,
        sender=washington,
        recipient_encryption_key=moscow.encryption_public,
        chain=None,
    )
    _, receiver_chain = open_(opener, recipient=moscow, chain=None)
    header = _header(washington, moscow, 2)
    envelope, _ = seal(
        header=header,
        body=body,
        sender=washington,
        recipient_encryption_key=moscow.encryption_public,
        chain=chain,
    )
    data = envelope.encode()

    def receive() -> object:
        received = Envelope.decode(data)
        verify_envelope(received, sender_signing_key=washington.signing_public)
        return open_(received, recipient=moscow, chain=receiver_chain)

    opener_data = opener.encode()

    def receive_opener() -> object:
        received = Envelope.decode(opener_data)
        verify_envelope(received, sender_signing_key=washington.signing_public)
        return open_(received, recipient=moscow, chain=None)

    hashes = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(128)]

    def batch(size: int) -> Any:
        return crypto.sign_batch_receipt(
            sender=washington.signing_public,
            first_serial=1,
            envelope_hashes=hashes[:size],
            received_at=SENT_AT,
            journal_head=ZERO_HASH,
            recipient=moscow,
        )

    one, many = batch(1), batch(128)
    verify_batch = crypto.verify_batch_receipt
    return {
        "v2: seal_envelope_ratcheted (mid-epoch)": _best(
            lambda: seal(
                header=header,
                body=body,
                sender=washington,
                recipient_encryption_key=moscow.encryption_public,
                chain=chain,
            ),
            calls,
        ),
        "v2: seal_envelope_ratcheted (opens an epoch)": _best(
            lambda: seal(
                header=header,
                body=body,
                sender=washington,
                recipient_encryption_key=moscow.encryption_public,
                chain=None,
            ),
            calls,
        ),
        "v2: decode + verify_envelope + open_envelope_ratcheted (mid-epoch)": _best(receive, calls),
        "v2: decode + verify_envelope + open_envelope_ratcheted (epoch opener)": _best(
            receive_opener, calls
        ),
        "v2: sign_batch_receipt, 1 hash": _best(lambda: batch(1), calls),
        "v2: sign_batch_receipt, 128 hashes": _best(lambda: batch(128), calls // 4),
        "v2: verify_batch_receipt, 1 hash": _best(
            lambda: verify_batch(
                one,
                recipient_signing_key=moscow.signing_public,
                sender=washington.signing_public,
                envelope_hashes=hashes[:1],
            ),
            calls,
        ),
        "v2: verify_batch_receipt, 128 hashes": _best(
            lambda: verify_batch(
                many,
                recipient_signing_key=moscow.signing_public,
                sender=washington.signing_public,
                envelope_hashes=hashes,
            ),
            calls // 4,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per round (default 2000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    rows = measure(args.calls)
    if args.json:
        print(json.dumps({"calls": args.calls, "rounds": 5, "us": rows}, indent=2))
        return
    width = max(map(len, rows))
    print(f"{'operation':<{width}}  µs")
    for name, value in rows.items():
        print(f"{name:<{width}}  {value:7.1f}")


if __name__ == "__main__":
    main()
