"""Where one message's latency goes: the sender's three phases, without the control API.

``bench.latency`` drives the sending terminal through its control API (HTTP on
a Unix socket), on the same event loop as the line, as an operator's tools do.
This script runs the sending terminal (Washington) *inside* the benchmark
process instead, calls ``Terminal.send_text`` directly, and times each of N
sequential messages in three phases, from timestamps taken on Washington's
loop:

* **pump**: message durable (``Outbox.queue`` returned inside ``send_text``) →
  its frame handed to the TLS transport;
* **peer**: frame handed to the transport → the first bytes back (TLS both
  ways, and Moscow's whole work: verify, open, store durably, sign a receipt);
* **receipt**: those bytes read → the verified receipt durable at Washington.

Moscow runs as a ``hotline run`` process, as in ``bench.latency``. Then the
reference (bench/reference.py) runs for the ratio.

    .venv/bin/python -m bench.latency_breakdown --n 1000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.harness import (
    HOLD_HELP,
    cpus_held_awake,
    paired_directories,
    percentiles,
    start_terminal,
    stop_terminal,
    summary,
)
from bench.reference import reference_latency
from bench.report import JSON_HELP, emit_json
from hotline.crypto import Precedence
from hotline.link.transport import StreamTransport
from hotline.store import MessageRecord
from hotline.terminal import Terminal

__all__ = ["breakdown"]


class _Stamps:
    """Timestamps of the first transport send and receive after a message was queued."""

    def __init__(self) -> None:
        self.queued = 0.0
        self.sent = 0.0
        self.received = 0.0
        self.delivered = 0.0

    def install(self, terminal: Terminal) -> None:
        stamps = self
        send, write_now = StreamTransport.send, StreamTransport.write_now
        receive = StreamTransport.receive

        async def timed_send(transport: StreamTransport, data: bytes) -> None:
            if stamps.queued and not stamps.sent:
                stamps.sent = time.perf_counter()
            await send(transport, data)

        def timed_write_now(transport: StreamTransport, data: bytes) -> bool:
            taken = write_now(transport, data)
            if taken and stamps.queued and not stamps.sent:
                stamps.sent = time.perf_counter()
            return taken

        async def timed_receive(transport: StreamTransport) -> bytes:
            data = await receive(transport)
            if data and stamps.sent and not stamps.received:
                stamps.received = time.perf_counter()
            return data

        StreamTransport.send = timed_send  # type: ignore[method-assign,assignment]
        StreamTransport.write_now = timed_write_now  # type: ignore[method-assign,assignment]
        StreamTransport.receive = timed_receive  # type: ignore[method-assign,assignment]
        queue = terminal.outbox.queue

        def timed_queue(**kwargs: Any) -> MessageRecord:
            # Durable when queue() returns; send_text may hand the frame to TLS
            # before it returns itself.
            record = queue(**kwargs)
            stamps.queued = time.perf_counter()
            return record

        terminal.outbox.queue = timed_queue  # type: ignore[method-assign]
        delivered = terminal._delivered

        def timed_delivered(message_ids: tuple[str, ...]) -> None:
            stamps.delivered = time.perf_counter()
            delivered(message_ids)

        terminal._delivered = timed_delivered  # type: ignore[method-assign]

    def reset(self) -> None:
        self.queued = self.sent = self.received = self.delivered = 0.0


async def _run(root: Path, n: int) -> dict[str, list[float]]:
    dirs = paired_directories(root)
    moscow = start_terminal(dirs["Moscow"])
    washington = Terminal.open(dirs["Washington"])
    stamps = _Stamps()
    stamps.install(washington)
    phases: dict[str, list[float]] = {"total": [], "pump": [], "peer": [], "receipt": []}
    cpu: dict[str, float] = {}
    try:
        await washington.start()
        deadline = time.monotonic() + 30
        while washington.lines["Moscow"].carrier is None:
            if time.monotonic() > deadline:
                raise RuntimeError("the line did not come up")
            await asyncio.sleep(0.05)
        for index in range(n + 20):  # the first 20 warm caches up and are not counted
            stamps.reset()
            record = washington.send_text(
                to="Moscow", text=f"FLASH test message {index:05d}", precedence=Precedence.FLASH
            )
            done = await washington.wait_delivered(record.id, within=30)
            if done.delivered_at is None:
                raise RuntimeError(f"message {index} not delivered within 30 s")
            if index < 20:
                if index == 19:
                    cpu = {"Washington": time.process_time(), "Moscow": _cpu_seconds(moscow.pid)}
                continue
            ms = 1000.0
            phases["total"].append((stamps.delivered - stamps.queued) * ms)
            phases["pump"].append((stamps.sent - stamps.queued) * ms)
            phases["peer"].append((stamps.received - stamps.sent) * ms)
            phases["receipt"].append((stamps.delivered - stamps.received) * ms)
        phases["cpu_washington"] = [(time.process_time() - cpu["Washington"]) * 1000.0 / n]
        phases["cpu_moscow"] = [(_cpu_seconds(moscow.pid) - cpu["Moscow"]) * 1000.0 / n]
    finally:
        await washington.stop()
        stop_terminal(moscow)
    return phases


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def breakdown(n: int) -> dict[str, list[float]]:
    root = Path(tempfile.mkdtemp(prefix="hotline-breakdown-"))
    try:
        return asyncio.run(_run(root, n))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="messages (default 1000)")
    parser.add_argument("--hold-cpus-awake", action="store_true", help=HOLD_HELP)
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    with cpus_held_awake(args.hold_cpus_awake):
        figures = _report(args.n)
    if args.json:
        emit_json("latency_breakdown", figures, n=args.n, hold_cpus_awake=args.hold_cpus_awake)


def _report(n: int) -> dict[str, Any]:
    phases = breakdown(n)
    for name in ("total", "pump", "peer", "receipt"):
        print(summary(f"hotline {name}", phases[name]))
    print(
        f"CPU per message: Washington {phases['cpu_washington'][0]:.3f} ms (sends, receipts), "
        f"Moscow {phases['cpu_moscow'][0]:.3f} ms (receives, receipts)"
    )
    reference = reference_latency(n)
    print(summary("reference", reference))
    total = sorted(phases["total"])[len(phases["total"]) // 2]
    ratio = total / sorted(reference)[len(reference) // 2]
    print(f"hotline (no control API) / reference: p50 {ratio:.2f}x")
    figures: dict[str, Any] = {
        f"{name}_ms": percentiles(phases[name]) for name in ("total", "pump", "peer", "receipt")
    }
    figures |= {
        "cpu_per_message_ms": {
            "Washington": phases["cpu_washington"][0],
            "Moscow": phases["cpu_moscow"][0],
        },
        "reference_ms": percentiles(reference),
        "hotline_over_reference_p50": ratio,
    }
    return figures


if __name__ == "__main__":
    main()
