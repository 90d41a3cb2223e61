"""Footprint: idle memory of a terminal, and a terminal at OSCE scale.

1. Idle RSS of each terminal of a linked Washington-Moscow pair.
2. A "hub" terminal with 60 peers (the OSCE network links some 57 states) and
   ``--messages`` messages (default 1,000,000) in its store, spread over the
   offline peers, each sealed, stored, journaled and receipted through hotline's own
   code paths (Outbox.queue, then a receipt signed by the peer's key through
   Outbox.accept_receipts). One peer, Moscow, is a live terminal; the other 59
   are offline (their routes lead nowhere), so the hub keeps redialing them, as
   it would. Then the hub runs: its RSS once idle, and the p50/p99 delivery
   latency of 1,000 messages to Moscow.

Every stored message is unacknowledged (nobody reads the hub's traffic), so the
hub also measures what the acknowledgement-deadline watch costs at start.
``--dir D --reuse`` runs an already filled hub in D again (to compare code
versions on the same store without refilling it).

    .venv/bin/python -m bench.footprint --messages 1000000 --json
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import (
    free_port,
    percentiles,
    rss_mib,
    start_terminal,
    stop_terminal,
    terminal_pair,
)
from bench.report import JSON_HELP, emit_json
from hotline.crypto import Envelope, Identity, make_card, sign_receipt
from hotline.terminal import add_peer_card, init_terminal, open_terminal
from hotline.terminal.core.outbox import Outbox
from hotline.terminal.runtime.clock import SystemClock
from hotline.utc import format_utc

__all__ = ["build_hub", "idle_rss"]

PEERS = 60
BATCH = 2000


def idle_rss(settle: float = 3.0) -> dict[str, float]:
    with terminal_pair() as pair:
        time.sleep(settle)
        return {party: rss_mib(process.pid) for party, process in pair.processes.items()}


def build_hub(root: Path, messages: int) -> tuple[Path, Path]:
    """Create the hub and Moscow; fill the hub's store. Returns (hub dir, moscow dir)."""
    hub_dir, moscow_dir = root / "hub", root / "moscow"
    hub = init_terminal(hub_dir, party="Hub", listen=[f"127.0.0.1:{free_port()}"])
    moscow = init_terminal(moscow_dir, party="Moscow", listen=[f"127.0.0.1:{free_port()}"])
    add_peer_card(moscow, hub.card().to_json())
    moscow.store.close()
    identities = [Identity.load("Moscow", moscow_dir / "keys")]
    identities += [Identity.generate(f"Peer {index:02d}") for index in range(1, PEERS)]
    for identity in identities:
        routes = (
            [moscow.settings.listen[0]]
            if identity.party == "Moscow"
            else [f"127.0.0.1:{free_port()}"]
        )
        add_peer_card(hub, make_card(identity, routes=routes, timezone="UTC").to_json())
    peers = [hub.store.get_peer(identity.party) for identity in identities]
    outbox = Outbox(store=hub.store, identity=hub.identity, clock=SystemClock())
    started = time.monotonic()
    done = 0
    while done < messages:
        count = min(BATCH, messages - done)
        with hub.store.transaction():
            sent = []
            for offset in range(count):
                # The history goes to the 59 offline peers; Moscow, the live peer, starts
                # with none, so its own empty store agrees with the hub's.
                index = 1 + (done + offset) % (PEERS - 1)
                peer = peers[index]
                assert peer is not None
                record = outbox.queue(peer=peer, text=f"Routine notification {done + offset:07d}")
                sent.append((index, record))
            for index, record in sent:
                receipt = sign_receipt(
                    envelope=Envelope.decode(record.envelope),
                    received_at=format_utc(SystemClock().now()),
                    journal_head=bytes(32),
                    recipient=identities[index],
                )
                peer = peers[index]
                assert peer is not None
                outbox.accept_receipts(peer=peer, receipts=[receipt.encode()])
        done += count
        elapsed = time.monotonic() - started
        print(
            f"\r  filled {done:,}/{messages:,} messages ({done / elapsed:,.0f}/s, "
            f"{(messages - done) / max(done / elapsed, 1):,.0f} s left)",
            end="",
            file=sys.stderr,
            flush=True,
        )
    print(file=sys.stderr)
    hub.store.close()
    return hub_dir, moscow_dir


def hub_run(hub_dir: Path, moscow_dir: Path, n: int) -> tuple[float, float, dict[str, float]]:
    """(idle RSS MiB, RSS after the latency run, latency percentiles) of the running hub."""
    from hotline.terminal import ControlClient

    hub = start_terminal(hub_dir, timeout=120)
    moscow = start_terminal(moscow_dir, timeout=120)
    try:
        client = ControlClient(hub_dir, timeout=120)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = {p["party"]: p["state"] for p in client.status()["peers"]}
            if states.get("Moscow") == "up":
                break
            time.sleep(0.1)
        time.sleep(3.0)
        idle = rss_mib(hub.pid)
        for index in range(20):
            client.wait_delivered(
                client.send(to="Moscow", text=f"warm-up {index}")["id"], timeout=30
            )
        client.reset_statistics()
        for index in range(n):
            record = client.send(to="Moscow", text=f"FLASH {index:05d}", precedence="flash")
            client.wait_delivered(record["id"], timeout=30)
        latencies = client.statistics(samples=True)["latencies_ms"]
        return idle, rss_mib(hub.pid), percentiles(latencies)
    finally:
        stop_terminal(hub)
        stop_terminal(moscow)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--messages", type=int, default=1_000_000, help="messages in the hub's store"
    )
    parser.add_argument(
        "--n", type=int, default=1000, help="latency messages to Moscow (default 1000)"
    )
    parser.add_argument("--dir", type=Path, help="keep the hub here (default: a temporary folder)")
    parser.add_argument(
        "--reuse", action="store_true", help="run the hub already filled in --dir, do not fill"
    )
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    if args.reuse and args.dir is None:
        parser.error("--reuse needs --dir")
    rss = idle_rss()
    print(
        f"idle RSS, linked pair: Washington {rss['Washington']:.1f} MiB, Moscow {rss['Moscow']:.1f} MiB"
    )
    root = args.dir or Path(tempfile.mkdtemp(prefix="hotline-footprint-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        hub = _hub(root, args.n, args.messages, reuse=args.reuse)
    finally:
        if args.dir is None:  # a temporary hub is ~1.8 GiB at 1,000,000 messages
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        emit_json(
            "footprint",
            {
                "pair_idle_rss_mib": rss,
                **hub,
            },
            messages=args.messages,
            n=args.n,
            peers=PEERS,
            reuse=args.reuse,
        )


def _hub(root: Path, n: int, messages: int, *, reuse: bool) -> dict[str, Any]:
    started = time.monotonic()
    if reuse:
        hub_dir, moscow_dir = root / "hub", root / "moscow"
        print("hub store reused")
    else:
        hub_dir, moscow_dir = build_hub(root, messages)
        print(f"hub store filled with {messages:,} messages in {time.monotonic() - started:.0f} s")
    database = sum(p.stat().st_size for p in hub_dir.glob("hotline.db*")) / 2**20
    print(f"hub database {database:,.0f} MiB")
    idle, after, latency = hub_run(hub_dir, moscow_dir, n)
    print(
        f"hub with {PEERS} peers and {messages:,} messages: idle RSS {idle:.1f} MiB, "
        f"after {n} sends {after:.1f} MiB"
    )
    print(
        f"hub → Moscow delivery latency: p50 {latency['p50']:.3f} ms  p99 {latency['p99']:.3f} ms  "
        f"max {latency['max']:.3f} ms"
    )
    files = open_terminal(hub_dir)
    files.store.close()
    return {
        "hub_database_mib": database,
        "hub_idle_rss_mib": idle,
        "hub_rss_after_sends_mib": after,
        "hub_latency_ms": latency,
    }


if __name__ == "__main__":
    main()
