"""Helpers that run terminals as real processes through the CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from hotline.errors import DaemonNotRunning
from hotline.terminal import ControlClient
from hotline.testing.softhsm import SoftToken


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    predicate: Callable[[], bool], within: float = 30.0, what: str = "the condition"
) -> None:
    """Poll ``predicate`` until it holds; AssertionError after ``within`` seconds.

    Real processes run on the wall clock; the deadline is generous, and the
    test goes on the moment the condition holds.
    """
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def hotline(
    *args: str | Path,
    stdin: str | None = None,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter, as a user would; ``env`` adds to the environment."""
    result = subprocess.run(
        [sys.executable, "-m", "hotline", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env} if env else None,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"hotline {' '.join(map(str, args))} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def init_unprotected(directory: Path, party: str, *extra: str | Path) -> str:
    """``hotline init`` one loopback route, keys unprotected (docs/keys.md); its output."""
    return hotline(
        "init",
        "--unprotected-keys",
        directory,
        "--party",
        party,
        "--listen",
        f"127.0.0.1:{free_port()}",
        *extra,
    ).stdout


def init_in_token(
    directory: Path, token: SoftToken, *extra: str | Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``hotline init`` Washington with its keys in ``token`` (docs/keys.md §6): its
    signing key, or with ``--master-in-token`` its master too; ``extra`` adds options."""
    return hotline(
        "init",
        directory,
        "--party",
        "Washington",
        "--listen",
        f"127.0.0.1:{free_port()}",
        "--unprotected-keys",
        "--pkcs11-module",
        token.module,
        "--token-label",
        token.label,
        "--pin-file",
        token.pin_file,
        *extra,
        check=check,
        env=token.env,
    )


def receipted(directory: Path, text: str, env: dict[str, str] | None = None) -> bool:
    """Whether the message ``text`` sent from ``directory`` is delivered (its receipt held)."""
    rows = json.loads(hotline("messages", directory, "--json", env=env).stdout)
    return any(
        row["text"] == text and row["state"] == "delivered" and row["direction"] == "out"
        for row in rows
    )


class TerminalProcess:
    """One ``hotline run DIR`` subprocess that a test can kill and restart."""

    def __init__(
        self,
        directory: Path,
        *,
        run_args: Sequence[str | Path] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.directory = directory
        #: Extra arguments of ``hotline run`` (``--passphrase-file F``) and environment.
        self.run_args = tuple(map(str, run_args))
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 30.0) -> None:
        with (self.directory / f"run-{self.starts}.stderr").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hotline", "run", str(self.directory), *self.run_args],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env={**os.environ, **self.env} if self.env else None,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        with ControlClient(self.directory, timeout=5) as client:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, f"terminal exited: {self.stderr()}"
                try:
                    client.status()
                    return
                except DaemonNotRunning:
                    time.sleep(0.05)
        raise AssertionError(f"terminal in {self.directory} did not start")

    def stderr(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.directory.glob("run-*.stderr"))
        )

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, as in a power cut."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        os.kill(self.process.pid, signal.SIGTERM)
        return self.process.wait(timeout=20)


def make_mesh(
    root: Path, parties: Sequence[str], *, init_args: Mapping[str, Sequence[str]] | None = None
) -> dict[str, TerminalProcess]:
    """Terminals for ``parties``, initialised and each paired with every other through the CLI.

    ``init_args`` gives a party's ``hotline init`` more arguments (``--single-tier``).
    Not yet running; the caller starts them and stops them (or uses ``mesh`` in conftest).
    """
    directories = {}
    for party in parties:
        directories[party] = root / party.lower()
        hotline(
            "init",
            "--unprotected-keys",
            directories[party],
            "--party",
            party,
            "--listen",
            f"127.0.0.1:{free_port()}",
            *(init_args or {}).get(party, ()),
        )
    cards = {party: hotline("card", directory).stdout for party, directory in directories.items()}
    for party, directory in directories.items():
        for other, card in cards.items():
            if other != party:
                hotline("peer", "add", directory, "-", stdin=card)
    return {party: TerminalProcess(directory) for party, directory in directories.items()}
