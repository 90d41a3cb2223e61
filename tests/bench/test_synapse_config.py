"""The pure parts of the Synapse benchmark peer: config, port, sync parsing, figures.

Nothing here installs or starts Synapse; the suite must run offline.
"""

from __future__ import annotations

import argparse
import json
import socket
from pathlib import Path

import pytest
from bench.synapse import (
    SynapseResult,
    free_port,
    main,
    new_password,
    percentile,
    register_command,
    render_overrides,
    run_synapse_latency,
    summarise,
    sync_filter,
    timeline_event_ids,
    write_overrides,
)
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import ConfigError, DaemonError

ROOM = "!abc123:localhost"

latency = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


# --- port ---------------------------------------------------------------------


def test_free_port_is_bindable_on_loopback() -> None:
    port = free_port()
    assert 1024 <= port < 65536
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


# --- configuration ------------------------------------------------------------


def test_listener_is_loopback_only_and_client_only(tmp_path: Path) -> None:
    config = render_overrides(port=18008, workdir=tmp_path)
    (listener,) = config["listeners"]
    assert listener["port"] == 18008
    assert listener["bind_addresses"] == ["127.0.0.1"]
    assert listener["tls"] is False
    names = [name for resource in listener["resources"] for name in resource["names"]]
    assert names == ["client"]


def test_no_outbound_traffic_and_no_presence(tmp_path: Path) -> None:
    config = render_overrides(port=18008, workdir=tmp_path)
    assert config["server_name"] == "localhost"
    assert config["trusted_key_servers"] == []
    assert config["suppress_key_server_warning"] is True
    assert config["federation_domain_whitelist"] == []
    assert config["report_stats"] is False
    assert config["presence"] == {"enabled": False}


def test_sqlite_database_lives_in_the_workdir(tmp_path: Path) -> None:
    config = render_overrides(port=18008, workdir=tmp_path)
    assert config["database"]["name"] == "sqlite3"
    assert Path(config["database"]["args"]["database"]).parent == tmp_path


def test_rate_limits_are_raised_far_above_synapse_defaults(tmp_path: Path) -> None:
    config = render_overrides(port=18008, workdir=tmp_path)
    # Synapse's defaults are well under 1 per second, with bursts of 3 to 10.
    limits = [
        config["rc_message"],
        config["rc_registration"],
        *config["rc_login"].values(),
        *config["rc_joins"].values(),
    ]
    assert len(limits) == 7
    for limit in limits:
        assert limit["per_second"] >= 1000
        assert limit["burst_count"] >= 1000


def test_rate_limit_dicts_are_not_shared(tmp_path: Path) -> None:
    config = render_overrides(port=18008, workdir=tmp_path)
    config["rc_message"]["per_second"] = 1
    assert render_overrides(port=18008, workdir=tmp_path)["rc_message"]["per_second"] > 1


@pytest.mark.parametrize("port", [0, -1, 65536, 100_000])
def test_port_out_of_range_is_a_config_error(tmp_path: Path, port: int) -> None:
    with pytest.raises(ConfigError):
        render_overrides(port=port, workdir=tmp_path)


@given(port=st.integers(min_value=1, max_value=65535))
def test_overrides_file_round_trips(port: int) -> None:
    workdir = Path("/nonexistent/synapse")
    config = render_overrides(port=port, workdir=workdir)
    # The file is JSON (a subset of YAML): reading it back gives the same dict.
    text = json.dumps(config, indent=2, sort_keys=True)
    assert json.loads(text) == config
    assert json.loads(text)["listeners"][0]["port"] == port


def test_write_overrides_writes_json(tmp_path: Path) -> None:
    config = render_overrides(port=4242, workdir=tmp_path)
    target = tmp_path / "overrides.yaml"
    write_overrides(target, config)
    assert json.loads(target.read_text(encoding="utf-8")) == config


# --- /sync --------------------------------------------------------------------


def test_sync_filter_is_scoped_to_one_room() -> None:
    parsed = json.loads(sync_filter(ROOM))
    assert parsed["room"]["rooms"] == [ROOM]
    assert parsed["presence"] == {"not_types": ["*"]}


def test_sync_filter_rejects_a_non_room_id() -> None:
    with pytest.raises(ConfigError):
        sync_filter("@bob:localhost")


def _sync_body(room_events: dict[str, list[dict[str, object]]]) -> dict[str, object]:
    return {
        "next_batch": "s1",
        "rooms": {"join": {room: {"timeline": {"events": ev}} for room, ev in room_events.items()}},
    }


def test_timeline_event_ids_of_our_room_in_order() -> None:
    body = _sync_body(
        {
            ROOM: [{"event_id": "$a"}, {"type": "m.room.message"}, {"event_id": "$b"}],
            "!other:localhost": [{"event_id": "$x"}],
        }
    )
    assert timeline_event_ids(body, ROOM) == ["$a", "$b"]


@pytest.mark.parametrize(
    "body",
    [
        {"next_batch": "s1"},
        {"next_batch": "s1", "rooms": {}},
        {"next_batch": "s1", "rooms": {"join": {}}},
        {"next_batch": "s1", "rooms": {"join": {ROOM: {}}}},
    ],
)
def test_timeline_event_ids_of_an_empty_sync(body: dict[str, object]) -> None:
    assert timeline_event_ids(body, ROOM) == []


def test_malformed_sync_is_a_daemon_error() -> None:
    with pytest.raises(DaemonError):
        timeline_event_ids({"rooms": {"join": {ROOM: {"timeline": {"events": [3]}}}}}, ROOM)


@given(ids=st.lists(st.text(min_size=1, max_size=20).map(lambda s: "$" + s), max_size=20))
def test_timeline_event_ids_round_trip(ids: list[str]) -> None:
    body = _sync_body({ROOM: [{"event_id": event_id} for event_id in ids]})
    assert timeline_event_ids(body, ROOM) == ids


# --- figures ------------------------------------------------------------------


def test_percentile_interpolates_linearly() -> None:
    values = [float(x) for x in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 90) == pytest.approx(90.1)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0


def test_percentile_ignores_input_order() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], -1), ([1.0], 100.5)])
def test_percentile_rejects_bad_input(values: list[float], q: float) -> None:
    with pytest.raises(ConfigError):
        percentile(values, q)


@given(
    values=st.lists(latency, min_size=1, max_size=50),
    q1=st.floats(min_value=0, max_value=100),
    q2=st.floats(min_value=0, max_value=100),
)
def test_percentile_is_bounded_and_monotone(values: list[float], q1: float, q2: float) -> None:
    low, high = sorted((q1, q2))
    p_low, p_high = percentile(values, low), percentile(values, high)
    assert min(values) <= p_low <= p_high <= max(values)


@given(values=st.lists(latency, min_size=1, max_size=50))
def test_summary_is_ordered(values: list[float]) -> None:
    figures = summarise(values)
    assert list(figures) == ["p50", "p90", "p99", "max"]
    assert figures["p50"] <= figures["p90"] <= figures["p99"] <= figures["max"] == max(values)


def test_result_summary_and_validation() -> None:
    result = SynapseResult(latencies_ms=[10.0, 20.0, 30.0], version="1.163.2")
    assert result.summary()["p50"] == 20.0
    with pytest.raises(ConfigError):
        SynapseResult(latencies_ms=[-1.0], version="1.163.2")
    with pytest.raises(ConfigError):
        SynapseResult(latencies_ms=[float("nan")], version="1.163.2")
    with pytest.raises(ConfigError):
        SynapseResult(latencies_ms=[1.0], version="")


# --- argument checks come before any install ----------------------------------


def test_zero_messages_is_refused_before_installing(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    with pytest.raises(ConfigError):
        run_synapse_latency(0, venv=venv)
    assert not venv.exists()


def test_cli_refuses_zero_messages(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--n", "0"])
    assert exit_info.value.code == 2
    assert "--n" in capsys.readouterr().err


# --- registering users --------------------------------------------------------


def _synapse_parser() -> argparse.ArgumentParser:
    """The options of Synapse's register_new_matrix_user that the bench uses, as it declares them."""
    parser = argparse.ArgumentParser()
    parser.add_argument("-u", "--user")
    parser.add_argument("-p", "--password")
    parser.add_argument("-c", "--config", action="append")
    parser.add_argument("--no-admin", action="store_true")
    parser.add_argument("server_url", nargs="?")
    return parser


@pytest.mark.parametrize("password", ["-starts-with-a-dash", "--x", "plain_Password-1", "-"])
def test_register_command_passes_any_password_as_a_value(password: str) -> None:
    command = register_command(
        Path("/venv/bin/register_new_matrix_user"),
        config=Path("/s/homeserver.yaml"),
        user="alice",
        password=password,
        base_url="http://127.0.0.1:8008",
    )
    args = _synapse_parser().parse_args(command[1:])
    assert args.password == password
    assert args.user == "alice"
    assert args.config == ["/s/homeserver.yaml"]
    assert args.server_url == "http://127.0.0.1:8008"
    assert args.no_admin


def test_the_old_separate_form_fails_on_a_leading_dash() -> None:
    # What the bench did before: "-p", password. This is the ~1-in-32 failure.
    with pytest.raises(SystemExit):
        _synapse_parser().parse_args(["-p", "-starts-with-a-dash", "-u", "alice"])


def test_new_passwords_never_start_with_a_dash() -> None:
    assert all(new_password()[0].isalpha() for _ in range(2000))
