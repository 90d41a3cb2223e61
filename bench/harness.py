"""Shared benchmark plumbing: a terminal pair as real processes, percentiles, RSS.

The terminals are set up through hotline's public API (as ``hotline init`` and
``hotline peer add`` do) and run as ``python -m hotline run`` processes, each in
its own interpreter, exactly as an operator runs them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hotline.errors import DaemonNotRunning
from hotline.terminal import (
    ControlClient,
    add_peer_card,
    hold_cpus_awake,
    init_terminal,
    open_terminal,
    percentile,
)

__all__ = [
    "HOLD_HELP",
    "Pair",
    "cpus_held_awake",
    "free_port",
    "low_redial_cap",
    "paired_directories",
    "percentiles",
    "rss_mib",
    "start_terminal",
    "summary",
    "terminal_pair",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """Nearest-rank p50, p90, p99 and max of ``values`` (the terminal's own definition)."""
    ordered = sorted(values)
    return {
        "p50": percentile(ordered, 0.50),
        "p90": percentile(ordered, 0.90),
        "p99": percentile(ordered, 0.99),
        "max": ordered[-1] if ordered else 0.0,
    }


def summary(name: str, values_ms: Sequence[float]) -> str:
    p = percentiles(values_ms)
    return (
        f"{name:<28} n={len(values_ms):<6} p50 {p['p50']:8.3f} ms  p90 {p['p90']:8.3f} ms  "
        f"p99 {p['p99']:8.3f} ms  max {p['max']:8.3f} ms"
    )


def rss_mib(pid: int) -> float:
    """Resident set size of a process, MiB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for pid {pid}")


def start_terminal(directory: Path, timeout: float = 30.0) -> subprocess.Popen[bytes]:
    """Start ``hotline run DIR`` and return once its control API answers."""
    with (directory / "bench.stderr").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "hotline", "run", str(directory)],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    deadline = time.monotonic() + timeout
    client = ControlClient(directory)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"terminal in {directory} exited; see {directory / 'bench.stderr'}")
        try:
            client.status()
            return process
        except DaemonNotRunning:
            time.sleep(0.05)
    raise RuntimeError(f"terminal in {directory} did not start")


def stop_terminal(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


#: The --hold-cpus-awake option's help, the same in every benchmark.
HOLD_HELP = (
    "hold the CPUs awake (PM QoS on /dev/cpu_dma_latency, needs root) for the whole run: "
    "hotline, the reference and Synapse alike, as [performance] hold_cpus_awake does"
)


@contextmanager
def cpus_held_awake(enabled: bool) -> Iterator[None]:
    """Hold the CPUs awake for the block if ``enabled``; exit with the reason if it cannot."""
    if not enabled:
        yield
        return
    try:
        hold = hold_cpus_awake()
    except OSError as exc:
        raise SystemExit(f"--hold-cpus-awake: cannot hold the CPUs awake: {exc}") from exc
    print(f"{hold.describe()}, for the whole run", flush=True)
    with hold:
        yield


@dataclass
class Pair:
    root: Path
    washington: Path
    moscow: Path
    processes: dict[str, subprocess.Popen[bytes]]

    def client(self, party: str) -> ControlClient:
        return ControlClient(self.washington if party == "Washington" else self.moscow, timeout=120)

    def wait_linked(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = [
                p["state"]
                for d in (self.washington, self.moscow)
                for p in ControlClient(d).status()["peers"]
            ]
            if states and all(state == "up" for state in states):
                return
            time.sleep(0.05)
        raise RuntimeError("the terminals did not link up")


def paired_directories(
    root: Path,
    *,
    heartbeat_interval: float | None = None,
    stores: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Washington's and Moscow's terminal directories under ``root``, each holding the other's card.

    ``stores`` maps a party to its store URL (``postgresql://…``); a party not in it uses SQLite.
    """
    dirs = {"Washington": root / "washington", "Moscow": root / "moscow"}
    cards = {}
    for party, directory in dirs.items():
        files = init_terminal(
            directory,
            party=party,
            listen=[f"127.0.0.1:{free_port()}"],
            store_url=(stores or {}).get(party),
        )
        cards[party] = files.card().to_json()
        files.store.close()
        if heartbeat_interval is not None:
            config = directory / "hotline.toml"
            text = config.read_text().replace(
                "heartbeat_interval = 0.5", f"heartbeat_interval = {heartbeat_interval}"
            )
            config.write_text(text)
    for party, directory in dirs.items():
        other = "Moscow" if party == "Washington" else "Washington"
        files = open_terminal(directory)
        add_peer_card(files, cards[other])
        files.store.close()
    return dirs


@contextmanager
def terminal_pair(
    root: Path | None = None,
    *,
    heartbeat_interval: float | None = None,
    stores: Mapping[str, str] | None = None,
) -> Iterator[Pair]:
    """Washington and Moscow, paired, running as processes, linked; stopped afterwards.

    Without ``root`` they live in a temporary folder that is removed afterwards.
    ``stores``: as for :func:`paired_directories`.
    """
    temporary = root is None
    root = root or Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    dirs = paired_directories(root, heartbeat_interval=heartbeat_interval, stores=stores)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for party, directory in dirs.items():
            processes[party] = start_terminal(directory)
        pair = Pair(
            root=root, washington=dirs["Washington"], moscow=dirs["Moscow"], processes=processes
        )
        pair.wait_linked()
        yield pair
    finally:
        for process in processes.values():
            stop_terminal(process)
        if temporary:
            shutil.rmtree(root, ignore_errors=True)


@contextmanager
def low_redial_cap(seconds: str = "1") -> Iterator[None]:
    """``HOTLINE_LINK_RECONNECT_CAP`` for the terminals started in the block, restored after.

    Peers of an active/standby pair keep their redial cap low (docs/ha.md §4).
    Restored, so a bench run inside the test suite leaves no setting behind.
    """
    name = "HOTLINE_LINK_RECONNECT_CAP"
    before = os.environ.get(name)
    os.environ[name] = seconds
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before
