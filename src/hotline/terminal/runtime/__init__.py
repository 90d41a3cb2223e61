"""What the terminal runs on: the clock, change notices, supervised tasks, CPU wake-up, the lead,
the C heap's mmap threshold."""

from __future__ import annotations

from hotline.terminal.runtime.clock import Clock, SystemClock
from hotline.terminal.runtime.cpu_wake import (
    CPU_DMA_LATENCY,
    CpuWakeHold,
    enforced_latency_us,
    hold_cpus_awake,
)
from hotline.terminal.runtime.events import EventHub, Notice
from hotline.terminal.runtime.heap import MMAP_THRESHOLD, cap_mmap_threshold
from hotline.terminal.runtime.leadership import Leadership
from hotline.terminal.runtime.tasks import Supervisor

__all__ = [
    "CPU_DMA_LATENCY",
    "Clock",
    "CpuWakeHold",
    "EventHub",
    "Leadership",
    "MMAP_THRESHOLD",
    "Notice",
    "Supervisor",
    "SystemClock",
    "cap_mmap_threshold",
    "enforced_latency_us",
    "hold_cpus_awake",
]
