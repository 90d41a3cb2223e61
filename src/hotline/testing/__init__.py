"""Public test helpers: a memory link, fake and virtual clocks, a sans-IO pair, cuttable routes, netns labs.

Nothing under ``src/hotline`` imports this package; tests and downstream
projects do. ``hotline.testing.store_conformance`` (the Store contract tests a
backend runs by naming a factory) imports pytest, so it is not imported here:
name it.
"""

from __future__ import annotations

from hotline.testing.clock import FakeClock
from hotline.testing.connection_pair import ConnectionPair, Side
from hotline.testing.memory import MemoryTransport, memory_link
from hotline.testing.netns import LabFaults, LabSide, NamespacedTerminal, NetnsLab
from hotline.testing.proxy import RouteProxy
from hotline.testing.softhsm import (
    PKCS11_REQUIRE_ENV,
    SOFTHSM_MODULE,
    USER_PIN,
    SoftToken,
    find_module,
    token_or_skip,
)
from hotline.testing.virtual_time import VirtualClock, VirtualTimeLoop, run_virtual, virtual_clock

__all__ = [
    "ConnectionPair",
    "FakeClock",
    "LabFaults",
    "LabSide",
    "MemoryTransport",
    "NamespacedTerminal",
    "NetnsLab",
    "PKCS11_REQUIRE_ENV",
    "RouteProxy",
    "SOFTHSM_MODULE",
    "Side",
    "SoftToken",
    "USER_PIN",
    "VirtualClock",
    "VirtualTimeLoop",
    "find_module",
    "memory_link",
    "run_virtual",
    "token_or_skip",
    "virtual_clock",
]
