"""The network-namespace lab, and two real terminals surviving route cuts and a SIGKILL in it.

The harness tests check that each fault really does what it says on real
sockets (a cut route refuses connects, a healed one accepts them again, a
partition drops everything) and that cleanup leaves no namespace and no
process behind, even after a failure.

The end-to-end test streams 300 messages each way between Washington (side
a) and Moscow (side b) while route 1 is cut and healed, route 2 is cut,
Moscow is SIGKILLed and restarted, and route 2 is healed; then every message
must be delivered exactly once, in serial order, with the same id at the
same serial on both sides, and ``hotline verify`` must pass on both.

Without root, ``ip`` or ``nft`` these tests skip, except under CI
(``CI=true``), where they fail: CI must not silently skip them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hotline.errors import ConfigError, DaemonError, LinkError
from hotline.terminal import ControlClient, load_settings
from hotline.testing.netns import LabSide, NamespacedTerminal, NetnsLab

PROBE_PORT = 7500

SERVER = f"""
import selectors, socket, sys
selector = selectors.DefaultSelector()
for host in sys.argv[1:]:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, {PROBE_PORT}))
    server.listen()
    selector.register(server, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in selector.select():
        connection, _ = key.fileobj.accept()
        connection.sendall(b"ok")
        connection.close()
"""

CLIENT = f"""
import socket, sys
try:
    with socket.create_connection((sys.argv[1], {PROBE_PORT}), timeout=float(sys.argv[2])) as s:
        print(s.recv(2).decode())
except OSError as exc:
    print(type(exc).__name__, exc.errno)
"""


def require_lab() -> None:
    reason = NetnsLab.available()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the network-namespace tests must run in CI, but: {reason}")
    pytest.skip(reason)


@pytest.fixture
def lab() -> Iterator[NetnsLab]:
    require_lab()
    with NetnsLab() as made:
        yield made


def namespaces_now() -> set[str]:
    listing = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=True, timeout=10
    ).stdout
    return {line.split()[0] for line in listing.splitlines() if line.strip()}


def connect(lab: NetnsLab, route: int, timeout: float = 1.0) -> str:
    """From side a to the probe server on side b over ``route``: "ok" or the error."""
    argv = [sys.executable, "-c", CLIENT, lab.address(LabSide.B, route), str(timeout)]
    return lab.run(LabSide.A, argv).stdout.strip()


@pytest.fixture
def probe_server(lab: NetnsLab) -> subprocess.Popen[str]:
    addresses = [lab.address(LabSide.B, route) for route in lab.routes]
    server = lab.popen(
        LabSide.B, [sys.executable, "-c", SERVER, *addresses], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    assert server.stdout.readline().strip() == "ready"
    return server


# -- the lab's shape, without creating anything -----------------------------------


def test_addresses_follow_the_subnet() -> None:
    lab = NetnsLab(subnet="10.77.0.0/16", routes=3)
    assert lab.route_count == 3
    assert list(lab.routes) == [1, 2, 3]
    assert lab.address("a", 1) == "10.77.1.1"
    assert lab.address(LabSide.B, 2) == "10.77.2.2"
    assert lab.address("b", 3) == "10.77.3.2"
    assert lab.route_of("10.77.2.1:7400") == 2
    assert lab.route_of("10.77.3.2") == 3
    assert lab.route_of("10.77.4.2:7400") is None  # in the /16, but no such route
    assert lab.route_of("127.0.0.1:7400") is None
    assert lab.route_of("not an address") is None
    assert lab.route_of(None) is None


def test_names_are_unique_and_fit_interface_names() -> None:
    first, second = NetnsLab(), NetnsLab()
    assert first.namespaces[0] != first.namespaces[1]
    assert set(first.namespaces).isdisjoint(second.namespaces)
    for lab in (first, second):
        assert all(name.startswith("hl") for name in lab.namespaces)
        # Interfaces are the tag plus "r<n><side>": within Linux's 15 characters.
        assert len(lab.tag) + 3 <= 15


@pytest.mark.parametrize(
    "kwargs",
    [
        {"subnet": "8.8.0.0/16"},  # not private: might be somebody's real address
        {"subnet": "10.201.0.0/24"},
        {"subnet": "10.201.1.0/16"},  # host bits set
        {"subnet": "fd00::/16"},
        {"subnet": "nonsense"},
        {"routes": 0},
        {"routes": 10},
        {"tag": "xx123"},
        {"tag": "hl" + "a" * 10},
    ],
)
def test_bad_lab_arguments_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        NetnsLab(**kwargs)  # type: ignore[arg-type]


def test_bad_sides_and_routes_are_refused() -> None:
    lab = NetnsLab()
    with pytest.raises(ValueError):
        lab.address("c", 1)
    with pytest.raises(ValueError):
        lab.address("a", 3)
    with pytest.raises(ValueError):
        lab.loss(1, 101)


def test_faults_need_an_open_lab() -> None:
    with pytest.raises(LinkError, match="not open"):
        NetnsLab().cut(1)


def test_available_gives_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    # netns looks these up on the os and shutil modules at each call.
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "root" in (NetnsLab.available() or "")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda name, path=None: None)
    assert "ip is not installed" in (NetnsLab.available() or "")


def test_link_settings_are_written_and_checked(tmp_path: Path) -> None:
    terminal = NamespacedTerminal(NetnsLab(), "a", tmp_path / "w", party="Washington")
    terminal.init(link={"heartbeat_interval": 0.2, "dead_after": 4})
    settings = load_settings(tmp_path / "w" / "hotline.toml")
    assert settings.link.heartbeat_interval == 0.2
    assert settings.link.dead_after == 4
    assert settings.party == "Washington"
    assert settings.listen == ("10.201.1.1:7400", "10.201.2.1:7400")
    before = (tmp_path / "w" / "hotline.toml").read_text()
    with pytest.raises(ConfigError):
        terminal.configure_link({"heartbeat_interval": 0})
    assert (tmp_path / "w" / "hotline.toml").read_text() == before
    with pytest.raises(ValueError):
        terminal.configure_link({"dead_after = 1\n[x": 1})


# -- the lab itself, for real -------------------------------------------------------


def test_available_here() -> None:
    require_lab()
    assert NetnsLab.available() is None


def test_namespaces_exist_while_open_and_go_after(lab: NetnsLab) -> None:
    assert set(lab.namespaces) <= namespaces_now()
    names = lab.namespaces
    lab.close()
    assert namespaces_now().isdisjoint(names)


def test_cleanup_after_a_failure_leaves_nothing(tmp_path: Path) -> None:
    require_lab()
    with pytest.raises(RuntimeError, match="boom"), NetnsLab() as lab:  # noqa: PT012
        names = lab.namespaces
        sleeper = lab.popen("a", ["sleep", "60"])
        assert sleeper.poll() is None
        raise RuntimeError("boom")
    assert namespaces_now().isdisjoint(names)
    assert sleeper.poll() is not None  # killed by the lab, not left running


def test_a_failing_command_raises_with_its_stderr(lab: NetnsLab) -> None:
    with pytest.raises(LinkError, match=r"exit 3.*went wrong"):
        lab.run("a", ["sh", "-c", "echo went wrong >&2; exit 3"])


def test_cut_blocks_connects_and_heal_restores(
    lab: NetnsLab, probe_server: subprocess.Popen[str]
) -> None:
    assert connect(lab, 1) == "ok"
    assert connect(lab, 2) == "ok"
    lab.cut(1)
    assert lab.faults().cut == {1}
    assert connect(lab, 1) == "OSError 101"  # ENETUNREACH: the link is down
    assert connect(lab, 2) == "ok"  # the other route is untouched
    lab.heal(1)
    assert connect(lab, 1) == "ok"
    assert lab.faults().clear


def test_loss_and_partition_drop_packets_and_clear(
    lab: NetnsLab, probe_server: subprocess.Popen[str]
) -> None:
    lab.loss(2, 5)
    assert "numgen random mod 100 < 5" in lab.run("a", ["nft", "list", "ruleset"]).stdout
    lab.loss(1, 100)  # every packet: the connect cannot complete
    assert lab.faults().loss == ((1, 100), (2, 5))
    assert connect(lab, 1, timeout=0.5).startswith("TimeoutError")
    lab.clear_loss(1)
    assert connect(lab, 1) == "ok"
    lab.clear_loss(2)
    lab.partition()
    for route in lab.routes:
        assert connect(lab, route, timeout=0.5).startswith("TimeoutError")
    lab.heal_partition()
    assert connect(lab, 1) == "ok"
    lab.cut(2)
    lab.partition()
    lab.heal_all()
    assert lab.faults().clear
    assert connect(lab, 2) == "ok"
    assert lab.run("b", ["nft", "list", "ruleset"]).stdout.strip() == ""


# -- two terminals through route cuts and a SIGKILL ------------------------------------

N = 300
PACE = 0.05  # seconds between messages: the stream lasts ~15 s, through every fault


def send_paced(
    terminal: NamespacedTerminal, to: str, prefix: str, accepted: list[str], errors: list[str]
) -> None:
    client = terminal.client(timeout=10)
    started = time.monotonic()
    for index in range(N):
        delay = started + index * PACE - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        while True:
            try:
                accepted.append(client.send(to=to, text=f"{prefix} {index:04d}")["id"])
                break
            except DaemonError:
                # Killed mid-request: not accepted (no id was returned), so send again.
                time.sleep(0.02)
            except Exception as exc:  # pragma: no cover - reported by the test
                errors.append(repr(exc))
                return


def wait_for(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except DaemonError:
            pass  # a terminal restarting
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


def queued(terminal: NamespacedTerminal) -> int:
    return sum(peer["queued"] for peer in terminal.status()["peers"])


def check_direction(
    sender: NamespacedTerminal, receiver: NamespacedTerminal, accepted: list[str], prefix: str
) -> None:
    with ControlClient(sender.directory) as client:
        sent = client.messages(direction="out")
    with ControlClient(receiver.directory) as client:
        received = client.messages(direction="in")
    sent_ids = [m["id"] for m in sent]
    received_ids = [m["id"] for m in received]
    # Nothing lost, nothing duplicated: every accepted id exists on both sides once.
    assert len(set(sent_ids)) == len(sent_ids)
    assert Counter(received_ids) == Counter(sent_ids), "received set differs from sent set"
    assert set(accepted) <= set(sent_ids)
    # Serial order kept: 1..n, the same id at the same serial on both sides.
    by_serial_out = {m["serial"]: m["id"] for m in sent}
    by_serial_in = {m["serial"]: m["id"] for m in received}
    assert sorted(by_serial_out) == list(range(1, len(sent) + 1))
    assert by_serial_in == by_serial_out
    # Queued in index order, so serial order is index order.
    indexes = [int(m["text"].split()[-1]) for m in sorted(sent, key=lambda m: m["serial"])]
    assert indexes == sorted(indexes)
    assert set(indexes) == set(range(N))
    assert all(m["state"] == "delivered" and m["delivered_at"] for m in sent)
    texts = {m["id"]: m["text"] for m in sent}
    assert all(texts[m["id"]] == m["text"] and m["text"].startswith(prefix) for m in received)


def test_stream_survives_route_cuts_and_a_kill(lab: NetnsLab, tmp_path: Path) -> None:
    washington = NamespacedTerminal(
        lab, "a", tmp_path / "washington", party="Washington", timezone="America/New_York"
    )
    moscow = NamespacedTerminal(
        lab, "b", tmp_path / "moscow", party="Moscow", timezone="Europe/Moscow"
    )
    for terminal in (washington, moscow):
        terminal.init()
    washington.pair_with(moscow)
    washington.start()
    moscow.start()
    wait_for(lambda: all(p["state"] == "up" for p in washington.status()["peers"]), "link up", 30)

    accepted: dict[str, list[str]] = {"W": [], "M": []}
    errors: list[str] = []
    senders = [
        threading.Thread(
            target=send_paced, args=(washington, "Moscow", "W->M", accepted["W"], errors)
        ),
        threading.Thread(
            target=send_paced, args=(moscow, "Washington", "M->W", accepted["M"], errors)
        ),
    ]
    for sender in senders:
        sender.start()
    try:
        time.sleep(2.0)
        lab.cut(1)
        wait_for(lambda: washington.carrying_routes() == {2}, "traffic moved to route 2", 20)
        time.sleep(1.0)
        lab.heal(1)
        time.sleep(1.5)
        lab.cut(2)
        wait_for(lambda: washington.carrying_routes() == {1}, "traffic back on route 1", 20)
        time.sleep(0.5)
        moscow.kill()
        time.sleep(0.5)  # Washington keeps queueing while Moscow is gone
        moscow.start()
        time.sleep(1.0)
        lab.heal(2)
    finally:
        for sender in senders:
            sender.join(timeout=120)
    assert not errors, errors
    assert len(accepted["W"]) == len(accepted["M"]) == N
    wait_for(lambda: queued(washington) + queued(moscow) == 0, "everything delivered", 90)

    check_direction(washington, moscow, accepted["W"], "W->M")
    check_direction(moscow, washington, accepted["M"], "M->W")
    assert moscow.starts == 2
    for terminal in (washington, moscow):
        assert terminal.stop() == 0
        result = terminal.verify()
        assert result.returncode == 0, result.stdout + result.stderr
        assert "all hold" in result.stdout
