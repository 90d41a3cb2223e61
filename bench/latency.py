"""Delivery latency: hotline against the reference and Matrix Synapse, in one run.

N sequential messages from Washington to Moscow, two ``hotline run`` processes
on loopback. Each latency is measured inside the sending terminal, from the
moment the message is durable (its id could be returned) to the moment the
verified signed receipt is durable (``GET /statistics``). The next message is
sent once the previous one is delivered. Then the reference (bench/reference.py:
TLS 1.3 + three SQLite commits, no protocol) and, unless ``--no-synapse``,
Synapse (send → seen in the other user's /sync) do the same N, and the ratios
are printed.

    .venv/bin/python -m bench.latency --n 1000
"""

from __future__ import annotations

import argparse
import time

from bench.harness import HOLD_HELP, cpus_held_awake, percentiles, summary, terminal_pair
from bench.reference import reference_latency

__all__ = ["hotline_latency"]


def hotline_latency(n: int) -> tuple[list[float], list[float]]:
    """(internal latencies, client-observed latencies) in ms for ``n`` sequential messages."""
    with terminal_pair() as pair:
        client = pair.client("Washington")
        # Warm up: the first messages pay for imports and caches.
        for index in range(20):
            record = client.send(to="Moscow", text=f"warm-up {index}")
            client.wait_delivered(record["id"], timeout=30)
        client.reset_statistics()
        observed = []
        for index in range(n):
            started = time.perf_counter()
            record = client.send(
                to="Moscow", text=f"FLASH test message {index:05d}", precedence="flash"
            )
            delivered = client.wait_delivered(record["id"], timeout=30)
            observed.append((time.perf_counter() - started) * 1000.0)
            if delivered["state"] != "delivered":
                raise RuntimeError(f"message {index} not delivered within 30 s")
        internal = client.statistics(samples=True)["latencies_ms"]
        if len(internal) != n:
            raise RuntimeError(f"expected {n} latency samples, got {len(internal)}")
        return internal, observed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="messages (default 1000)")
    parser.add_argument("--no-synapse", action="store_true", help="skip the Synapse comparison")
    parser.add_argument("--hold-cpus-awake", action="store_true", help=HOLD_HELP)
    args = parser.parse_args()
    with cpus_held_awake(args.hold_cpus_awake):
        _run(args.n, synapse=not args.no_synapse)


def _run(n: int, *, synapse: bool) -> None:
    internal, observed = hotline_latency(n)
    reference = reference_latency(n)
    print(summary("hotline (durable→receipt)", internal))
    print(summary("hotline (client round trip)", observed))
    print(summary("reference", reference))
    hot, ref = percentiles(internal), percentiles(reference)
    print(
        f"hotline / reference: p50 {hot['p50'] / ref['p50']:.2f}x  p99 {hot['p99'] / ref['p99']:.2f}x"
    )
    if synapse:
        from bench.synapse import run_synapse_latency

        result = run_synapse_latency(n)
        syn = percentiles(result.latencies_ms)
        print(summary(f"synapse {result.version}", result.latencies_ms))
        print(
            f"synapse / hotline: p50 {syn['p50'] / hot['p50']:.1f}x  p99 {syn['p99'] / hot['p99']:.1f}x"
        )


if __name__ == "__main__":
    main()
