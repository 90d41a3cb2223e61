"""``hotline demo``: Washington and Moscow on loopback, exchanging the seed scenario's traffic.

Creates two terminals in a temporary folder, pairs them (each adds the
other's card), runs each as its own ``hotline run`` process, sends a few
messages drawn from the seed scenario (a chiefs-of-staff call request "for
risk reduction and operational deconfliction", and the reply), waits for the
signed receipts, shows both sides' logs, verifies both stores, and keeps the
line up until Ctrl-C so you can drive it with the other verbs. Each terminal
also serves its web console on a loopback port, with one operator account
(``operator``, a fresh random password shown once and kept in
``DIR/<party>/demo-password.txt``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotline.cli._common import Verbs
from hotline.errors import DaemonNotRunning, HotlineError
from hotline.terminal import (
    ControlClient,
    SystemClock,
    add_peer_card,
    init_terminal,
    open_terminal,
    verify_store,
)
from hotline.terminal.config.console_tls import console_tls
from hotline.terminal.desks.accounts import create_user
from hotline.utc import format_utc

__all__ = ["register", "run"]

PARTIES = (("Washington", "America/New_York"), ("Moscow", "Europe/Moscow"))

#: ``--parties 4``: the multilateral crisis, a full mesh on loopback.
FOUR_PARTIES = (
    ("Moscow", "Europe/Moscow"),
    ("Washington", "America/New_York"),
    ("London", "Europe/London"),
    ("Paris", "Europe/Paris"),
)

#: Each demo operator's console language: Moscow's reads Russian, as the README shows it.
LANGUAGES = {"Washington": "en", "Moscow": "ru", "London": "en", "Paris": "en"}

#: Moscow's defence minister to the three capitals at once (``--parties 4``).
FLASH_TO_THREE = (
    "The Minister of Defence of the Russian Federation to the Ministers of Defence of the United "
    "States, the United Kingdom and France: we have detected a launch from the Barents Sea region "
    "that is not ours. We propose an immediate call of the four ministers to deconflict."
)

#: (sender, precedence, text): the seed scenario (23 November, chiefs of staff).
SCRIPT = (
    (
        "Washington",
        "immediate",
        "The Chairman of the Joint Chiefs of Staff requests a telephone call with the Chief of the General "
        "Staff today, to continue the communication between them for risk reduction and operational "
        "deconfliction.",
    ),
    (
        "Moscow",
        "immediate",
        "The Chief of the General Staff agrees to a call today at 1400Z. The Minister of Defence asks that the "
        "agenda include the flights of strategic bombers near our state border: 30 this month, closest "
        "approach 20 kilometres.",
    ),
    (
        "Washington",
        "routine",
        "Agreed: the call at 1400Z over this line, the bomber flights on the agenda. Please confirm the "
        "interpreters for both sides.",
    ),
)


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "demo", help="run two terminals (Washington, Moscow) on loopback, with traffic"
    )
    parser.add_argument(
        "--dir", type=Path, help="where to create the terminals (default: a new temporary folder)"
    )
    parser.add_argument(
        "--parties",
        type=int,
        choices=(2, 4),
        default=2,
        help="2: Washington and Moscow (default); 4: Moscow, Washington, London and Paris, "
        "a full mesh, with one message to three parties",
    )
    parser.add_argument(
        "--duration",
        type=float,
        metavar="SECONDS",
        help="stop after this long instead of waiting for Ctrl-C",
    )
    parser.set_defaults(handler=run)


def _command() -> str:
    """How to invoke hotline from a shell: the script beside this interpreter if not on PATH."""
    beside = Path(sys.executable).parent / "hotline"
    if shutil.which("hotline") == str(beside) or not beside.exists():
        return "hotline"
    return str(beside)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_running(
    client: ControlClient, process: subprocess.Popen[bytes], timeout: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HotlineError(
                f"the terminal in {client.paths.root} exited; see {client.paths.log}"
            )
        with contextlib.suppress(DaemonNotRunning):
            client.status()
            return
        time.sleep(0.05)
    raise HotlineError(f"the terminal in {client.paths.root} did not start within {timeout:g} s")


def _wait_delivered(
    clients: dict[str, ControlClient], ids: list[str], timeout: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for client in clients.values():
            for record in client.messages(direction="out"):
                if record["state"] == "delivered":
                    pending.discard(record["id"])
        time.sleep(0.1)
    if pending:
        raise HotlineError(f"{len(pending)} demo messages were not delivered within {timeout:g} s")


def _flights() -> dict[str, object]:
    """A deconfliction notice for tomorrow's bomber flights (the seed scenario's traffic)."""
    tomorrow = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    return {
        "aircraft_type": "B-52H",
        "count": 2,
        "corridor": [{"lat": 69.5, "lon": 31.0}, {"lat": 70.4, "lon": 33.5}],
        "closest_approach_km": 20,
        "window": {
            "start": format_utc(tomorrow.replace(hour=10)),
            "end": format_utc(tomorrow.replace(hour=16)),
        },
    }


def _four_party_traffic(clients: dict[str, ControlClient]) -> None:
    """The multilateral part of ``--parties 4``: Moscow's FLASH to three capitals, a conference."""
    group = clients["Moscow"].send_group(
        to=["Washington", "London", "Paris"], text=FLASH_TO_THREE, precedence="flash"
    )
    print(
        f"\nMoscow -> Washington, London, Paris  FLASH  group {group['group']}\n"
        f"  {FLASH_TO_THREE}\n  payload {group['payload_hash'][:16]}… (the same in all three copies)"
    )
    _wait_delivered(clients, [m["id"] for m in group["messages"]])
    for copy in group["messages"]:
        print(
            f"  {copy['peer']:<10} serial {copy['serial']} on its own line: delivered, receipt verified"
        )
    # The three Western parties confer: a roster signed by its convener, joined by each.
    washington = clients["Washington"]
    washington.create_conference("western-three", ["London", "Paris"])
    deadline = time.monotonic() + 30
    while True:
        members = washington.conference("western-three")["members"]
        if all(m["answer"] == "joined" for m in members if not m["us"]):
            break
        if time.monotonic() > deadline:
            raise HotlineError(f"the conference was not joined within 30 s: {members}")
        time.sleep(0.1)
    print("\nWashington convened 'western-three' with London and Paris: both joined")
    sent = washington.send_conference(
        "western-three",
        text="Proposed reply to Moscow: the four ministers' call at 1500Z on this line.",
        precedence="immediate",
    )
    _wait_delivered(clients, [m["id"] for m in sent["messages"]])
    print(
        f"  Washington -> conference  group {sent['group']}: delivered to "
        + ", ".join(m["peer"] for m in sent["messages"])
    )


def run(args: argparse.Namespace) -> int:
    parties = FOUR_PARTIES if args.parties == 4 else PARTIES
    root = args.dir or Path(tempfile.mkdtemp(prefix="hotline-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    dirs = {party: root / party.lower() for party, _ in parties}
    print(f"creating {len(parties)} terminals in {root} (keys unprotected: a demo)")
    cards = {}
    consoles: dict[str, tuple[str, str, str | None]] = {}
    for party, zone in parties:
        # Two routes each, as a real line has (on loopback here: two ports).
        files = init_terminal(
            dirs[party],
            party=party,
            listen=[f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"],
            timezone=zone,
            console=f"127.0.0.1:{_free_port()}",
            # A throwaway pair on loopback: its keys stay unprotected, as
            # `hotline init --unprotected-keys` keeps them (docs/keys.md).
            passphrase=None,
        )
        cards[party] = files.card()
        password = secrets.token_urlsafe(12)
        create_user(
            files.store,
            SystemClock(),
            name="operator",
            role="operator",
            password=password,
            language=LANGUAGES[party],
        )
        secret = dirs[party] / "demo-password.txt"
        secret.write_text(password + "\n", encoding="utf-8")
        secret.chmod(0o600)
        tls = console_tls(files.paths, files.settings)
        consoles[party] = (
            files.settings.console or "",
            password,
            tls.fingerprint if tls is not None else None,
        )
        files.store.close()
        print(
            f"  {party:<10} {', '.join(cards[party].routes):<32} "
            f"fingerprint {cards[party].fingerprint}"
        )
    for party, _ in parties:
        files = open_terminal(dirs[party])
        try:
            for other, _ in parties:
                if other != party:  # every pair linked directly: nothing is relayed
                    add_peer_card(files, cards[other].to_json())
        finally:
            files.store.close()
    print("cards exchanged; starting the terminals")
    processes: dict[str, subprocess.Popen[bytes]] = {}
    clients = {party: ControlClient(dirs[party]) for party, _ in parties}
    try:
        for party, _ in parties:
            log = (dirs[party] / "stderr.log").open("wb")
            processes[party] = subprocess.Popen(
                [sys.executable, "-m", "hotline", "run", str(dirs[party])],
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )
        for party, _ in parties:
            _wait_running(clients[party], processes[party])
        if len(parties) == 4:
            _four_party_traffic(clients)
        ids = []
        for sender, precedence, text in SCRIPT:
            receiver = "Moscow" if sender == "Washington" else "Washington"
            record = clients[sender].send(to=receiver, text=text, precedence=precedence)
            ids.append(record["id"])
            print(
                f"\n{sender} -> {receiver}  serial {record['serial']}  {record['time_group']}  "
                f"{precedence.upper()}  id {record['id']}\n  {text}"
            )
            _wait_delivered(clients, [record["id"]])
            print("  delivered; signed receipt verified")
        notice = clients["Washington"].notify(to="Moscow", format_code="flight", data=_flights())
        print(f"\nWashington -> Moscow  serial {notice['serial']}  formatted notification")
        print("  " + notice["text"].replace("\n", "\n  "))
        _wait_delivered(clients, [notice["id"]])
        print("  delivered; Moscow's console shows it in its operator's language")
        print("\nlink test of every route (each side also tests on its own hours):")
        for result in clients["Washington"].run_tests(timeout=120):
            outcome = "passed" if result["ok"] else f"MISSED: {result['reason']}"
            print(f"  Washington -> {result['peer']} via {result['route']}: {outcome}")
        for party, _ in parties:
            files = open_terminal(dirs[party])
            try:
                print(f"{party}: {verify_store(files.store, files.identity).summary()}")
            finally:
                files.store.close()
        print("\nThe terminals are running. Drive them with the CLI, for example:")
        command = _command()
        for party, _ in parties:
            other = "Moscow" if party != "Moscow" else "Washington"
            print(f"  {command} send {dirs[party]} --to {other} --precedence flash 'Your text'")
            # One command a line: each can be copied whole.
            for verb in ("messages", "status", "test", "alarms"):
                print(f"  {command} {verb} {dirs[party]}")
        print("\nWeb consoles (log in as 'operator'):")
        for party, _ in parties:
            address, password, fingerprint = consoles[party]
            scheme = "https" if fingerprint else "http"
            print(f"  {party:<10} {scheme}://{address}/   password {password}")
            if fingerprint:
                # Self-signed: the browser warns once; this is what it should show.
                print(f"  {'':<10} certificate SHA-256 {fingerprint}")
        print(
            "Open both (two browser windows), then Calls -> Video call: Moscow's console rings;\n"
            f"afterwards `{command} calls DIR` shows the call on both records."
        )
        print("Logs: " + ", ".join(str(dirs[party] / "terminal.log") for party, _ in parties))
        if args.duration is None:
            print("Press Ctrl-C to stop.")
        deadline = None if args.duration is None else time.monotonic() + args.duration
        while deadline is None or time.monotonic() < deadline:
            for party, process in processes.items():
                if process.poll() is not None:
                    raise HotlineError(
                        f"the {party} terminal stopped unexpectedly; see {dirs[party]}"
                    )
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("\nstopping")
    finally:
        for client in clients.values():
            client.close()
        for process in processes.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    print(f"stopped; the terminals' directories stay in {root}")
    return 0
