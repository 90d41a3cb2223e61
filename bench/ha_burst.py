"""A burst through an active/standby pair while its active process is killed: issue 19's definition of done.

Washington (SQLite) and Moscow, two ``hotline run`` processes on one
PostgreSQL database (``hotline init --standby-of``; bench/postgresql.py's
``ha_pair``, the setup of tests/cli/test_ha.py). The PostgreSQL is a single
server from hotline.testing.postgresql, or with ``--replicated`` a primary and a
synchronous streaming replica (docs/ha.md §1).

* Washington queues ``--messages`` to Moscow through the control API in batches
  of 500 (one commit each), keeping at most ``--ahead`` undelivered, so the
  burst is still flowing at every kill.
* Moscow sends ``--back`` messages to Washington in batches of 25 through
  whichever process is active at the moment, spread over the burst, so both
  directions cross failovers. A batch refused or cut off by a kill is queued
  again on the process that leads next (stored whole or not at all; if it had
  been stored, its texts are there twice under distinct ids and serials: two
  messages, as a script's retry makes them, not a duplicate delivery).
* ``--kills`` times, at evenly spread points of the burst (by Washington's
  delivered count), SIGKILL Moscow's active process; time kill → the standby
  reports ``active`` and kill → Washington holds a new receipt from it
  (delivering); restart the killed process, which comes back as the standby.

At the end every process is stopped and the stores are read: in each direction
the sender's serials are 1..n, the receiver holds exactly those ids under the
same serials (0 lost, 0 duplicated, in order), every message is delivered, and
``hotline verify`` holds on all three directories.

    .venv/bin/python -m bench.ha_burst --messages 10000 --kills 5 --json
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.harness import low_redial_cap, start_terminal, stop_terminal
from bench.postgresql import ha_pair, process_role, wait_until
from bench.report import JSON_HELP, emit_json
from hotline.errors import HotlineError
from hotline.store import Direction, MessageRecord, MessageState
from hotline.terminal import ControlClient, open_terminal
from hotline.testing.postgresql import start_replicated, start_server

__all__ = ["check_direction", "ha_burst"]

BATCH = 500
BACK_BATCH = 25


class _Run:
    """What the queueing threads and the killer share (each list is appended by one thread)."""

    def __init__(self, washington: Path, moscow: tuple[Path, Path]) -> None:
        self.washington = washington
        self.moscow = moscow
        self.forward: list[str] = []  # ids Washington's API accepted
        self.back: list[str] = []  # ids Moscow's active process accepted
        self.back_retries = 0
        self.errors: list[str] = []

    def delivered(self) -> int:
        """Messages Washington's process has had receipted since it started (it is never killed)."""
        with ControlClient(self.washington, timeout=30) as client:
            return int(client.statistics()["delivered"])

    def active(self) -> Path | None:
        return next((d for d in self.moscow if process_role(d) == "active"), None)


def _queue_forward(run: _Run, n: int, ahead: int) -> None:
    try:
        with ControlClient(run.washington, timeout=120) as client:
            for offset in range(0, n, BATCH):
                while len(run.forward) - run.delivered() > ahead:
                    time.sleep(0.05)
                batch = [
                    {"to": "Moscow", "text": f"forward {offset + i:05d}"}
                    for i in range(min(BATCH, n - offset))
                ]
                run.forward.extend(m["id"] for m in client.send_many(batch))
    except Exception as exc:  # reported by main
        run.errors.append(f"Washington's queue: {exc!r}")


def _queue_back(run: _Run, n: int, back: int) -> None:
    try:
        for offset in range(0, back, BACK_BATCH):
            # Spread over the burst: batch i once Washington's burst is i/batches through.
            due = offset * n // back
            while run.delivered() < due and len(run.forward) < n:
                time.sleep(0.05)
            batch = [
                {"to": "Washington", "text": f"back {offset + i:05d}"}
                for i in range(min(BACK_BATCH, back - offset))
            ]
            while True:
                directory = run.active()
                if directory is not None:
                    try:
                        with ControlClient(directory, timeout=30) as client:
                            run.back.extend(m["id"] for m in client.send_many(batch))
                        break
                    except HotlineError:
                        # Killed mid-request, or fenced out: the batch was stored whole
                        # or not at all; queue it again on whichever process leads next.
                        run.back_retries += 1
                time.sleep(0.05)
    except Exception as exc:  # reported by main
        run.errors.append(f"Moscow's queue: {exc!r}")


def _queued(directory: Path) -> int:
    with ControlClient(directory, timeout=30) as client:
        return sum(int(p["queued"]) for p in client.status()["peers"])


def _kill_and_time(
    run: _Run, processes: dict[Path, subprocess.Popen[bytes]], active: Path, standby: Path
) -> dict[str, float | None]:
    """SIGKILL ``active``; seconds until ``standby`` leads and until Washington has a new receipt."""
    processes[active].kill()
    processes[active].wait()
    killed = time.monotonic()
    wait_until(lambda: process_role(standby) == "active", 60, "the standby to lead")
    leading = time.monotonic() - killed
    before = run.delivered()
    delivering: float | None = None
    if before < len(run.forward) or len(run.forward) == 0:
        wait_until(lambda: run.delivered() > before, 60, "the new active process to deliver")
        delivering = time.monotonic() - killed
    processes[active] = start_terminal(active)  # the service manager's restart: now the standby
    return {"active_s": leading, "delivering_s": delivering}


def _records(directory: Path, peer: str, direction: Direction) -> list[MessageRecord]:
    files = open_terminal(directory)
    try:
        return [r for r in files.store.list_messages(peer=peer) if r.direction == direction]
    finally:
        files.store.close()


def check_direction(
    sent: Sequence[MessageRecord],
    received: Sequence[MessageRecord],
    accepted: Sequence[str],
    prefix: str,
    count: int,
) -> dict[str, Any]:
    """Lost, duplicated and out-of-order counts of one direction, from both stores.

    ``accepted``: the ids the sender's API returned; ``count`` texts ``f"{prefix} {i:05d}"`` were
    queued (a retried batch may hold some twice, as distinct messages).
    """
    sent_ids = Counter(r.id for r in sent)
    received_ids = Counter(r.id for r in received)
    by_serial_out = {r.serial: r.id for r in sent}
    by_serial_in = {r.serial: r.id for r in received}
    texts = Counter(r.text for r in sent)
    return {
        "sent": len(sent),
        "received": len(received),
        "lost": len(set(sent_ids) - set(received_ids)),
        "duplicated": sum(c - 1 for c in received_ids.values())
        + sum(c - 1 for c in sent_ids.values()),
        "unexpected": len(set(received_ids) - set(sent_ids)),
        "serials_in_order": sorted(by_serial_out) == list(range(1, len(sent) + 1))
        and by_serial_in == by_serial_out,
        "undelivered": sum(1 for r in sent if r.state != MessageState.DELIVERED),
        "accepted_missing": len(set(accepted) - set(sent_ids)),
        "texts_missing": sum(1 for i in range(count) if f"{prefix} {i:05d}" not in texts),
        "texts_twice": sum(1 for c in texts.values() if c > 1),
    }


def _verify(directory: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "hotline", "verify", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0 and "all hold" in done.stdout


def ha_burst(url: str, n: int, kills: int, back: int, ahead: int) -> dict[str, Any]:
    """Run the burst with ``kills`` failovers against the database at ``url``; the figures."""
    with low_redial_cap(), ha_pair(url) as (washington, first, second):
        run = _Run(washington, (first, second))
        processes = {washington: start_terminal(washington)}
        failovers: list[dict[str, float | None]] = []
        try:
            processes[first] = start_terminal(first)
            wait_until(lambda: process_role(first) == "active", 30, "the first process to lead")
            processes[second] = start_terminal(second)
            active, standby = first, second
            started = time.monotonic()
            threads = [
                threading.Thread(target=_queue_forward, args=(run, n, ahead)),
                threading.Thread(target=_queue_back, args=(run, n, back)),
            ]
            for thread in threads:
                thread.start()
            for kill in range(kills):
                due = (kill + 1) * n // (kills + 1)
                wait_until(
                    lambda d=due: run.delivered() >= d or bool(run.errors), 600, f"{due} sent"
                )
                if run.errors:
                    break
                failovers.append(_kill_and_time(run, processes, active, standby))
                shown = failovers[-1]
                print(
                    f"kill {kill + 1}/{kills} at {due:,} delivered: active after "
                    f"{shown['active_s']:.3f} s, delivering after {_seconds(shown['delivering_s'])}",
                    flush=True,
                )
                active, standby = standby, active
            for thread in threads:
                thread.join(timeout=1800)
            wait_until(
                lambda: run.delivered() >= n or bool(run.errors), 600, "every forward receipt"
            )
            elapsed = time.monotonic() - started
            wait_until(lambda: _queued(active) == 0, 600, "every message back receipted")
        finally:
            for process in processes.values():
                stop_terminal(process)
        if run.errors:
            raise RuntimeError("; ".join(run.errors))
        directions = {
            "washington_to_moscow": check_direction(
                _records(washington, "Moscow", Direction.OUT),
                _records(first, "Washington", Direction.IN),
                run.forward,
                "forward",
                n,
            ),
            "moscow_to_washington": check_direction(
                _records(first, "Washington", Direction.OUT),
                _records(washington, "Moscow", Direction.IN),
                run.back,
                "back",
                back,
            ),
        }
        verified = {d.name: _verify(d) for d in (washington, first, second)}
    return {
        "failovers": failovers,
        "burst_s": elapsed,
        "burst_msg_s": n / elapsed,
        "back_retried_batches": run.back_retries,
        "directions": directions,
        "verify": verified,
    }


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} s"


@contextmanager
def _database(replicated: bool) -> Iterator[str]:
    directory = Path(tempfile.mkdtemp(prefix="hotline-bench-ha-burst-"))
    try:
        if replicated:
            with start_replicated(directory) as servers:
                yield servers.create_database(f"bench_ha_burst_{os.getpid()}")
        else:
            with start_server(directory) as server, server.database() as url:
                yield url
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _spread(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"min": ordered[0], "median": ordered[len(ordered) // 2], "max": ordered[-1]}


def _direction_holds(shown: dict[str, Any]) -> bool:
    return bool(
        shown["lost"] == shown["duplicated"] == shown["unexpected"] == shown["undelivered"] == 0
        and shown["accepted_missing"] == shown["texts_missing"] == 0
        and shown["serials_in_order"]
    )


def _holds(figures: dict[str, Any]) -> bool:
    directions = figures["directions"].values()
    return all(map(_direction_holds, directions)) and all(figures["verify"].values())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000, help="Washington → Moscow (10000)")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs of Moscow's active (5)")
    parser.add_argument("--back", type=int, default=500, help="Moscow → Washington (500)")
    parser.add_argument("--ahead", type=int, default=2_000, help="most undelivered queued (2000)")
    parser.add_argument(
        "--replicated", action="store_true", help="a primary + synchronous replica, not one server"
    )
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    if args.messages < 1 or args.kills < 0 or args.back < 0 or args.ahead < BATCH:
        parser.error("--messages ≥ 1, --kills ≥ 0, --back ≥ 0, --ahead ≥ 500")
    with _database(args.replicated) as url:
        figures = ha_burst(url, args.messages, args.kills, args.back, args.ahead)
    for name, shown in figures["directions"].items():
        print(f"{name}: {shown}")
    print(f"verify: {figures['verify']}")
    print(
        f"burst of {args.messages:,} across {len(figures['failovers'])} kill(s): "
        f"{figures['burst_s']:.1f} s, {figures['burst_msg_s']:,.0f} msg/s"
    )
    if figures["failovers"]:
        active = [f["active_s"] for f in figures["failovers"]]
        delivering = [f["delivering_s"] for f in figures["failovers"] if f["delivering_s"]]
        figures["active_s"] = _spread(active)
        print(f"kill → standby active: {figures['active_s']}")
        if delivering:
            figures["delivering_s"] = _spread(delivering)
            print(f"kill → standby delivering: {figures['delivering_s']}")
    figures["holds"] = _holds(figures)
    print("0 lost, 0 duplicated, in order, verify holds" if figures["holds"] else "FAILED")
    if args.json:
        emit_json(
            "ha_burst",
            figures,
            messages=args.messages,
            kills=args.kills,
            back=args.back,
            ahead=args.ahead,
            batch=BATCH,
            postgresql="primary + synchronous replica" if args.replicated else "one server",
        )
    if not figures["holds"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
