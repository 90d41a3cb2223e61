"""bench.harness.cpus_held_awake: the benchmarks' --hold-cpus-awake."""

from __future__ import annotations

import struct

import pytest
from bench.harness import cpus_held_awake

from hotline.terminal import CPU_DMA_LATENCY, hold_cpus_awake


def _enforced() -> int:
    with open(CPU_DMA_LATENCY, "rb", buffering=0) as device:
        return int(struct.unpack("=i", device.read(4))[0])


def test_off_asks_nothing() -> None:
    with cpus_held_awake(False):
        pass


def test_on_holds_the_cpus_for_the_block_or_exits_saying_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    try:
        hold_cpus_awake().release()
        may_hold = True
    except OSError:
        may_hold = False
    if may_hold:
        before = _enforced()
        with cpus_held_awake(True):
            assert _enforced() == 0
        assert _enforced() == before
        assert "CPUs held awake" in capsys.readouterr().out
    else:
        with pytest.raises(SystemExit, match="cannot hold the CPUs awake"), cpus_held_awake(True):
            pass
