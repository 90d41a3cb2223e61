"""Shared fixtures for the protocol tests: how received bytes are fed in."""

from __future__ import annotations

import pytest


@pytest.fixture(params=[None, 1], ids=["whole", "bytewise"])
def chunk_size(request: pytest.FixtureRequest) -> int | None:
    """Every decoding test runs twice: the whole buffer at once, then one byte at a time."""
    size: int | None = request.param
    return size
