"""Holding the CPUs awake while the terminal runs (``[performance] hold_cpus_awake``).

Every message finds a terminal idle: it handled the last one a millisecond or
more ago and has slept since. On the project's machines the first work after
such a pause runs 1.3 to 4 times slower than the same work back to back
(``bench/idle_penalty.py`` measures it): the CPU has gone into an idle state,
and waking it, and refilling its caches, is paid on the message's path, on both
sides. Linux lets a process forbid idle states slower to leave than a given
latency for as long as it keeps ``/dev/cpu_dma_latency`` open with that
latency written to it (a *PM QoS request*; ``tuned``'s latency-performance
profile does the same). Writing 0 keeps every CPU in its shallowest idle
state, polling: wake-ups are immediate, at the cost of power (the CPUs never
rest while the terminal runs). The kernel drops the request when the file is
closed, including when the process dies, so nothing outlives the terminal.

The device needs root (or a udev rule granting the terminal's user access).
When the request cannot be made, the terminal runs as before and its status
says why (``hotline status``).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

__all__ = ["CPU_DMA_LATENCY", "CpuWakeHold", "enforced_latency_us", "hold_cpus_awake"]

#: The kernel's PM QoS interface for the CPU wake-up latency, in microseconds.
CPU_DMA_LATENCY = Path("/dev/cpu_dma_latency")

_VALUE = struct.Struct("=i")  # the interface's binary form: a native 32-bit int


class CpuWakeHold:
    """An open PM QoS request; :meth:`release` (or closing the process) ends it."""

    def __init__(self, fd: int, path: Path, latency_us: int) -> None:
        self._fd: int | None = fd
        self.path = path
        self.latency_us = latency_us

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """End the request (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> CpuWakeHold:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def describe(self) -> str:
        if not self.held:
            return "released"
        return f"CPUs held awake ({self.path}: wake-up latency at most {self.latency_us} µs)"


def hold_cpus_awake(path: Path = CPU_DMA_LATENCY, *, latency_us: int = 0) -> CpuWakeHold:
    """Ask the kernel to keep CPU wake-ups under ``latency_us``; OSError if it cannot be asked.

    The request lasts until the returned hold is released or the process ends.
    """
    if type(latency_us) is not int or not 0 <= latency_us <= 2_000_000_000:
        raise ValueError(f"latency_us must be an int from 0 to 2000000000, not {latency_us!r}")
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        written = os.write(fd, _VALUE.pack(latency_us))
        if written != _VALUE.size:
            raise OSError(f"{path}: short write ({written} of {_VALUE.size} bytes)")
    except BaseException:
        os.close(fd)
        raise
    return CpuWakeHold(fd, Path(path), latency_us)


def enforced_latency_us(path: Path = CPU_DMA_LATENCY) -> int:
    """The wake-up latency the kernel enforces now: the lowest of every open request.

    Reading asks for nothing (an open for reading adds no constraint).
    """
    with open(path, "rb", buffering=0) as device:
        return int(_VALUE.unpack(device.read(_VALUE.size))[0])
