"""What waking from idle costs: the same work, back to back and after a pause.

In the latency benchmarks each terminal handles one message, then waits about
a millisecond and a half for the other side; every message finds the process
(and the CPU under it) idle. This times one unit of the receiver's real work,
decoding an envelope and verifying its signature (``Envelope.decode`` and
``verify_envelope``, Python and ``cryptography`` together), and, separately, the
decode alone (interpreter work only), in four ways:

* **back to back**: call after call, the best case (what ``crypto_floor`` and
  in-process profiles see);
* **after sleeping** 0.2 ms, 1.5 ms (the gap in the latency benchmarks) and 5 ms;
* **after spinning** 1.5 ms (the process keeps the CPU busy instead of sleeping).

The ratio of each to back to back is the penalty the machine charges a process
that has just woken up (caches, branch predictors, CPU power state, the
hypervisor's scheduling); it multiplies every per-message cost on the latency
path, hotline's and the reference's alike.

    .venv/bin/python -m bench.idle_penalty
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

from bench.crypto_floor import sample_message
from bench.report import JSON_HELP, emit_json
from hotline.crypto import Envelope, verify_envelope

__all__ = ["GAPS_MS", "idle_penalty"]

#: The pauses before each timed call (milliseconds); 0 is back to back.
GAPS_MS = (0.0, 0.2, 1.5, 5.0)
#: The spun pause, as long as the typical gap in the latency benchmarks.
SPIN_MS = 1.5


def _pause(gap_ms: float, *, spin: bool) -> None:
    if gap_ms <= 0:
        return
    if not spin:
        time.sleep(gap_ms / 1000)
        return
    until = time.perf_counter() + gap_ms / 1000
    while time.perf_counter() < until:
        pass


def _median_after(operation: Callable[[], object], n: int, gap_ms: float, *, spin: bool) -> float:
    """Median microseconds of ``operation`` when each call follows a pause of ``gap_ms``."""
    for _ in range(min(n, 20)):  # warm up: imports, caches, the first allocations
        operation()
    samples = []
    for _ in range(n):
        _pause(gap_ms, spin=spin)
        started = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


def idle_penalty(n: int = 1000) -> dict[str, dict[str, float]]:
    """{unit: {condition: median µs}} for the two units of work and every pause."""
    sample = sample_message()
    raw, sender = sample.envelope.encode(), sample.washington.signing_public

    def decode_and_verify() -> None:
        verify_envelope(Envelope.decode(raw), sender_signing_key=sender)

    def decode() -> None:
        Envelope.decode(raw)

    units: dict[str, Callable[[], object]] = {
        "decode + verify": decode_and_verify,
        "decode alone": decode,
    }
    results: dict[str, dict[str, float]] = {}
    for name, operation in units.items():
        timings: dict[str, float] = {}
        for gap in GAPS_MS:
            label = "back to back" if gap == 0 else f"after sleeping {gap:g} ms"
            timings[label] = _median_after(operation, n, gap, spin=False)
        timings[f"after spinning {SPIN_MS:g} ms"] = _median_after(operation, n, SPIN_MS, spin=True)
        results[name] = timings
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="timed calls per condition")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    results = idle_penalty(args.n)
    for unit, timings in results.items():
        best = timings["back to back"]
        print(f"{unit}:")
        for condition, micros in timings.items():
            print(f"  {condition:24} {micros:8.1f} µs   {micros / best:5.2f}x back to back")
    if args.json:
        emit_json("idle_penalty", {"us": results}, n=args.n)


if __name__ == "__main__":
    main()
