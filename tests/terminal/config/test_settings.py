"""``hotline.toml``: every bad value is a ConfigError that names its key; good ones round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import ConfigError
from hotline.terminal import Settings, load_settings
from hotline.terminal.config import LinkSettings, check_timezone
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
