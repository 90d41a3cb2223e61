"""Burst throughput: 10,000 messages each way, durable, in order, receipted, against two floors.

Each side queues its burst through the send lane (``DIR/send.sock``), 500
requests pipelined at a time (the terminal commits what it has read as one
group), both sides at once; ``--via control`` queues through the control API
instead, a batch of 500 a request (one commit each). The clock stops when every message of
both bursts holds a verified receipt at its sender. Then one direction alone.
In the same round, two references do a one-way burst of the same size in the
same batches:

* the **lean crypto reference** (bench/lean.py): protocol v2's cryptographic and
  physical work per message (ratchet step, AEAD, Ed25519 sign and verify, group
  commit, one signed batch receipt per commit), in plain Python;
* the **TLS + commits reference** (bench/reference.py): the same frames and
  commits with no cryptography beyond TLS.

``--rounds R`` (default 3) alternates hotline, lean and reference R times (a
fresh terminal pair each round) and reports each figure's median and spread.

    .venv/bin/python -m bench.throughput --n 10000 --rounds 3 --json
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.harness import HOLD_HELP, Pair, cpus_held_awake, terminal_pair
from bench.lean import lean_throughput
from bench.reference import reference_throughput
from bench.report import JSON_HELP, emit_json, spread
from hotline.terminal import SendLane

__all__ = ["hotline_burst"]

BATCH = 500


def _queue(pair: Pair, sender: str, receiver: str, n: int, via: str = "lane") -> None:
    if via == "control":
        client = pair.client(sender)
        for offset in range(0, n, BATCH):
            count = min(BATCH, n - offset)
            client.send_many(
                [{"to": receiver, "text": f"{sender} burst {offset + i:05d}"} for i in range(count)]
            )
        return
    # Through the send lane (docs/lane.md), the path for local programs that need speed:
    # the terminal commits what it has read of the pipelined requests as one group.
    directory = pair.washington if sender == "Washington" else pair.moscow
    with SendLane(directory, timeout=120) as lane:
        for offset in range(0, n, BATCH):
            count = min(BATCH, n - offset)
            answers = lane.send_many(
                [{"to": receiver, "text": f"{sender} burst {offset + i:05d}"} for i in range(count)]
            )
            refused = [a for a in answers if not a.get("ok")]
            if refused:
                raise RuntimeError(f"the send lane refused {len(refused)} messages: {refused[0]}")


def _delivered(pair: Pair, party: str) -> int:
    return int(pair.client(party).statistics()["delivered"])


def hotline_burst(pair: Pair, n: int, *, both_ways: bool, via: str = "lane") -> float:
    """Messages per second (all directions together) for a burst of ``n`` per direction.

    ``via``: ``lane`` (the send lane) or ``control`` (the control API, a batch of 500 a request).
    """
    senders = (
        [("Washington", "Moscow"), ("Moscow", "Washington")]
        if both_ways
        else [("Washington", "Moscow")]
    )
    before = {party: _delivered(pair, party) for party, _ in senders}
    started = time.perf_counter()
    threads = [threading.Thread(target=_queue, args=(pair, s, r, n, via)) for s, r in senders]
    for thread in threads:
        thread.start()
    while any(_delivered(pair, party) - before[party] < n for party, _ in senders):
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    for thread in threads:
        thread.join()
    return len(senders) * n / elapsed


def check_order(pair: Pair) -> None:
    """Every message delivered, serials 1..n on both sides of each direction."""
    for sender, receiver in (("Washington", "Moscow"), ("Moscow", "Washington")):
        out = pair.client(sender).messages(direction="out", peer=receiver)
        into = pair.client(receiver).messages(direction="in", peer=sender)
        serials = sorted(m["serial"] for m in out)
        if serials != list(range(1, len(out) + 1)) or {m["id"] for m in out} != {
            m["id"] for m in into
        }:
            raise RuntimeError(f"{sender}→{receiver}: lost, duplicated or out-of-order messages")
        if any(m["state"] != "delivered" for m in out):
            raise RuntimeError(f"{sender}→{receiver}: undelivered messages remain")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_round(n: int, via: str = "lane") -> dict[str, float]:
    """One round: hotline one way and both ways, then the lean and the TLS reference.

    Beside the rates, the CPU time each terminal spent per message of the one-way
    burst: on a shared machine it moves far less than the rates do.
    """
    with terminal_pair() as pair:
        pids = {party: process.pid for party, process in pair.processes.items()}
        cpu = {party: cpu_seconds(pid) for party, pid in pids.items()}
        one_way = hotline_burst(pair, n, both_ways=False, via=via)
        spent = {party: (cpu_seconds(pid) - cpu[party]) * 1e6 / n for party, pid in pids.items()}
        two_way = hotline_burst(pair, n, both_ways=True, via=via)
        check_order(pair)
    lean = lean_throughput(n, batch=BATCH)
    reference = reference_throughput(n, batch=BATCH)
    return {
        "hotline_one_way_msg_s": one_way,
        "hotline_both_ways_msg_s": two_way,
        "sender_cpu_us_per_msg": spent["Washington"],
        "receiver_cpu_us_per_msg": spent["Moscow"],
        "lean_crypto_msg_s": lean,
        "reference_msg_s": reference,
        "hotline_over_lean_crypto": one_way / lean,
        "hotline_over_reference": one_way / reference,
    }


def summarise(rounds: Sequence[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Each figure's median, min and max over the rounds (ratios taken within each round)."""
    return {key: spread([r[key] for r in rounds]) for key in rounds[0]}


_LABELS = {
    "hotline_one_way_msg_s": "hotline one way (msg/s)",
    "hotline_both_ways_msg_s": "hotline both ways, sum (msg/s)",
    "sender_cpu_us_per_msg": "sender CPU, one way (us/msg)",
    "receiver_cpu_us_per_msg": "receiver CPU, one way (us/msg)",
    "lean_crypto_msg_s": "lean crypto reference (msg/s)",
    "reference_msg_s": "TLS + commits reference (msg/s)",
    "hotline_over_lean_crypto": "hotline / lean_crypto",
    "hotline_over_reference": "hotline / reference",
}


def report(n: int, rounds: Sequence[dict[str, float]]) -> list[str]:
    """The human-readable table: one column per round, then median and min-max."""
    lines = [f"burst of {n} per direction, {len(rounds)} round(s), one way unless said"]
    for key, figure in summarise(rounds).items():
        ratio = key.startswith("hotline_over")
        cells = " ".join(f"{r[key]:>9.3f}" if ratio else f"{r[key]:>9,.0f}" for r in rounds)
        if ratio:
            tail = f"median {figure['median']:.3f} ({figure['min']:.3f} - {figure['max']:.3f})"
        else:
            tail = f"median {figure['median']:,.0f} ({figure['min']:,.0f} - {figure['max']:,.0f})"
        lines.append(f"{_LABELS[key]:<32} {cells}   {tail}")
    lines.append("hotline: all delivered exactly once, in serial order, with verified receipts")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--n", type=int, default=10_000, help="messages per direction (default 10000)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument(
        "--via",
        choices=("lane", "control"),
        default="lane",
        help="queue through the send lane (default) or the control API, 500 a request",
    )
    parser.add_argument("--hold-cpus-awake", action="store_true", help=HOLD_HELP)
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    if args.n < 1 or args.rounds < 1:
        parser.error("--n and --rounds must be at least 1")
    with cpus_held_awake(args.hold_cpus_awake):
        rounds = [one_round(args.n, args.via) for _ in range(args.rounds)]
    print("\n".join(report(args.n, rounds)))
    if args.json:
        figures: dict[str, Any] = {**summarise(rounds), "rounds": rounds}
        emit_json(
            "throughput",
            figures,
            n=args.n,
            rounds=args.rounds,
            batch=BATCH,
            via=args.via,
            hold_cpus_awake=args.hold_cpus_awake,
        )


if __name__ == "__main__":
    main()
