"""A network-namespace fault lab: two test hosts joined by two real routes, and faults on them.

Why: failover is only believable when it is tested over real network paths
with real sockets, real TCP retransmission and real processes that can be
SIGKILLed, not over an in-memory link. The kernel gives us that cheaply:
network namespaces are separate network stacks on one machine.

Theory of operation
-------------------
:class:`NetnsLab` creates two namespaces, side ``a`` and side ``b``, joined
by one veth pair per route (two by default). Route ``r`` is the /24
``X.Y.r.0`` of the lab's private /16: side ``a`` is ``X.Y.r.1``, side ``b``
is ``X.Y.r.2``. Loopback is brought up in each namespace; nothing else is
configured (no default route, no bridge), so the two sides can reach each
other only over the lab's routes and nothing outside at all.

Faults, each undone by its twin:

* :meth:`NetnsLab.cut` / :meth:`NetnsLab.heal`: ``ip link set … down`` on
  both ends of a route's veth pair, as when a cable is cut. A new ``connect``
  fails at once (network unreachable); an open connection goes silent.
* :meth:`NetnsLab.loss` / :meth:`NetnsLab.clear_loss`: an nftables table in
  each namespace that drops N % of the packets it sends on that route
  (``numgen random mod 100 < N drop``), so both directions lose N %. The
  kernel has no netem; this is the substitute (docs/reliability.md).
* :meth:`NetnsLab.partition` / :meth:`NetnsLab.heal_partition`: nftables drops
  everything between ``a`` and ``b`` on every route, links left up, so
  connects hang instead of failing fast: the failure that looks like a
  refusal to answer.

Safety: the lab names its namespaces ``hl<pid><random>a`` / ``…b``, refuses
to start if a name is taken (``ip netns add`` fails), and only ever runs
commands inside namespaces it created itself. :meth:`NetnsLab.close` kills
the processes it started and deletes exactly those namespaces, which takes
their veths and nft tables with them, even after a failure half-way through
setting up. Every command is checked: a failure raises
:class:`~hotline.errors.LinkError` carrying the command line and its stderr.

:class:`NamespacedTerminal` runs one real ``hotline`` terminal inside a
side of the lab, listening on that side's address on every route, through
the ``hotline`` entry point an operator uses. Its control socket is a Unix
socket in its directory, so :class:`~hotline.terminal.ControlClient` works
from the root namespace.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

from hotline.errors import ConfigError, DaemonError, LinkError
from hotline.terminal import ControlClient, load_settings

__all__ = ["LabFaults", "LabSide", "NamespacedTerminal", "NetnsLab"]

#: Seconds any one harness command may take before it counts as failed.
COMMAND_TIMEOUT = 30.0
#: The port every lab terminal listens on; each namespace has its own port space.
DEFAULT_PORT = 7400
#: Where ``ip`` and ``nft`` live on Debian when ``/usr/sbin`` is not on PATH.
_SYSTEM_PATH = "/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin"
#: The lab's tag: "hl" and up to 9 of [0-9a-z]. Interface names are tag + "r<n>a",
#: so they stay within the kernel's 15-character limit.
_TAG = re.compile(r"hl[0-9a-z]{1,9}")
_LINK_KEY = re.compile(r"[a-z][a-z0-9_]*")
_MAX_ROUTES = 9


class LabSide(StrEnum):
    """One of the lab's two hosts."""

    A = "a"
    B = "b"

    @property
    def other(self) -> LabSide:
        return LabSide.B if self is LabSide.A else LabSide.A


@dataclass(frozen=True, slots=True, kw_only=True)
class LabFaults:
    """The faults a lab has in force right now."""

    cut: frozenset[int]
    loss: tuple[tuple[int, int], ...]  # (route, percent), by route
    partitioned: bool

    def __post_init__(self) -> None:
        if any(not 0 < percent <= 100 for _, percent in self.loss):
            raise ValueError("a loss in force is between 1 and 100 percent")

    @property
    def clear(self) -> bool:
        return not self.cut and not self.loss and not self.partitioned


def _tool(name: str) -> str | None:
    """The absolute path of a system tool, also when /usr/sbin is not on PATH."""
    return shutil.which(name) or shutil.which(name, path=_SYSTEM_PATH)


def _need_tool(name: str) -> str:
    path = _tool(name)
    if path is None:
        raise LinkError(f"{name} is not installed (the network lab needs it)")
    return path


def _run(
    argv: Sequence[str], *, stdin: str | None = None, timeout: float = COMMAND_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run one command; anything but exit 0 raises with the command line and its stderr."""
    command = shlex.join(argv)
    try:
        result = subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise LinkError(f"{command}: no answer within {timeout} s") from exc
    except OSError as exc:
        raise LinkError(f"{command}: {exc}") from exc
    if result.returncode != 0:
        why = result.stderr.strip() or result.stdout.strip() or "no output"
        raise LinkError(f"{command} failed (exit {result.returncode}): {why}")
    return result


def _side(side: LabSide | str) -> LabSide:
    try:
        return LabSide(side)
    except ValueError:
        raise ValueError(f"a lab side is 'a' or 'b', not {side!r}") from None


class NetnsLab:
    """Two network namespaces joined by ``routes`` veth pairs; a context manager."""

    def __init__(
        self, *, subnet: str = "10.201.0.0/16", routes: int = 2, tag: str | None = None
    ) -> None:
        try:
            network = ipaddress.ip_network(subnet, strict=True)
        except ValueError as exc:
            raise ValueError(f"lab subnet: {exc}") from None
        # A /16 gives each route its own /24; private so it can never be anybody's real address.
        if not isinstance(network, ipaddress.IPv4Network) or network.prefixlen != 16:
            raise ValueError(f"the lab subnet must be an IPv4 /16, not {subnet}")
        if not network.is_private:
            raise ValueError(f"the lab subnet must be private (RFC 1918), not {subnet}")
        if not 1 <= routes <= _MAX_ROUTES:
            raise ValueError(f"a lab has 1 to {_MAX_ROUTES} routes, not {routes}")
        tag = tag or f"hl{os.getpid() % 100000}{secrets.token_hex(2)}"
        if not _TAG.fullmatch(tag):
            raise ValueError(f"a lab tag is 'hl' and 1 to 9 of [0-9a-z], not {tag!r}")
        self._network = network
        self._route_count = routes
        self._tag = tag
        self._names = {side: f"{tag}{side.value}" for side in LabSide}
        self._created: list[str] = []
        self._processes: list[subprocess.Popen[Any]] = []
        self._opened = False
        self._cut: set[int] = set()
        self._loss: dict[int, int] = {}
        self._partitioned = False

    # -- availability --------------------------------------------------------

    @staticmethod
    def available() -> str | None:
        """None if a lab can be built here, else why not (for a skip or a failure message)."""
        if not sys.platform.startswith("linux"):
            return "network namespaces need Linux"
        if os.geteuid() != 0:
            return "creating network namespaces needs root"
        for name, package in (("ip", "iproute2"), ("nft", "nftables")):
            if _tool(name) is None:
                return f"{name} is not installed (apt-get install {package})"
        # Try the real thing once in a throw-away namespace: a container may refuse
        # namespaces, veths (no module) or nftables even to root.
        probe = f"hlp{os.getpid() % 100000}{secrets.token_hex(2)}"
        ip, nft = _need_tool("ip"), _need_tool("nft")
        try:
            _run([ip, "netns", "add", probe])
        except LinkError as exc:
            return f"namespace creation refused: {exc}"
        reason: str | None = None
        try:
            _run([ip, "-n", probe, "link", "add", "hlp0", "type", "veth", "peer", "name", "hlp1"])
            _run([ip, "netns", "exec", probe, nft, "add table inet hlprobe"])
        except LinkError as exc:
            reason = f"the lab cannot be built here: {exc}"
        finally:
            try:
                _run([ip, "netns", "del", probe])
            except LinkError as exc:
                reason = reason or f"cannot delete the probe namespace: {exc}"
        return reason

    # -- life cycle ----------------------------------------------------------

    def open(self) -> NetnsLab:
        """Create the namespaces and routes; on any failure remove what was made and raise."""
        if self._opened:
            raise LinkError(f"lab {self._tag} is already open")
        self._opened = True
        ip = _need_tool("ip")
        try:
            for side in LabSide:
                name = self._names[side]
                # Fails if the name exists: someone else's namespace is never adopted.
                _run([ip, "netns", "add", name])
                self._created.append(name)
                _run([ip, "-n", name, "link", "set", "lo", "up"])
            a, b = self._names[LabSide.A], self._names[LabSide.B]
            for route in self.routes:
                end_a, end_b = self._interface(LabSide.A, route), self._interface(LabSide.B, route)
                # Created inside side a with its peer inside side b: the root namespace
                # never holds the interfaces, so no name there can clash.
                veth = [ip, "-n", a, "link", "add", end_a, "type", "veth"]
                _run([*veth, "peer", "name", end_b, "netns", b])
                for side in LabSide:
                    name, interface = self._names[side], self._interface(side, route)
                    address = f"{self.address(side, route)}/24"
                    _run([ip, "-n", name, "addr", "add", address, "dev", interface])
                    _run([ip, "-n", name, "link", "set", interface, "up"])
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Kill the processes this lab started and delete exactly its own namespaces."""
        for process in self._processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            for stream in (process.stdin, process.stdout, process.stderr):
                if stream is not None:
                    stream.close()  # pipes the caller asked for die with the process
        self._processes.clear()
        failures = []
        ip = _tool("ip") or "ip"
        for name in reversed(list(self._created)):
            try:
                _run([ip, "netns", "del", name])
            except LinkError as exc:
                failures.append(str(exc))
                continue
            self._created.remove(name)
        self._cut.clear()
        self._loss.clear()
        self._partitioned = False
        if failures:
            raise LinkError("lab cleanup failed: " + "; ".join(failures))

    def __enter__(self) -> NetnsLab:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- topology ------------------------------------------------------------

    @property
    def tag(self) -> str:
        return self._tag

    @property
    def namespaces(self) -> tuple[str, str]:
        """The names of side a's and side b's namespaces."""
        return self._names[LabSide.A], self._names[LabSide.B]

    @property
    def route_count(self) -> int:
        return self._route_count

    @property
    def routes(self) -> range:
        """Route numbers, from 1."""
        return range(1, self._route_count + 1)

    @property
    def subnet(self) -> str:
        return str(self._network)

    def namespace(self, side: LabSide | str) -> str:
        return self._names[_side(side)]

    def address(self, side: LabSide | str, route: int) -> str:
        """Side's IPv4 address on a route, e.g. ``10.201.1.2`` for side b on route 1."""
        host = 1 if _side(side) is LabSide.A else 2
        return str(self._network.network_address + 256 * self._route(route) + host)

    def route_of(self, address: str | None) -> int | None:
        """The route an address (``host`` or ``host:port``) is on, or None if not the lab's."""
        if not address:
            return None
        host = address.rsplit(":", 1)[0] if address.count(":") == 1 else address
        try:
            parsed = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return None
        if parsed not in self._network:
            return None
        route = (int(parsed) - int(self._network.network_address)) // 256
        return route if route in self.routes else None

    def _route(self, route: int) -> int:
        if isinstance(route, bool) or not isinstance(route, int) or route not in self.routes:
            raise ValueError(f"this lab has routes 1 to {self._route_count}, not {route!r}")
        return route

    def _interface(self, side: LabSide, route: int) -> str:
        return f"{self._tag}r{route}{side.value}"

    def _require_open(self) -> None:
        if len(self._created) != len(self._names):
            raise LinkError(f"lab {self._tag} is not open")

    # -- faults --------------------------------------------------------------

    def faults(self) -> LabFaults:
        return LabFaults(
            cut=frozenset(self._cut),
            loss=tuple(sorted(self._loss.items())),
            partitioned=self._partitioned,
        )

    def cut(self, route: int) -> None:
        """Take both ends of the route's link down, as a cable cut."""
        self._set_link(self._route(route), "down")
        self._cut.add(route)

    def heal(self, route: int) -> None:
        """Bring the route's link back up."""
        self._set_link(self._route(route), "up")
        self._cut.discard(route)

    def _set_link(self, route: int, state: str) -> None:
        self._require_open()
        ip = _need_tool("ip")
        for side in LabSide:
            _run([ip, "-n", self._names[side], "link", "set", self._interface(side, route), state])

    def loss(self, route: int, percent: int) -> None:
        """Drop ``percent`` % of the packets each side sends on the route (replaces any loss there)."""
        route = self._route(route)
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            raise ValueError(f"loss is a whole percentage, 0 to 100, not {percent!r}")
        self.clear_loss(route)
        if percent == 0:
            return
        table = f"hlloss{route}"
        # nft's numgen compares within 0..99, so "< 100" is written as dropping everything.
        chance = "" if percent == 100 else f"numgen random mod 100 < {percent} "
        for side in LabSide:
            # Each side filters what it sends toward the other side's address on this
            # route, so each direction loses the same share.
            self._nft(
                side,
                f"add table inet {table}\n"
                f"add chain inet {table} out {{ type filter hook output priority 0; policy accept; }}\n"
                f"add rule inet {table} out ip daddr {self.address(side.other, route)} "
                f"{chance}counter drop\n",
            )
        self._loss[route] = percent

    def clear_loss(self, route: int) -> None:
        route = self._route(route)
        if route in self._loss:
            for side in LabSide:
                self._nft(side, f"delete table inet hlloss{route}\n")
            del self._loss[route]

    def partition(self) -> None:
        """Drop everything between a and b on every route, links left up."""
        if self._partitioned:
            return
        for side in LabSide:
            others = ", ".join(self.address(side.other, route) for route in self.routes)
            self._nft(
                side,
                "add table inet hlpartition\n"
                "add chain inet hlpartition out { type filter hook output priority 0; policy accept; }\n"
                "add chain inet hlpartition in { type filter hook input priority 0; policy accept; }\n"
                f"add rule inet hlpartition out ip daddr {{ {others} }} counter drop\n"
                f"add rule inet hlpartition in ip saddr {{ {others} }} counter drop\n",
            )
        self._partitioned = True

    def heal_partition(self) -> None:
        if self._partitioned:
            for side in LabSide:
                self._nft(side, "delete table inet hlpartition\n")
            self._partitioned = False

    def heal_all(self) -> None:
        """Undo every fault: links up, no loss, no partition."""
        self.heal_partition()
        for route in sorted(self._loss):
            self.clear_loss(route)
        for route in self.routes:
            self.heal(route)

    def _nft(self, side: LabSide, script: str) -> None:
        self._require_open()
        # One script per call: nft applies it atomically, all of it or nothing.
        self.run(side, [_need_tool("nft"), "-f", "-"], stdin=script)

    # -- running things inside -------------------------------------------------

    def popen(
        self, side: LabSide | str, argv: Sequence[str], **kwargs: Any
    ) -> subprocess.Popen[Any]:
        """Start ``argv`` inside a side's namespace; the lab kills it on close if still running.

        ``ip netns exec`` execs the command in place, so the returned process's
        PID is the command itself and a signal to it reaches nothing else.
        """
        self._require_open()
        process: subprocess.Popen[Any] = subprocess.Popen(
            [_need_tool("ip"), "netns", "exec", self.namespace(side), *argv], **kwargs
        )
        self._processes.append(process)
        return process

    def run(
        self,
        side: LabSide | str,
        argv: Sequence[str],
        *,
        stdin: str | None = None,
        timeout: float = COMMAND_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` to completion inside a side's namespace; exit status other than 0 raises."""
        self._require_open()
        return _run(
            [_need_tool("ip"), "netns", "exec", self.namespace(side), *argv],
            stdin=stdin,
            timeout=timeout,
        )

    def established_routes(self, side: LabSide | str) -> frozenset[int]:
        """Routes on which the side has an established TCP connection (from ``ss``)."""
        listing = self.run(side, [_need_tool("ss"), "-Htn", "state", "established"]).stdout
        found = set()
        for line in listing.splitlines():
            for field in line.split()[2:4]:  # local and peer address:port
                route = self.route_of(field)
                if route is not None:
                    found.add(route)
        return frozenset(found)


def _hotline_argv() -> list[str]:
    """The ``hotline`` entry point of the interpreter running us (``-m hotline`` if absent)."""
    script = Path(sys.executable).parent / "hotline"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "hotline"]


def _set_link_values(text: str, values: Mapping[str, float | int]) -> str:
    """``hotline.toml`` text with the ``[link]`` keys set; everything else left as written."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "[link]")
    except StopIteration:
        lines += ["", "[link]"]
        start = len(lines) - 1
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
        len(lines),
    )
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # new keys go before the blank lines that separate sections
    for key, value in values.items():
        if not _LINK_KEY.fullmatch(key):
            raise ValueError(f"not a [link] setting name: {key!r}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"[link] {key} must be a number, not {value!r}")
        rendered = f"{key} = {value!r}"
        pattern = re.compile(rf"\s*{key}\s*=")
        for index in range(start + 1, end):
            if pattern.match(lines[index]):
                lines[index] = rendered
                break
        else:
            lines.insert(end, rendered)
            end += 1
    return "\n".join(lines) + "\n"


class NamespacedTerminal:
    """One ``hotline`` terminal living in one side of a lab, listening on every route."""

    def __init__(
        self,
        lab: NetnsLab,
        side: LabSide | str,
        directory: Path,
        *,
        party: str,
        port: int = DEFAULT_PORT,
        timezone: str = "UTC",
    ) -> None:
        if not 1 <= port <= 65535:
            raise ValueError(f"not a port: {port}")
        self.lab = lab
        self.side = _side(side)
        self.directory = Path(directory)
        self.party = party
        self.port = port
        self.timezone = timezone
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def listen(self) -> tuple[str, ...]:
        """``host:port`` on each route, in route order (the order of the card's routes)."""
        return tuple(f"{self.lab.address(self.side, r)}:{self.port}" for r in self.lab.routes)

    # -- setting up ----------------------------------------------------------

    def hotline(self, *args: str | Path, stdin: str | None = None) -> str:
        """Run a ``hotline`` command (in the root namespace; none of these touch the network)."""
        return _run([*_hotline_argv(), *map(str, args)], stdin=stdin, timeout=60).stdout

    def init(self, *, link: Mapping[str, float | int] | None = None) -> None:
        """``hotline init`` with one ``--listen`` per route; optionally set ``[link]`` values."""
        listen = [arg for address in self.listen for arg in ("--listen", address)]
        self.hotline(
            "init",
            "--unprotected-keys",
            self.directory,
            "--party",
            self.party,
            *listen,
            "--timezone",
            self.timezone,
        )
        if link:
            self.configure_link(link)

    def configure_link(self, values: Mapping[str, float | int]) -> None:
        """Set ``[link]`` values in ``hotline.toml`` (e.g. faster heartbeats); read at start."""
        path = self.directory / "hotline.toml"
        try:
            original = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        path.write_text(_set_link_values(original, values), encoding="utf-8")
        try:
            load_settings(path)  # the daemon's own check, so a bad value fails here, not at start
        except ConfigError:
            path.write_text(original, encoding="utf-8")
            raise

    def card(self) -> str:
        return self.hotline("card", self.directory)

    def add_peer(self, card: str) -> None:
        self.hotline("peer", "add", self.directory, "-", stdin=card)

    def pair_with(self, other: NamespacedTerminal) -> None:
        """Exchange cards both ways (``hotline card`` / ``hotline peer add``)."""
        self.add_peer(other.card())
        other.add_peer(self.card())

    # -- running -------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self, timeout: float = 30.0) -> None:
        """``hotline run DIR`` inside the namespace; returns once its control API answers."""
        if self.running:
            raise DaemonError(f"{self.party}'s terminal is already running")
        with (self.directory / f"run-{self.starts}.stderr").open("wb") as log:
            self.process = self.lab.popen(
                self.side,
                [*_hotline_argv(), "run", str(self.directory)],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        client = ControlClient(self.directory, timeout=5)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DaemonError(
                    f"{self.party}'s terminal exited ({self.process.returncode}): {self.stderr()[-2000:]}"
                )
            try:
                client.status()
                return
            except DaemonError:  # not listening yet, or the socket of a killed run
                time.sleep(0.05)
        raise DaemonError(f"{self.party}'s terminal did not answer within {timeout} s")

    def kill(self) -> None:
        """SIGKILL of this terminal's process only: no chance to clean up, as in a power cut."""
        if self.process is None or self.process.poll() is not None:
            raise DaemonError(f"{self.party}'s terminal is not running")
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM and wait (SIGKILL after ``timeout``); the exit status, None if never started."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return self.process.returncode

    def stderr(self) -> str:
        """Everything the terminal's runs wrote to stderr, oldest run first."""
        runs = sorted(self.directory.glob("run-*.stderr"), key=lambda p: int(p.stem.split("-")[1]))
        return "\n".join(path.read_text(errors="replace") for path in runs)

    # -- looking at it ---------------------------------------------------------

    def client(self, *, timeout: float = 10.0) -> ControlClient:
        return ControlClient(self.directory, timeout=timeout)

    def status(self) -> dict[str, Any]:
        return self.client().status()

    def verify(self) -> subprocess.CompletedProcess[str]:
        """``hotline verify DIR``; its exit status is the verdict, so it is not raised on."""
        return subprocess.run(
            [*_hotline_argv(), "verify", str(self.directory)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def carrying_routes(self) -> frozenset[int]:
        """The routes this terminal's traffic to its peers is on now.

        A terminal that reports ``routes`` per peer (with ``active``) is taken at
        its word; one that reports a session ``address`` per peer is mapped to
        that route; failing both, the established TCP connections are read with
        ``ss`` inside its namespace.
        """
        found: set[int] = set()
        reported = False
        for peer in self.status()["peers"]:
            routes = peer.get("routes")
            if isinstance(routes, list):
                reported = True
                found |= _active_routes(self.lab, routes)
            elif peer.get("address"):
                reported = True
                route = self.lab.route_of(str(peer["address"]))
                if route is not None:
                    found.add(route)
        if not reported:
            return self.lab.established_routes(self.side)
        return frozenset(found)


def _active_routes(lab: NetnsLab, routes: Iterable[Any]) -> set[int]:
    found = set()
    for route in routes:
        if isinstance(route, dict) and route.get("active"):
            number = lab.route_of(str(route.get("address", "")))
            if number is not None:
                found.add(number)
    return found
