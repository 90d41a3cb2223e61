"""One message to 60 parties: a hub linked to 60 live peers (the OSCE's size) sends one payload.

Every terminal is a real ``hotline run`` process on loopback: the hub, and 60 peers each
linked to the hub (a star; a conference of all 61 would need every pair linked, see
docs/protocol/conferences.md). Each round, the hub sends:

* **group**: one message to all 60 (``POST /messages/group``, as ``hotline send --to … --to
  …``): one body, one payload hash, 60 copies sealed in one transaction, each over its own line;
* **reference**: 60 separate bilateral messages, one to each peer, queued in one transaction
  (``POST /messages/batch``): the same number of envelopes, signatures and receipts, without the
  shared payload.

For each it reports the time until all 60 peers hold their copy durably (the latest
``received_at`` the peers signed into their receipts, minus the hub's ``created_at``: the same
clock, one machine) and until the hub holds 60 verified receipts (wall time from the request to
the last receipt stored), the ratio group / reference, and the hub's RSS idle and after.

    .venv/bin/python -m bench.hub_group --peers 60 --rounds 5 --json
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import free_port, rss_mib, start_terminal, stop_terminal
from bench.report import JSON_HELP, emit_json, spread
from hotline.terminal import ControlClient, add_peer_card, init_terminal
from hotline.utc import parse_utc

__all__ = ["build_star", "main"]


def build_star(root: Path, peers: int) -> tuple[Path, list[Path]]:
    """The hub and ``peers`` terminals, each peer holding the hub's card and the hub theirs."""
    hub = init_terminal(root / "hub", party="Hub", listen=[f"127.0.0.1:{free_port()}"])
    hub_card = hub.card().to_json()
    directories = []
    for index in range(1, peers + 1):
        directory = root / f"p{index:02d}"
        files = init_terminal(directory, party=f"P{index:02d}", listen=[f"127.0.0.1:{free_port()}"])
        add_peer_card(files, hub_card)
        add_peer_card(hub, files.card().to_json())
        files.store.close()
        directories.append(directory)
    hub.store.close()
    return root / "hub", directories


def _wait_all_up(client: ControlClient, peers: int, within: float = 300.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        up = sum(p["state"] == "up" for p in client.status()["peers"])
        print(f"\r  lines up: {up}/{peers}", end="", file=sys.stderr, flush=True)
        if up == peers:
            print(file=sys.stderr)
            return
        time.sleep(0.2)
    raise RuntimeError(f"only some of the {peers} lines came up within {within:g} s")


def _settle(
    client: ControlClient, copies: list[dict[str, Any]], started: float
) -> dict[str, float]:
    """Wait for every copy's receipt; the two times, in ms."""
    delivered = [client.wait_delivered(copy["id"], timeout=120) for copy in copies]
    receipts_ms = (time.monotonic() - started) * 1000
    late = [d["peer"] for d in delivered if d["state"] not in ("delivered", "acknowledged")]
    if late:
        raise RuntimeError(f"no receipt within 120 s from {', '.join(late)}")
    created = min(parse_utc(d["created_at"]) for d in delivered)
    held = max(parse_utc(d["delivered_at"]) for d in delivered)
    return {
        "all_durable_ms": (held - created).total_seconds() * 1000,
        "all_receipts_ms": receipts_ms,
    }


def one_round(client: ControlClient, parties: list[str], index: int) -> dict[str, dict[str, float]]:
    started = time.monotonic()
    group = client.send_group(
        to=parties, text=f"FLASH to all states parties, round {index}", precedence="flash"
    )
    grouped = _settle(client, group["messages"], started)
    started = time.monotonic()
    copies = client.send_many(
        [
            {
                "to": party,
                "text": f"FLASH to all states parties, round {index}",
                "precedence": "flash",
            }
            for party in parties
        ]
    )
    reference = _settle(client, copies, started)
    return {"group": grouped, "reference": reference}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--peers", type=int, default=60, help="live peers of the hub (default 60)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each (default 5)")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    if args.peers < 2 or args.rounds < 1:
        parser.error("--peers must be at least 2 and --rounds at least 1")
    root = Path(tempfile.mkdtemp(prefix="hotline-hub-group-"))
    processes = []
    try:
        hub_dir, peer_dirs = build_star(root, args.peers)
        print(f"starting the hub and {args.peers} peers", file=sys.stderr)
        hub = start_terminal(hub_dir, timeout=120)
        processes.append(hub)
        for number, directory in enumerate(peer_dirs, start=1):
            processes.append(start_terminal(directory, timeout=120))
            print(f"\r  started {number}/{args.peers}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        client = ControlClient(hub_dir, timeout=180)
        _wait_all_up(client, args.peers)
        parties = [f"P{index:02d}" for index in range(1, args.peers + 1)]
        one_round(client, parties, 0)  # warm-up: first sessions' epochs, caches
        idle = rss_mib(hub.pid)
        rounds = [one_round(client, parties, index) for index in range(1, args.rounds + 1)]
        after = rss_mib(hub.pid)
    finally:
        for process in processes:
            stop_terminal(process)
        shutil.rmtree(root, ignore_errors=True)
    figures: dict[str, Any] = {"hub_rss_idle_mib": idle, "hub_rss_after_mib": after}
    for way in ("group", "reference"):
        for figure in ("all_durable_ms", "all_receipts_ms"):
            values = [r[way][figure] for r in rounds]
            figures[f"{way}_{figure}"] = spread(values)
            print(
                f"{way:<9} {figure:<16} median {statistics.median(values):8.1f} ms "
                f"(min {min(values):.1f}, max {max(values):.1f})"
            )
    for figure in ("all_durable_ms", "all_receipts_ms"):
        ratio = statistics.median(r["group"][figure] / r["reference"][figure] for r in rounds)
        figures[f"ratio_{figure}"] = ratio
        print(f"group / reference, {figure}: {ratio:.2f}")
    print(f"hub RSS: idle {idle:.1f} MiB, after {after:.1f} MiB ({args.peers} live peers)")
    if args.json:
        emit_json("hub_group", figures, peers=args.peers, rounds=args.rounds)


if __name__ == "__main__":
    main()
