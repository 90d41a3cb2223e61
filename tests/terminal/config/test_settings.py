"""``hotline.toml``: every bad value, unknown key or section is a ConfigError that names it;
good ones round-trip; ``HOTLINE_<SECTION>_<KEY>`` overrides any key."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import ConfigError
from hotline.terminal import Settings, init_terminal, load_settings
from hotline.terminal.config import (
    AckDeadlines,
    AlarmSettings,
    CallSettings,
    EscalationStep,
    LinkSettings,
    MarkingSettings,
    RecordSettings,
    check_timezone,
)
from hotline.terminal.config.settings import render_settings

GOOD_TERMINAL = (
    '[terminal]\nparty = "Moscow"\ntimezone = "Europe/Moscow"\nlisten = ["127.0.0.1:7001"]\n'
)


def load(tmp_path: Path, text: str | bytes) -> Settings:
    path = tmp_path / "hotline.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return load_settings(path)


def test_good_file_with_defaults(tmp_path: Path) -> None:
    settings = load(tmp_path, GOOD_TERMINAL)
    assert settings == Settings(
        party="Moscow",
        timezone="Europe/Moscow",
        listen=("127.0.0.1:7001",),
        link=LinkSettings(),
    )


def test_timezone_defaults_to_utc(tmp_path: Path) -> None:
    text = '[terminal]\nparty = "Moscow"\nlisten = ["[::1]:7001"]\n'
    assert load(tmp_path, text).timezone == "UTC"


def test_link_section_is_read(tmp_path: Path) -> None:
    text = GOOD_TERMINAL + (
        "[link]\nheartbeat_interval = 0.05\ndead_after = 3\n"
        "reconnect_initial = 1\nreconnect_cap = 30\n"
    )
    assert load(tmp_path, text).link == LinkSettings(
        heartbeat_interval=0.05, dead_after=3, reconnect_initial=1.0, reconnect_cap=30.0
    )


@pytest.mark.parametrize(
    ("link", "key"),
    [
        ('heartbeat_interval = "fast"', "heartbeat_interval"),
        ("heartbeat_interval = true", "heartbeat_interval"),
        ("heartbeat_interval = 0.001", "heartbeat_interval"),
        ("heartbeat_interval = 3601", "heartbeat_interval"),
        ("heartbeat_interval = [1]", "heartbeat_interval"),
        ("dead_after = 1.5", "dead_after"),
        ("dead_after = 0", "dead_after"),
        ("dead_after = 1001", "dead_after"),
        ("dead_after = true", "dead_after"),
        ('dead_after = "3"', "dead_after"),
        ("reconnect_initial = 0", "reconnect_initial"),
        ('reconnect_initial = "soon"', "reconnect_initial"),
        ("reconnect_initial = 5\nreconnect_cap = 1", "reconnect_initial <= reconnect_cap"),
        ("reconnect_cap = 3601", "reconnect_cap"),
        ("reconnect_cap = false", "reconnect_cap"),
    ],
)
def test_bad_link_value_names_its_key(tmp_path: Path, link: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load(tmp_path, GOOD_TERMINAL + "[link]\n" + link + "\n")


@pytest.mark.parametrize(
    ("terminal", "key"),
    [
        ('timezone = "UTC"\nlisten = ["127.0.0.1:7001"]', "party"),
        ('party = ""\nlisten = ["127.0.0.1:7001"]', "party"),
        ('party = 7\nlisten = ["127.0.0.1:7001"]', "party"),
        ('party = "Moscow"\ntimezone = "Mars/Olympus_Mons"\nlisten = ["127.0.0.1:7001"]', "Mars"),
        ('party = "Moscow"\ntimezone = 3\nlisten = ["127.0.0.1:7001"]', "timezone"),
        ('party = "Moscow"', "listen"),
        ('party = "Moscow"\nlisten = "127.0.0.1:7001"', "listen"),
        ('party = "Moscow"\nlisten = [7001]', "listen"),
        ('party = "Moscow"\nlisten = []', "listen"),
        ('party = "Moscow"\nlisten = ["nohost"]', "listen address.*nohost"),
        ('party = "Moscow"\nlisten = ["127.0.0.1:70000"]', "listen address"),
        ('party = "Moscow"\nlisten = ["127.0.0.1:1", "127.0.0.1:1"]', "listen address"),
    ],
)
def test_bad_terminal_value_names_its_key(tmp_path: Path, terminal: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load(tmp_path, "[terminal]\n" + terminal + "\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("party = 'Moscow'\n", r"no \[terminal\] table"),
        ('terminal = "Moscow"\n', r"no \[terminal\] table"),
        ("link = 5\n" + GOOD_TERMINAL, r"\[link\] must be a table"),
        ("[terminal\n", "not valid TOML"),
        (b"[terminal]\nparty = '\xff'\n", "not valid TOML"),
    ],
)
def test_malformed_file(tmp_path: Path, text: str | bytes, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, text)


def test_error_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=str(tmp_path / "hotline.toml")):
        load(tmp_path, "[terminal]\nparty = 1\n")


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"heartbeat_interval": 0.0}, "heartbeat_interval"),
        ({"dead_after": 0}, "dead_after"),
        ({"reconnect_initial": 2.0, "reconnect_cap": 1.0}, "reconnect_cap"),
        ({"reconnect_initial": -1.0}, "reconnect_initial"),
    ],
)
def test_link_settings_check_themselves(fields: dict[str, float], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        LinkSettings(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow", "America/New_York", "Asia/Kolkata"])
def test_check_timezone_accepts_iana_names(zone: str) -> None:
    assert check_timezone(zone) == zone


@pytest.mark.parametrize("zone", ["", "Moscow", "Europe/Atlantis", "../etc/passwd", "UTC\x00"])
def test_check_timezone_refuses_others(zone: str) -> None:
    with pytest.raises(ConfigError, match="time zone"):
        check_timezone(zone)


_parties = st.sampled_from(["Moscow", "Washington", "Москва", "White House 2", "a.b_c-d"])
_routes = st.lists(
    st.builds(
        lambda host, port: f"{host}:{port}",
        st.sampled_from(["127.0.0.1", "[::1]", "hotline.example.org", "10.0.0.7"]),
        st.integers(min_value=1, max_value=65535),
    ),
    min_size=1,
    max_size=4,
    unique=True,
)


@st.composite
def _link_settings(draw: st.DrawFn) -> LinkSettings:
    initial = draw(st.floats(min_value=1e-6, max_value=3600, allow_nan=False))
    return LinkSettings(
        heartbeat_interval=draw(st.floats(min_value=0.01, max_value=3600, allow_nan=False)),
        dead_after=draw(st.integers(min_value=1, max_value=1000)),
        reconnect_initial=initial,
        reconnect_cap=draw(st.floats(min_value=initial, max_value=3600, allow_nan=False)),
    )


@given(
    party=_parties,
    zone=st.sampled_from(["UTC", "Europe/Moscow", "America/New_York"]),
    listen=_routes,
    link=_link_settings(),
)
def test_render_then_load_round_trips(
    tmp_path_factory: pytest.TempPathFactory,
    party: str,
    zone: str,
    listen: list[str],
    link: LinkSettings,
) -> None:
    settings = Settings(party=party, timezone=zone, listen=tuple(listen), link=link)
    path = tmp_path_factory.mktemp("settings") / "hotline.toml"
    path.write_text(render_settings(settings), encoding="utf-8")
    assert load_settings(path) == settings


# --- Strictness: unknown keys and sections are refused, by name ------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("exercize = true\n", "exercize: unknown key in [terminal]; did you mean exercise?"),
        (
            "[link]\nheartbeat_intervall = 1\n",
            "heartbeat_intervall: unknown key in [link]; did you mean heartbeat_interval?",
        ),
        ('[alarms]\nhok = "true"\n', "hok: unknown key in [alarms]; did you mean hook?"),
        ('[console]\nlisen = ""\n', "lisen: unknown key in [console]; did you mean listen?"),
        (
            "[acknowledgement]\nflsh = 60\n",
            "flsh: unknown key in [acknowledgement]; did you mean flash?",
        ),
        (
            "[performance]\nhold_cpu_awake = true\n",
            "hold_cpu_awake: unknown key in [performance]; did you mean hold_cpus_awake?",
        ),
        (
            "[calls]\nring_timout = 9\n",
            "ring_timout: unknown key in [calls]; did you mean ring_timeout?",
        ),
        (
            '[[escalation]]\nwho = "watch officer"\nevery_ = 9\n',
            "every_: unknown key in [[escalation]]; did you mean every?",
        ),
        (
            '[[calls.ice_servers]]\nurls = "stun:stun.example.org"\nusername_ = "x"\n',
            "username_: unknown key in [[calls.ice_servers]]; did you mean username?",
        ),
        ("[lnk]\nheartbeat_interval = 1\n", "[lnk]: unknown section; did you mean [link]?"),
        (
            "[escalations]\nwho = 1\n",
            "[escalations]: unknown section; did you mean [[escalation]]?",
        ),
    ],
)
def test_an_unknown_key_or_section_is_refused_with_what_was_meant(
    tmp_path: Path, text: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, GOOD_TERMINAL + text)
    assert str(caught.value) == f"{tmp_path / 'hotline.toml'}: {problem}"


def test_an_unknown_name_with_nothing_close_gets_no_guess(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, GOOD_TERMINAL + "[link]\nzzz = 1\n[qqq]\n")
    message = str(caught.value)
    assert message.endswith(": zzz: unknown key in [link]; [qqq]: unknown section")


def test_every_problem_is_named_on_one_line(tmp_path: Path) -> None:
    text = GOOD_TERMINAL + (
        'exercize = true\n[link]\nheartbeat_intervall = 1\ndead_after = "3"\n[alarms]\nhok = "x"\n'
        "[calls]\nring_timeout = 1\n[acknowledgement]\nflash = 0\n"
    )
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    assert "\n" not in message
    for part in (
        "exercize: unknown key in [terminal]",
        "heartbeat_intervall: unknown key in [link]",
        "[link] dead_after must be a whole number, not '3'",
        "hok: unknown key in [alarms]",
        "[calls] ring_timeout must be between 2 and 600 seconds",
        "[acknowledgement] flash must be 1 s to 30 days",
    ):
        assert part in message


def test_a_date_is_refused_where_no_setting_takes_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[link\] test_language must be a string"):
        load(tmp_path, GOOD_TERMINAL + "[link]\ntest_language = 2024-01-01\n")


def test_every_section_of_a_freshly_initialised_file_loads(tmp_path: Path) -> None:
    files = init_terminal(
        tmp_path / "w", party="Washington", listen=["127.0.0.1:7001"], console="127.0.0.1:8080"
    )
    files.store.close()
    path = tmp_path / "w" / "hotline.toml"
    sections = tomllib.loads(path.read_text(encoding="utf-8"))
    assert set(sections) == {
        "terminal",
        "console",
        "link",
        "alarms",
        "acknowledgement",
        "performance",
        "record",
        "markings",
        "calls",
        "store",
        "metrics",
        "log",
    }
    assert load_settings(path, environ={}) == files.settings


def test_escalation_and_ice_servers_round_trip(tmp_path: Path) -> None:
    settings = Settings(
        party="Moscow",
        timezone="UTC",
        listen=("127.0.0.1:7001",),
        acknowledgement=AckDeadlines(
            escalation=(EscalationStep(who="watch officer", repeat=2), EscalationStep(who="duty"))
        ),
        calls=CallSettings(
            ice_servers=(
                {"urls": ["stun:stun.example.org"]},
                {"urls": ["turn:turn.example.org"], "username": "u", "credential": "c"},
            )
        ),
    )
    path = tmp_path / "hotline.toml"
    path.write_text(render_settings(settings), encoding="utf-8")
    assert load_settings(path, environ={}) == settings


# --- Environment overrides: HOTLINE_<SECTION>_<KEY> -----------------------------------------


def _as_variable(value: object) -> str:
    """A value as the environment takes it: a string verbatim, anything else as TOML."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(map(_as_variable_item, value)) + "]"
    return str(value)


def _as_variable_item(value: object) -> str:
    if isinstance(value, dict):  # a TOML inline table
        return "{" + ", ".join(f"{key} = {json.dumps(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)  # a JSON string is a TOML basic string


def test_every_key_of_a_fresh_file_can_be_set_from_the_environment(tmp_path: Path) -> None:
    files = init_terminal(tmp_path / "w", party="Washington", listen=["127.0.0.1:7001"])
    files.store.close()
    path = tmp_path / "w" / "hotline.toml"
    changed = {
        ("terminal", "party"): "Washington",  # must match the keys; set to itself
        ("terminal", "timezone"): "Europe/Moscow",
        ("terminal", "listen"): ["127.0.0.1:7002", "[::1]:7002"],
        ("terminal", "exercise"): True,
        ("terminal", "partner_listen"): ["127.0.0.2:7002"],
        ("console", "listen"): "127.0.0.1:8081",
        ("console", "tls"): False,
        ("console", "tls_cert"): "/etc/hotline/console.pem",
        ("console", "tls_key"): "/etc/hotline/console.key",
        ("metrics", "listen"): "127.0.0.1:9464",
        ("log", "format"): "json",
        ("store", "url"): "postgresql://hotline@db.example.org:5432/hotline",
        ("link", "heartbeat_interval"): 2,
        ("link", "dead_after"): 4,
        ("link", "reconnect_initial"): 0.5,
        ("link", "reconnect_cap"): 5.5,
        ("link", "test_interval"): 600,
        ("link", "test_deadline"): 30,
        ("link", "test_language"): "ru",
        ("link", "protocol"): 1,
        ("alarms", "hook"): "mail -s 'hotline alarm' ops@example.org",
        ("alarms", "hook_timeout"): 5,
        ("alarms", "route_down_after"): 60,
        ("alarms", "key_expiring_days"): 14,
        ("acknowledgement", "flash"): 60,
        ("acknowledgement", "immediate"): 300,
        ("acknowledgement", "priority"): 1800,
        ("acknowledgement", "routine"): 43200,
        ("performance", "hold_cpus_awake"): True,
        ("calls", "ring_timeout"): 30,
        ("calls", "reconnect_timeout"): 10,
        ("calls", "ice_servers"): [{"urls": "stun:stun.example.org"}],
        ("record", "checkpoint_interval"): 2,
        ("record", "cosign_overdue_after"): 900,
        ("markings", "classifications"): ["RESTRICTED", "CONFIDENTIAL"],
        ("markings", "release_by"): "either",
    }
    on_file = tomllib.loads(path.read_text(encoding="utf-8"))
    # Every key the file holds, and ice_servers, which it shows only in a comment.
    assert {(s, k) for s, table in on_file.items() for k in table} == set(changed) - {
        ("calls", "ice_servers")
    }
    environ = {
        f"HOTLINE_{section.upper()}_{key.upper()}": _as_variable(value)
        for (section, key), value in changed.items()
    }
    settings = load_settings(path, environ=environ)
    assert settings == Settings(
        party="Washington",
        timezone="Europe/Moscow",
        listen=("127.0.0.1:7002", "[::1]:7002"),
        partner_listen=("127.0.0.2:7002",),
        exercise=True,
        console="127.0.0.1:8081",
        link=LinkSettings(
            heartbeat_interval=2.0,
            dead_after=4,
            reconnect_initial=0.5,
            reconnect_cap=5.5,
            test_interval=600.0,
            test_deadline=30.0,
            test_language="ru",
            protocol=1,
        ),
        alarms=AlarmSettings(
            hook="mail -s 'hotline alarm' ops@example.org",
            hook_timeout=5.0,
            route_down_after=60.0,
            key_expiring_days=14.0,
        ),
        acknowledgement=AckDeadlines(
            seconds={"flash": 60.0, "immediate": 300.0, "priority": 1800.0, "routine": 43200.0}
        ),
        calls=CallSettings(
            ring_timeout=30.0,
            reconnect_timeout=10.0,
            ice_servers=({"urls": "stun:stun.example.org"},),
        ),
        record=RecordSettings(checkpoint_interval=2.0, cosign_overdue_after=900.0),
        markings=MarkingSettings(
            classifications=("RESTRICTED", "CONFIDENTIAL"), release_by="either"
        ),
        hold_cpus_awake=True,
        store_url="postgresql://hotline@db.example.org:5432/hotline",
        console_tls=False,
        console_tls_cert="/etc/hotline/console.pem",
        console_tls_key="/etc/hotline/console.key",
        metrics="127.0.0.1:9464",
        log_format="json",
    )
    assert load_settings(path, environ={}) == files.settings  # the file itself is untouched


def test_an_override_fills_a_section_the_file_leaves_out(tmp_path: Path) -> None:
    settings = load(tmp_path, GOOD_TERMINAL)
    path = tmp_path / "hotline.toml"
    assert load_settings(path, environ={"HOTLINE_LINK_DEAD_AFTER": "7"}).link.dead_after == 7
    assert settings.link.dead_after == 3


def test_other_hotline_variables_are_left_alone(tmp_path: Path) -> None:
    load(tmp_path, GOOD_TERMINAL)
    environ = {
        "HOTLINE_HOME": "/srv",
        "HOTLINE_DEBUG_LEVEL": "2",
        "HOTLINE": "x",
        "hotline_link_x": "1",
    }
    assert load_settings(tmp_path / "hotline.toml", environ=environ).link == LinkSettings()


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        (
            "HOTLINE_LINK_HEARTBEAT_INTERVAL",
            "fast",
            "HOTLINE_LINK_HEARTBEAT_INTERVAL: 'fast' is not a number",
        ),
        (
            "HOTLINE_LINK_HEARTBEAT_INTERVAL",
            "true",
            "HOTLINE_LINK_HEARTBEAT_INTERVAL must be a number, not True",
        ),
        (
            "HOTLINE_LINK_DEAD_AFTER",
            "1.5",
            "HOTLINE_LINK_DEAD_AFTER must be a whole number, not 1.5",
        ),
        (
            "HOTLINE_TERMINAL_EXERCISE",
            "yes",
            "HOTLINE_TERMINAL_EXERCISE: 'yes' is not true or false",
        ),
        (
            "HOTLINE_TERMINAL_LISTEN",
            "127.0.0.1:7009",
            "HOTLINE_TERMINAL_LISTEN: '127.0.0.1:7009' is not a list (a TOML array)",
        ),
        (
            "HOTLINE_TERMINAL_LISTEN",
            "[7009]",
            "HOTLINE_TERMINAL_LISTEN[0] must be a string, not 7009",
        ),
        # A second line would set a second key: refused, not half read.
        (
            "HOTLINE_LINK_DEAD_AFTER",
            "4\nx = 1",
            r"HOTLINE_LINK_DEAD_AFTER: '4\nx = 1' is not a whole number",
        ),
        (
            "HOTLINE_LINK_HEARTBEAT_INTERVALL",
            "1",
            "HOTLINE_LINK_HEARTBEAT_INTERVALL: unknown key in [link]; "
            "did you mean HOTLINE_LINK_HEARTBEAT_INTERVAL?",
        ),
        ("HOTLINE_CALLS_ZZZ", "[]", "HOTLINE_CALLS_ZZZ: unknown key in [calls]"),
        (
            "HOTLINE_ESCALATION_WHO",
            "watch officer",
            "HOTLINE_ESCALATION_WHO: [[escalation]] is a list of tables, set in hotline.toml only",
        ),
        (
            "HOTLINE_LINK_HEARTBEAT_INTERVAL",
            "0",
            "[link] heartbeat_interval must be between 0.01 and 3600 seconds "
            "(with HOTLINE_LINK_HEARTBEAT_INTERVAL set in the environment)",
        ),
    ],
)
def test_a_bad_override_is_refused_naming_the_variable(
    tmp_path: Path, variable: str, value: str, problem: str
) -> None:
    load(tmp_path, GOOD_TERMINAL)
    path = tmp_path / "hotline.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={variable: value})
    assert str(caught.value) == f"{path}: {problem}"


def test_the_process_environment_is_read_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(tmp_path, GOOD_TERMINAL)
    monkeypatch.setenv("HOTLINE_TERMINAL_EXERCISE", "true")
    assert load_settings(tmp_path / "hotline.toml").exercise


def test_record_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[record\] checkpoint_interval must be between"):
        load(tmp_path, GOOD_TERMINAL + "[record]\ncheckpoint_interval = 61.0\n")
    settings = load(tmp_path, GOOD_TERMINAL + "[record]\ncosign_overdue_after = 600.0\n")
    assert settings.record.cosign_overdue_after == 600.0


def test_marking_settings_are_checked(tmp_path: Path) -> None:
    settings = load(tmp_path, GOOD_TERMINAL)
    assert settings.markings == MarkingSettings(classifications=(), release_by="sender")
    with pytest.raises(ConfigError, match=r"\[markings\] release_by must be one of sender, either"):
        load(tmp_path, GOOD_TERMINAL + '[markings]\nrelease_by = "recipient"\n')
    with pytest.raises(ConfigError, match="listed twice"):
        load(tmp_path, GOOD_TERMINAL + '[markings]\nclassifications = ["A", "A"]\n')
    with pytest.raises(ConfigError, match="one printable line"):
        load(tmp_path, GOOD_TERMINAL + '[markings]\nclassifications = [" A"]\n')
    settings = load(tmp_path, GOOD_TERMINAL + '[markings]\nclassifications = ["NATO SECRET"]\n')
    assert settings.markings.classifications == ("NATO SECRET",)
