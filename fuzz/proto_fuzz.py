"""Fuzz harness for hotline.proto: arbitrary bytes into an OPEN connection.

The one invariant (as in h11's fuzz/afl-server.py): whatever bytes the peer
sends, ``Connection`` yields events or raises ``RemoteProtocolError``, and
nothing else. Any other exception is a bug in the decoder.

With atheris installed (``pip install atheris``) this is a coverage-guided
fuzzer; extra arguments go to libFuzzer::

    python fuzz/proto_fuzz.py -max_total_time=300 corpus/

Without atheris it runs a plain mutation loop over valid frame streams, seeded
so a failure can be replayed::

    python fuzz/proto_fuzz.py --iterations 200000 --seed 1
"""

from __future__ import annotations

import argparse
import random
import sys

from hotline.errors import RemoteProtocolError
from hotline.proto import (
    Close,
    CloseCode,
    Connection,
    Data,
    Event,
    Heartbeat,
    Receipt,
    Resume,
    WitnessRefusal,
    WitnessRefusalCode,
    WitnessRequest,
    encode_frame,
)

KEY_US = b"\x01" * 32
KEY_PEER = b"\x02" * 32

# Valid frames for the mutation loop to start from: most interesting inputs are
# near-misses of real traffic, not uniform noise.
SEEDS: list[bytes] = [
    encode_frame(frame)
    for frame in (
        Data(envelope=b"\x00" * 40),
        Receipt(receipt=b"receipt"),
        Heartbeat(sent_at_ms=1_763_786_400_000),
        Resume(last_held=12),
        Close(code=CloseCode.NORMAL, reason="bye"),
        WitnessRequest(checkpoint=b"log\n9\nroot\n\n- sig\n", old_size=8, proof=(b"\x07" * 32,)),
        WitnessRefusal(size=9, known_size=7, code=WitnessRefusalCode.INCONSISTENT, reason="fork"),
    )
]


def open_connection() -> Connection:
    """A connection that has exchanged Hellos and is OPEN."""
    conn = Connection(our_key=KEY_US, peer_key=KEY_PEER, max_frame_size=1 << 16)
    peer = Connection(our_key=KEY_PEER, peer_key=KEY_US, max_frame_size=1 << 16)
    conn.send(conn.hello())
    conn.receive_data(peer.send(peer.hello()))
    list(conn.events())
    return conn


def check(data: bytes, *, split: int = 0) -> None:
    """Feed ``data`` (in two pieces at ``split``, then EOF); enforce the invariant."""
    conn = open_connection()
    # Empty pieces are skipped: b"" means EOF, which comes once, at the end.
    pieces = [piece for piece in (data[:split], data[split:]) if piece]
    try:
        for piece in (*pieces, b""):
            conn.receive_data(piece)
            for event in conn.events():
                if not isinstance(event, Event):
                    raise AssertionError(f"next_event returned {event!r}")
    except RemoteProtocolError:
        pass


def mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        if choice < 0.5 and buf:
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        elif choice < 0.7:
            buf.insert(rng.randrange(len(buf) + 1), rng.randrange(256))
        elif choice < 0.9 and buf:
            del buf[rng.randrange(len(buf))]
        else:
            buf += rng.choice(SEEDS)
    return bytes(buf)


def run_without_atheris(iterations: int, seed: int) -> None:
    rng = random.Random(seed)
    for i in range(iterations):
        base = b"".join(rng.choice(SEEDS) for _ in range(rng.randint(1, 3)))
        data = mutate(rng, base)
        try:
            check(data, split=rng.randint(0, len(data)))
        except Exception:
            sys.stderr.write(f"iteration {i}, seed {seed}: input {data.hex()}\n")
            raise
    sys.stdout.write(f"{iterations} inputs, invariant held\n")


def main() -> None:
    try:
        import atheris  # an optional dependency: the loop below runs without it
    except ImportError:
        parser = argparse.ArgumentParser(description="hotline.proto fuzzer (mutation loop)")
        parser.add_argument("--iterations", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=0)
        args = parser.parse_args()
        run_without_atheris(args.iterations, args.seed)
        return

    def one_input(data: bytes) -> None:
        check(data, split=data[0] if data else 0)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
