"""Matrix Synapse as a latency peer for hotline's benchmark.

hotline's benchmark compares its own send → delivered latency with the
incumbent self-hosted messenger, so a reader can judge the number against
something familiar. This module is the Synapse half: it installs
``matrix-synapse`` into a virtual environment of its own (never into
hotline's), starts a throw-away homeserver that listens on 127.0.0.1 only and
federates with nobody, registers two users, and times ``n`` sequential
messages from the moment alice's send request starts until the event shows up
in bob's long-polling ``/sync``. The server is stopped afterwards, always.

Everything that does not need a running server (the configuration, the port
choice, parsing a sync response, the percentiles) is a plain function, so the
test suite checks it without the network.

Run it by hand with ``python bench/synapse.py --n 100``.
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

if not __package__:  # run as ``python bench/synapse.py``: make the ``bench`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import JSON_HELP, emit_json
from hotline.errors import ConfigError, DaemonError

__all__ = [
    "DEFAULT_VENV",
    "SERVER_NAME",
    "SynapseResult",
    "ensure_synapse",
    "free_port",
    "main",
    "new_password",
    "percentile",
    "print_stderr",
    "register_command",
    "render_overrides",
    "run_synapse_latency",
    "summarise",
    "sync_filter",
    "timeline_event_ids",
    "write_overrides",
]

#: Next to this file, so the venv lands in ``bench/.synapse/`` (git-ignored)
#: whatever the working directory is.
DEFAULT_VENV = Path(__file__).resolve().parent / ".synapse" / "venv"
SERVER_NAME = "localhost"
LOOPBACK = "127.0.0.1"

#: A rate limit no benchmark reaches; Synapse's defaults throttle sequential
#: sends after a handful and would measure the limiter, not the server.
_UNTHROTTLED = {"per_second": 10_000, "burst_count": 10_000}
#: How long the server gets to start, and one message to be seen, before we
#: call the run failed rather than slow.
_START_TIMEOUT = 120.0
_SEEN_TIMEOUT = 30.0
_STOP_TIMEOUT = 20.0
#: Milliseconds; the long-poll a real client uses.
_SYNC_TIMEOUT_MS = 30_000


def print_stderr(message: str) -> None:
    """The default progress log: stdout is kept for the figures."""
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class SynapseResult:
    """What one run measured."""

    #: One per message, in send order: send request start → seen in bob's /sync.
    latencies_ms: list[float]
    #: The ``matrix-synapse`` version that served the run.
    version: str

    def __post_init__(self) -> None:
        if not self.version:
            raise ConfigError("SynapseResult needs the Synapse version")
        if any(not math.isfinite(x) or x < 0 for x in self.latencies_ms):
            raise ConfigError("latencies must be finite and non-negative")

    def summary(self) -> dict[str, float]:
        """p50, p90, p99 and max in milliseconds."""
        return summarise(self.latencies_ms)


# --- pure parts ---------------------------------------------------------------


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free on ``host`` a moment ago (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def render_overrides(*, port: int, workdir: Path) -> dict[str, Any]:
    """The settings laid over Synapse's generated ``homeserver.yaml``.

    Synapse reads every ``--config-path`` in order and later files replace
    earlier top-level keys, so these win over the generated defaults while
    the generated secrets (signing key, registration shared secret) stay.
    """
    if not 0 < port < 65536:
        raise ConfigError(f"port out of range: {port}")
    return {
        "server_name": SERVER_NAME,
        # One plain-HTTP listener on loopback, client API only: nothing on
        # this machine's other interfaces, no federation endpoints at all.
        "listeners": [
            {
                "port": port,
                "tls": False,
                "type": "http",
                "x_forwarded": False,
                "bind_addresses": [LOOPBACK],
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {
            "name": "sqlite3",
            "args": {"database": str(workdir / "homeserver.db")},
        },
        # No outbound traffic: no key servers, no federation, no stats.
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "report_stats": False,
        "enable_metrics": False,
        # Presence would add a stream of EDUs to every sync; the benchmark
        # measures messages only.
        "presence": {"enabled": False},
        "rc_message": dict(_UNTHROTTLED),
        "rc_login": {
            "address": dict(_UNTHROTTLED),
            "account": dict(_UNTHROTTLED),
            "failed_attempts": dict(_UNTHROTTLED),
        },
        "rc_registration": dict(_UNTHROTTLED),
        "rc_joins": {"local": dict(_UNTHROTTLED), "remote": dict(_UNTHROTTLED)},
        "rc_invites": {
            "per_room": dict(_UNTHROTTLED),
            "per_user": dict(_UNTHROTTLED),
            "per_issuer": dict(_UNTHROTTLED),
        },
    }


def write_overrides(path: Path, overrides: Mapping[str, Any]) -> None:
    """Write ``overrides`` as JSON, which YAML reads as it is.

    JSON keeps PyYAML out of hotline's environment; Synapse's own venv has it.
    """
    path.write_text(json.dumps(overrides, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def sync_filter(room_id: str) -> str:
    """An inline /sync filter for bob: timeline of one room, nothing else.

    A real client filters too; without one, every sync would carry account
    data and receipts that the benchmark has no use for.
    """
    if not room_id.startswith("!"):
        raise ConfigError(f"not a Matrix room id: {room_id!r}")
    nothing = {"not_types": ["*"]}
    return json.dumps(
        {
            "account_data": nothing,
            "presence": nothing,
            "room": {
                "rooms": [room_id],
                "timeline": {"limit": 100},
                "state": {"lazy_load_members": True},
                "ephemeral": nothing,
                "account_data": nothing,
            },
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def timeline_event_ids(sync_body: Mapping[str, Any], room_id: str) -> list[str]:
    """The event ids in ``room_id``'s joined timeline of one /sync response.

    A body without that room (a sync that returned for another reason, or on
    timeout) yields no ids; a malformed body is the server's fault.
    """
    try:
        rooms = sync_body.get("rooms") or {}
        room = (rooms.get("join") or {}).get(room_id)
        if room is None:
            return []
        events = (room.get("timeline") or {}).get("events") or []
        return [str(event["event_id"]) for event in events if "event_id" in event]
    except (AttributeError, TypeError) as exc:
        raise DaemonError(f"malformed /sync response: {exc}") from exc


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 to 100) of ``values``, interpolating linearly.

    The same definition as numpy's default, so the figures compare with the
    hotline side's.
    """
    if not values:
        raise ConfigError("percentile of no values")
    if not 0 <= q <= 100:
        raise ConfigError(f"percentile out of range: {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    # Rounding must not push the result past its two neighbours.
    return min(max(value, ordered[low]), ordered[high])


def summarise(latencies_ms: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99 and max of a run, in milliseconds."""
    return {
        "p50": percentile(latencies_ms, 50),
        "p90": percentile(latencies_ms, 90),
        "p99": percentile(latencies_ms, 99),
        "max": max(latencies_ms),
    }


# --- installing ---------------------------------------------------------------


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _has_synapse(python: Path) -> bool:
    probe = subprocess.run(
        [str(python), "-c", "import synapse.app.homeserver, httpx"],
        capture_output=True,
        timeout=120,
    )
    return probe.returncode == 0


def ensure_synapse(venv: Path = DEFAULT_VENV, *, log: Callable[[str], None] = print_stderr) -> Path:
    """Install ``matrix-synapse`` and ``httpx`` into ``venv`` if missing.

    Returns the venv's python. Synapse pins a large dependency tree of its
    own, so it never goes into hotline's environment.
    """
    venv = venv.resolve()
    python = _venv_python(venv)
    if python.exists() and _has_synapse(python):
        return python
    started = time.perf_counter()
    try:
        if not python.exists():
            log(f"synapse: creating virtual environment {venv}")
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        log("synapse: pip install matrix-synapse httpx")
        # pip's chatter goes to stderr with the rest of the progress.
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--progress-bar",
                "off",
                "matrix-synapse",
                "httpx",
            ],
            stdout=sys.stderr,
            check=True,
            timeout=1200,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise DaemonError(f"could not install Synapse into {venv}: {exc}") from exc
    if not _has_synapse(python):
        raise DaemonError(f"Synapse still does not import in {venv} after installing")
    log(f"synapse: installed in {time.perf_counter() - started:.1f} s")
    return python


def _synapse_version(python: Path) -> str:
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m; print(m.version('matrix-synapse'))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0 or not probe.stdout.strip():
        raise DaemonError(f"cannot read the Synapse version: {probe.stderr.strip()}")
    return probe.stdout.strip()


# --- the server ---------------------------------------------------------------


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class _Homeserver:
    """One Synapse process that this module started, and only that one."""

    def __init__(self, python: Path, home: Path, log: Callable[[str], None]) -> None:
        self.python = python
        self.home = home
        self.log = log
        self.port = free_port()
        self.base_url = f"http://{LOOPBACK}:{self.port}"
        self.config = home / "homeserver.yaml"
        self.overrides = home / "overrides.yaml"
        self.output = home / "synapse.out"
        self.process: subprocess.Popen[bytes] | None = None

    def configure(self) -> None:
        generate = subprocess.run(
            [
                str(self.python),
                "-m",
                "synapse.app.homeserver",
                "--server-name",
                SERVER_NAME,
                "--config-path",
                str(self.config),
                "--data-directory",
                str(self.home),
                "--generate-config",
                "--report-stats=no",
            ],
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if generate.returncode != 0:
            raise DaemonError(f"synapse --generate-config failed:\n{generate.stderr}")
        write_overrides(self.overrides, render_overrides(port=self.port, workdir=self.home))

    def start(self) -> None:
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    str(self.python),
                    "-m",
                    "synapse.app.homeserver",
                    "--config-path",
                    str(self.config),
                    "--config-path",
                    str(self.overrides),
                ],
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.log(f"synapse: pid {self.process.pid} on {self.base_url}")
        deadline = time.monotonic() + _START_TIMEOUT
        with httpx.Client(base_url=self.base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise DaemonError(
                        f"synapse exited with {self.process.returncode} while starting:\n"
                        f"{_tail(self.output)}"
                    )
                try:
                    if client.get("/_matrix/client/versions").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise DaemonError(f"synapse did not answer within {_START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        """SIGTERM, a grace period, then SIGKILL: to our own PID only."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.log(f"synapse: pid {process.pid} ignored SIGTERM, killing it")
            process.kill()
            process.wait(timeout=_STOP_TIMEOUT)
        self.log(f"synapse: pid {process.pid} stopped")

    def register(self, user: str, password: str) -> None:
        """``register_new_matrix_user`` with the generated config's shared secret."""
        done = subprocess.run(
            register_command(
                self.python.parent / "register_new_matrix_user",
                config=self.config,
                user=user,
                password=password,
                base_url=self.base_url,
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise DaemonError(f"registering {user} failed:\n{done.stdout}{done.stderr}")


def new_password() -> str:
    """A random password that begins with a letter (never "-", never an option lookalike)."""
    return "pw" + secrets.token_urlsafe(18)


def register_command(
    script: Path, *, config: Path, user: str, password: str, base_url: str
) -> list[str]:
    """``register_new_matrix_user``'s arguments.

    Each value rides in the ``--option=value`` form: a separate ``-p VALUE`` is read
    by argparse as an option whenever VALUE starts with "-", which
    ``secrets.token_urlsafe`` produces about once in 32 passwords.
    """
    return [
        str(script),
        f"--config={config}",
        f"--user={user}",
        f"--password={password}",
        "--no-admin",
        base_url,
    ]


# --- the client side ----------------------------------------------------------


def _call(
    client: httpx.Client, method: str, url: str, *, body: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    try:
        response = client.request(method, url, json=body)
    except httpx.HTTPError as exc:
        raise DaemonError(f"{method} {url}: {exc}") from exc
    if response.status_code != 200:
        raise DaemonError(f"{method} {url}: HTTP {response.status_code} {response.text}")
    payload = response.json()
    if not isinstance(payload, dict):
        raise DaemonError(f"{method} {url}: expected a JSON object")
    return payload


def _login(base_url: str, user: str, password: str) -> str:
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        body = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user},
            "password": password,
            "initial_device_display_name": "hotline bench",
        }
        return str(_call(client, "POST", "/_matrix/client/v3/login", body=body)["access_token"])


class _SyncWatcher:
    """Bob's /sync long-poll loop, in a thread, noting when each event arrived."""

    def __init__(self, base_url: str, token: str, room_id: str, since: str) -> None:
        self._base_url = base_url
        self._token = token
        self._room_id = room_id
        self._since = since
        self._filter = sync_filter(room_id)
        self._seen: dict[str, float] = {}
        self._error: str | None = None
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        # A daemon thread: if the server dies mid-poll, the bench still exits.
        self._thread = threading.Thread(target=self._run, name="synapse-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self._token}"}
        # The read timeout must outlast the server-side long-poll.
        timeout = httpx.Timeout(10.0, read=_SYNC_TIMEOUT_MS / 1000 + 30)
        since = self._since
        with httpx.Client(base_url=self._base_url, headers=headers, timeout=timeout) as client:
            while not self._stopping.is_set():
                try:
                    response = client.get(
                        "/_matrix/client/v3/sync",
                        params={
                            "since": since,
                            "timeout": str(_SYNC_TIMEOUT_MS),
                            "filter": self._filter,
                        },
                    )
                    # The moment bob's client holds the whole response.
                    arrived = time.perf_counter()
                    response.raise_for_status()
                    body = response.json()
                    ids = timeline_event_ids(body, self._room_id)
                    since = str(body["next_batch"])
                except Exception as exc:  # crossing a thread: hand it to the waiter
                    if not self._stopping.is_set():
                        self._fail(f"/sync failed: {exc!r}")
                    return
                with self._changed:
                    for event_id in ids:
                        self._seen.setdefault(event_id, arrived)
                    self._changed.notify_all()

    def _fail(self, reason: str) -> None:
        with self._changed:
            self._error = reason
            self._changed.notify_all()

    def wait_seen(self, event_id: str, timeout: float = _SEEN_TIMEOUT) -> float:
        """Block until ``event_id`` came down bob's sync; its perf_counter time."""
        with self._changed:
            ready = self._changed.wait_for(
                lambda: event_id in self._seen or self._error is not None, timeout
            )
            if event_id in self._seen:
                return self._seen[event_id]
            if self._error is not None:
                raise DaemonError(self._error)
            assert not ready
            raise DaemonError(f"{event_id} not seen in /sync within {timeout:.0f} s")

    def stop(self) -> None:
        """Ask the loop to end; the poll in flight ends when the server stops."""
        self._stopping.set()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)


def _measure(
    base_url: str, n: int, log: Callable[[str], None], passwords: dict[str, str]
) -> list[float]:
    alice = _login(base_url, "alice", passwords["alice"])
    bob = _login(base_url, "bob", passwords["bob"])
    bob_id = f"@bob:{SERVER_NAME}"
    auth_a = {"Authorization": f"Bearer {alice}"}
    auth_b = {"Authorization": f"Bearer {bob}"}
    with (
        httpx.Client(base_url=base_url, headers=auth_a, timeout=30.0) as client_a,
        httpx.Client(base_url=base_url, headers=auth_b, timeout=30.0) as client_b,
    ):
        created = _call(
            client_a,
            "POST",
            "/_matrix/client/v3/createRoom",
            body={"preset": "private_chat", "name": "hotline bench", "invite": [bob_id]},
        )
        room_id = str(created["room_id"])
        room = quote(room_id, safe="")
        _call(client_b, "POST", f"/_matrix/client/v3/join/{room}", body={})
        # An initial sync gives bob the token to long-poll from, so the loop
        # sees only what is sent after it.
        initial = client_b.get(
            "/_matrix/client/v3/sync", params={"timeout": "0", "filter": sync_filter(room_id)}
        )
        if initial.status_code != 200:
            raise DaemonError(f"initial /sync: HTTP {initial.status_code} {initial.text}")
        since = str(initial.json()["next_batch"])
        log(f"synapse: room {room_id}, bob joined; sending {n} messages")

        watcher = _SyncWatcher(base_url, bob, room_id, since)
        watcher.start()
        latencies: list[float] = []
        try:
            for i in range(n):
                started = time.perf_counter()
                sent = _call(
                    client_a,
                    "PUT",
                    f"/_matrix/client/v3/rooms/{room}/send/m.room.message/{i}",
                    body={"msgtype": "m.text", "body": f"hotline bench message {i}"},
                )
                seen = watcher.wait_seen(str(sent["event_id"]))
                latencies.append((seen - started) * 1000)
        finally:
            watcher.stop()
        return latencies


def run_synapse_latency(
    n: int,
    *,
    workdir: Path | None = None,
    log: Callable[[str], None] = print_stderr,
    venv: Path = DEFAULT_VENV,
) -> SynapseResult:
    """Time ``n`` sequential Synapse messages, alice's send → bob's /sync.

    Installs Synapse first if ``venv`` lacks it. The server lives in a fresh
    directory: a temporary one removed afterwards, or a new subdirectory of
    ``workdir`` that is kept (with the server's log) for inspection.
    """
    if n < 1:
        raise ConfigError(f"n must be at least 1, got {n}")
    python = ensure_synapse(venv, log=log)
    version = _synapse_version(python)
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="hotline-synapse-") as scratch:
            latencies = _run_in(python, Path(scratch), n, log)
    else:
        workdir.mkdir(parents=True, exist_ok=True)
        home = Path(tempfile.mkdtemp(prefix="synapse-", dir=workdir))
        latencies = _run_in(python, home, n, log)
    return SynapseResult(latencies_ms=latencies, version=version)


def _run_in(python: Path, home: Path, n: int, log: Callable[[str], None]) -> list[float]:
    server = _Homeserver(python, home.resolve(), log)
    server.configure()
    passwords = {user: new_password() for user in ("alice", "bob")}
    try:
        server.start()
        for user, password in passwords.items():
            server.register(user, password)
        return _measure(server.base_url, n, log, passwords)
    finally:
        server.stop()


# --- command line -------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python bench/synapse.py --n 100``: print p50/p90/p99/max."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100, help="messages to time (default 100)")
    parser.add_argument("--workdir", type=Path, help="keep the server's files under this folder")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="Synapse's own venv")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    started = time.perf_counter()
    result = run_synapse_latency(args.n, workdir=args.workdir, venv=args.venv)
    elapsed = time.perf_counter() - started
    figures = result.summary()
    print(f"Synapse {result.version}: {len(result.latencies_ms)} messages, send → seen in /sync")
    for name, value in figures.items():
        print(f"  {name:>4} {value:8.2f} ms")
    print_stderr(f"synapse: whole run {elapsed:.1f} s")
    if args.json:
        emit_json(
            "synapse",
            {"latency_ms": figures, "synapse_version": result.version, "whole_run_s": elapsed},
            n=args.n,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
