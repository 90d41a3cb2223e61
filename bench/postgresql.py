"""PostgreSQL beside SQLite, in one run: latency, one-way burst, and failover time of an active/standby pair.

The PostgreSQL is the production shape (docs/ha.md §1), started for the run by
hotline.testing.postgresql.start_replicated: a primary and a synchronous
streaming replica on loopback, ``synchronous_commit = remote_apply``, fsync on
(so each commit waits for the primary's flush *and* the replica's apply; SQLite
runs ``synchronous = FULL``). Each terminal connects with the multi-host URL.

* **Latency** (bench/latency.py's ``hotline_latency``): ``--n`` sequential
  messages Washington → Moscow through the send lane, measured inside the
  sender from durable to receipt durable; once with both terminals on SQLite,
  once with both on PostgreSQL (a database each).
* **Burst** (bench/throughput.py's ``hotline_burst``): ``--burst`` messages one
  way in batches of 500, until every receipt is back; then ``check_order``.
* **Failover** (tests/cli/test_ha.py's setup): Moscow is two ``hotline run``
  processes on one PostgreSQL database (``hotline init --standby-of``),
  Washington on SQLite with ``HOTLINE_LINK_RECONNECT_CAP=1`` (docs/ha.md §4).
  ``--kills K`` times: SIGKILL the active process, and time until the standby
  is active *and* a message sent through it holds Washington's receipt
  (kill → delivering); the killed process is restarted as the new standby.

    .venv/bin/python -m bench.postgresql --n 1000 --burst 10000 --kills 10 --json
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.harness import (
    free_port,
    low_redial_cap,
    percentiles,
    start_terminal,
    stop_terminal,
    summary,
    terminal_pair,
)
from bench.latency import hotline_latency
from bench.report import JSON_HELP, emit_json
from bench.throughput import BATCH, check_order, hotline_burst
from hotline.errors import HotlineError
from hotline.terminal import ControlClient, add_peer_card, init_terminal, open_terminal
from hotline.testing.postgresql import ReplicatedServers, start_replicated

__all__ = ["failover_times", "ha_pair", "process_role", "store_figures", "wait_until"]

_names = itertools.count(1)


def _stores(servers: ReplicatedServers | None) -> dict[str, str] | None:
    """Store URLs for a pair: a fresh database per party on ``servers``; None for SQLite."""
    if servers is None:
        return None
    return {
        party: servers.create_database(f"bench_{os.getpid()}_{next(_names)}")
        for party in ("Washington", "Moscow")
    }


def store_figures(servers: ReplicatedServers | None, n: int, burst: int) -> dict[str, Any]:
    """Latency percentiles (ms) and one-way burst (msg/s) with every store on ``servers``."""
    name = "sqlite" if servers is None else "postgresql"
    internal, observed = hotline_latency(n, stores=_stores(servers))
    print(summary(f"{name} (durable→receipt)", internal), flush=True)
    with terminal_pair(stores=_stores(servers)) as pair:
        one_way = hotline_burst(pair, burst, both_ways=False)
        check_order(pair)
    print(f"{name}: one-way burst of {burst}: {one_way:,.0f} msg/s", flush=True)
    return {
        "latency_ms": percentiles(internal),
        "latency_client_ms": percentiles(observed),
        "one_way_msg_s": one_way,
    }


def _hotline(*args: str | Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hotline", *map(str, args)], check=True, capture_output=True
    )


def process_role(directory: Path) -> str | None:
    """``active`` or ``standby`` as the process in ``directory`` says; None if it does not answer."""
    try:
        with ControlClient(directory, timeout=2) as client:
            role: str = client.status()["role"]
            return role
    except (HotlineError, OSError):  # killed, or not answering yet
        return None


@contextmanager
def ha_pair(url: str) -> Iterator[tuple[Path, Path, Path]]:
    """(washington, moscow-a, moscow-b) directories: paired, Moscow as an active/standby pair."""
    root = Path(tempfile.mkdtemp(prefix="hotline-bench-ha-"))
    try:
        washington, active, standby = root / "washington", root / "moscow-a", root / "moscow-b"
        for directory, party, store in ((washington, "Washington", None), (active, "Moscow", url)):
            files = init_terminal(
                directory, party=party, listen=[f"127.0.0.1:{free_port()}"], store_url=store
            )
            files.store.close()
        _hotline("init", standby, "--standby-of", active, "--listen", f"127.0.0.1:{free_port()}")
        cards = {}
        for directory in (washington, active):
            files = open_terminal(directory)
            cards[directory] = files.card().to_json()
            files.store.close()
        for directory, other in ((washington, active), (active, washington)):
            files = open_terminal(directory)
            add_peer_card(files, cards[other])
            files.store.close()
        yield washington, active, standby
    finally:
        shutil.rmtree(root, ignore_errors=True)


def wait_until(predicate: Any, within: float, what: str) -> None:
    """Poll ``predicate`` every 20 ms; RuntimeError naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.02)


def failover_times(servers: ReplicatedServers, kills: int) -> list[float]:
    """Seconds from SIGKILL of the active process to a message delivered through the standby."""
    url = servers.create_database(f"bench_ha_{os.getpid()}")
    times = []
    with low_redial_cap(), ha_pair(url) as (washington, first, second):
        processes = {washington: start_terminal(washington)}
        try:
            processes[first] = start_terminal(first)
            wait_until(lambda: process_role(first) == "active", 30, "the first process to lead")
            processes[second] = start_terminal(second)
            active, standby = first, second
            for kill in range(kills):
                processes[active].kill()
                processes[active].wait()
                killed = time.monotonic()
                wait_until(lambda: process_role(standby) == "active", 30, "the standby to lead")  # noqa: B023
                with ControlClient(standby, timeout=30) as client:
                    sent = client.send(to="Washington", text=f"after kill {kill}")
                    client.wait_delivered(sent["id"], timeout=30)
                times.append(time.monotonic() - killed)
                print(f"kill {kill + 1}/{kills}: delivering after {times[-1]:.3f} s", flush=True)
                processes[active] = start_terminal(active)  # the service manager's restart
                active, standby = standby, active
        finally:
            for process in processes.values():
                stop_terminal(process)
    return times


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="latency messages (default 1000)")
    parser.add_argument("--burst", type=int, default=10_000, help="one-way burst (default 10000)")
    parser.add_argument("--kills", type=int, default=10, help="failovers (default 10)")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    if args.n < 1 or args.burst < 1 or args.kills < 0:
        parser.error("--n and --burst must be at least 1, --kills at least 0")
    directory = Path(tempfile.mkdtemp(prefix="hotline-bench-pg-"))
    try:
        with start_replicated(directory) as servers:
            figures: dict[str, Any] = {
                "sqlite": store_figures(None, args.n, args.burst),
                "postgresql": store_figures(servers, args.n, args.burst),
            }
            if args.kills:
                times = failover_times(servers, args.kills)
                figures["failover_s"] = {
                    "median": sorted(times)[len(times) // 2],
                    "min": min(times),
                    "max": max(times),
                    "all": times,
                }
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    sql, pg = figures["sqlite"], figures["postgresql"]
    print(
        f"postgresql / sqlite: latency p50 {pg['latency_ms']['p50'] / sql['latency_ms']['p50']:.2f}x"
        f"  p99 {pg['latency_ms']['p99'] / sql['latency_ms']['p99']:.2f}x"
        f"  burst {pg['one_way_msg_s'] / sql['one_way_msg_s']:.2f}x"
    )
    if args.kills:
        failover = figures["failover_s"]
        print(
            f"failover over {args.kills} kill(s): median {failover['median']:.3f} s "
            f"({failover['min']:.3f} - {failover['max']:.3f})"
        )
    if args.json:
        emit_json(
            "postgresql",
            figures,
            n=args.n,
            burst=args.burst,
            kills=args.kills,
            batch=BATCH,
            postgresql="primary + synchronous replica, remote_apply, fsync on, loopback",
        )


if __name__ == "__main__":
    main()
