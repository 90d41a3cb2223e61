"""bench.report: the one JSON line every bench prints with --json."""

from __future__ import annotations

import json

import pytest
from bench.report import emit_json, spread


def test_emit_json_prints_one_line_with_figures_and_parameters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = emit_json("x", {"a": 1.5}, n=3, rounds=2)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out) == result
    assert result["figures"] == {"a": 1.5}
    assert result["parameters"]["n"] == 3
    assert result["parameters"]["rounds"] == 2
    assert {"python", "cpu_count", "commit"} <= set(result["parameters"])


def test_spread() -> None:
    assert spread([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0}
    with pytest.raises(ValueError, match="no values"):
        spread([])
