"""Two real terminals, Washington and Moscow, with their web consoles, for browser tests.

Each terminal is created and run through the CLI (``hotline init``, ``hotline
peer add``, ``hotline user add``, ``hotline run``), as an operator would do
it, with two listen routes on loopback, a console port, and fast link
settings (heartbeat 0.2 s, dead after 10) so that a cut route shows silent
within a fraction of a second and down within two. (Dead after 3, 0.3 s, and
then 6, 0.6 s, were too tight: with two browsers decoding video on two shared
cores, a terminal that did not get the processor that long lost both routes.)

Cutting a route from the test process. Exactly one side of a pair dials: the
one whose signing key sorts lower (docs/protocol/delivery.md, section 4). The
harness puts a :class:`~hotline.testing.RouteProxy` in front of each of the
listener's two routes and gives the dialer a card of the listener's (signed
with the listener's real key) whose routes are the proxies' addresses; the
listener gets the dialer's real card. The proxies run in their own asyncio
loop on a background thread (:class:`ProxyThread`), because Playwright's sync
API owns the test thread. :meth:`ConsolePair.cut` silences one route in both
directions (no reset, no FIN: only heartbeats can tell), so both consoles see
the peer go from ``up`` to ``degraded`` and that route go ``silent``, then
``down``; :meth:`ConsolePair.heal` lets it reconnect (the line view showed it
up again about 2.3 s after the heal here; the test allows 20 s, since a dial
left hanging on the cut route may first have to run out its 10 s TLS
handshake timeout, as it would on a real cable).

The pytest fixtures (conftest.py) and ``scripts/console_screenshots.py`` both
build their terminals with :func:`console_pair`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.crypto import Identity
from hotline.terminal import ControlClient, load_settings, open_terminal
from hotline.terminal.config import CallSettings, LinkSettings, MarkingSettings
from hotline.terminal.config.settings import render_settings
from hotline.testing import RouteProxy
from tests.cli.helpers import TerminalProcess, free_port, hotline

__all__ = [
    "CALLS",
    "CLASSIFICATIONS",
    "FAST_LINK",
    "PARTIES",
    "USERS",
    "Console",
    "ConsolePair",
    "ProxyThread",
    "User",
    "console_mesh",
    "console_pair",
    "lone_console",
    "wait_for",
]

#: A silent route is dead after 2 s; a lost route is redialed within 0.5 s. Not
#: faster: two terminals, a browser and the suite share two cores, and a process
#: held off the CPU for a second must not see its line drop (it did at 0.6 s,
#: failing a call test whose line was never cut).
FAST_LINK = LinkSettings(
    heartbeat_interval=0.2, dead_after=10, reconnect_initial=0.1, reconnect_cap=0.5
)

#: A call rings 6 s before it is missed, and may reconnect for 4 s before it fails:
#: short enough for tests of both, long enough for a person (a test) to answer.
CALLS = CallSettings(ring_timeout=6, reconnect_timeout=4)

#: The classification lines every harness terminal agrees (``[markings] classifications``).
CLASSIFICATIONS = ("CONFIDENTIAL", "SECRET//HOTLINE")

#: (party, IANA time zone) of the two terminals.
PARTIES = (("Washington", "America/New_York"), ("Moscow", "Europe/Moscow"))


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A console account: who, on which terminal, in which role and language."""

    name: str
    party: str
    role: str
    language: str = "en"

    @property
    def password(self) -> str:
        # Long enough for the console's minimum (10 characters), distinct per user.
        return f"{self.name}-correct-horse"


USERS = {
    user.name: user
    for user in (
        User(name="wash-op", party="Washington", role="operator"),
        User(name="wash-auditor", party="Washington", role="auditor"),
        User(name="mos-op", party="Moscow", role="operator", language="en"),
        User(name="mos-op-id", party="Moscow", role="operator", language="id"),
        # The accessibility and small-screen tests switch languages: accounts of their own,
        # so that no other test finds its user's language changed.
        User(name="wash-a11y", party="Washington", role="operator"),
        User(name="mos-op-ru", party="Moscow", role="operator", language="ru"),
    )
}


def wait_for(
    condition: Callable[[], bool], *, what: str, timeout: float = 30.0, step: float = 0.05
) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class ProxyThread:
    """RouteProxies running in an event loop of their own, driven from a plain thread."""

    def __init__(self, targets: list[str]) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="route-proxies", daemon=True
        )
        self._thread.start()
        self.proxies = [self._call(RouteProxy(target).start()) for target in targets]

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    @property
    def addresses(self) -> list[str]:
        return [proxy.address for proxy in self.proxies]

    def cut(self, index: int) -> None:
        async def cut() -> None:
            self.proxies[index].cut()

        self._call(cut())

    def heal(self, index: int) -> None:
        async def heal() -> None:
            self.proxies[index].heal()

        self._call(heal())

    def close(self) -> None:
        for proxy in self.proxies:
            self._call(proxy.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@dataclass
class Console:
    """One running terminal and the address of its web console."""

    party: str
    directory: Path
    url: str
    process: TerminalProcess

    def control(self) -> ControlClient:
        """A client of the terminal's control API (use it in a ``with``)."""
        return ControlClient(self.directory, timeout=10)

    def status(self) -> dict[str, Any]:
        with ControlClient(self.directory, timeout=10) as client:
            return client.status()

    def peer_state(self, party: str) -> str | None:
        for peer in self.status()["peers"]:
            if peer["party"] == party:
                return str(peer["state"])
        return None

    def messages(self, **filters: Any) -> list[dict[str, Any]]:
        with ControlClient(self.directory, timeout=10) as client:
            return client.messages(**filters)

    def calls(self) -> list[dict[str, Any]]:
        """The terminal's call records, newest first (what ``hotline calls DIR --json`` prints)."""
        with ControlClient(self.directory, timeout=10) as client:
            return client.calls()

    def call(self, call_id: str) -> dict[str, Any]:
        """The one record of call ``call_id``; AssertionError unless there is exactly one."""
        found = [record for record in self.calls() if record["id"] == call_id]
        assert len(found) == 1, f"{self.party} holds {len(found)} records of call {call_id}"
        return found[0]

    def run_tests(self) -> list[dict[str, Any]]:
        """Test every route end to end now (``hotline test``); each result says ok or not."""
        with ControlClient(self.directory, timeout=70) as client:
            return client.run_tests(timeout=60)


@dataclass
class ConsolePair:
    """Washington and Moscow, running, with a cuttable proxy on each of the listener's routes."""

    washington: Console
    moscow: Console
    proxies: ProxyThread
    #: The party that dials (and so holds the proxied card).
    dialer: str
    users: dict[str, User] = field(default_factory=lambda: dict(USERS))

    def console(self, party: str) -> Console:
        return self.washington if party == "Washington" else self.moscow

    def url(self, user: str) -> str:
        """The console URL of ``user``'s terminal."""
        return self.console(self.users[user].party).url

    def cut(self, route: int) -> None:
        """Silence route ``route`` (0 or 1) of the line, both ways."""
        self.proxies.cut(route)

    def heal(self, route: int) -> None:
        self.proxies.heal(route)

    def line_up(self) -> bool:
        return (
            self.washington.peer_state("Moscow") == "up"
            and self.moscow.peer_state("Washington") == "up"
        )


def _configure(directory: Path, *, console: str, link: LinkSettings) -> None:
    """Set ``[console] listen``, the ``[link]`` timings, ``[calls]`` and ``[markings]``."""
    config = directory / "hotline.toml"
    settings = dataclasses.replace(
        load_settings(config),
        console=console,
        link=link,
        calls=CALLS,
        markings=MarkingSettings(classifications=CLASSIFICATIONS),
    )
    config.write_text(render_settings(settings), encoding="utf-8")


def _init(directory: Path, party: str, zone: str, *, routes: int, link: LinkSettings) -> str:
    """``hotline init`` a terminal with ``routes`` listen routes; returns its console URL."""
    args: list[str | Path] = [
        "init",
        "--unprotected-keys",
        directory,
        "--party",
        party,
        "--timezone",
        zone,
    ]
    for _ in range(routes):
        args += ["--listen", f"127.0.0.1:{free_port()}"]
    hotline(*args)
    console = f"127.0.0.1:{free_port()}"
    _configure(directory, console=console, link=link)
    # HTTPS, with the self-signed certificate init made (the browser contexts accept it).
    return f"https://{console}"


def _add_user(directory: Path, user: User) -> None:
    password_file = directory.parent / f"{user.name}.password"
    password_file.write_text(user.password + "\n", encoding="utf-8")
    password_file.chmod(0o600)
    hotline(
        "user",
        "add",
        directory,
        user.name,
        "--role",
        user.role,
        "--password-file",
        password_file,
        "--language",
        user.language,
    )


def _add_users(directories: dict[str, Path], users: list[User]) -> None:
    """``hotline user add`` each user to its party's terminal, in parallel.

    Each call is a fresh interpreter plus two Argon2id derivations (about a
    second); the calls are independent, so running them together saves seconds.
    Two users of one stopped terminal write the same SQLite store, which takes
    its own lock.
    """
    with ThreadPoolExecutor(max_workers=len(users) or 1) as pool:
        for future in [pool.submit(_add_user, directories[u.party], u) for u in users]:
            future.result()


def _wait_console(url: str, process: TerminalProcess, timeout: float = 30.0) -> None:
    """Wait until the console answers HTTP (any status: the login page may redirect)."""

    # The console's own certificate (init made it), pinned as the only trust anchor.
    pinned = ssl.create_default_context(
        cadata=(process.directory / "tls" / "console-cert.pem").read_text(encoding="ascii")
    )

    def answers() -> bool:
        assert process.process is not None
        assert process.process.poll() is None, f"terminal exited: {process.stderr()}"
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2, context=pinned):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    wait_for(answers, what=f"the console at {url}", timeout=timeout)


def _start(process: TerminalProcess, party: str, url: str) -> Console:
    """``hotline run`` the terminal; return once its control API and console answer."""
    process.start()
    _wait_console(url, process)
    return Console(party=party, directory=process.directory, url=url, process=process)


def _identity(directory: Path) -> Identity:
    return Identity.load(load_settings(directory / "hotline.toml").party, directory / "keys")


@contextlib.contextmanager
def console_pair(root: Path, *, link: LinkSettings = FAST_LINK) -> Iterator[ConsolePair]:
    """Washington and Moscow, paired, with users, running, the line up on both routes."""
    root.mkdir(parents=True, exist_ok=True)
    dirs = {party: root / party.lower() for party, _ in PARTIES}
    with ThreadPoolExecutor(max_workers=len(PARTIES)) as pool:
        started = {
            party: pool.submit(_init, dirs[party], party, zone, routes=2, link=link)
            for party, zone in PARTIES
        }
        urls = {party: future.result() for party, future in started.items()}
    keys = {party: _identity(dirs[party]).signing_public for party in dirs}
    dialer = min(keys, key=lambda party: keys[party])
    listener = next(party for party in dirs if party != dialer)
    listener_settings = load_settings(dirs[listener] / "hotline.toml")
    proxies = ProxyThread(list(listener_settings.listen))
    processes = {party: TerminalProcess(dirs[party]) for party in dirs}
    try:
        # The dialer knows the listener by a card signed with the listener's own key whose
        # routes are the proxies; the listener gets the dialer's real card.
        listener_files = open_terminal(dirs[listener])
        try:
            proxied = listener_files.card(routes=proxies.addresses)
        finally:
            listener_files.store.close()
        hotline("peer", "add", dirs[dialer], "-", stdin=proxied.to_json())
        hotline("peer", "add", dirs[listener], "-", stdin=hotline("card", dirs[dialer]).stdout)
        _add_users(dirs, list(USERS.values()))
        with ThreadPoolExecutor(max_workers=len(dirs)) as pool:
            starting = {
                party: pool.submit(_start, processes[party], party, urls[party]) for party in dirs
            }
            consoles = {party: future.result() for party, future in starting.items()}
        pair = ConsolePair(
            washington=consoles["Washington"],
            moscow=consoles["Moscow"],
            proxies=proxies,
            dialer=dialer,
        )
        wait_for(pair.line_up, what="the line up on both sides")
        yield pair
    finally:
        for process in processes.values():
            process.stop()
        proxies.close()


@contextlib.contextmanager
def console_mesh(
    root: Path, parties: Sequence[tuple[str, str]], users: Sequence[User]
) -> Iterator[dict[str, Console]]:
    """Terminals of ``parties`` ((party, time zone) each), every one linked to every other
    with its real card over one route, with ``users``, running: for conferences.

    Unlike :func:`console_pair` no proxy stands between them: nothing is cut.
    """
    dirs = {party: root / party.lower() for party, _ in parties}
    with ThreadPoolExecutor(max_workers=len(parties)) as pool:
        started = {
            party: pool.submit(_init, dirs[party], party, zone, routes=1, link=FAST_LINK)
            for party, zone in parties
        }
        urls = {party: future.result() for party, future in started.items()}
    cards = {party: hotline("card", directory).stdout for party, directory in dirs.items()}
    for party, directory in dirs.items():
        for other, card in cards.items():
            if other != party:
                hotline("peer", "add", directory, "-", stdin=card)
    _add_users(dirs, list(users))
    processes = {party: TerminalProcess(dirs[party]) for party in dirs}
    try:
        with ThreadPoolExecutor(max_workers=len(dirs)) as pool:
            starting = {
                party: pool.submit(_start, processes[party], party, urls[party]) for party in dirs
            }
            yield {party: future.result() for party, future in starting.items()}
    finally:
        for process in processes.values():
            process.stop()


@contextlib.contextmanager
def lone_console(root: Path, users: list[User]) -> Iterator[Console]:
    """One terminal with no peer, its console and ``users``: for tests that spoil state."""
    party, zone = PARTIES[0]
    directory = root / party.lower()
    root.mkdir(parents=True, exist_ok=True)
    url = _init(directory, party, zone, routes=1, link=FAST_LINK)
    _add_users({user.party: directory for user in users}, users)
    process = TerminalProcess(directory)
    try:
        yield _start(process, party, url)
    finally:
        process.stop()


if __name__ == "__main__":  # pragma: no cover - a manual check: bring a pair up, print it
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, console_pair(Path(tmp)) as pair:
        sys.stdout.write(f"Washington {pair.washington.url}  Moscow {pair.moscow.url}\n")
        sys.stdout.write(f"dialer {pair.dialer}; Ctrl-C stops\n")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(1)
