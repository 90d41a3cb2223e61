"""The cryptography one message needs, timed alone: the floor under hotline's figures.

By the protocol, each message costs the sender an HPKE seal and an Ed25519
signature, the receiver a verification, an HPKE open and a signed receipt, and
the sender the receipt's verification. This times each primitive the way
hotline calls it (``cryptography``, in a hot loop: the best case), and prints
the sum per side and the throughput that sum alone allows on one core.

    .venv/bin/python -m bench.crypto_floor
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from bench.report import JSON_HELP, emit_json
from hotline.crypto import (
    BODY_DOMAIN,
    HPKE_SUITE,
    ZERO_HASH,
    Envelope,
    EnvelopeHeader,
    Identity,
    Precedence,
    new_message_id,
    salted,
    seal_envelope,
)
from hotline.utc import format_utc, time_group

__all__ = ["SampleMessage", "crypto_floor", "sample_message"]


def _time(operation: Callable[[], object], n: int) -> float:
    """Median over five rounds of the mean time of ``n`` calls, in microseconds."""
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(n):
            operation()
        rounds.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(rounds)


@dataclass(frozen=True, slots=True)
class SampleMessage:
    """One FLASH message from Washington to Moscow, as the benchmarks time it."""

    washington: Identity
    moscow: Identity
    header: EnvelopeHeader
    body: dict[str, Any]
    envelope: Envelope


def sample_message() -> SampleMessage:
    """A first message (serial 1) between two fresh identities, sealed and signed."""
    washington, moscow = Identity.generate("Washington"), Identity.generate("Moscow")
    now = datetime.now(UTC)
    header = EnvelopeHeader(
        message_id=new_message_id(),
        sender=washington.signing_public,
        recipient=moscow.signing_public,
        serial=1,
        sent_at=format_utc(now),
        time_group=time_group(now),
        precedence=Precedence.FLASH,
        prev_hash=ZERO_HASH,
    )
    body = salted({"text": "FLASH test message 00001"})
    envelope = seal_envelope(
        header=header,
        body=body,
        sender=washington,
        recipient_encryption_key=moscow.encryption_public,
    )
    # The sealed header: the one given gains its body commitment in seal_envelope.
    return SampleMessage(washington, moscow, envelope.header, body, envelope)


def crypto_floor(n: int = 2000) -> dict[str, float]:
    """Microseconds per call of each primitive one message needs."""
    sample = sample_message()
    washington, moscow, envelope = sample.washington, sample.moscow, sample.envelope
    # Signed data of the envelope's size (hotline signs it without its 76-byte signature
    # field; the cost does not depend on the bytes), and the header as the HPKE info.
    signed = envelope.encode()
    signature = washington.sign(signed)
    info = BODY_DOMAIN + sample.header.encode()
    plaintext = cbor2.dumps(sample.body, canonical=True)
    signing_key = Ed25519PublicKey.from_public_bytes(washington.signing_public)
    encryption_key = X25519PublicKey.from_public_bytes(moscow.encryption_public)
    return {
        "sign": _time(lambda: washington.sign(signed), n),
        "verify": _time(lambda: signing_key.verify(signature, signed), n),
        "seal": _time(lambda: HPKE_SUITE.encrypt(plaintext, encryption_key, info=info), n),
        "open": _time(
            lambda: HPKE_SUITE.decrypt(envelope.body, moscow.encryption_key, info=info), n
        ),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="calls per round (default 2000)")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    floor = crypto_floor(args.n)
    names = {
        "sign": "Ed25519 sign",
        "verify": "Ed25519 verify",
        "seal": "HPKE seal (X25519, HKDF-SHA256, ChaCha20-Poly1305)",
        "open": "HPKE open",
    }
    for key, name in names.items():
        print(f"{name:52s} {floor[key]:7.1f} µs")
    sender = floor["seal"] + floor["sign"] + floor["verify"]
    receiver = floor["verify"] + floor["open"] + floor["sign"]
    print(f"sender per message (seal, sign, verify the receipt):    {sender:6.0f} µs")
    print(f"receiver per message (verify, open, sign the receipt): {receiver:6.0f} µs")
    print(
        f"one direction, cryptography alone on one core each: at most "
        f"{1e6 / max(sender, receiver):,.0f} msg/s"
    )
    if args.json:
        figures = {f"{key}_us": floor[key] for key in names}
        figures |= {
            "sender_us": sender,
            "receiver_us": receiver,
            "one_way_bound_msg_s": 1e6 / max(sender, receiver),
        }
        emit_json("crypto_floor", figures, n=args.n)


if __name__ == "__main__":
    main()
