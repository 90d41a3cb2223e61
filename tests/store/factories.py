"""Record factories and small helpers shared by the store tests.

The factories are the conformance suite's (``hotline.testing.store_conformance``),
so the SQLite-specific tests build the same records; ``commits`` reads a SQL trace.
"""

from __future__ import annotations

from hotline.testing.store_conformance import T0, at, make_message, make_party, make_peer

__all__ = ["T0", "at", "commits", "make_message", "make_party", "make_peer"]


def commits(statements: list[str]) -> int:
    """How many COMMIT statements a SQL trace holds."""
    return sum(1 for statement in statements if statement.strip().upper() == "COMMIT")
