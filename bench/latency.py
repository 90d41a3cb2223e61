"""Delivery latency: hotline against the reference and Matrix Synapse, in one run.

N sequential messages from Washington to Moscow, two ``hotline run`` processes
on loopback, sent and awaited through the send lane (``DIR/send.sock``,
docs/lane.md: the path for local clients that need speed). Each latency is
measured inside the sending terminal, from the moment the message is durable
(its id could be returned) to the moment the verified signed receipt is
durable (``GET /statistics``); the client round trip (send, then wait until
delivered) is reported beside it. The next message is sent once the previous
one is delivered. Then the reference (bench/reference.py:
TLS 1.3 + three SQLite commits, no protocol) and, unless ``--no-synapse``,
Synapse (send → seen in the other user's /sync) do the same N, and the ratios
are printed.

``--rounds R`` (default 3) alternates hotline (a fresh terminal pair each round)
and the reference R times; each percentile and the hotline / reference ratio
(taken within each round) is reported as median and spread (min-max). Synapse
runs once, after the rounds, and is compared with hotline's median p50 and p99.

    .venv/bin/python -m bench.latency --n 1000 --rounds 3 --json
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping, Sequence
from typing import Any

from bench.harness import HOLD_HELP, cpus_held_awake, percentiles, summary, terminal_pair
from bench.reference import reference_latency
from bench.report import JSON_HELP, emit_json, spread
from hotline.terminal import SendLane

__all__ = ["hotline_latency"]


def hotline_latency(
    n: int, *, stores: Mapping[str, str] | None = None
) -> tuple[list[float], list[float]]:
    """(internal latencies, client-observed latencies) in ms for ``n`` sequential messages.

    ``stores``: the parties' store URLs (bench.harness.terminal_pair); SQLite by default.
    """
    with terminal_pair(stores=stores) as pair, SendLane(pair.washington, timeout=120) as lane:
        client = pair.client("Washington")
        # Warm up: the first messages pay for imports and caches.
        for index in range(20):
            record = lane.send(to="Moscow", text=f"warm-up {index}")
            lane.wait_delivered(record["id"], timeout=30)
        client.reset_statistics()
        observed = []
        for index in range(n):
            started = time.perf_counter()
            record = lane.send(
                to="Moscow", text=f"FLASH test message {index:05d}", precedence="flash"
            )
            delivered = lane.wait_delivered(record["id"], timeout=30)
            observed.append((time.perf_counter() - started) * 1000.0)
            if delivered["state"] != "delivered":
                raise RuntimeError(f"message {index} not delivered within 30 s")
        internal = client.statistics(samples=True)["latencies_ms"]
        if len(internal) != n:
            raise RuntimeError(f"expected {n} latency samples, got {len(internal)}")
        return internal, observed


def one_round(n: int) -> dict[str, Any]:
    """Hotline, then the reference: each one's percentiles, and their ratios."""
    internal, observed = hotline_latency(n)
    reference = reference_latency(n)
    print(summary("hotline (durable→receipt)", internal))
    print(summary("hotline (client round trip)", observed))
    print(summary("reference", reference))
    hot, ref = percentiles(internal), percentiles(reference)
    print(
        f"hotline / reference: p50 {hot['p50'] / ref['p50']:.2f}x  p99 {hot['p99'] / ref['p99']:.2f}x"
    )
    return {
        "hotline_ms": hot,
        "hotline_client_ms": percentiles(observed),
        "reference_ms": ref,
        "hotline_over_reference_p50": hot["p50"] / ref["p50"],
        "hotline_over_reference_p99": hot["p99"] / ref["p99"],
    }


def summarise(rounds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Median and spread over the rounds of every percentile and ratio."""
    figures: dict[str, Any] = {}
    for key, value in rounds[0].items():
        if isinstance(value, dict):
            figures[key] = {q: spread([r[key][q] for r in rounds]) for q in value}
        else:
            figures[key] = spread([r[key] for r in rounds])
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="messages (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--no-synapse", action="store_true", help="skip the Synapse comparison")
    parser.add_argument("--hold-cpus-awake", action="store_true", help=HOLD_HELP)
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    if args.n < 1 or args.rounds < 1:
        parser.error("--n and --rounds must be at least 1")
    with cpus_held_awake(args.hold_cpus_awake):
        figures = _run(args.n, args.rounds, synapse=not args.no_synapse)
    if args.json:
        emit_json(
            "latency",
            figures,
            n=args.n,
            rounds=args.rounds,
            synapse=not args.no_synapse,
            hold_cpus_awake=args.hold_cpus_awake,
        )


def _run(n: int, rounds: int, *, synapse: bool) -> dict[str, Any]:
    results = []
    for index in range(rounds):
        print(f"round {index + 1}/{rounds}")
        results.append(one_round(n))
    figures = summarise(results)
    hot = figures["hotline_ms"]
    ratio = figures["hotline_over_reference_p50"]
    print(
        f"over {rounds} round(s): hotline p50 median {hot['p50']['median']:.3f} ms "
        f"({hot['p50']['min']:.3f} - {hot['p50']['max']:.3f}), hotline / reference p50 median "
        f"{ratio['median']:.2f}x ({ratio['min']:.2f} - {ratio['max']:.2f})"
    )
    figures["rounds"] = results
    if synapse:
        from bench.synapse import run_synapse_latency

        result = run_synapse_latency(n)
        syn = percentiles(result.latencies_ms)
        print(summary(f"synapse {result.version}", result.latencies_ms))
        over = {q: syn[q] / hot[q]["median"] for q in ("p50", "p99")}
        print(f"synapse / hotline (median): p50 {over['p50']:.1f}x  p99 {over['p99']:.1f}x")
        figures["synapse_ms"] = syn
        figures["synapse_version"] = result.version
        figures["synapse_over_hotline_p50"] = over["p50"]
        figures["synapse_over_hotline_p99"] = over["p99"]
    return figures


if __name__ == "__main__":
    main()
