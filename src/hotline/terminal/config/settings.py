"""Terminal settings: ``DIR/hotline.toml``, written with defaults by ``init``.

The file is the operator's to edit; every value is checked on load and a bad
one is reported by name (:class:`~hotline.errors.ConfigError`), never ignored.
"""

from __future__ import annotations

import json
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.crypto import validate_party
from hotline.errors import ConfigError, LinkError
from hotline.link import parse_route
from hotline.utc import parse_utc

__all__ = [
    "DEFAULT_DEADLINES",
    "TEST_LANGUAGES",
    "AckDeadlines",
    "AlarmSettings",
    "CallSettings",
    "EscalationStep",
    "LinkSettings",
    "Settings",
    "check_console",
    "check_timezone",
    "load_settings",
    "render_settings",
]

#: The languages approved link-test texts exist in (hotline.terminal.linktest.test_texts).
TEST_LANGUAGES = ("en", "id", "ru")


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkSettings:
    """How sessions keep themselves alive and how dead ones are redialed."""

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
        if self.test_language not in TEST_LANGUAGES:
            raise ConfigError(
                f"[link] test_language must be one of {', '.join(TEST_LANGUAGES)}, "
                f"not {self.test_language!r}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class AlarmSettings:
    """What to run when an alarm is raised or cleared."""

    #: A shell command run with the alarm as JSON on its standard input; "" for none.
    hook: str = ""
    #: Seconds the hook may run before it is killed (and the failure journaled).
    hook_timeout: float = 30.0

    def __post_init__(self) -> None:
        if not 0.1 <= self.hook_timeout <= 3600:
            raise ConfigError("[alarms] hook_timeout must be between 0.1 and 3600 seconds")
        if "\x00" in self.hook:
            raise ConfigError("[alarms] hook must not contain a NUL character")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallSettings:
    """Video and voice calls between consoles (docs/protocol/calls.md)."""

    #: Seconds an unanswered call rings before both sides record it as missed.
    ring_timeout: float = 60.0
    #: Seconds a call may stay "reconnecting" (line or media path lost) before it fails.
    reconnect_timeout: float = 30.0
    #: RTCIceServer dictionaries for the browsers ({urls, username?, credential?}); a
    #: STUN/TURN server (coturn) lets parties behind NAT reach each other. Empty: host
    #: candidates only (both consoles' browsers on one network).
    ice_servers: tuple[dict[str, Any], ...] = ()

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
    unknown = set(server) - {"urls", "username", "credential"}
    if unknown:
        raise ConfigError(f"[calls] ice server has unknown keys: {', '.join(sorted(unknown))}")
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


#: Seconds to acknowledge, by precedence.
DEFAULT_DEADLINES = {"flash": 120.0, "immediate": 600.0, "priority": 3600.0, "routine": 86400.0}


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationStep:
    """Alert ``who`` ``after`` seconds past the deadline, ``repeat`` times, ``every`` seconds apart."""

    who: str
    after: float = 0.0
    repeat: int = 1
    every: float = 60.0

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
    #: Keep the CPUs out of deep idle states while running (cpu_wake.py): lower
    #: latency per message, more power. Needs access to /dev/cpu_dma_latency.
    hold_cpus_awake: bool = False


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
        "# true: every message sent is marked EXERCISE (a drill), shown as such on both sides.\n"
        f"exercise = {'true' if settings.exercise else 'false'}\n"
        "\n"
        "[console]\n"
        "# The web console (HOST:PORT), served by hotline run; empty for none.\n"
        f"listen = {_toml_string(settings.console or '')}\n"
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
        "\n"
        "[alarms]\n"
        "# A command run (by /bin/sh) for every alarm raised or cleared, with the alarm\n"
        "# as JSON on its standard input: wire it to mail, SMS or a pager. Empty: none.\n"
        f"hook = {_toml_string(settings.alarms.hook)}\n"
        f"hook_timeout = {settings.alarms.hook_timeout}\n"
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
    )


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


def _number(table: dict[str, Any], key: str, default: float, section: str = "link") -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"[{section}] {key} must be a number, not {value!r}")
    return float(value)


def _string(table: dict[str, Any], key: str, default: str, section: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"[{section}] {key} must be a string, not {value!r}")
    return value


def load_settings(path: Path) -> Settings:
    """Read and check ``hotline.toml``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} does not exist") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    terminal = data.get("terminal")
    if not isinstance(terminal, dict):
        raise ConfigError(f"{path} has no [terminal] table")
    party = terminal.get("party")
    zone = terminal.get("timezone", "UTC")
    listen = terminal.get("listen")
    if not isinstance(party, str) or not party:
        raise ConfigError(f"{path}: [terminal] party must be a non-empty string")
    validate_party(party)
    if not isinstance(zone, str):
        raise ConfigError(f"{path}: [terminal] timezone must be a string")
    if not isinstance(listen, list) or not all(isinstance(r, str) for r in listen):
        raise ConfigError(f'{path}: [terminal] listen must be a list of "HOST:PORT" strings')
    exercise = terminal.get("exercise", False)
    if not isinstance(exercise, bool):
        raise ConfigError(f"{path}: [terminal] exercise must be true or false")
    console_table = data.get("console", {})
    if not isinstance(console_table, dict):
        raise ConfigError(f"{path}: [console] must be a table")
    console = check_console(_string(console_table, "listen", "", "console"))
    link_table = data.get("link", {})
    if not isinstance(link_table, dict):
        raise ConfigError(f"{path}: [link] must be a table")
    defaults = LinkSettings()
    dead_after = link_table.get("dead_after", defaults.dead_after)
    if isinstance(dead_after, bool) or not isinstance(dead_after, int):
        raise ConfigError(f"[link] dead_after must be a whole number, not {dead_after!r}")
    link = LinkSettings(
        heartbeat_interval=_number(link_table, "heartbeat_interval", defaults.heartbeat_interval),
        dead_after=dead_after,
        reconnect_initial=_number(link_table, "reconnect_initial", defaults.reconnect_initial),
        reconnect_cap=_number(link_table, "reconnect_cap", defaults.reconnect_cap),
        test_interval=_number(link_table, "test_interval", defaults.test_interval),
        test_deadline=_number(link_table, "test_deadline", defaults.test_deadline),
        test_language=_string(link_table, "test_language", defaults.test_language, "link"),
    )
    alarm_table = data.get("alarms", {})
    if not isinstance(alarm_table, dict):
        raise ConfigError(f"{path}: [alarms] must be a table")
    alarm_defaults = AlarmSettings()
    alarms = AlarmSettings(
        hook=_string(alarm_table, "hook", alarm_defaults.hook, "alarms"),
        hook_timeout=_number(
            alarm_table, "hook_timeout", alarm_defaults.hook_timeout, section="alarms"
        ),
    )
    ack_table = data.get("acknowledgement", {})
    if not isinstance(ack_table, dict):
        raise ConfigError(f"{path}: [acknowledgement] must be a table")
    seconds = {
        precedence: _number(ack_table, precedence, default, section="acknowledgement")
        for precedence, default in DEFAULT_DEADLINES.items()
    }
    unknown = set(ack_table) - set(DEFAULT_DEADLINES)
    if unknown:
        raise ConfigError(f"[acknowledgement] has unknown keys: {', '.join(sorted(unknown))}")
    steps_data = data.get("escalation", [])
    if not isinstance(steps_data, list) or not all(isinstance(t, dict) for t in steps_data):
        raise ConfigError(f"{path}: escalation steps are [[escalation]] tables")
    steps = []
    for step in steps_data:
        repeat = step.get("repeat", 1)
        if isinstance(repeat, bool) or not isinstance(repeat, int):
            raise ConfigError(f"[[escalation]] repeat must be a whole number, not {repeat!r}")
        steps.append(
            EscalationStep(
                who=_string(step, "who", "", "escalation"),
                after=_number(step, "after", 0.0, section="escalation"),
                repeat=repeat,
                every=_number(step, "every", 60.0, section="escalation"),
            )
        )
    acknowledgement = AckDeadlines(seconds=seconds, escalation=tuple(steps))
    calls_table = data.get("calls", {})
    if not isinstance(calls_table, dict):
        raise ConfigError(f"{path}: [calls] must be a table")
    unknown = set(calls_table) - {"ring_timeout", "reconnect_timeout", "ice_servers"}
    if unknown:
        raise ConfigError(f"[calls] has unknown keys: {', '.join(sorted(unknown))}")
    servers = calls_table.get("ice_servers", [])
    if not isinstance(servers, list):
        raise ConfigError("[calls] ice_servers is a list of [[calls.ice_servers]] tables")
    call_defaults = CallSettings()
    calls = CallSettings(
        ring_timeout=_number(calls_table, "ring_timeout", call_defaults.ring_timeout, "calls"),
        reconnect_timeout=_number(
            calls_table, "reconnect_timeout", call_defaults.reconnect_timeout, "calls"
        ),
        ice_servers=tuple(check_ice_server(server) for server in servers),
    )
    performance_table = data.get("performance", {})
    if not isinstance(performance_table, dict):
        raise ConfigError(f"{path}: [performance] must be a table")
    unknown = set(performance_table) - {"hold_cpus_awake"}
    if unknown:
        raise ConfigError(f"[performance] has unknown keys: {', '.join(sorted(unknown))}")
    hold_cpus_awake = performance_table.get("hold_cpus_awake", False)
    if not isinstance(hold_cpus_awake, bool):
        raise ConfigError("[performance] hold_cpus_awake must be true or false")
    return Settings(
        party=party,
        timezone=check_timezone(zone),
        listen=check_listen(listen),
        exercise=exercise,
        console=console,
        link=link,
        alarms=alarms,
        acknowledgement=acknowledgement,
        calls=calls,
        hold_cpus_awake=hold_cpus_awake,
    )
