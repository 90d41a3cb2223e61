"""Helpers for the terminal tests: real terminal directories with fast link settings.

Every terminal here is created the way ``hotline init`` creates one
(:func:`hotline.terminal.init_terminal`), then its ``[link]`` section is
rewritten with short heartbeats and redials so that a dead line or a redial
takes a fraction of a second instead of seconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Callable, Sequence
from pathlib import Path

from hotline.crypto import Identity, PeerCard
from hotline.store import JournalEntry, Store
from hotline.terminal import (
    add_peer_card,
    hold_cpus_awake,
    init_terminal,
    load_settings,
    open_terminal,
)
from hotline.terminal.config import LinkSettings
from hotline.terminal.config.settings import render_settings

#: Short heartbeats and redials: a silent line is dead after 0.15 s.
FAST_LINK = LinkSettings(
    heartbeat_interval=0.05, dead_after=3, reconnect_initial=0.02, reconnect_cap=0.2
)


def may_hold_cpus_awake() -> bool:
    """True if this process may make the PM QoS request (tried: a container's root may be refused)."""
    try:
        hold_cpus_awake().release()
    except OSError:
        return False
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_terminal(
    directory: Path,
    party: str,
    *,
    link: LinkSettings = FAST_LINK,
    timezone: str = "UTC",
    routes: int = 1,
) -> Path:
    """Initialise a terminal listening on ``routes`` free local ports, with ``link`` settings."""
    listen = [f"127.0.0.1:{free_port()}" for _ in range(routes)]
    files = init_terminal(directory, party=party, listen=listen, timezone=timezone)
    files.store.close()
    set_link_settings(directory, link)
    return directory


def set_link_settings(directory: Path, link: LinkSettings) -> None:
    """Rewrite the ``[link]`` section of ``DIR/hotline.toml``."""
    config = directory / "hotline.toml"
    settings = dataclasses.replace(load_settings(config), link=link)
    config.write_text(render_settings(settings), encoding="utf-8")


def card_of(directory: Path, *, routes: Sequence[str] | None = None) -> PeerCard:
    """The terminal's own card, read from its directory; with ``routes``, for those routes."""
    files = open_terminal(directory)
    try:
        return files.card(routes=routes)
    finally:
        files.store.close()


def identity_of(directory: Path) -> Identity:
    """The terminal's private identity, read from its key files."""
    return Identity.load(load_settings(directory / "hotline.toml").party, directory / "keys")


def add_peer(directory: Path, card: PeerCard) -> None:
    """Add ``card`` to the (stopped) terminal in ``directory``."""
    files = open_terminal(directory)
    try:
        add_peer_card(files, card.to_json())
    finally:
        files.store.close()


def make_pair(
    root: Path,
    *,
    dialer: str = "Washington",
    listener: str = "Moscow",
    link: LinkSettings = FAST_LINK,
    introduce: bool = True,
    routes: int = 1,
) -> tuple[Path, Path]:
    """Two terminals, (dialer's directory, listener's directory), each knowing the other.

    The side with the lower signing key dials (docs/protocol/session.md, "Who
    dials"). Keys are random, so the pair is drawn again until the listener's
    key sorts above the dialer's: each draw succeeds with probability one half.
    """
    for attempt in range(64):
        base = root / f"pair-{attempt}"
        dialer_dir = make_terminal(base / dialer.lower(), dialer, link=link, routes=routes)
        listener_dir = make_terminal(base / listener.lower(), listener, link=link, routes=routes)
        if identity_of(listener_dir).signing_public > identity_of(dialer_dir).signing_public:
            break
    else:  # pragma: no cover - probability 2**-64
        raise AssertionError("could not draw a listener key above the dialer's")
    if introduce:
        add_peer(dialer_dir, card_of(listener_dir))
        add_peer(listener_dir, card_of(dialer_dir))
    return dialer_dir, listener_dir


def make_mesh(
    root: Path,
    parties: Sequence[str],
    *,
    link: LinkSettings = FAST_LINK,
    links: Sequence[tuple[str, str]] | None = None,
) -> dict[str, Path]:
    """Terminals for ``parties``, each knowing every other (or only the pairs in ``links``).

    Who dials whom follows from the keys (docs/protocol/session.md), so any
    mesh works without choosing sides. Returns each party's directory.
    """
    directories = {
        party: make_terminal(root / party.lower(), party, link=link) for party in parties
    }
    cards = {party: card_of(directory) for party, directory in directories.items()}
    pairs = (
        [(a, b) for i, a in enumerate(parties) for b in parties[i + 1 :]]
        if links is None
        else list(links)
    )
    for a, b in pairs:
        add_peer(directories[a], cards[b])
        add_peer(directories[b], cards[a])
    return directories


#: The journal kinds a message's delivery writes (docs/protocol/delivery.md): what
#: a test about storing, receipting or refusing envelopes counts. Timers journal
#: other kinds at any moment ("route change", "line state", "link up"), so a
#: test that counted every entry would count them too.
DELIVERY_KINDS = frozenset({"message queued", "message received", "receipt received", "refusal"})


def delivery_journal(store: Store) -> list[JournalEntry]:
    """Every journal entry of a :data:`DELIVERY_KINDS` kind, oldest first."""
    return [entry for entry in store.iter_journal() if entry.kind in DELIVERY_KINDS]


def refusals(store: Store) -> list[JournalEntry]:
    """Every ``refusal`` entry in the journal, oldest first."""
    return [entry for entry in store.iter_journal() if entry.kind == "refusal"]


async def wait_until(
    predicate: Callable[[], bool], *, within: float = 10.0, what: str = "condition"
) -> None:
    """Poll ``predicate`` on the running loop until it holds; AssertionError after ``within`` s.

    ``within`` is on the loop's clock: under ``hotline.testing.run_virtual`` it
    is virtual time, so a condition the terminal reaches by its timers is given
    the same protocol time however loaded the machine is.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.01)
