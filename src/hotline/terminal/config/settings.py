"""Terminal settings: ``DIR/hotline.toml``, written with defaults by ``init``.

The file is the operator's to edit; every value is checked on load and a bad
one is reported by name (:class:`~hotline.errors.ConfigError`), never ignored.

The dataclasses below are the schema. Each section of the file is one of them
(``[link]`` is :class:`LinkSettings`, ``[terminal]`` is ``_TerminalSection``,
...): its fields are the section's keys, with their types and defaults, and
``load_settings`` has pydantic hold a file to them strictly. A key or section
that no field names is refused, with the nearest known name when one is close
(a misspelt key silently left at its default is how a drill goes out unmarked);
a value of the wrong type is refused, never converted (``"3"`` is not a number,
``1.0`` not a whole number, ``1`` not ``true``). The range rules are the
dataclasses' own ``__post_init__`` checks, so settings built in code are held to
the same rules as settings read from the file.

Every key may be overridden by an environment variable ``HOTLINE_<SECTION>_<KEY>``
(``HOTLINE_LINK_HEARTBEAT_INTERVAL=2``, ``HOTLINE_TERMINAL_EXERCISE=true``). A
string key takes the variable's value as it is; any other key takes it as the
file would hold it after ``key =`` (``2``, ``0.5``, ``true``, and TOML arrays for
lists: ``HOTLINE_TERMINAL_LISTEN='["0.0.0.0:7001", "[::]:7001"]'``). The
``[[escalation]]`` steps are an ordered list of tables with no name per step, so
they are set in the file only. A variable naming a known section and an unknown
key is refused like an unknown key in the file; ``HOTLINE_`` variables that name
no section are not settings and are left alone.

pydantic is imported only when a file is loaded: ``import hotline.terminal``
stays light for the CLI's short-lived commands.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import os
import tomllib
import typing
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hotline.crypto import TokenKey, validate_party
from hotline.errors import ConfigError, LinkError
from hotline.link import parse_route
from hotline.utc import parse_utc

if TYPE_CHECKING:
    from pydantic import TypeAdapter
    from pydantic_core import ErrorDetails

__all__ = [
    "DEFAULT_DEADLINES",
    "PROTOCOL_VERSIONS",
    "TEST_LANGUAGES",
    "AckDeadlines",
    "AlarmSettings",
    "CallSettings",
    "EscalationStep",
    "LinkSettings",
    "MarkingSettings",
    "RecordSettings",
    "Settings",
    "check_console",
    "check_metrics",
    "check_store_url",
    "check_timezone",
    "load_settings",
    "render_settings",
]

#: The languages approved link-test texts exist in (hotline.terminal.linktest.test_texts).
TEST_LANGUAGES = ("en", "id", "ru")
#: The session protocol versions this hotline speaks (docs/protocol/session.md §3).
PROTOCOL_VERSIONS = (1, 2)

# ``HOTLINE_<SECTION>_<KEY>`` overrides ``[section] key`` of ``hotline.toml``.
_ENVIRONMENT_PREFIX = "HOTLINE_"

# How pydantic reads each section (pydantic takes it from a dataclass's
# ``__pydantic_config__``): unknown keys refused, no type coercion. A plain dict,
# not a pydantic ConfigDict, so that defining the schema does not import pydantic.
_SCHEMA_CONFIG: dict[str, Any] = {"extra": "forbid", "strict": True}


class _Refused(ConfigError, ValueError):
    """A setting's range rule broken: a ConfigError like any other.

    It is also a ValueError so that pydantic, reading a file, notes it against
    its section and reads on, and the file's every problem is reported at once.
    """


_Self = TypeVar("_Self")


def _reported(post_init: Callable[[_Self], None]) -> Callable[[_Self], None]:
    """Make a settings dataclass's checks raise :class:`_Refused` (see there)."""

    @functools.wraps(post_init)
    def check(self: _Self) -> None:
        try:
            post_init(self)
        except _Refused:
            raise
        except ConfigError as exc:
            raise _Refused(str(exc)) from exc

    return check


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkSettings:
    """How sessions keep themselves alive and how dead ones are redialed."""

    __pydantic_config__ = _SCHEMA_CONFIG

    heartbeat_interval: float = 0.5
    dead_after: int = 3
    reconnect_initial: float = 0.1
    reconnect_cap: float = 2.0
    #: Seconds between link tests (3600: every hour on the hour, the two sides alternating).
    test_interval: float = 3600.0
    #: Seconds a link test has to come back receipted before it counts as missed.
    test_deadline: float = 60.0
    #: Language of this terminal's test texts: en, id or ru.
    test_language: str = "en"
    #: The highest session protocol version offered in the hello (docs/protocol/session.md §3).
    #: 2 (ratcheted message keys, one receipt per batch); 1 speaks as a version-1 terminal.
    protocol: int = 2

    @_reported
    def __post_init__(self) -> None:
        if not 0.01 <= self.heartbeat_interval <= 3600:
            raise ConfigError("[link] heartbeat_interval must be between 0.01 and 3600 seconds")
        if not 1 <= self.dead_after <= 1000:
            raise ConfigError("[link] dead_after must be a whole number of heartbeats, 1 to 1000")
        if not 0 < self.reconnect_initial <= self.reconnect_cap <= 3600:
            raise ConfigError("[link] needs 0 < reconnect_initial <= reconnect_cap <= 3600")
        if not 1 <= self.test_interval <= 86400:
            raise ConfigError("[link] test_interval must be between 1 and 86400 seconds")
        if not 0.1 <= self.test_deadline <= self.test_interval:
            raise ConfigError(
                "[link] test_deadline must be at least 0.1 s and at most test_interval"
            )
        if self.protocol not in PROTOCOL_VERSIONS:
            raise ConfigError(
                f"[link] protocol must be one of {', '.join(map(str, PROTOCOL_VERSIONS))}, "
                f"not {self.protocol!r}"
            )
        if self.test_language not in TEST_LANGUAGES:
            raise ConfigError(
                f"[link] test_language must be one of {', '.join(TEST_LANGUAGES)}, "
                f"not {self.test_language!r}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class AlarmSettings:
    """What to run when an alarm is raised or cleared."""

    __pydantic_config__ = _SCHEMA_CONFIG

    #: A shell command run with the alarm as JSON on its standard input; "" for none.
    hook: str = ""
    #: Seconds the hook may run before it is killed (and the failure journaled).
    hook_timeout: float = 30.0
    #: Seconds one route may stay down, while the line holds on others, before it is an
    #: alarm (``route-down``): a cut route must not wait for the next hourly link test.
    route_down_after: float = 300.0
    #: Days before one of our operational keys' certificates ends that the
    #: ``key-expiring`` alarm is raised, naming the rotation that fixes it.
    key_expiring_days: float = 30.0

    @_reported
    def __post_init__(self) -> None:
        if not 1 <= self.key_expiring_days <= 365:
            raise ConfigError("[alarms] key_expiring_days must be between 1 and 365 days")
        if not 0.1 <= self.hook_timeout <= 3600:
            raise ConfigError("[alarms] hook_timeout must be between 0.1 and 3600 seconds")
        if not 1 <= self.route_down_after <= 86400:
            raise ConfigError("[alarms] route_down_after must be between 1 and 86400 seconds")
        if "\x00" in self.hook:
            raise ConfigError("[alarms] hook must not contain a NUL character")


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordSettings:
    """The shared record: when checkpoints are signed, when a silent witness is an alarm."""

    __pydantic_config__ = _SCHEMA_CONFIG

    #: Seconds between checkpoints while the log grows: one signature covers every
    #: entry of the batch, and a busy line is witnessed at least this often.
    checkpoint_interval: float = 5.0
    #: Seconds a peer may go without cosigning our newest checkpoint (while it is
    #: newer than the last one it cosigned) before a ``cosign-overdue`` alarm.
    cosign_overdue_after: float = 3600.0

    @_reported
    def __post_init__(self) -> None:
        if not 0.1 <= self.checkpoint_interval <= 60:
            raise ConfigError(
                "[record] checkpoint_interval must be between 0.1 and 60 seconds "
                "(a checkpoint at least every minute while anything is new)"
            )
        if not 10 <= self.cosign_overdue_after <= 30 * 86400:
            raise ConfigError(
                "[record] cosign_overdue_after must be between 10 seconds and 30 days"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class CallSettings:
    """Video and voice calls between consoles (docs/protocol/calls.md)."""

    __pydantic_config__ = _SCHEMA_CONFIG

    #: Seconds an unanswered call rings before both sides record it as missed.
    ring_timeout: float = 60.0
    #: Seconds a call may stay "reconnecting" (line or media path lost) before it fails.
    reconnect_timeout: float = 30.0
    #: RTCIceServer dictionaries for the browsers ({urls, username?, credential?}); a
    #: STUN/TURN server (coturn) lets parties behind NAT reach each other. Empty: host
    #: candidates only (both consoles' browsers on one network).
    ice_servers: tuple[dict[str, Any], ...] = ()

    @_reported
    def __post_init__(self) -> None:
        if not 2 <= self.ring_timeout <= 600:
            raise ConfigError("[calls] ring_timeout must be between 2 and 600 seconds")
        if not 1 <= self.reconnect_timeout <= 600:
            raise ConfigError("[calls] reconnect_timeout must be between 1 and 600 seconds")
        for server in self.ice_servers:
            check_ice_server(server)


def check_ice_server(server: Any) -> dict[str, Any]:
    """Return ``server`` if it is a valid RTCIceServer (urls, optional username/credential)."""
    if not isinstance(server, dict):
        raise ConfigError(
            "[calls] ice_servers entries are tables with urls (and username, credential)"
        )
    known = ["urls", "username", "credential"]
    unknown = [key for key in server if key not in known]
    if unknown:
        raise ConfigError(
            "; ".join(
                _unknown("unknown key in [[calls.ice_servers]]", key, known) for key in unknown
            )
        )
    urls = server.get("urls")
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
        raise ConfigError("[calls] ice server urls must be a string or a list of strings")
    for url in urls:
        if not url.startswith(("stun:", "stuns:", "turn:", "turns:")):
            raise ConfigError(
                f"[calls] ice server url {url!r} must start with stun:, turn: or turns:"
            )
    for key in ("username", "credential"):
        if key in server and not isinstance(server[key], str):
            raise ConfigError(f"[calls] ice server {key} must be a string")
    if any(u.startswith(("turn:", "turns:")) for u in urls) and not (
        "username" in server and "credential" in server
    ):
        raise ConfigError("[calls] a turn: server needs username and credential")
    return server


#: Who may release a marked message (docs/protocol/markings.md §3).
RELEASE_BY = ("sender", "either")


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkingSettings:
    """Handling markings agreed for the line (docs/protocol/markings.md)."""

    __pydantic_config__ = _SCHEMA_CONFIG

    #: The classification lines agreed with the peers; a message may carry only one
    #: of these (empty: no classification may be used). One printable line each.
    classifications: tuple[str, ...] = ()
    #: Who may release a marked message: its ``sender`` only, or ``either`` party.
    release_by: str = "sender"

    @_reported
    def __post_init__(self) -> None:
        if self.release_by not in RELEASE_BY:
            raise ConfigError(
                f"[markings] release_by must be one of {', '.join(RELEASE_BY)}, "
                f"not {self.release_by!r}"
            )
        for line in self.classifications:
            if not line.strip() or line != line.strip() or not line.isprintable():
                raise ConfigError(
                    f"[markings] classification {line!r} must be one printable line, "
                    "without leading or trailing spaces"
                )
            if len(line) > 120:
                raise ConfigError(
                    f"[markings] classification {line!r} is longer than 120 characters"
                )
        if len(set(self.classifications)) != len(self.classifications):
            raise ConfigError("[markings] a classification is listed twice")


#: Seconds to acknowledge, by precedence.
DEFAULT_DEADLINES = {"flash": 120.0, "immediate": 600.0, "priority": 3600.0, "routine": 86400.0}


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationStep:
    """Alert ``who`` ``after`` seconds past the deadline, ``repeat`` times, ``every`` seconds apart."""

    __pydantic_config__ = _SCHEMA_CONFIG

    who: str
    after: float = 0.0
    repeat: int = 1
    every: float = 60.0

    @_reported
    def __post_init__(self) -> None:
        if not self.who.strip():
            raise ConfigError("[[escalation]] who must name someone")
        if self.after < 0 or self.every <= 0:
            raise ConfigError("[[escalation]] needs after >= 0 and every > 0 seconds")
        if not 1 <= self.repeat <= 1000:
            raise ConfigError("[[escalation]] repeat must be 1 to 1000")


@dataclass(frozen=True, slots=True, kw_only=True)
class AckDeadlines:
    """Deadlines by precedence, and the escalation chain."""

    seconds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_DEADLINES))
    escalation: tuple[EscalationStep, ...] = ()

    def __post_init__(self) -> None:
        if set(self.seconds) != set(DEFAULT_DEADLINES):
            raise ConfigError(
                f"[acknowledgement] needs exactly {', '.join(DEFAULT_DEADLINES)} (seconds)"
            )
        for precedence, seconds in self.seconds.items():
            if not 1 <= seconds <= 30 * 86400:
                raise ConfigError(f"[acknowledgement] {precedence} must be 1 s to 30 days")

    def deadline(self, sent_at: str, precedence: str) -> float:
        """UTC epoch seconds by which a person must acknowledge a message sent at ``sent_at``."""
        return parse_utc(sent_at).timestamp() + self.seconds[precedence]


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything in ``hotline.toml``."""

    party: str
    timezone: str
    listen: tuple[str, ...]
    #: Mark every message this terminal sends as EXERCISE.
    exercise: bool = False
    #: HOST:PORT the web console is served on by ``hotline run``; None for no console.
    console: str | None = None
    link: LinkSettings = field(default_factory=LinkSettings)
    alarms: AlarmSettings = field(default_factory=AlarmSettings)
    acknowledgement: AckDeadlines = field(default_factory=AckDeadlines)
    calls: CallSettings = field(default_factory=CallSettings)
    record: RecordSettings = field(default_factory=RecordSettings)
    markings: MarkingSettings = field(default_factory=MarkingSettings)
    #: Keep the CPUs out of deep idle states while running (cpu_wake.py): lower
    #: latency per message, more power. Needs access to /dev/cpu_dma_latency.
    hold_cpus_awake: bool = False
    #: ``[store] url``: a ``postgresql://`` URL, or None for the SQLite file in the directory.
    store_url: str | None = None
    #: ``[terminal] partner_listen``: the listen addresses of the other process of an
    #: active/standby pair (docs/ha.md). The card lists them after ours, so peers
    #: fail over to whichever process is active; this process never listens on them.
    partner_listen: tuple[str, ...] = ()

    @property
    def card_routes(self) -> tuple[str, ...]:
        """Every route of this party: our listen addresses, with the partner's (sorted, so both
        processes of a pair print the same card)."""
        if not self.partner_listen:
            return self.listen
        return tuple(sorted(set(self.listen) | set(self.partner_listen)))

    #: ``[console] tls``: serve the console over HTTPS (``init`` writes true). None (the key
    #: absent, a directory made before it existed): HTTPS if the console certificate
    #: exists, else plain HTTP.
    console_tls: bool | None = None
    #: ``[console] tls_cert``/``tls_key``: PEM files to serve instead of the ones ``init``
    #: made (DIR/tls/console-cert.pem, console-key.pem); relative paths are under DIR.
    console_tls_cert: str | None = None
    console_tls_key: str | None = None
    #: ``[metrics] listen``: HOST:PORT serving /metrics, /healthz, /readyz; None for none.
    metrics: str | None = None
    #: ``[log] format``: "text" or "json" lines (``hotline run --log-format`` overrides it).
    log_format: str = "text"
    #: ``[keys] pkcs11_module``, ``token_label``, ``key_label``: the PKCS#11 token that
    #: holds the signing key (docs/keys.md); None: the key is in ``keys/signing.key``.
    signing_token: TokenKey | None = None


def check_store_url(url: str | None) -> str | None:
    """``url`` if it names a PostgreSQL store (None or "" for the directory's SQLite file)."""
    if not url:
        return None
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            f"[store] url must be a postgresql:// URL (or empty for SQLite), not {url!r}"
        )
    return url


def check_timezone(zone: str) -> str:
    """Return ``zone`` if it names an IANA time zone known to this machine."""
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown time zone {zone!r} (use an IANA name like Europe/Moscow)"
        ) from exc
    return zone


def check_listen(routes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    if not routes:
        raise ConfigError("at least one --listen HOST:PORT is needed")
    for route in routes:
        try:
            parse_route(route)
        except LinkError as exc:
            raise ConfigError(f"listen address: {exc}") from exc
    if len(set(routes)) != len(routes):
        raise ConfigError("the same listen address is given twice")
    return tuple(routes)


def check_console(address: str | None) -> str | None:
    """Return the console address if it is a valid HOST:PORT (or None for no console)."""
    if not address:
        return None
    try:
        parse_route(address)
    except LinkError as exc:
        raise ConfigError(f"console address: {exc}") from exc
    return address


def check_metrics(address: str | None) -> str | None:
    """Return the metrics address if it is a valid HOST:PORT (or None for none)."""
    if not address:
        return None
    try:
        parse_route(address)
    except LinkError as exc:
        raise ConfigError(f"metrics address: {exc}") from exc
    return address


def render_settings(settings: Settings) -> str:
    """The text of ``hotline.toml`` for these settings, with comments."""
    listen = ", ".join(_toml_string(route) for route in settings.listen)
    link = settings.link
    return (
        "# hotline terminal settings. Times are in seconds.\n"
        "[terminal]\n"
        f"party = {_toml_string(settings.party)}\n"
        f"timezone = {_toml_string(settings.timezone)}\n"
        f"listen = [{listen}]\n"
        "# Active/standby (docs/ha.md): the other process's listen addresses; the card lists them.\n"
        f"partner_listen = [{', '.join(_toml_string(route) for route in settings.partner_listen)}]\n"
        "# true: every message sent is marked EXERCISE (a drill), shown as such on both sides.\n"
        f"exercise = {'true' if settings.exercise else 'false'}\n"
        "\n"
        "[console]\n"
        "# The web console (HOST:PORT), served by hotline run; empty for none.\n"
        f"listen = {_toml_string(settings.console or '')}\n"
        "# HTTPS with the certificate init made (tls/console-cert.pem), or with these PEM\n"
        "# files instead; false serves plain HTTP (only behind a TLS proxy on this host).\n"
        + _console_tls_line(settings.console_tls)
        + f"tls_cert = {_toml_string(settings.console_tls_cert or '')}\n"
        f"tls_key = {_toml_string(settings.console_tls_key or '')}\n"
        "\n"
        "[metrics]\n"
        "# Prometheus metrics and health checks (HOST:PORT: /metrics, /healthz, /readyz),\n"
        "# on their own listener; empty for none (docs/operations.md).\n"
        f"listen = {_toml_string(settings.metrics or '')}\n"
        "\n"
        "[log]\n"
        '# "text" or "json" (one object per line, for a log shipper); hotline run --log-format.\n'
        f"format = {_toml_string(settings.log_format)}\n"
        "\n"
        "[store]\n"
        "# Where the terminal's state is kept: empty for hotline.db (SQLite) in this directory,\n"
        "# or a PostgreSQL URL (postgresql://user@host:port/dbname). Env: HOTLINE_STORE_URL.\n"
        f"url = {_toml_string(settings.store_url or '')}\n"
        "\n"
        "[link]\n"
        "# A heartbeat goes out on an idle session this often.\n"
        f"heartbeat_interval = {link.heartbeat_interval}\n"
        "# The session is declared dead after this many intervals with nothing received.\n"
        f"dead_after = {link.dead_after}\n"
        "# Redial a lost peer after this delay, doubling up to the cap.\n"
        f"reconnect_initial = {link.reconnect_initial}\n"
        f"reconnect_cap = {link.reconnect_cap}\n"
        "# Every route is tested end to end this often (3600: on the hour). The two\n"
        "# sides alternate: the one whose signing key sorts first tests on even hours.\n"
        f"test_interval = {link.test_interval}\n"
        "# A test not receipted within this many seconds raises an alarm.\n"
        f"test_deadline = {link.test_deadline}\n"
        "# Language of this terminal's test texts: en, id or ru (docs/test-texts.md).\n"
        f"test_language = {_toml_string(link.test_language)}\n"
        "# The highest session protocol offered to peers: 2 (ratcheted message keys,\n"
        "# one receipt per batch; docs/protocol/session.md) or 1 (as hotline before it).\n"
        f"protocol = {link.protocol}\n"
        "\n"
        "[alarms]\n"
        "# A command run (by /bin/sh) for every alarm raised or cleared, with the alarm\n"
        "# as JSON on its standard input: wire it to mail, SMS or a pager. Empty: none.\n"
        f"hook = {_toml_string(settings.alarms.hook)}\n"
        f"hook_timeout = {settings.alarms.hook_timeout}\n"
        "# A route down this long, while the line holds on another, raises a route-down alarm.\n"
        f"route_down_after = {settings.alarms.route_down_after}\n"
        "# Days before one of our keys' certificates ends that a key-expiring alarm says\n"
        "# to rotate it (docs/keys.md, 'Validity periods').\n"
        f"key_expiring_days = {settings.alarms.key_expiring_days}\n"
        "\n"
        "[acknowledgement]\n"
        "# Seconds a person has to acknowledge a message, by precedence. Past it, the\n"
        "# message is overdue on both sides: an alarm, a resend on every route, escalation.\n"
        + "".join(f"{p} = {s}\n" for p, s in settings.acknowledgement.seconds.items())
        + "\n"
        "# Escalation when a message is overdue: ordered steps, each running the alarm hook\n"
        '# with an "escalation" event. For example:\n'
        "# [[escalation]]\n"
        '# who = "watch officer"     # who is alerted\n'
        "# after = 0                  # seconds after the deadline\n"
        "# repeat = 3                 # how many alerts\n"
        "# every = 60                 # seconds between them\n"
        + "".join(
            "[[escalation]]\n"
            f"who = {_toml_string(step.who)}\nafter = {step.after}\n"
            f"repeat = {step.repeat}\nevery = {step.every}\n"
            for step in settings.acknowledgement.escalation
        )
        + "\n"
        "[performance]\n"
        "# true: keep the CPUs out of deep idle states while the terminal runs (a PM QoS\n"
        "# request on /dev/cpu_dma_latency, which needs root or a udev rule). Each message\n"
        "# is handled faster after a pause; the CPUs never rest (docs/performance.md).\n"
        f"hold_cpus_awake = {'true' if settings.hold_cpus_awake else 'false'}\n"
        "\n"
        "[record]\n"
        "# The shared record (docs/protocol/record.md): a checkpoint of the log is signed\n"
        "# and sent to every peer to cosign this often while the log grows.\n"
        f"checkpoint_interval = {settings.record.checkpoint_interval}\n"
        "# An alarm when a peer has not cosigned our newest checkpoint for this long.\n"
        f"cosign_overdue_after = {settings.record.cosign_overdue_after}\n"
        "\n"
        "[markings]\n"
        "# The classification lines agreed with the peers (docs/protocol/markings.md); a\n"
        "# message may carry one of these only. Empty: no classification may be used.\n"
        f"classifications = [{', '.join(_toml_string(c) for c in settings.markings.classifications)}]\n"
        '# Who may release a marked message: "sender" (its sender only) or "either" party.\n'
        f"release_by = {_toml_string(settings.markings.release_by)}\n"
        "\n"
        "[calls]\n"
        "# An unanswered call rings this long, then both sides record it as missed.\n"
        f"ring_timeout = {settings.calls.ring_timeout}\n"
        "# A call whose line or media path is lost may reconnect for this long, then fails.\n"
        f"reconnect_timeout = {settings.calls.reconnect_timeout}\n"
        "# STUN/TURN servers for the browsers, for parties behind NAT (docs/calls.md), e.g.\n"
        "# [[calls.ice_servers]]\n"
        '# urls = ["turn:turn.example.org:3478"]\n'
        '# username = "hotline"\n'
        '# credential = "secret"\n'
        + "".join(_ice_server_toml(server) for server in settings.calls.ice_servers)
        + _keys_toml(settings.signing_token)
    )


def _keys_toml(token: TokenKey | None) -> str:
    """``[keys]``: written only for a signing key in a token (its PIN is never in the file)."""
    if token is None:
        return ""
    return (
        "\n[keys]\n"
        "# The signing key is in this PKCS#11 token (docs/keys.md); its PIN comes from\n"
        "# --pin-file, $HOTLINE_PKCS11_PIN_FILE or the systemd credential pkcs11-pin.\n"
        f"pkcs11_module = {_toml_string(token.module)}\n"
        f"token_label = {_toml_string(token.token_label)}\n"
        f"key_label = {_toml_string(token.key_label)}\n"
    )


def _console_tls_line(tls: bool | None) -> str:
    # None is the key left out (HTTPS if the certificate exists): kept out on a rewrite.
    if tls is None:
        return "# tls = true\n"
    return f"tls = {'true' if tls else 'false'}\n"


def _ice_server_toml(server: dict[str, Any]) -> str:
    urls = server["urls"] if isinstance(server["urls"], list) else [server["urls"]]
    text = f"[[calls.ice_servers]]\nurls = [{', '.join(_toml_string(u) for u in urls)}]\n"
    for key in ("username", "credential"):
        if key in server:
            text += f"{key} = {_toml_string(server[key])}\n"
    return text


def _toml_string(text: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes), quotes included.
    return json.dumps(text, ensure_ascii=False)


# --- The file: its sections, the environment, the checks ---------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _TerminalSection:
    """``[terminal]``: who this terminal is and where its peers reach it."""

    __pydantic_config__ = _SCHEMA_CONFIG

    party: str
    timezone: str = "UTC"
    listen: tuple[str, ...]
    exercise: bool = False
    partner_listen: tuple[str, ...] = ()

    @_reported
    def __post_init__(self) -> None:
        validate_party(self.party)
        check_timezone(self.timezone)
        check_listen(self.listen)
        if self.partner_listen:
            check_listen(self.partner_listen)


@dataclass(frozen=True, slots=True, kw_only=True)
class _ConsoleSection:
    """``[console]``: HOST:PORT of the web console, "" for none."""

    __pydantic_config__ = _SCHEMA_CONFIG

    listen: str = ""
    #: None: the key is absent (a directory made before it existed).
    tls: bool | None = None
    tls_cert: str = ""
    tls_key: str = ""

    @_reported
    def __post_init__(self) -> None:
        check_console(self.listen)
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("[console] tls_cert and tls_key are set together, or neither")


@dataclass(frozen=True, slots=True, kw_only=True)
class _LogSection:
    """``[log]``: how the daemon writes its log."""

    __pydantic_config__ = _SCHEMA_CONFIG

    format: str = "text"

    @_reported
    def __post_init__(self) -> None:
        if self.format not in ("text", "json"):
            raise ConfigError(f'[log] format must be "text" or "json", not {self.format!r}')


@dataclass(frozen=True, slots=True, kw_only=True)
class _MetricsSection:
    """``[metrics]``: HOST:PORT of the metrics and health listener, "" for none."""

    __pydantic_config__ = _SCHEMA_CONFIG

    listen: str = ""

    @_reported
    def __post_init__(self) -> None:
        check_metrics(self.listen)


@dataclass(frozen=True, slots=True, kw_only=True)
class _AcknowledgementSection:
    """``[acknowledgement]``: seconds to acknowledge, one key per precedence."""

    __pydantic_config__ = _SCHEMA_CONFIG

    flash: float = DEFAULT_DEADLINES["flash"]
    immediate: float = DEFAULT_DEADLINES["immediate"]
    priority: float = DEFAULT_DEADLINES["priority"]
    routine: float = DEFAULT_DEADLINES["routine"]

    @_reported
    def __post_init__(self) -> None:
        AckDeadlines(seconds=dataclasses.asdict(self))


@dataclass(frozen=True, slots=True, kw_only=True)
class _StoreSection:
    """``[store]``: where the terminal's state is kept; url "" is DIR/hotline.db (SQLite)."""

    __pydantic_config__ = _SCHEMA_CONFIG

    url: str = ""

    @_reported
    def __post_init__(self) -> None:
        check_store_url(self.url)


@dataclass(frozen=True, slots=True, kw_only=True)
class _KeysSection:
    """``[keys]``: the PKCS#11 token holding the signing key; all empty for a key file."""

    __pydantic_config__ = _SCHEMA_CONFIG

    pkcs11_module: str = ""
    token_label: str = ""
    key_label: str = ""

    @_reported
    def __post_init__(self) -> None:
        given = [bool(self.pkcs11_module), bool(self.token_label), bool(self.key_label)]
        if any(given) and not all(given):
            raise ConfigError(
                "[keys] pkcs11_module, token_label and key_label are set together, or none"
            )

    def token(self) -> TokenKey | None:
        if not self.pkcs11_module:
            return None
        return TokenKey(
            module=self.pkcs11_module, token_label=self.token_label, key_label=self.key_label
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _PerformanceSection:
    """``[performance]``."""

    __pydantic_config__ = _SCHEMA_CONFIG

    hold_cpus_awake: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class _File:
    """The whole of ``hotline.toml``: one field per section."""

    __pydantic_config__ = _SCHEMA_CONFIG

    terminal: _TerminalSection
    console: _ConsoleSection = field(default_factory=_ConsoleSection)
    link: LinkSettings = field(default_factory=LinkSettings)
    alarms: AlarmSettings = field(default_factory=AlarmSettings)
    acknowledgement: _AcknowledgementSection = field(default_factory=_AcknowledgementSection)
    escalation: tuple[EscalationStep, ...] = ()
    performance: _PerformanceSection = field(default_factory=_PerformanceSection)
    calls: CallSettings = field(default_factory=CallSettings)
    record: RecordSettings = field(default_factory=RecordSettings)
    store: _StoreSection = field(default_factory=_StoreSection)
    markings: MarkingSettings = field(default_factory=MarkingSettings)
    metrics: _MetricsSection = field(default_factory=_MetricsSection)
    log: _LogSection = field(default_factory=_LogSection)
    keys: _KeysSection = field(default_factory=_KeysSection)

    def settings(self) -> Settings:
        return Settings(
            party=self.terminal.party,
            timezone=self.terminal.timezone,
            listen=self.terminal.listen,
            partner_listen=self.terminal.partner_listen,
            exercise=self.terminal.exercise,
            console=check_console(self.console.listen),
            link=self.link,
            alarms=self.alarms,
            acknowledgement=AckDeadlines(
                seconds=dataclasses.asdict(self.acknowledgement), escalation=self.escalation
            ),
            calls=self.calls,
            record=self.record,
            markings=self.markings,
            hold_cpus_awake=self.performance.hold_cpus_awake,
            store_url=check_store_url(self.store.url),
            console_tls=self.console.tls,
            console_tls_cert=self.console.tls_cert or None,
            console_tls_key=self.console.tls_key or None,
            metrics=check_metrics(self.metrics.listen),
            log_format=self.log.format,
            signing_token=self.keys.token(),
        )


def load_settings(path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check ``hotline.toml``, with ``HOTLINE_<SECTION>_<KEY>`` overrides.

    ``environ`` defaults to the process environment. Every problem found is
    reported in one :class:`ConfigError`, on one line, after the file's path.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} does not exist") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    if not isinstance(data.get("terminal"), dict):
        raise ConfigError(f"{path} has no [terminal] table")
    problems: list[str] = []
    overrides = _environment_overrides(os.environ if environ is None else environ, problems)
    for (section, key), (_, value) in overrides.items():
        table = data.setdefault(section, {})
        if isinstance(table, dict):  # else the file's own error ("must be a table") is reported
            table[key] = value
    variables = {place: variable for place, (variable, _) in overrides.items()}
    file = _validate(data, variables, problems)
    if file is None or problems:
        raise ConfigError(f"{path}: {'; '.join(problems)}")
    return file.settings()


def _environment_variable(section: str, key: str) -> str:
    """The variable that overrides ``[section] key``: ``HOTLINE_LINK_DEAD_AFTER``."""
    return f"{_ENVIRONMENT_PREFIX}{section}_{key}".upper()


def _validate(
    data: dict[str, Any], variables: dict[tuple[str, str], str], problems: list[str]
) -> _File | None:
    """The file, checked; None if a problem was found (added to ``problems``)."""
    from pydantic import ValidationError

    # Through JSON because pydantic's strict mode takes a table for a dataclass
    # only from JSON (from Python it wants an instance). TOML's values are JSON's
    # but for dates and times, which no setting takes: they become an object that
    # every field refuses, so the problem names the key.
    text = json.dumps(data, default=lambda value: {"TOML date or time": str(value)})
    try:
        return _file_adapter().validate_json(text)
    except ValidationError as exc:
        problems.extend(_problem(error, variables) for error in exc.errors(include_url=False))
    return None


@functools.cache
def _file_adapter() -> TypeAdapter[_File]:
    from pydantic import TypeAdapter

    return TypeAdapter(_File)


def _environment_overrides(
    environ: Mapping[str, str], problems: list[str]
) -> dict[tuple[str, str], tuple[str, Any]]:
    """``(section, key) -> (variable, value)`` for each ``HOTLINE_<SECTION>_<KEY>`` set."""
    overrides: dict[tuple[str, str], tuple[str, Any]] = {}
    sections = _schema(())
    for variable, text in sorted(environ.items()):
        if not variable.startswith(_ENVIRONMENT_PREFIX):
            continue
        # Section names have no underscore, so the first one ends the section.
        section, _, key = variable.removeprefix(_ENVIRONMENT_PREFIX).lower().partition("_")
        if section not in sections:
            continue  # not a setting (another program's variable, say): not ours to judge
        kinds = _schema((section,))
        if not kinds:
            problems.append(
                f"{variable}: [[{section}]] is a list of tables, set in hotline.toml only"
            )
        elif key not in kinds:
            problems.append(
                _unknown(
                    f"unknown key in [{section}]",
                    key,
                    kinds,
                    name=variable,
                    spell=functools.partial(_environment_variable, section),
                )
            )
        else:
            try:
                overrides[(section, key)] = (variable, _environment_value(text, kinds[key]))
            except ValueError as exc:
                problems.append(f"{variable}: {exc}")
    return overrides


def _environment_value(text: str, kind: Any) -> Any:
    """A variable's value as the field's type: verbatim for a string, else TOML."""
    if kind is str:
        return text
    try:
        parsed = tomllib.loads(f"value = {text}")
    except tomllib.TOMLDecodeError:
        parsed = {}
    if list(parsed) != ["value"]:  # unparsable, or smuggling in a second line
        raise ValueError(f"{text!r} is not {_NOUNS[_TYPE_ERRORS.get(kind, 'tuple_type')]}")
    return parsed["value"]


def _schema(place: tuple[str | int, ...]) -> dict[str, Any]:
    """The keys of the table at ``place`` in the file and their types ({} if not a table)."""
    kind: Any = _File
    for part in place:
        if isinstance(part, int):
            arguments = typing.get_args(kind)  # tuple[Step, ...]: a step
            kind = arguments[0] if arguments else None
        else:
            kind = _hints(kind).get(part) if _is_table(kind) else None
    return _hints(kind) if _is_table(kind) else {}


def _is_table(kind: Any) -> bool:
    return isinstance(kind, type) and dataclasses.is_dataclass(kind)


@functools.cache
def _hints(kind: type) -> dict[str, Any]:
    hints = typing.get_type_hints(kind)
    return {f.name: hints[f.name] for f in dataclasses.fields(kind)}


# pydantic's error types, as what the value should have been.
_TYPE_ERRORS = {float: "float_type", int: "int_type", bool: "bool_type", str: "string_type"}
_NOUNS = {
    "float_type": "a number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "string_type": "a string",
    "tuple_type": "a list (a TOML array)",
    "list_type": "a list (a TOML array)",
    "dict_type": "a table",
    "dataclass_type": "a table",
    "dataclass_exact_type": "a table",
}


def _problem(error: ErrorDetails, variables: dict[tuple[str, str], str]) -> str:
    place = tuple(error["loc"])
    if error["type"] in {"extra_forbidden", "unexpected_keyword_argument"}:
        *table, key = place
        known = list(_schema(tuple(table)))
        if not table:
            return _unknown("unknown section", str(key), known, name=f"[{key}]", spell=_section)
        return _unknown(f"unknown key in {_table(tuple(table))}", str(key), known)
    refused = error.get("ctx", {}).get("error")
    if isinstance(refused, ConfigError):  # a range rule (_Refused), against its section
        section = {key: name for key, name in variables.items() if key[0] == place[0]}
        return f"{refused}{_set_in_environment(section)}"
    if not place:
        return str(error["msg"])
    where = _where(place, variables)
    if error["type"] == "missing":
        return f"{where} is missing"
    if error["type"] in _NOUNS:
        return f"{where} must be {_NOUNS[error['type']]}, not {error['input']!r}"
    return f"{where}: {error['msg']}"


def _unknown(
    what: str,
    key: str,
    known: Iterable[str],
    *,
    name: str | None = None,
    spell: Callable[[str], str] = str,
) -> str:
    """``key: what; did you mean K?``, K the closest of the ``known`` keys, if one is close."""
    close = difflib.get_close_matches(key, list(known), n=1)
    guess = f"; did you mean {spell(close[0])}?" if close else ""
    return f"{name or key}: {what}{guess}"


def _table(place: tuple[str | int, ...]) -> str:
    """``[link]``, ``[[escalation]]``: how the file writes the table at ``place``."""
    names = ".".join(str(part) for part in place if isinstance(part, str))
    return f"[[{names}]]" if isinstance(place[-1], int) else f"[{names}]"


def _where(place: tuple[str | int, ...], variables: dict[tuple[str, str], str]) -> str:
    """The key at ``place`` as the operator wrote it: in the file, or a variable."""
    variable = variables.get((str(place[0]), str(place[1]))) if len(place) >= 2 else None
    if variable is not None:
        return variable + "".join(f"[{part}]" for part in place[2:])
    text = _section(str(place[0]))
    for part in place[1:]:
        text += f"[{part}]" if isinstance(part, int) else f" {part}"
    return text


def _section(name: str) -> str:
    """``[link]``, or ``[[escalation]]`` for a list of tables."""
    return f"[{name}]" if _schema((name,)) else f"[[{name}]]"


def _set_in_environment(variables: dict[tuple[str, str], str]) -> str:
    if not variables:
        return ""
    return f" (with {', '.join(sorted(variables.values()))} set in the environment)"
