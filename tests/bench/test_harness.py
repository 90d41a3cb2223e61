"""bench.harness.cpus_held_awake: the benchmarks' --hold-cpus-awake."""

from __future__ import annotations

import pytest
from bench.harness import cpus_held_awake

from hotline.terminal.runtime import enforced_latency_us
from tests.terminal.helpers import may_hold_cpus_awake


def test_off_asks_nothing() -> None:
    with cpus_held_awake(False):
        pass


def test_on_holds_the_cpus_for_the_block_or_exits_saying_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if may_hold_cpus_awake():
        before = enforced_latency_us()
        with cpus_held_awake(True):
            assert enforced_latency_us() == 0
        assert enforced_latency_us() == before
        assert "CPUs held awake" in capsys.readouterr().out
    else:
        with pytest.raises(SystemExit, match="cannot hold the CPUs awake"), cpus_held_awake(True):
            pass
