"""Each bench's main() with tiny sizes and --json: the last line is the one JSON object.

Real runs (terminal processes, TLS, SQLite); only the shape is asserted, never a timing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench import latency, reference, throughput

PLACE = {"python", "cpu_count", "commit"}


def _last_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(capsys.readouterr().out.splitlines()[-1])
    return result


@pytest.mark.parametrize("via", ["lane", "control"])
def test_throughput(capsys: pytest.CaptureFixture[str], via: str) -> None:
    throughput.main(["--n", "12", "--rounds", "1", "--via", via, "--json"])
    result = _last_json(capsys)
    assert result["parameters"]["via"] == via
    assert result["bench"] == "throughput"
    figures = result["figures"]
    for key in (
        "hotline_one_way_msg_s",
        "hotline_both_ways_msg_s",
        "sender_cpu_us_per_msg",
        "receiver_cpu_us_per_msg",
        "lean_crypto_msg_s",
        "reference_msg_s",
        "hotline_over_lean_crypto",
        "hotline_over_reference",
    ):
        assert set(figures[key]) == {"median", "min", "max"}
    assert len(figures["rounds"]) == 1
    assert {"n", "rounds", "batch"} | PLACE <= set(result["parameters"])


def test_latency_without_synapse(capsys: pytest.CaptureFixture[str]) -> None:
    latency.main(["--n", "3", "--rounds", "2", "--no-synapse", "--json"])
    result = _last_json(capsys)
    figures = result["figures"]
    assert set(figures["hotline_ms"]) == {"p50", "p90", "p99", "max"}
    assert set(figures["hotline_ms"]["p50"]) == {"median", "min", "max"}
    assert set(figures["hotline_over_reference_p50"]) == {"median", "min", "max"}
    assert len(figures["rounds"]) == 2
    assert "synapse_ms" not in figures
    assert {"n", "rounds", "synapse"} | PLACE <= set(result["parameters"])


def test_reference(capsys: pytest.CaptureFixture[str]) -> None:
    reference.main(["--n", "5", "--json"])
    result = _last_json(capsys)
    assert set(result["figures"]) == {"latency_ms", "burst_msg_s"}
    assert {"n", "burst_n"} | PLACE <= set(result["parameters"])


def test_crypto_floor(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import crypto_floor

    crypto_floor.main(["--n", "5", "--json"])
    result = _last_json(capsys)
    assert {"sign_us", "verify_us", "seal_us", "open_us", "one_way_bound_msg_s"} <= set(
        result["figures"]
    )
    assert {"n"} | PLACE <= set(result["parameters"])


def test_idle_penalty(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import idle_penalty

    idle_penalty.main(["--n", "2", "--json"])
    result = _last_json(capsys)
    assert result["bench"] == "idle_penalty"
    assert result["figures"]["us"]
